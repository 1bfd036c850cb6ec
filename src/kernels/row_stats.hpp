// The shared online-free two-pass primitive of every softmax-family kernel:
//   m = max_c y_c, then s = sum_c exp(y_c - m), lse = m + log(s),
// where y = transform(x) (identity, or the logit soft-cap). lse, softmax, log_softmax,
// lse_partial and the with-logits losses are all built on these two passes.
// (PERF-NOTES: on this CPU re-reading a cache-resident row is cheaper than the extra exp
// of a single online pass; merging (max, sum) pairs is used across chunks and shards.)
#pragma once

#include <cmath>
#include <limits>

#include "kernels/block_io.hpp"
#include "kernels/row_split.hpp"
#include "math/exp.hpp"

namespace xent::XENT_ISA_NS::kern {

// y = x.
template <class T> struct Identity {
  template <class V> V apply(const V &x) const { return x; }
  template <class V> V deriv(const V &) const { return V(T(1)); }  // dy/dx at x
};

// y = cap * tanh(x / cap) (Gemma-2 style logit soft-capping). dy/dx = sech^2(x / cap),
// computed as 4e / (1 + e)^2 with e = exp(-2|x| / cap): 1 - tanh^2 would cancel where tanh
// saturates (relative error eps * t / (1 - t) in f32).
template <class T> struct SoftCap {
  T cap, inv_cap;
  explicit SoftCap(T c) : cap(c), inv_cap(T(1) / c) {}
  template <class V> V apply(const V &x) const { return V(cap) * simd::vtanh(x * V(inv_cap)); }
  template <class V> V deriv(const V &x) const {
    const V e = math::exp_v(V(T(-2) * inv_cap) * simd::vabs(x));
    const V d = V(T(1)) + e;
    return V(T(4)) * e / (d * d);
  }
};

// Reduces f(y) over a row into `op`-combined accumulators: four independent vectors
// over the contiguous body (latency hiding), then single vectors, then a padded tail
// whose invalid lanes are replaced by `identity`. The combination order is fixed.
template <class V, class Xf, class F, class Op>
inline V row_reduce(const simd::value_t<V> *x, int64_t n, int64_t stride, const Xf &xf,
                    simd::value_t<V> identity, F f, Op op) {
  constexpr int64_t W = int64_t(simd::width_v<V>);
  V a0(identity), a1(identity), a2(identity), a3(identity);
  int64_t i = 0;
  if (stride == 1) {
    for (; i + 4 * W <= n; i += 4 * W) {
      a0 = op(a0, f(xf.apply(simd::load<V>(x + i))));
      a1 = op(a1, f(xf.apply(simd::load<V>(x + i + W))));
      a2 = op(a2, f(xf.apply(simd::load<V>(x + i + 2 * W))));
      a3 = op(a3, f(xf.apply(simd::load<V>(x + i + 3 * W))));
    }
    for (; i + W <= n; i += W) a0 = op(a0, f(xf.apply(simd::load<V>(x + i))));
  }
  for (; i < n; i += W) {
    const V v = f(xf.apply(load_block<V>(x, i, n, stride, identity)));
    a1 = op(a1, simd::select(valid_lanes<V>(i, n), v, V(identity)));
  }
  return op(op(a0, a1), op(a2, a3));
}

template <class V, class Xf>
inline simd::value_t<V> row_max(const simd::value_t<V> *x, int64_t n, int64_t stride, const Xf &xf,
                                int threads = 1) {
  using T = simd::value_t<V>;
  const RowSplit split = row_split(n);
  T part_max[kMaxRowParts];
  for_each_part(split, n, threads, [&](int64_t p, int64_t c0, int64_t c1) {
    const V acc = row_reduce<V>(
        x + c0 * stride, c1 - c0, stride, xf, -std::numeric_limits<T>::infinity(),
        [](const V &y) { return y; }, [](const V &a, const V &b) { return simd::vmax(a, b); });
    part_max[p] = simd::hmax(acc);
  });
  T m = part_max[0];
  for (int64_t p = 1; p < split.parts; ++p) m = part_max[p] > m ? part_max[p] : m;
  return m;
}

// sum_c exp(y_c - m): vector sums per fixed chunk (kSumChunk), chunk totals added in double
// in order within a part, parts in order (row_split.hpp).
template <class V, class Xf>
inline double row_sumexp(const simd::value_t<V> *x, int64_t n, int64_t stride, const Xf &xf,
                         simd::value_t<V> m, int threads = 1) {
  using T = simd::value_t<V>;
  const V mv(m);
  return sum_parts(n, threads, [&](int64_t p0, int64_t p1) {
    double total = 0;
    for (int64_t c0 = p0; c0 < p1; c0 += kSumChunk) {
      const int64_t len = std::min(p1 - c0, kSumChunk);
      const V acc = row_reduce<V>(
          x + c0 * stride, len, stride, xf, T(0), [&](const V &y) { return math::exp_le0_v(y - mv); },
          [](const V &a, const V &b) { return a + b; });
      total += double(simd::hsum(acc));
    }
    return total;
  });
}

template <class T> inline bool row_has_nan(const T *x, int64_t n, int64_t stride) {
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(x[i * stride])) return true;
  return false;
}

// (m, s) of a row -> lse, with the non-finite cases of docs/SEMANTICS.md: all -inf gives
// -inf (s = 0), a +inf logit gives +inf (s = 1), NaN anywhere gives NaN.
template <class T> struct RowLse {
  T max;
  double sum;  // sum of exp(y - max)
  double lse;
  double log_sum;
};

template <class V, class Xf>
inline RowLse<simd::value_t<V>> row_lse(const simd::value_t<V> *x, int64_t n, int64_t stride, const Xf &xf,
                                        int threads = 1) {
  using T = simd::value_t<V>;
  RowLse<T> r;
  r.max = row_max<V>(x, n, stride, xf, threads);
  if (std::isfinite(r.max)) {
    r.sum = row_sumexp<V>(x, n, stride, xf, r.max, threads);
    r.log_sum = std::log(r.sum);
    r.lse = double(r.max) + r.log_sum;  // NaN in the row makes sum NaN
    return r;
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (std::isnan(r.max) || row_has_nan(x, n, stride)) {
    r.sum = r.log_sum = r.lse = nan;
  } else if (r.max < 0) {  // every y is -inf
    r.sum = 0;
    r.log_sum = r.lse = -std::numeric_limits<double>::infinity();
  } else {  // a +inf logit
    r.sum = 1;
    r.log_sum = 0;
    r.lse = std::numeric_limits<double>::infinity();
  }
  return r;
}

// ---- row kernels of the public lse / softmax / lse_partial functions (stride 1)

template <class V>
void lse_rows(const simd::value_t<V> *x, int64_t r0, int64_t r1, int64_t cols,
              simd::value_t<V> *max_out, simd::value_t<V> *sum_out, simd::value_t<V> *lse_out, int threads) {
  using T = simd::value_t<V>;
  const Identity<T> id;
  for (int64_t r = r0; r < r1; ++r) {
    const RowLse<T> s = row_lse<V>(x + r * cols, cols, 1, id, threads);
    if (lse_out) lse_out[r] = T(s.lse);
    if (max_out) {
      // lse_partial: (max, sum) with the same conventions; NaN rows give NaN in both.
      max_out[r] = std::isnan(s.lse) ? T(s.lse) : s.max;
      sum_out[r] = T(s.sum);
    }
  }
}

template <class V>
void softmax_rows(const simd::value_t<V> *x, int64_t r0, int64_t r1, int64_t cols,
                  simd::value_t<V> *y, bool log_output, int threads) {
  using T = simd::value_t<V>;
  const Identity<T> id;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  for (int64_t r = r0; r < r1; ++r) {
    const T *xr = x + r * cols;
    T *yr = y + r * cols;
    const RowLse<T> s = row_lse<V>(xr, cols, 1, id, threads);
    // A +inf or all -inf row: exp(x - lse) and x - lse give the documented NaN entries.
    const bool finite = std::isfinite(s.max);
    const V shift(finite ? s.max : T(s.lse));
    const V log_sum(T(finite ? s.log_sum : 0));
    const V inv_sum(T(finite ? 1.0 / s.sum : 1.0));
    for_each_part(row_split(cols), cols, threads, [&](int64_t, int64_t c0, int64_t c1) {
      for (int64_t i = c0; i < c1; i += W) {
        const V d = load_block<V>(xr, i, c1, 1, T(0)) - shift;
        store_block(yr, i, c1, 1, log_output ? d - log_sum : math::exp_le0_v(d) * inv_sum);
      }
    });
  }
}

}  // namespace xent::XENT_ISA_NS::kern
