// The fused linear loss over chunks of tokens (the Liger-Kernel design): per chunk of R
// tokens, the logits tile Z = hidden[chunk] @ weight^T + bias (R x v, the only scratch),
// then the library's sparse softmax CE kernel on Z with the gradient G written over Z,
// then d_hidden[chunk] = G @ weight, d_weight (+)= G^T @ hidden[chunk], d_bias (+)=
// column sums of G. Each product runs as fixed tiles, one single-threaded BLAS call per
// tile (gemm.hpp); chunks are taken in order, so d_weight and d_bias add the chunks in a
// fixed order and the loss adds fixed blocks of kLossGroup tokens in order.
#pragma once

#include <cstring>
#include <limits>

#include "driver/scratch.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"
#include "linear/args.hpp"
#include "linear/gemm.hpp"
#include "linear/tiles.hpp"

namespace xent::linear {

// Loops over the tiles of one phase, inside the parallel region (or serially without
// OpenMP); which thread takes a tile does not change its result.
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

template <class T, class L> struct Fused {
  const Args<T, L> &a;
  const Checked &c;
  T *z;  // the logits tile, R x v
  int64_t R;
  LossCall<T> base;  // the loss call with everything but the chunk's offsets

  // The chunk [c0, c0 + r): its loss block sums into sums[], in block order.
  void chunk(int64_t c0, int64_t r, bool first, double *sums) const {
    const int64_t h = a.h, v = a.v;
    const T *hc = a.hidden + c0 * h;
    const bool want_grad = a.d_hidden || a.d_weight || a.d_bias;
    LossCall<T> call = base;
    call.x = z;
    call.B = r;
    if constexpr (std::is_same_v<L, int64_t>) call.labels64 = a.labels + c0;
    else call.labels32 = a.labels + c0;
    if (call.sample_weights) call.sample_weights += c0;
    if (call.loss) call.loss += c0;
    if (call.lse_out) call.lse_out += c0;
    if (call.lse_in) call.lse_in += c0;
    if (call.dloss && call.dloss_each) call.dloss += c0;
    call.grad = want_grad ? z : nullptr;
    const auto loss_block = kernels<T>().loss_block[int(Variant::sparse_softmax_ce_with_logits)];
    const int64_t groups = tile_count(r, kLossGroup);

    blas_single_threaded();
    // Z = hidden[chunk] @ weight^T + bias, by vocabulary tiles.
    for_tiles(tile_count(v, kVocabTile), [&](int64_t t) {
      const int64_t j0 = t * kVocabTile, w = std::min(kVocabTile, v - j0);
      if (a.bias)
        for (int64_t i = 0; i < r; ++i) std::memcpy(z + i * v + j0, a.bias + j0, sizeof(T) * std::size_t(w));
      gemm(false, true, r, w, h, hc, h, a.weight + j0 * h, h, a.bias ? T(1) : T(0), z + j0, v);
    });
    barrier();
    // Loss (and lse) of each token and the gradient over Z, by the sparse loss's kernel (a
    // backward: dloss times the gradient, with the saved lse when given).
    for_tiles(groups, [&](int64_t g) {
      const int64_t u0 = g * kLossGroup, u1 = std::min(r, u0 + kLossGroup);
      sums[g] = loss_block(call, u0, u1);
    });
    barrier();
    // d_hidden[chunk] = G @ weight, by hidden tiles (the whole vocabulary is each tile's depth).
    if (a.d_hidden)
      for_tiles(tile_count(h, kHiddenTile), [&](int64_t t) {
        const int64_t k0 = t * kHiddenTile, w = std::min(kHiddenTile, h - k0);
        gemm(false, false, r, w, v, z, v, a.weight + k0, h, T(0), a.d_hidden + c0 * h + k0, h);
      });
    // d_weight (+)= G^T @ hidden[chunk] and d_bias (+)= column sums of G, by vocabulary tiles.
    if (a.d_weight || a.d_bias)
      for_tiles(tile_count(v, kVocabTile), [&](int64_t t) {
        const int64_t j0 = t * kVocabTile, w = std::min(kVocabTile, v - j0);
        if (a.d_weight) gemm(true, false, w, h, r, z + j0, v, hc, h, first ? T(0) : T(1), a.d_weight + j0 * h, h);
        if (a.d_bias) {
          T *db = a.d_bias + j0;
          if (first) std::memset(db, 0, sizeof(T) * std::size_t(w));
          for (int64_t i = 0; i < r; ++i) {
            const T *gi = z + i * v + j0;
            for (int64_t j = 0; j < w; ++j) db[j] += gi[j];
          }
        }
      });
    barrier();
  }
};

// The whole call after its checks. Returns false when the tile could not be allocated
// (then nothing has been written).
template <class T, class L> bool run_fused(const Args<T, L> &a, const Checked &c) {
  const xent_options &o = c.o;
  const bool reduce = o.reduction != XENT_REDUCTION_NONE, mean = o.reduction == XENT_REDUCTION_MEAN;
  const bool none = o.reduction == XENT_REDUCTION_NONE;
  // As driver/run_loss.hpp sets up the sparse loss's call.
  LossCall<T> base;
  base.C = a.v;
  base.K = 1;
  base.reduce = reduce && !a.backward();
  base.loss = none ? a.loss : nullptr;  // null in a backward
  base.lse_out = static_cast<T *>(o.lse_out);  // null in a backward (checks.hpp)
  base.dloss = a.dloss;
  base.dloss_each = none;
  base.lse_in = a.lse;
  base.focal_gamma = T(o.focal_gamma);
  base.focal_alpha = T(o.focal_alpha);
  base.poly_epsilon = T(o.poly_epsilon);
  base.smoothing = T(o.label_smoothing);
  base.class_weights = static_cast<const T *>(o.class_weights);
  base.sample_weights = static_cast<const T *>(o.sample_weights);
  base.ignore_index = o.ignore_index;
  base.z_loss = T(o.z_loss);
  base.softcap = T(o.logit_softcap);
  if (mean) base.grad_scale = T(1.0 / c.denominator);

  double total = 0;
  if (a.n == 0) {
    if (a.d_weight) std::memset(a.d_weight, 0, sizeof(T) * std::size_t(a.v * a.h));
    if (a.d_bias) std::memset(a.d_bias, 0, sizeof(T) * std::size_t(a.v));
  } else if (!a.backward() || a.d_hidden || a.d_weight || a.d_bias) {  // a backward with no gradient: nothing
    const int64_t R = chunk_rows(a.n);
    T *z = static_cast<T *>(scratch_alloc(sizeof(T) * std::size_t(R) * std::size_t(a.v)));
    if (!z) return false;
    const int64_t elements = a.v > std::numeric_limits<int64_t>::max() / a.n ? std::numeric_limits<int64_t>::max()
                                                                            : a.n * a.v;
    const int threads = threads_for(elements, o.num_threads);
    const Fused<T, L> f{a, c, z, R, base};
    double sums[kMaxLossGroups];
    for (int64_t c0 = 0; c0 < a.n; c0 += R) {
      const int64_t r = std::min(R, a.n - c0);
#if XENT_HAVE_OPENMP
#pragma omp parallel num_threads(threads)
#endif
      f.chunk(c0, r, c0 == 0, sums);
      for (int64_t g = 0; g < tile_count(r, kLossGroup); ++g) total += sums[g];
    }
    scratch_free(z);
    (void)threads;
  }
  if (reduce && !a.backward()) {
    if (mean)
      total = c.denominator > 0 || c.denominator < 0 ? total / c.denominator : std::numeric_limits<double>::quiet_NaN();
    *a.loss = T(total);
  }
  return true;
}

}  // namespace xent::linear
