// Reading and writing a row one vector at a time, whatever its stride.
//
// A "row" is n values p[0], p[stride], ... (stride 1: the class axis is last; stride K:
// the (B, C, K) layout; stride 0: one value broadcast). Full contiguous vectors are
// loaded directly; the tail and strided rows go through a small stack buffer, padded with
// a caller-chosen neutral value, so that kernels only ever see whole vectors.
#pragma once

#include <algorithm>
#include <cstdint>

#include "simd/vec.hpp"

namespace xent::XENT_ISA_NS::kern {

using simd::width_v;

template <class V> inline bool is_direct(int64_t i, int64_t n, int64_t stride) {
  return stride == 1 && i + int64_t(width_v<V>) <= n;
}

template <class V>
XENT_ALWAYS_INLINE V load_block(const simd::value_t<V> *p, int64_t i, int64_t n, int64_t stride,
                    simd::value_t<V> pad) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(width_v<V>);
  if (is_direct<V>(i, n, stride)) return simd::load<V>(p + i);
  if (stride == 0) return simd::splat<V>(p[0]);
  const int64_t m = std::min(W, n - i);
  if (stride == 1) return simd::load_partial<V>(p + i, m, pad);
  alignas(64) T buf[W];
  for (int64_t j = 0; j < W; ++j) buf[j] = j < m ? p[(i + j) * stride] : pad;
  return simd::load<V>(buf);
}

template <class V>
XENT_ALWAYS_INLINE void store_block(simd::value_t<V> *p, int64_t i, int64_t n, int64_t stride, const V &v) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(width_v<V>);
  if (is_direct<V>(i, n, stride)) {
    simd::store(p + i, v);
    return;
  }
  const int64_t m = std::min(W, n - i);
  if (stride == 1) {
    simd::store_partial(p + i, m, v);
    return;
  }
  alignas(64) T buf[W];
  simd::store(buf, v);
  for (int64_t j = 0; j < m; ++j) p[(i + j) * stride] = buf[j];
}

// y = f(x) over [c0, c1) of a contiguous row (y may be x): whole vectors directly, then a masked tail.
template <class V, class F>
XENT_ALWAYS_INLINE void map_row(const simd::value_t<V> *x, simd::value_t<V> *y, int64_t c0, int64_t c1, F f) {
  constexpr int64_t W = int64_t(simd::width_v<V>);
  int64_t i = c0;
  for (; i + W <= c1; i += W) simd::store(y + i, f(simd::load<V>(x + i)));
  if (i < c1) store_block(y, i, c1, 1, f(load_block<V>(x, i, c1, 1, simd::value_t<V>(0))));
}

// The lane indices 0, 1, ..., W-1 (exact in T for any W).
template <class V> inline V lane_index() {
  using T = simd::value_t<V>;
  alignas(64) T iota[width_v<V>];
  for (std::size_t j = 0; j < width_v<V>; ++j) iota[j] = T(j);
  return simd::load<V>(iota);
}

// Lanes j with i + j < n.
template <class V> inline simd::mask_t<V> valid_lanes(int64_t i, int64_t n) {
  using T = simd::value_t<V>;
  if constexpr (simd::is_scalar_v<V>) return i < n;
  else return lane_index<V>() < V(T(n - i));
}

// value in the lane of element `at` when it lies in the vector starting at i, else 0:
// how a sparse label's own term joins a vector pass (lane indices < W are exact floats).
template <class V> inline V at_lane(int64_t i, int64_t at, simd::value_t<V> value) {
  using T = simd::value_t<V>;
  const int64_t lane = at - i;
  if (lane < 0 || lane >= int64_t(width_v<V>)) return V(T(0));
  if constexpr (simd::is_scalar_v<V>) return value;
  else return simd::select(lane_index<V>() == V(T(lane)), V(value), V(T(0)));
}

// Zero the lanes past the end of the row (a partial last vector).
template <class V> inline V keep_valid(const V &v, int64_t i, int64_t n) {
  using T = simd::value_t<V>;
  if (i + int64_t(width_v<V>) <= n) return v;
  return simd::select(valid_lanes<V>(i, n), v, V(T(0)));
}

// coef * value, but exactly 0 where coef is 0 (a zero-weight term costs nothing even
// where its log is infinite; see docs/SEMANTICS.md).
template <class V> inline V weighted(const V &coef, const V &value) {
  using T = simd::value_t<V>;
  return simd::select(coef == V(T(0)), V(T(0)), coef * value);
}
// coef / value with the same rule (gradient terms -t/q where q may be 0 when eps = 0).
template <class V> inline V weighted_ratio(const V &coef, const V &value) {
  using T = simd::value_t<V>;
  return simd::select(coef == V(T(0)), V(T(0)), coef / value);
}

// Sums over a row are accumulated per fixed chunk in the vector type, then in double
// across chunks: more accurate for long rows, and the same bits however rows are split
// between threads (chunk boundaries depend only on the row length).
constexpr int64_t kSumChunk = 4096;

}  // namespace xent::XENT_ISA_NS::kern
