// The three products of a chunk of tokens, each cut into the fixed tiles of tiles.hpp and
// run inside xent's parallel region, one single-threaded BLAS call per tile (gemm.hpp).
// v is the number of weight rows (the whole vocabulary or this process's shard) and the
// leading dimension of the chunk's logits tile z (r x v).
// The vocabulary-parallel form runs these; fused.hpp runs the same tiling through
// operands.hpp, which also converts 16-bit operands.
#pragma once

#include <cstring>

#include "linear/gemm.hpp"
#include "linear/tiles.hpp"

namespace xent::linear {

// Loops over the tiles of one phase; which thread takes a tile does not change its result.
template <class Body> inline void for_tiles(int64_t tiles, Body &&body) {
#if XENT_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1) nowait
#endif
  for (int64_t t = 0; t < tiles; ++t) body(t);
}
inline void barrier() {
#if XENT_HAVE_OPENMP
#pragma omp barrier
#endif
}

// z = hc (r x h) @ weight^T + bias, by vocabulary tiles.
template <class T>
void logits_products(const T *hc, int64_t r, int64_t h, const T *weight, const T *bias, int64_t v, T *z) {
  for_tiles(tile_count(v, kVocabTile), [&](int64_t t) {
    const int64_t j0 = t * kVocabTile, w = std::min(kVocabTile, v - j0);
    if (bias)
      for (int64_t i = 0; i < r; ++i) std::memcpy(z + i * v + j0, bias + j0, sizeof(T) * std::size_t(w));
    gemm(false, true, r, w, h, hc, h, weight + j0 * h, h, bias ? T(1) : T(0), z + j0, v);
  });
}

// d_hidden (r x h) = g @ weight, by hidden tiles (the whole v is each tile's depth).
template <class T> void d_hidden_products(const T *g, int64_t r, int64_t v, const T *weight, int64_t h, T *dh) {
  for_tiles(tile_count(h, kHiddenTile), [&](int64_t t) {
    const int64_t k0 = t * kHiddenTile, w = std::min(kHiddenTile, h - k0);
    gemm(false, false, r, w, v, g, v, weight + k0, h, T(0), dh + k0, h);
  });
}

// d_weight (+)= g^T @ hc and d_bias (+)= the column sums of g, by vocabulary tiles; the
// first chunk writes, later ones add (in chunk order).
template <class T>
void d_weight_products(const T *g, int64_t r, int64_t v, const T *hc, int64_t h, bool first, T *dw, T *db) {
  for_tiles(tile_count(v, kVocabTile), [&](int64_t t) {
    const int64_t j0 = t * kVocabTile, w = std::min(kVocabTile, v - j0);
    if (dw) gemm(true, false, w, h, r, g + j0, v, hc, h, first ? T(0) : T(1), dw + j0 * h, h);
    if (db) {
      T *d = db + j0;
      if (first) std::memset(d, 0, sizeof(T) * std::size_t(w));
      for (int64_t i = 0; i < r; ++i) {
        const T *gi = g + i * v + j0;
        for (int64_t j = 0; j < w; ++j) d[j] += gi[j];
      }
    }
  });
}

}  // namespace xent::linear
