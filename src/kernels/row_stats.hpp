// The shared primitive of every softmax-family kernel: lse = m + log(s) with m = max_c y_c
// and s = sum_c exp(y_c - m), y = transform(x) (identity, or the logit soft-cap). lse,
// softmax, log_softmax, lse_partial and the with-logits losses are all built on it.
// Within a 4096-element chunk it is two passes (max, then sum), the second from L1:
// PERF-NOTES measured that re-reading cache-resident data beats the extra exp of a
// per-element online pass. Across chunks, parts and shards the (max, sum) pairs are
// merged online, so the row is read from memory once.
#pragma once

#include <cmath>
#include <limits>

#include "kernels/block_io.hpp"
#include "kernels/row_split.hpp"
#include "math/exp.hpp"
#include "math/log.hpp"

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

// Reduces f(y) over a row into `op`-combined accumulators: Acc independent vectors over
// the contiguous body (latency hiding; a cheap f needs 4, an exp carries its own
// parallelism and more accumulators would spill its constants from the 16 AVX2 registers),
// then single vectors, then a padded tail whose invalid lanes are replaced by `identity`.
// The combination order is fixed.
// prefetch > 0 (contiguous rows): also prefetches x[i + prefetch] as it goes, so the next
// chunk streams in from memory while this compute-bound pass runs from L1.
template <class V, int Acc, class Xf, class F, class Op>
inline V row_reduce(const simd::value_t<V> *x, int64_t n, int64_t stride, const Xf &xf,
                    simd::value_t<V> identity, F f, Op op, int64_t prefetch = 0) {
  static_assert(Acc == 1 || Acc == 2 || Acc == 4, "a pairwise combination tree");
  constexpr int64_t W = int64_t(simd::width_v<V>);
  V a[Acc];
  for (int j = 0; j < Acc; ++j) a[j] = V(identity);
  int64_t i = 0;
  if (stride == 1) {
    for (; i + Acc * W <= n; i += Acc * W) {
      if (prefetch > 0) __builtin_prefetch(x + i + prefetch);
      for (int j = 0; j < Acc; ++j) a[j] = op(a[j], f(xf.apply(simd::load<V>(x + i + j * W))));
    }
    for (; i + W <= n; i += W) a[0] = op(a[0], f(xf.apply(simd::load<V>(x + i))));
  }
  for (; i < n; i += W) {
    const V v = f(xf.apply(load_block<V>(x, i, n, stride, identity)));
    a[Acc - 1] = op(a[Acc - 1], simd::select(valid_lanes<V>(i, n), v, V(identity)));
  }
  if constexpr (Acc == 4) return op(op(a[0], a[1]), op(a[2], a[3]));
  else if constexpr (Acc == 2) return op(a[0], a[1]);
  else return a[0];
}

// Which exp the sums use and which log turns a row's sum into its lse: the exact ones
// (1-ulp exp, glibc's log) in the public lse / softmax kernels, the loss-tolerance ones
// (math::exp_loss_sum_v, and for f32 math::log_sum_f32_loss) inside the losses.
struct ExactMath {
  template <class V> XENT_ALWAYS_INLINE V operator()(const V &d) const { return math::exp_le0_v(d); }
  template <class T> XENT_ALWAYS_INLINE static double log_sum(double s) { return std::log(s); }
};
struct LossMath {
  template <class V> XENT_ALWAYS_INLINE V operator()(const V &d) const { return math::exp_loss_sum_v(d); }
  // The same for d >= math::kLossExpFloor (the clamp left out: the same bits).
  template <class V> XENT_ALWAYS_INLINE static V in_range(const V &d) { return math::exp_loss_sum_in_range_v(d); }
  // s: a double, or a sum still in T (short rows; the float overload of the f32 log gives
  // the bits of the double one).
  template <class T, class S> XENT_ALWAYS_INLINE static double log_sum(S s) {
    if constexpr (std::is_same_v<T, float>) return math::log_sum_f32_loss(s);
    else return std::log(double(s));
  }
};

template <class V, class Xf> inline simd::value_t<V> chunk_max(const simd::value_t<V> *x, int64_t len, int64_t stride,
                                                               const Xf &xf) {
  using T = simd::value_t<V>;
  return simd::hmax(row_reduce<V, 4>(
      x, len, stride, xf, -std::numeric_limits<T>::infinity(), [](const V &y) { return y; },
      [](const V &a, const V &b) { return simd::vmax(a, b); }));
}

// The sum pass of chunk_max_sumexp: sum of exp(y - m) for the chunk's max m.
template <class V, class Math, class Xf>
inline void chunk_sumexp_known_max(const simd::value_t<V> *x, int64_t len, int64_t stride, const Xf &xf,
                                   simd::value_t<V> m, double &s) {
  using T = simd::value_t<V>;
  if (m == -std::numeric_limits<T>::infinity()) {  // all -inf: nothing to add
    s = 0;
    return;
  }
  const V mv(m);
  s = double(simd::hsum(row_reduce<V, 1>(
      x, len, stride, xf, T(0), [&](const V &y) { return Math{}(y - mv); },
      [](const V &a, const V &b) { return a + b; }, len)));
}

// (max, sum of exp(y - max)) of one chunk: two passes, the second from L1.
template <class V, class Math, class Xf>
inline void chunk_max_sumexp(const simd::value_t<V> *x, int64_t len, int64_t stride, const Xf &xf,
                             simd::value_t<V> &m, double &s) {
  m = chunk_max<V>(x, len, stride, xf);
  chunk_sumexp_known_max<V, Math>(x, len, stride, xf, m, s);
}

// The rows of chunk_sumexp_next_max as it reads them: y = xf(x) over a contiguous row,
// whole vectors at i and a padded tail. (16-bit rows have their own, kernels/sparse_half_rows.hpp.)
template <class V, class Xf> struct FloatRow {
  const simd::value_t<V> *p;
  const Xf &xf;
  XENT_ALWAYS_INLINE V load(int64_t i) const { return xf.apply(simd::load<V>(p + i)); }
  XENT_ALWAYS_INLINE V tail(int64_t i, int64_t n, simd::value_t<V> pad) const {
    return xf.apply(load_block<V>(p, i, n, 1, pad));
  }
  void prefetch(int64_t i) const { __builtin_prefetch(p + i); }
};

// chunk_sumexp_next_max on rows read through RX and RN (FloatRow, or 16-bit rows): x's sum
// with row_reduce<V, 1>'s terms and order, and next's max and range (next valid).
template <class V, class RX, class RN>
XENT_ALWAYS_INLINE void sumexp_next_max_rows(const RX &x, const RN &next, int64_t len, simd::value_t<V> m,
                                             bool in_range, double &s, simd::value_t<V> &next_max,
                                             bool &next_in_range) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  constexpr T ninf = -std::numeric_limits<T>::infinity(), inf = std::numeric_limits<T>::infinity();
  const V mv(m);
  const auto pass = [&](auto clamp) {
    const auto term = [](const V &d) {
      if constexpr (decltype(clamp)::value) return LossMath{}(d);
      else return LossMath::in_range(d);
    };
    V a(T(0)), hi(ninf), lo(inf);
    int64_t i = 0;
    for (; i + W <= len; i += W) {
      next.prefetch(i + len);  // the row after next, as row_reduce does one ahead
      a += term(x.load(i) - mv);
      const V y = next.load(i);
      hi = simd::vmax(hi, y);
      lo = simd::vmin(lo, y);
    }
    if (i < len) {
      const auto valid = valid_lanes<V>(i, len);
      a = a + simd::select(valid, term(x.tail(i, len, T(0)) - mv), V(T(0)));
      const V y = next.tail(i, len, ninf);
      hi = simd::vmax(hi, simd::select(valid, y, V(ninf)));
      lo = simd::vmin(lo, simd::select(valid, y, V(inf)));
    }
    s = double(simd::hsum(a));
    next_max = simd::hmax(hi);
    next_in_range = std::isfinite(next_max) && simd::all(lo - V(next_max) >= V(T(math::kLossExpFloor)));
  };
  if (in_range) pass(std::false_type{});
  else pass(std::true_type{});
}

// chunk_max_sumexp's sum pass over a contiguous row of one chunk whose max m is known
// (found by the previous row's call), with the max of the next row of the same length
// (next may be null) read in the same loop: the sum loop, bound by its multiply-adds,
// leaves room for the next row's loads and maxes, which then cost no pass of their own
// (and the sum waits on no max reduction). The sum has row_reduce<V, 1>'s terms, order and
// bits; the max is exact in any order (a NaN in the row gives NaN either way, from the sum).
// in_range: every y - m of this row is known to be >= -87.3, so the loss exp's clamp is
// the identity and is left out (one step less in each term's dependent chain); the same
// is found for the next row from its lanes' minimum, into next_in_range. The losses' sums
// only (LossMath).
template <class V, class Xf>
inline void chunk_sumexp_next_max(const simd::value_t<V> *x, const simd::value_t<V> *next, int64_t len,
                                  const Xf &xf, simd::value_t<V> m, bool in_range, double &s,
                                  simd::value_t<V> &next_max, bool &next_in_range) {
  next_in_range = false;
  if (!next) {
    chunk_sumexp_known_max<V, LossMath>(x, len, 1, xf, m, s);
    return;
  }
  if (!std::isfinite(m)) {  // finish_row_lse's rules use no sum
    s = 0;
    next_max = chunk_max<V>(next, len, 1, xf);
    return;
  }
  sumexp_next_max_rows<V>(FloatRow<V, Xf>{x, xf}, FloatRow<V, Xf>{next, xf}, len, m, in_range, s, next_max,
                          next_in_range);
}

// Online merge of (max, sum) pairs: (m, s) absorbs (mc, sc). NaN stays NaN.
inline void merge_max_sum(double &m, double &s, double mc, double sc) {
  if (std::isnan(mc) || std::isnan(sc)) {  // keep the max moving: +inf decides the row
    s = std::numeric_limits<double>::quiet_NaN();
    m = std::isnan(mc) || mc > m ? mc : m;
  } else if (sc == 0 && mc == -std::numeric_limits<double>::infinity()) {
    // an all -inf part adds nothing
  } else if (mc > m) {
    s = (m == -std::numeric_limits<double>::infinity() ? 0.0 : s * std::exp(m - mc)) + sc;
    m = mc;
  } else {
    s += sc * std::exp(mc - m);
  }
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

// The non-finite cases of finish_row_lse, out of line (rare).
template <class T> RowLse<T> nonfinite_row_lse(double m, const T *x, int64_t n, int64_t stride) {
  RowLse<T> r;
  r.max = T(m);
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

// lse of a row from its merged (m, s), with the non-finite cases of docs/SEMANTICS.md.
template <class Math, class T>
XENT_ALWAYS_INLINE RowLse<T> finish_row_lse(double m, double sum, const T *x, int64_t n, int64_t stride) {
  if (!std::isfinite(m)) return nonfinite_row_lse(m, x, n, stride);
  RowLse<T> r;
  r.max = T(m);  // exact: a max of T values
  r.sum = sum;
  r.log_sum = Math::template log_sum<T>(sum);
  r.lse = m + r.log_sum;  // NaN in the row makes sum NaN
  return r;
}

// One read of the row from memory: per fixed chunk (L1-resident) its max and sum of
// exp(y - chunk max), merged online in chunk order within a part and in part order across
// parts (row_split.hpp), so the bits do not depend on the thread count.
// Rows of more than one chunk; out of line, so that short rows keep a small frame.
template <class V, class Math, class Xf>
[[gnu::noinline]] RowLse<simd::value_t<V>> long_row_lse(const simd::value_t<V> *x, int64_t n, int64_t stride,
                                                         const Xf &xf, int threads) {
  using T = simd::value_t<V>;
  constexpr double ninf = -std::numeric_limits<double>::infinity();
  const RowSplit split = row_split(n);
  double part_m[kMaxRowParts], part_s[kMaxRowParts];
  for_each_part(split, n, threads, [&](int64_t p, int64_t p0, int64_t p1) {
    double m = ninf, sum = 0;
    for (int64_t c0 = p0; c0 < p1; c0 += kSumChunk) {
      T mc;
      double sc;
      chunk_max_sumexp<V, Math>(x + c0 * stride, std::min(p1 - c0, kSumChunk), stride, xf, mc, sc);
      merge_max_sum(m, sum, double(mc), sc);
    }
    part_m[p] = m;
    part_s[p] = sum;
  });
  double m = ninf, sum = 0;
  for (int64_t p = 0; p < split.parts; ++p) merge_max_sum(m, sum, part_m[p], part_s[p]);
  return finish_row_lse<Math>(m, sum, x, n, stride);
}

template <class V, class Math, class Xf>
inline RowLse<simd::value_t<V>> row_lse(const simd::value_t<V> *x, int64_t n, int64_t stride, const Xf &xf,
                                        int threads) {
  if (n > kSumChunk) return long_row_lse<V, Math>(x, n, stride, xf, threads);
  // One chunk, one part: its (max, sum) is the row's (merging it into (-inf, 0) would
  // return it unchanged).
  simd::value_t<V> mc;
  double sc;
  chunk_max_sumexp<V, Math>(x, n, stride, xf, mc, sc);
  return finish_row_lse<Math>(double(mc), sc, x, n, stride);
}

// ---- row kernels of the public lse / softmax / lse_partial functions (stride 1)

template <class V>
void lse_rows(const simd::value_t<V> *x, int64_t r0, int64_t r1, int64_t cols,
              simd::value_t<V> *max_out, simd::value_t<V> *sum_out, simd::value_t<V> *lse_out, int threads) {
  using T = simd::value_t<V>;
  const Identity<T> id;
  for (int64_t r = r0; r < r1; ++r) {
    const RowLse<T> s = row_lse<V, ExactMath>(x + r * cols, cols, 1, id, threads);
    if (lse_out) lse_out[r] = T(s.lse);
    if (max_out) {
      // lse_partial: (max, sum) with the same conventions; NaN rows give NaN in both.
      max_out[r] = std::isnan(s.lse) ? T(s.lse) : s.max;
      sum_out[r] = T(s.sum);
    }
  }
}

// Rows up to this length stay in L2 (x and y together at most 512 KiB in f32) and take
// the fused route of softmax_row_fused; a longer row is read twice from memory instead.
constexpr int64_t kFusedSoftmaxMax = kMinPartLength;

// softmax of a finite-max row of at most kFusedSoftmaxMax values with one exp per element
// (XNNPACK's three passes with a reload): the max, then e = exp(x - max) stored as it is
// summed (per kSumChunk chunk in V, across chunks in double), then y = e * (1 / sum) from
// cache. One part (the row is not split between threads), fixed order: the same bits
// however the batch is cut. Returns false, writing nothing, when the max is not finite
// (the documented +inf / all -inf rows take the general route). y may be x.
template <class V> bool softmax_row_fused(const simd::value_t<V> *x, simd::value_t<V> *y, int64_t n) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const T m = chunk_max<V>(x, n, 1, Identity<T>{});
  if (!std::isfinite(m)) return false;
  const V mv(m);
  double sum = 0;
  for (int64_t c0 = 0; c0 < n; c0 += kSumChunk) {
    const int64_t c1 = std::min(n, c0 + kSumChunk);
    V a(T(0));  // row_reduce<V, 1>'s order: one accumulator, then the padded tail
    int64_t i = c0;
    for (; i + W <= c1; i += W) {
      const V e = math::exp_le0_v(simd::load<V>(x + i) - mv);
      simd::store(y + i, e);
      a += e;
    }
    if (i < c1) {
      const V e = math::exp_le0_v(load_block<V>(x, i, c1, 1, T(0)) - mv);
      store_block(y, i, c1, 1, e);
      a += simd::select(valid_lanes<V>(i, c1), e, V(T(0)));
    }
    sum += double(simd::hsum(a));
  }
  const V inv_sum(T(1.0 / sum));  // NaN in the row: NaN everywhere, as on the general route
  map_row<V>(y, y, 0, n, [=](const V &e) { return e * inv_sum; });
  return true;
}

template <class V>
void softmax_rows(const simd::value_t<V> *x, int64_t r0, int64_t r1, int64_t cols,
                  simd::value_t<V> *y, bool log_output, int threads) {
  using T = simd::value_t<V>;
  const Identity<T> id;
  for (int64_t r = r0; r < r1; ++r) {
    const T *xr = x + r * cols;
    T *yr = y + r * cols;
    if (!log_output && cols <= kFusedSoftmaxMax && softmax_row_fused<V>(xr, yr, cols)) continue;
    const RowLse<T> s = row_lse<V, ExactMath>(xr, cols, 1, id, threads);
    // A +inf or all -inf row: exp(x - lse) and x - lse give the documented NaN entries.
    const bool finite = std::isfinite(s.max);
    const V shift(finite ? s.max : T(s.lse));
    const V log_sum(T(finite ? s.log_sum : 0));
    const V inv_sum(T(finite ? 1.0 / s.sum : 1.0));
    // The output pass per part, with the branch on log_output outside the vector loop.
    for_each_part(row_split(cols), cols, threads, [=](int64_t, int64_t c0, int64_t c1) {
      if (log_output) map_row<V>(xr, yr, c0, c1, [=](const V &v) { return (v - shift) - log_sum; });
      else map_row<V>(xr, yr, c0, c1, [=](const V &v) { return math::exp_le0_v(v - shift) * inv_sum; });
    });
  }
}

}  // namespace xent::XENT_ISA_NS::kern
