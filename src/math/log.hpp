// log and log1p for float and double on any V of simd/vec.hpp.
//
// log contract: at most 1 ulp from the correctly rounded result for every input,
// subnormal inputs included. log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf,
// log(NaN) = NaN. Proven by tests/ulp_sweep.cpp over all 2^32 floats on every ISA path.
//
// Algorithms. AVX-512 (f32, f64) and AVX2 (f32): a table method without a division,
// x = 2^k m, log x = k ln2 + log c + log1p(m/c - 1) with c from a table of 32 / 16 / 8
// entries read by a register permute, the sum arranged so its large part is exact
// (log_avx512_f32 below). Elsewhere, fdlibm's __ieee754_log (log_fdlibm): x = 2^k * m with
// m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f), log(1+f) = f - (hfsq - s*(hfsq +
// R(s^2))) with hfsq = f^2/2 and R the fdlibm polynomial; k*ln2 is added in two parts so the
// large term stays exact.
//
// log1p contract: at most 2 ulp. log1p(x) = log(u) - ((u - 1) - x) / u with u = 1 + x
// (the rounding of u corrected to first order), and log1p(x) = x where u == 1.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "simd/vec.hpp"

namespace xent::XENT_ISA_NS::math {

namespace detail {
// x = 2^k m with m in [sqrt(2)/2, sqrt(2)) for a normal positive x, given the bias to take
// off the exponent (log_v passes a larger one for the subnormals it scaled by 2^M).
template <class V> XENT_ALWAYS_INLINE void log_reduce(const V &xs, const V &kbias, V &m, V &k) {
  using T = simd::value_t<V>;
  using B = simd::float_bits<T>;
  using I = simd::ivec_t<V>;
  constexpr int M = B::mantissa;
  const T two_m = T(1ull << M);
  const I bits = simd::as_int(xs);
  const I mant_mask = I((typename B::int_type(1) << M) - 1);
  const I mant = bits & mant_mask;
  // mantissa of sqrt(2): pushes m >= sqrt(2) into the next binade (m/2).
  const typename B::int_type sqrt2_mant =
      std::is_same_v<T, float> ? typename B::int_type(0x3504F3) : typename B::int_type(0x6A09E667F3BCDll);
  const I up = (mant + I((typename B::int_type(1) << M) - sqrt2_mant)) & I(typename B::int_type(1) << M);
  const I one_bits = simd::as_int(V(T(1)));
  m = simd::as_float<V>(mant | (up ^ one_bits));
  // k = biased exponent (+1 if m was halved) - bias, as a float without int conversion:
  // OR the small integer into the mantissa of 2^M and subtract 2^M.
  const I expo = simd::shl(bits, 1);  // drop the sign bit, then bring the exponent down
  const I e_field = simd::as_int(V(two_m)) | (((expo >> (M + 1)) & I(typename B::int_type(2 * B::bias + 1))) + (up >> M));
  k = (simd::as_float<V>(e_field) - V(two_m)) - kbias;
}

// log(v) for v in [1/2, 2] at compile time, to the precision of long double: 2 atanh(s)
// with s = (v - 1) / (v + 1), |s| <= 1/3, by its series (60 terms: far below its ulp).
constexpr long double log_series(long double v) {
  const long double s = (v - 1) / (v + 1), z = s * s;
  long double term = s, sum = 0;
  for (int n = 1; n < 120; n += 2) {
    sum += term / n;
    term *= z;
  }
  return 2 * sum;
}

// The tables of the AVX-512 and AVX2 logs: for the interval i whose centre is c = centre(i)
// (1 for the interval that holds 1), inv_c = 1/c rounded to T and -log(inv_c) (of the rounded
// inv_c, so log m = log_c + log1p(m inv_c - 1) exactly), split as log_hi, a multiple of
// 1/hi_scale (so that k ln2_hi + log_hi is exact), plus log_lo.
template <class T, int N> struct LogIntervals {
  alignas(64) T inv_c[N];
  alignas(64) T log_hi[N];
  alignas(64) T log_lo[N];
};
template <class T, int N, class Centre> constexpr LogIntervals<T, N> make_log_intervals(Centre centre, long double hi_scale) {
  LogIntervals<T, N> t{};
  for (int i = 0; i < N; ++i) {
    const long double c = centre(i);
    const T inv_c = c == 1 ? T(1) : T(1 / c);
    const long double log_c = -log_series(inv_c);
    const long double scaled = log_c * hi_scale;
    const long double hi = static_cast<long double>(static_cast<int64_t>(scaled + (scaled < 0 ? -0.5L : 0.5L))) / hi_scale;
    t.inv_c[i] = inv_c;
    t.log_hi[i] = T(hi);
    t.log_lo[i] = T(log_c - hi);
  }
  return t;
}
// The 32 intervals of log_avx512_f32, indexed by the top 5 mantissa bits of m in
// [0.75, 1.5): i < 16 is m in [1 + i/32, 1 + (i+1)/32), i >= 16 is m in [(32 + i)/64, (33 + i)/64).
// c is the interval's midpoint, log_hi a multiple of 2^-16 (k ln2_hi + log_hi is exact: both
// are multiples of 2^-16 below 2^7). The two intervals next to 1 (i = 0 and 31) have c = 1:
// r = m - 1 exactly and log_c = 0, so log x near 1 is the polynomial alone.
using LogF32Table = LogIntervals<float, 32>;
inline constexpr LogF32Table kLogF32Table = make_log_intervals<float, 32>(
    [](int i) { return i == 0 || i == 31 ? 1.0L : i < 16 ? 1 + (i + 0.5L) / 32 : (32.5L + i) / 64; }, 65536.0L);

// log's values where x is not positive finite: 0 and -0 give -inf, +inf gives +inf, negative
// and NaN give NaN; y elsewhere.
template <class V> XENT_ALWAYS_INLINE V log_special_lanes(const V &x, const V &y) {
  using T = simd::value_t<V>;
  const T inf = std::numeric_limits<T>::infinity();
  V out = simd::select(x == V(T(0)), V(-inf), y);
  out = simd::select(x == V(inf), V(inf), out);
  return simd::select((x < V(T(0))) | simd::isnan_v(x), V(std::numeric_limits<T>::quiet_NaN()), out);
}

// log x = k ln2 + log c + log1p(r) from a table reduction: x = 2^k m, the interval's inv_c
// (1/c rounded) and log c = -log(inv_c) as log_hi (a multiple of ln2_hi's last bit, so that
// k ln2_hi + log_hi is exact) + log_lo, and Q's coefficients, highest first, of
// log1p(r) = r + r^2 Q(r). r + r_lo = m inv_c - 1 exactly (the product's rounding recovered
// by a multiply-add, the product minus 1 exact by Sterbenz); k ln2_hi + log_hi + r by
// Fast2Sum (|big| >= |r| wherever big is not 0), its error joining the small terms, and
// log1p(r + r_lo) = log1p(r) + r_lo (1 - r) to well below an ulp. Where big and log1p(r)
// partly cancel (the intervals next to c = 1) a plainer sum rounds twice (1.13 ulp from the
// exact log in f32, against 0.58 here).
template <class V, size_t N>
XENT_ALWAYS_INLINE V log_from_reduction(const V &m, const V &k, const V &inv_c, const V &log_hi, const V &log_lo,
                                    const simd::value_t<V> (&q_coef)[N]) {
  using T = simd::value_t<V>;
  const T ln2_hi = std::is_same_v<T, float> ? T(6.9313812256e-01f) : T(6.93147180369123816490e-01);
  const T ln2_lo = std::is_same_v<T, float> ? T(9.0580006145e-06f) : T(1.90821492927058770002e-10);
  const V prod = m * inv_c, r = prod - V(T(1)), r_lo = simd::fms(m, inv_c, prod);
  V q(q_coef[0]);
  for (size_t j = 1; j < N; ++j) q = simd::fma(q, r, V(q_coef[j]));
  const V big = simd::fma(k, V(ln2_hi), log_hi);  // exact
  const V hi = big + r, hi_err = (big - hi) + r;
  const V lo_terms = simd::fma(k, V(ln2_lo), log_lo) + (simd::fnma(r_lo, r, r_lo) + hi_err);
  return hi + simd::fma(r * r, q, lo_terms);
}

#if defined(__x86_64__) || defined(__i386__)
// x = 2^k m with m in [0.75, 1.5) (vgetmantps, vgetexpps: subnormals included) and the
// table index i, the reduction of both AVX-512 f32 logs; lookup(table) is table[i].
struct LogF32Reduced {
  __m512 m, k;
  __m512i i;  // the permutes read its low 5 bits
  XENT_ALWAYS_INLINE __m512 lookup(const float *table) const {
    return _mm512_permutex2var_ps(_mm512_load_ps(table), i, _mm512_load_ps(table + 16));
  }
};
XENT_ALWAYS_INLINE LogF32Reduced log_f32_reduce(__m512 x) {
  const __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
  return {m, _mm512_sub_ps(_mm512_getexp_ps(x), _mm512_getexp_ps(m)), _mm512_srli_epi32(_mm512_castps_si512(m), 18)};
}
#endif

// AVX-512 f32 log without a division: x = 2^k m with m in [0.75, 1.5) by vgetmantps and
// k by vgetexpps (subnormals included), c and log c by two-register permutes (vpermt2ps)
// of the table above (|r| <= 1/32), log1p(r) by its Taylor series to r^5 (the remainder
// r^6/6 is below 0.1 ulp of the result), summed by log_from_reduction: 0.58 ulp from the
// exact log at most over 1e8 random floats, 1 ulp from the correctly rounded one over all of
// them. Lanes that are not positive finite (0, -0, negative, inf, NaN) are fixed afterwards.
template <class V> XENT_ALWAYS_INLINE V log_avx512_f32(const V &x) {
#if defined(__x86_64__) || defined(__i386__)
  const __m512 xv = x;
  const LogF32Reduced a = log_f32_reduce(xv);
  const __m512 m = a.m, k = a.k;
  const LogF32Table &t = kLogF32Table;
  static constexpr float q_coef[] = {0.2f, -0.25f, 1.0f / 3, -0.5f};  // Taylor to r^5
  const V y = log_from_reduction(V(m), V(k), V(a.lookup(t.inv_c)), V(a.lookup(t.log_hi)), V(a.lookup(t.log_lo)), q_coef);
  // fpclass: QNaN 0x01, +0 0x02, -0 0x04, +inf 0x08, -inf 0x10, negative 0x40, SNaN 0x80.
  if (__builtin_expect(_mm512_fpclass_ps_mask(xv, 0xDF) == 0, 1)) return y;
  return log_special_lanes(x, y);
#else
  return x;  // unreachable: called only where has_scalef holds
#endif
}

// The f64 twin: 16 intervals by the top 4 mantissa bits of m + 1/32 (vpermt2pd's index), so
// that one interval, c = 1, is centred on 1: i <= 8 is m in [31/32 + i/16, 31/32 + (i+1)/16)
// with c = 1 + i/16, i >= 9 is m in [(15 + i)/32, (16 + i)/32) (m + 1/32 in the binade
// below 1). |r| <= 1/32 everywhere. log_hi is a multiple of 2^-32, as k ln2_hi is (fdlibm's
// ln2_hi has 32 bits), so their sum is exact below 2^10.
using LogF64Table = LogIntervals<double, 16>;
inline constexpr LogF64Table kLogF64Table = make_log_intervals<double, 16>(
    [](int i) { return i == 0 ? 1.0L : i <= 8 ? 1 + i / 16.0L : (15.5L + i) / 32; }, 4294967296.0L);

// AVX-512 f64 log: log_avx512_f32's method on the table above, log1p(r) = r + r^2 Q(r) with
// Q of degree 7 fitted for this library (relative minimax on |r| <= 1/32, 1.1e-17 = 0.10 ulp;
// scripts/fit/log_f64.py), no division: 0.63 ulp from the exact log at most over 4e7 inputs
// near 1, at the table's interval edges and over the whole range.
template <class V> XENT_ALWAYS_INLINE V log_avx512_f64(const V &x) {
#if defined(__x86_64__) || defined(__i386__)
  const __m512d xv = x;
  const __m512d m = _mm512_getmant_pd(xv, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
  const __m512d k = _mm512_sub_pd(_mm512_getexp_pd(xv), _mm512_getexp_pd(m));
  const __m512i i = _mm512_srli_epi64(_mm512_castpd_si512(_mm512_add_pd(m, _mm512_set1_pd(1.0 / 32))), 48);
  auto lookup = [&i](const double *table) __attribute__((always_inline)) {
    return _mm512_permutex2var_pd(_mm512_load_pd(table), i, _mm512_load_pd(table + 8));
  };
  const LogF64Table &t = kLogF64Table;
  static constexpr double q_coef[] = {0x1.c7fed14b7cb7ep-4,  -0x1.007391f706c86p-3, 0x1.249231790a8c6p-3,
                                       -0x1.55553f9ce15e0p-3, 0x1.9999999b8c2fap-3,  -0x1.00000000c17a4p-2,
                                       0x1.55555555554efp-2,  -0x1.fffffffffffc6p-2};
  const V y = log_from_reduction(V(m), V(k), V(lookup(t.inv_c)), V(lookup(t.log_hi)), V(lookup(t.log_lo)), q_coef);
  if (__builtin_expect(_mm512_fpclass_pd_mask(xv, 0xDF) == 0, 1)) return y;  // log_avx512_f32's classes
  return log_special_lanes(x, y);
#else
  return x;  // unreachable: called only where has_scalef holds
#endif
}

// The f64 loss log on AVX-512 (SPEC section 4 allows 1e-11 of max(|loss|, 1) for f64): the
// reduction of log_avx512_f64, r = m inv_c - 1 rounded once (plus err inv_c: log1p's
// rounding of 1 + e recovered, 0 for a plain log), log1p(r) = r + r^2 Q(r) with Q the Taylor
// series to r^8 (the remainder r^9/9 < 3.2e-15 absolute, 1.1e-13 of |r| where |r| <= 1/32),
// and k ln2 + log c in one multiply-add of a merged table: 19 operations against 27. Relative
// error < 2e-13 over the positive normal doubles (tests/test_loss_log.cpp); the lanes that
// are not positive normal are the caller's.
struct LogF64LossTable {
  alignas(64) double log_c[16];
};
constexpr LogF64LossTable make_log_f64_loss_table() {
  LogF64LossTable t{};
  for (int i = 0; i < 16; ++i)
    t.log_c[i] = double(static_cast<long double>(kLogF64Table.log_hi[i]) + kLogF64Table.log_lo[i]);
  return t;
}
inline constexpr LogF64LossTable kLogF64LossTable = make_log_f64_loss_table();

// Recover: add err inv_c to r (log1p_unit_loss_v); without, err is unused.
template <bool Recover, class V> XENT_ALWAYS_INLINE V log_loss_avx512_f64(const V &x, const V &err) {
#if defined(__x86_64__) || defined(__i386__)
  const __m512d xv = x;
  const __m512d m = _mm512_getmant_pd(xv, _MM_MANT_NORM_p75_1p5, _MM_MANT_SIGN_zero);
  const __m512d k = _mm512_sub_pd(_mm512_getexp_pd(xv), _mm512_getexp_pd(m));
  const __m512i i = _mm512_srli_epi64(_mm512_castpd_si512(_mm512_add_pd(m, _mm512_set1_pd(1.0 / 32))), 48);
  const __m512d inv_c = _mm512_permutex2var_pd(_mm512_load_pd(kLogF64Table.inv_c), i, _mm512_load_pd(kLogF64Table.inv_c + 8));
  const __m512d log_c =
      _mm512_permutex2var_pd(_mm512_load_pd(kLogF64LossTable.log_c), i, _mm512_load_pd(kLogF64LossTable.log_c + 8));
  __m512d r = _mm512_fmsub_pd(m, inv_c, _mm512_set1_pd(1.0));
  if constexpr (Recover) r = _mm512_fmadd_pd(err, inv_c, r);
  __m512d q = _mm512_fmadd_pd(_mm512_set1_pd(-1.0 / 8), r, _mm512_set1_pd(1.0 / 7));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(-1.0 / 6));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 5));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(-1.0 / 4));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(1.0 / 3));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(-1.0 / 2));
  const __m512d big = _mm512_fmadd_pd(k, _mm512_set1_pd(0.693147180559945309417232121458), log_c);
  return V(_mm512_add_pd(big, _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r)));
#else
  (void)err;
  return x;  // unreachable: called only where has_scalef holds
#endif
}
}  // namespace detail

namespace detail {
// fdlibm's log (the header comment): every type and ISA.
template <class V> inline V log_fdlibm(const V &x) {
  using T = simd::value_t<V>;
  using B = simd::float_bits<T>;
  constexpr int M = B::mantissa;
  const T two_m = T(1ull << M);

  // Subnormals: scale into the normal range first.
  const auto tiny = x < V(std::numeric_limits<T>::min());
  const V xs = simd::select(tiny, x * V(two_m), x);
  const V kbias = simd::select(tiny, V(T(B::bias + M)), V(T(B::bias)));
  V m, k;
  detail::log_reduce(xs, kbias, m, k);

  const V f = m - V(T(1));
  const V s = f / (V(T(2)) + f);
  const V z = s * s;
  const V w = z * z;
  V t1, t2;
  if constexpr (std::is_same_v<T, float>) {
    t1 = w * simd::fma(w, V(2.2222198546e-01f), V(3.9999997616e-01f));
    t2 = z * simd::fma(w, V(2.8571429849e-01f), V(6.6666668653e-01f));
  } else {
    t1 = w * simd::fma(w, simd::fma(w, V(1.531383769920937332e-01), V(2.222219843214978396e-01)), V(3.999999999940941908e-01));
    t2 = z * simd::fma(w, simd::fma(w, simd::fma(w, V(1.479819860511658591e-01), V(1.818357216161805012e-01)), V(2.857142874366239149e-01)),
                 V(6.666666666666735130e-01));
  }
  const V R = t2 + t1;
  const V hfsq = V(T(0.5)) * f * f;
  const T ln2_hi = std::is_same_v<T, float> ? T(6.9313812256e-01f) : T(6.93147180369123816490e-01);
  const T ln2_lo = std::is_same_v<T, float> ? T(9.0580006145e-06f) : T(1.90821492927058770002e-10);
  const V y = simd::fma(k, V(ln2_hi), -((hfsq - simd::fma(s, hfsq + R, k * V(ln2_lo))) - f));
  return log_special_lanes(x, y);
}

// The AVX2 f32 log: log_avx512_f32's method with an 8-entry table (one vpermps), the
// exponent split by integer arithmetic (normal floats only: other lanes take log_fdlibm).
// Intervals by the top 3 mantissa bits of m + 1/16, one of them centred on 1: j <= 4 is m in
// [15/16 + j/8, 15/16 + (j+1)/8) with c = 1 + j/8, j >= 5 is m in [(7 + j)/16, (8 + j)/16);
// |r| <= 1/16, log1p(r) = r + r^2 Q(r) with Q of degree 4 fitted for this library (relative
// minimax, 3.8e-10 = 0.006 ulp with float coefficients).
using LogF32Table8 = LogIntervals<float, 8>;
inline constexpr LogF32Table8 kLogF32Table8 =
    make_log_intervals<float, 8>([](int j) { return j == 0 ? 1.0L : j <= 4 ? 1 + j / 8.0L : (7.5L + j) / 16; }, 65536.0L);

template <class V> XENT_ALWAYS_INLINE V log_avx2_f32(const V &x) {
#if defined(__x86_64__) || defined(__i386__)
  const __m256 xv = x;
  const __m256i ix = _mm256_castps_si256(xv);
  const __m256i ki = _mm256_srai_epi32(_mm256_sub_epi32(ix, _mm256_set1_epi32(0x3f400000)), 23);  // 0.75's bits
  const __m256 m = _mm256_castsi256_ps(_mm256_sub_epi32(ix, _mm256_slli_epi32(ki, 23)));
  const __m256 k = _mm256_cvtepi32_ps(ki);
  const __m256i i = _mm256_srli_epi32(_mm256_castps_si256(_mm256_add_ps(m, _mm256_set1_ps(1.0f / 16))), 20);
  const LogF32Table8 &t = kLogF32Table8;
  auto lookup = [&i](const float *table) __attribute__((always_inline)) {
    return _mm256_permutevar8x32_ps(_mm256_load_ps(table), i);  // reads the low 3 bits
  };
  static constexpr float q_coef[] = {-0x1.56f77cp-3f, 0x1.9b3402p-3f, -0x1.ffff4ap-3f, 0x1.555516p-2f, -0.5f};
  const V y = log_from_reduction(V(m), V(k), V(lookup(t.inv_c)), V(lookup(t.log_hi)), V(lookup(t.log_lo)), q_coef);
  const auto normal = (x >= V(std::numeric_limits<float>::min())) & (x <= V(std::numeric_limits<float>::max()));
  if (__builtin_expect(simd::all(normal), 1)) return y;
  return simd::select(normal, y, log_fdlibm(x));
#else
  return x;  // unreachable: called only on AVX2
#endif
}
}  // namespace detail

// log_v: the contract at the top of this file, on every path.
template <class V> inline V log_v(const V &x) {
  using T = simd::value_t<V>;
  if constexpr (std::is_same_v<T, float> && simd::has_scalef<V>()) return detail::log_avx512_f32(x);
  else if constexpr (std::is_same_v<T, double> && simd::has_scalef<V>()) return detail::log_avx512_f64(x);
  else if constexpr (std::is_same_v<T, float> && simd::is_avx2_fma<V>()) return detail::log_avx2_f32(x);
  else return detail::log_fdlibm(x);
}

// log(x) at the loss tolerance of SPEC section 4, for the f32 probability losses (binary and
// categorical CE) and sigmoid CE's log1p(exp(-|x|)) = log(1 + e); f64: log_loss_avx512_f64 on
// AVX-512, log_v elsewhere. No division:
// x = 2^k m as in log_v, log m = f + f^2 P(f) with f = m - 1 in [sqrt(1/2) - 1, sqrt(2) - 1]
// and P of degree 6, fitted for this library by reweighted least squares against log1p
// (3.8e-8 absolute error in double, under 1e-7 in f32 with the rounding of the evaluation;
// tests/test_loss_log.cpp), and k ln2 added in two parts. Lanes that are not normal positive
// finite floats (0, subnormal, inf, NaN, negative) take log_v, lane by lane: every lane's
// value depends on itself only, whatever its neighbours. AVX2: the table form below. AVX-512: log_v's table reduction
// with r rounded once, log1p(r) to r^4 (|r| <= 1/32: r^5/5 < 6e-9), and the sum without
// log_v's error recovery: 16 operations against its 24.
template <class V> XENT_ALWAYS_INLINE V log_loss_v(const V &x) {
  if constexpr (!std::is_same_v<simd::value_t<V>, float> && simd::has_scalef<V>()) {
    const V y = detail::log_loss_avx512_f64<false>(x, x);
#if defined(__x86_64__) || defined(__i386__)
    // Not positive normal (log_avx512_f32's classes and subnormals, 0x20): log_v.
    if (__builtin_expect(_mm512_fpclass_pd_mask(__m512d(x), 0xFF) == 0, 1)) return y;
#endif
    return simd::select((x >= V(std::numeric_limits<double>::min())) & (x <= V(std::numeric_limits<double>::max())), y,
                        log_v(x));
  } else if constexpr (!std::is_same_v<simd::value_t<V>, float>) {
    return log_v(x);
  } else if constexpr (simd::has_scalef<V>()) {
#if defined(__x86_64__) || defined(__i386__)
    const __m512 xv = x;
    const detail::LogF32Reduced a = detail::log_f32_reduce(xv);
    const detail::LogF32Table &t = detail::kLogF32Table;
    const __m512 r = _mm512_fmsub_ps(a.m, a.lookup(t.inv_c), _mm512_set1_ps(1.0f));
    const __m512 q =
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(-0.25f), r, _mm512_set1_ps(1.0f / 3)), r, _mm512_set1_ps(-0.5f));
    const __m512 small = _mm512_add_ps(_mm512_fmadd_ps(a.k, _mm512_set1_ps(9.0580006145e-06f), a.lookup(t.log_lo)),
                                       _mm512_fmadd_ps(_mm512_mul_ps(r, r), q, r));
    const V y(_mm512_add_ps(_mm512_fmadd_ps(a.k, _mm512_set1_ps(6.9313812256e-01f), a.lookup(t.log_hi)), small));
    // Not positive normal (the classes of log_avx512_f32 and subnormals, 0x20): log_v.
    if (__builtin_expect(_mm512_fpclass_ps_mask(xv, 0xFF) == 0, 1)) return y;
    return simd::select((x >= V(std::numeric_limits<float>::min())) & (x <= V(std::numeric_limits<float>::max())), y,
                        log_v(x));
#endif
  } else if constexpr (simd::is_avx2_fma<V>()) {
#if defined(__x86_64__) || defined(__i386__)
    // log_avx2_f32's reduction (8 intervals, |r| <= 1/16) with r rounded once, log1p(r) by
    // its Taylor series to r^6 (the remainder r^7/7 < 5.4e-10), and the sum without log_v's
    // error recovery (k ln2_hi + log_hi exact, as in the AVX-512 form above).
    const __m256 xv = x;
    const __m256i ix = _mm256_castps_si256(xv);
    const __m256i ki = _mm256_srai_epi32(_mm256_sub_epi32(ix, _mm256_set1_epi32(0x3f400000)), 23);  // 0.75's bits
    const __m256 m = _mm256_castsi256_ps(_mm256_sub_epi32(ix, _mm256_slli_epi32(ki, 23)));
    const __m256i i = _mm256_srli_epi32(_mm256_castps_si256(_mm256_add_ps(m, _mm256_set1_ps(1.0f / 16))), 20);
    const __m256 inv_c = _mm256_permutevar8x32_ps(_mm256_load_ps(detail::kLogF32Table8.inv_c), i);
    const detail::LogF32Table8 &t = detail::kLogF32Table8;
    const __m256 log_hi = _mm256_permutevar8x32_ps(_mm256_load_ps(t.log_hi), i);
    const __m256 log_lo = _mm256_permutevar8x32_ps(_mm256_load_ps(t.log_lo), i);
    const __m256 r = _mm256_fmsub_ps(m, inv_c, _mm256_set1_ps(1.0f));
    __m256 q = _mm256_fmadd_ps(_mm256_set1_ps(-1.0f / 6), r, _mm256_set1_ps(0.2f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(-0.25f));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(1.0f / 3));
    q = _mm256_fmadd_ps(q, r, _mm256_set1_ps(-0.5f));
    const __m256 k = _mm256_cvtepi32_ps(ki);
    const __m256 small = _mm256_add_ps(_mm256_fmadd_ps(k, _mm256_set1_ps(9.0580006145e-06f), log_lo),
                                       _mm256_fmadd_ps(_mm256_mul_ps(r, r), q, r));
    const V y(_mm256_add_ps(_mm256_fmadd_ps(k, _mm256_set1_ps(6.9313812256e-01f), log_hi), small));
    const auto normal = (x >= V(std::numeric_limits<float>::min())) & (x <= V(std::numeric_limits<float>::max()));
    if (__builtin_expect(simd::all(normal), 1)) return y;
    return simd::select(normal, y, log_v(x));
#endif
  } else {
    const simd::mask_t<V> normal =
        (x >= V(std::numeric_limits<float>::min())) & (x <= V(std::numeric_limits<float>::max()));
    V m, k;
    detail::log_reduce(x, V(127.0f), m, k);
    const V f = m - V(1.0f);
    V u = V(-0x1.9b49acp-4f);
    u = simd::fma(u, f, V(0x1.4ea046p-3f));
    u = simd::fma(u, f, V(-0x1.62d2acp-3f));
    u = simd::fma(u, f, V(0x1.974d5ap-3f));
    u = simd::fma(u, f, V(-0x1.ff3600p-3f));
    u = simd::fma(u, f, V(0x1.555a6ep-2f));
    u = simd::fma(u, f, V(-0x1.0000c4p-1f));
    const V log_m = simd::fma(f * f, u, f);
    const V y = simd::fma(k, V(6.9313812256e-01f), simd::fma(k, V(9.0580006145e-06f), log_m));  // ln2 hi + lo
    if (simd::all(normal)) return y;
    return simd::select(normal, y, log_v(x));
  }
}

// log1p(e) for e in [0, 1] (sigmoid CE's log(1 + exp(-|x|))) at the loss tolerance, f32:
// e q(e) with q of degree 7 fitted to log1p(e) / e by reweighted least squares (relative
// error 2.3e-7 in double, < 5e-7 evaluated in f32, tests/test_loss_log.cpp): no exponent split and no special lanes
// (0 gives 0, NaN gives NaN), a third of log_loss_v's work. f64: log_loss_avx512_f64 of 1 + e
// on AVX-512, log1p_v elsewhere.
template <class V> inline V log1p_v(const V &x);
template <class V> XENT_ALWAYS_INLINE V log1p_unit_loss_v(const V &e) {
  if constexpr (!std::is_same_v<simd::value_t<V>, float> && simd::has_scalef<V>()) {
    // u = 1 + e in [1, 2] is positive normal (NaN stays NaN), and err = e - (u - 1) is u's
    // rounding exactly (Fast2Sum, 1 >= e): log1p(e) = log(u) + err / u, err / u folded into r
    // as err inv_c (exact where u < 1.5, the interval of c = 1 included, where err matters:
    // e below 2^-53 gives e; where u >= 1.5, err inv_c is twice err / u, 2^-53 of |log u|).
    const V u = V(1.0) + e;
    return detail::log_loss_avx512_f64<true>(u, e - (u - V(1.0)));
  } else if constexpr (!std::is_same_v<simd::value_t<V>, float>) {
    return log1p_v(e);
  } else {
    V q = V(-0x1.17c7ecp-7f);
    q = simd::fma(q, e, V(0x1.692780p-5f));
    q = simd::fma(q, e, V(-0x1.b90b84p-4f));
    q = simd::fma(q, e, V(0x1.6b6a7ap-3f));
    q = simd::fma(q, e, V(-0x1.f5aa2cp-3f));
    q = simd::fma(q, e, V(0x1.54bda0p-2f));
    q = simd::fma(q, e, V(-0x1.fff932p-2f));
    q = simd::fma(q, e, V(0x1.fffffap-1f));
    return e * q;
  }
}

template <class V> inline V log1p_v(const V &x) {
  using T = simd::value_t<V>;
  const V u = V(T(1)) + x;
  const V corr = ((u - V(T(1))) - x) / u;
  const V y = log_v(u) - corr;
  const T inf = std::numeric_limits<T>::infinity();
  V out = simd::select(u == V(T(1)), x, y);
  out = simd::select(u == V(T(0)), V(-inf), out);
  return simd::select(x == V(inf), x, out);
}

// a * b + c, fused where the ISA has the instruction (std::fma is a slow libm call on SSE2).
XENT_ALWAYS_INLINE double madd(double a, double b, double c) {
#if defined(__FMA__) || defined(__aarch64__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

namespace detail {

// For c = 1 + i/128, i in [0, 128): inv_c, 1/c rounded to double, and log_c = log(1 / inv_c)
// (of the rounded inv_c, so that log m = log_c + log1p(m inv_c - 1) holds exactly).
// c = 1 has inv_c = 1 and log_c = 0: log(1) is exactly 0.
constexpr int kLogTableBits = 7;
struct LogTable {
  double inv_c[1 << kLogTableBits];
  double log_c[1 << kLogTableBits];
};
constexpr LogTable make_log_table() {
  LogTable t{};
  for (int i = 0; i < (1 << kLogTableBits); ++i) {
    t.inv_c[i] = double(1 / (1 + static_cast<long double>(i) / (1 << kLogTableBits)));
    t.log_c[i] = double(-log_series(t.inv_c[i]));
  }
  return t;
}
inline constexpr LogTable kLogTable = make_log_table();

// (k ln2 + log c) + log1p(r) of log_sum_f32_loss, given k, i and m = 2^-k x; plus x - x,
// so that NaN stays NaN whatever its bits.
XENT_ALWAYS_INLINE double log_from_table(int64_t k, uint64_t i, double m, double x) {
  const double base = madd(double(k), 0.69314718055994530942, kLogTable.log_c[i]) + (x - x);  // off the chain
  const double r = madd(m, kLogTable.inv_c[i], -1.0);
  return base + madd(r * r, madd(r, 1.0 / 3, -0.5), r);
}
}  // namespace detail

// log(x) of a row's sum of exp(y - max) (x >= 1, its max term being 1; NaN gives NaN) at
// the f32 loss tolerance, inline: a tiny loss call is one dependent chain, and glibc's
// log, then a series with a division, were a third of it. A table method, short and
// without a division: x = 2^k m with m within 1/256 of c = 1 + i/128 (x's bits rounded to
// 7 mantissa bits give k and i; m may be just below 1), r = m/c - 1 with |r| <= 1/256 by one
// multiply-add, and log x = (k ln2 + log c) + log1p(r), log1p(r) ~ r - r^2/2 + r^3/3.
// The term left out, r^4/4, is below 6e-11, and below 1.6e-8 of log x (|r| reaches 1/256
// only where |log x| >= log(1 + 1/256)): less than the rounding of the f32 loss that it
// ends up in (tests/test_loss_log.cpp). log 1 = 0 exactly. The f64 losses keep std::log.
XENT_ALWAYS_INLINE double log_sum_f32_loss(double x) {
  constexpr int M = 52, index_bits = detail::kLogTableBits;
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const uint64_t rounded = bits + (uint64_t(1) << (M - index_bits - 1));  // x > 0: no sign bit
  const uint64_t k = (rounded >> M) - 1023;                               // mod 2^64
  const uint64_t m_bits = bits - (k << M);                                // 2^-k x
  double m;
  std::memcpy(&m, &m_bits, sizeof m);
  return detail::log_from_table(int64_t(k), (rounded >> (M - index_bits)) & ((1u << index_bits) - 1), m, x);
}

// The same for a float sum (a short row's), the same bits as log_sum_f32_loss(double(x))
// (the same k, i and m): from the float's own bits, one conversion less on the chain.
XENT_ALWAYS_INLINE double log_sum_f32_loss(float x) {
  constexpr int M = 23, index_bits = detail::kLogTableBits;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const uint32_t rounded = bits + (uint32_t(1) << (M - index_bits - 1));
  const uint32_t k = (rounded >> M) - 127;   // mod 2^32
  const uint32_t m_bits = bits - (k << M);  // 2^-k x
  float m;
  std::memcpy(&m, &m_bits, sizeof m);
  return detail::log_from_table(int32_t(k), (rounded >> (M - index_bits)) & ((1u << index_bits) - 1), double(m),
                                double(x));
}

}  // namespace xent::XENT_ISA_NS::math
