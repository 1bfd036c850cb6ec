// The softmax family over the middle axis of an (outer, C, inner) array: the line (o, i)
// is the C values x[(o * C + c) * inner + i]. Vectorized across inner, not across C: a
// tile holds up to kAxisTileVecs vectors of adjacent i, one line per lane, and walks the
// C rows at stride inner (each row of a tile is one contiguous load per vector). Every
// lane gets the same arithmetic in the same order wherever its line sits (which tile,
// which lane, which block, how many threads), so a line's results have the same bits
// alone or in any batch. inner = 1 does not come here: the C API routes it to the
// last-axis kernels (row_stats.hpp), whose bits it must keep.
//
// Per line, as the last-axis kernels: per chunk of kAxisChunk rows a max pass, then a
// sum of exp(y - chunk max) from L1 in the vector type (the 1-ulp exp of ExactMath); the
// chunks' (max, sum) pairs merged online in double in chunk order (merge_max_sum), and
// finish_row_lse's special values. softmax / log_softmax then make one output pass.
#pragma once

#include <cmath>
#include <limits>

#include "kernels/row_stats.hpp"

namespace xent::XENT_ISA_NS::kern {

constexpr int kAxisTileVecs = 4;  // 4 independent accumulators hide the exp's latency
// Rows of C per (max, sum) chunk: a full tile's chunk (256 * 128 bytes) stays in L1 for the
// sum pass, and the f32 lane sums add at most 256 terms before going to double.
constexpr int64_t kAxisChunk = 256;

template <class V> constexpr int64_t axis_tile_lanes() { return kAxisTileVecs * int64_t(simd::width_v<V>); }

// One tile: U vectors at x + row * stride + j * W; with Partial the last one has only
// `last` valid lanes (masked loads and stores; the others read `pad`, never memory).
template <class V, int U, bool Partial> struct AxisTile {
  using T = simd::value_t<V>;
  static constexpr int64_t W = int64_t(simd::width_v<V>);
  static constexpr int vecs = U;
  int64_t stride, last;
  XENT_ALWAYS_INLINE V load(const T *p, int64_t row, int j, T pad) const {
    const T *q = p + row * stride + j * W;
    if (Partial && j == U - 1) return simd::load_partial<V>(q, last, pad);
    return simd::load<V>(q);
  }
  XENT_ALWAYS_INLINE void store(T *p, int64_t row, int j, const V &v) const {
    T *q = p + row * stride + j * W;
    if (Partial && j == U - 1) simd::store_partial(q, last, v);
    else simd::store(q, v);
  }
};

// The per-lane RowLse of the tile's lines (lanes < n): chunked max and sum, merged per lane.
template <class V, int U, bool Partial>
void axis_tile_lse(const simd::value_t<V> *x, int64_t C, const AxisTile<V, U, Partial> &tile, int64_t n,
                   RowLse<simd::value_t<V>> *out) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  double m[U * W], s[U * W];
  for (int64_t l = 0; l < n; ++l) m[l] = -std::numeric_limits<double>::infinity(), s[l] = 0;
  for (int64_t c0 = 0; c0 < C; c0 += kAxisChunk) {
    const int64_t c1 = std::min(C, c0 + kAxisChunk);
    V mx[U], sum[U];
    for (int j = 0; j < U; ++j) mx[j] = V(ninf), sum[j] = V(T(0));
    for (int64_t c = c0; c < c1; ++c)
      for (int j = 0; j < U; ++j) mx[j] = simd::vmax(mx[j], tile.load(x, c, j, ninf));
    alignas(64) T mt[U * W], st[U * W];
    for (int j = 0; j < U; ++j) {
      simd::store(mt + j * W, mx[j]);
      // An all -inf lane is shifted by 0: its terms exp(-inf) are 0, a NaN still gives NaN.
      mx[j] = simd::select(mx[j] == V(ninf), V(T(0)), mx[j]);
    }
    for (int64_t c = c0; c < c1; ++c)
      for (int j = 0; j < U; ++j) sum[j] = sum[j] + ExactMath{}(tile.load(x, c, j, ninf) - mx[j]);
    for (int j = 0; j < U; ++j) simd::store(st + j * W, sum[j]);
    for (int64_t l = 0; l < n; ++l) merge_max_sum(m[l], s[l], double(mt[l]), double(st[l]));
  }
  for (int64_t l = 0; l < n; ++l) out[l] = finish_row_lse<ExactMath>(m[l], s[l], x + l, C, tile.stride);
}

// Calls f(tile, i0, n) with the tile type of the n = min(lanes, inner - i0) lanes at i0.
template <class V, class F> XENT_ALWAYS_INLINE void with_axis_tile(int64_t inner, int64_t i0, F &&f) {
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const int64_t n = std::min(axis_tile_lanes<V>(), inner - i0);
  const int64_t vecs = (n + W - 1) / W, last = n - (vecs - 1) * W;
  const auto go = [&](auto u) {
    constexpr int U = decltype(u)::value;
    if (last == W) f(AxisTile<V, U, false>{inner, W}, n);
    else f(AxisTile<V, U, true>{inner, last}, n);
  };
  switch (vecs) {
    case 1: go(std::integral_constant<int, 1>{}); break;
    case 2: go(std::integral_constant<int, 2>{}); break;
    case 3: go(std::integral_constant<int, 3>{}); break;
    default: go(std::integral_constant<int, kAxisTileVecs>{}); break;
  }
}

// Units [u0, u1), unit u = the tile u % tiles of outer index u / tiles (tiles of
// axis_tile_lanes lanes per outer index). Any of max_out / sum_out (lse_partial) and lse_out
// may be null; they are (outer, inner) arrays.
template <class V>
void lse_axis(const simd::value_t<V> *x, int64_t u0, int64_t u1, int64_t C, int64_t inner,
              simd::value_t<V> *max_out, simd::value_t<V> *sum_out, simd::value_t<V> *lse_out) {
  using T = simd::value_t<V>;
  const int64_t tiles = (inner + axis_tile_lanes<V>() - 1) / axis_tile_lanes<V>();
  for (int64_t u = u0; u < u1; ++u) {
    const int64_t o = u / tiles, i0 = u % tiles * axis_tile_lanes<V>();
    const T *xt = x + o * C * inner + i0;
    const int64_t at = o * inner + i0;
    with_axis_tile<V>(inner, i0, [&](const auto &tile, int64_t n) {
      RowLse<T> r[axis_tile_lanes<V>()];
      axis_tile_lse<V>(xt, C, tile, n, r);
      for (int64_t l = 0; l < n; ++l) {
        if (lse_out) lse_out[at + l] = T(r[l].lse);
        if (max_out) {  // lse_rows' conventions: NaN lines give NaN in both
          max_out[at + l] = std::isnan(r[l].lse) ? T(r[l].lse) : r[l].max;
          sum_out[at + l] = T(r[l].sum);
        }
      }
    });
  }
}

template <class V>
void softmax_axis(const simd::value_t<V> *x, int64_t u0, int64_t u1, int64_t C, int64_t inner,
                  simd::value_t<V> *y, bool log_output) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>), L = axis_tile_lanes<V>();
  const int64_t tiles = (inner + L - 1) / L;
  for (int64_t u = u0; u < u1; ++u) {
    const int64_t o = u / tiles, i0 = u % tiles * L;
    const T *xt = x + o * C * inner + i0;
    T *yt = y + o * C * inner + i0;
    with_axis_tile<V>(inner, i0, [&](const auto &tile, int64_t n) {
      constexpr int U = std::decay_t<decltype(tile)>::vecs;
      RowLse<T> r[L];
      axis_tile_lse<V>(xt, C, tile, n, r);
      // softmax_rows' per-line constants; a +inf or all -inf line gives its documented NaN
      // entries through exp(x - lse) and x - lse. Lanes past n: any finite values.
      alignas(64) T shift[L] = {}, log_sum[L] = {}, inv_sum[L];
      for (int64_t l = 0; l < L; ++l) inv_sum[l] = T(1);
      for (int64_t l = 0; l < n; ++l) {
        const bool finite = std::isfinite(r[l].max);
        shift[l] = finite ? r[l].max : T(r[l].lse);
        log_sum[l] = T(finite ? r[l].log_sum : 0);
        inv_sum[l] = T(finite ? 1.0 / r[l].sum : 1.0);
      }
      V sh[U], ls[U];
      for (int j = 0; j < U; ++j) sh[j] = simd::load<V>(shift + j * W);
      if (log_output) {
        for (int j = 0; j < U; ++j) ls[j] = simd::load<V>(log_sum + j * W);
        for (int64_t c = 0; c < C; ++c)
          for (int j = 0; j < U; ++j) tile.store(yt, c, j, (tile.load(xt, c, j, T(0)) - sh[j]) - ls[j]);
      } else {
        for (int j = 0; j < U; ++j) ls[j] = simd::load<V>(inv_sum + j * W);
        for (int64_t c = 0; c < C; ++c)
          for (int j = 0; j < U; ++j) tile.store(yt, c, j, math::exp_le0_v(tile.load(xt, c, j, T(0)) - sh[j]) * ls[j]);
      }
    });
  }
}

}  // namespace xent::XENT_ISA_NS::kern
