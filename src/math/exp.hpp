// exp for float and double on any V of simd/vec.hpp.
//
// Contract: at most 1 ulp from the correctly rounded result for every input, subnormal
// results and the overflow edge included (f32: exp(88.72283) finite, exp(88.7229) = +inf,
// exp(-103.9) = 2^-149, exp(-104) = 0). exp(NaN) = NaN, exp(-inf) = 0, exp(+inf) = +inf.
// Holds with and without fused multiply-add (SSE2 and the scalar path are unfused).
// Proven by tests/ulp_sweep.cpp over all 2^32 floats on every ISA path.
//
// Algorithm (Cody–Waite reduction, as SLEEF's expf_u10 / exp_u10, with a shorter f32 polynomial):
//   k = round(x / ln2), r = x - k*ln2 in two steps (ln2_hi has few bits, so k*ln2_hi is
//   exact), exp(r) = 1 + r + r^2 * P(r) on |r| <= ln2/2, result = exp(r) * 2^k where the
//   scaling is split into two exact powers of two so that subnormal results are rounded
//   once and 2^128 (f32) / 2^1024 (f64) are never formed. On AVX-512, vscalefps/pd does
//   that scaling in one instruction (simd::scalef), and exp_v has no range branch; f64 there
//   reduces by a 16-entry table of 2^(j/16) to |r| <= ln2/32 instead (expd_table).
#pragma once

#include "simd/vec.hpp"

namespace xent::XENT_ISA_NS::math {

namespace detail {

// 2^k for integer-valued k in [-bias+1, bias] without an int conversion: adding the magic
// 1.5*2^M + bias puts k + bias in the low mantissa bits; shifting them into the exponent
// field gives the bits of 2^k.
template <class V> inline V pow2i(const V &k) {
  using T = simd::value_t<V>;
  using B = simd::float_bits<T>;
  const T magic = T(1.5) * T(1ull << B::mantissa) + T(B::bias);
  return simd::as_float<V>(simd::shl(simd::as_int(k + V(magic)), B::mantissa));
}

// round-to-nearest integer value of a (|a| < 2^(M-1)) by the shifter trick.
template <class V> inline V round_int(const V &a) {
  using T = simd::value_t<V>;
  const T shifter = T(1.5) * T(1ull << simd::float_bits<T>::mantissa);
  return (a + V(shifter)) - V(shifter);
}

// p * 2^k for p in [0.5, 2] and integer-valued k in [-2*bias, 2*bias]: two exact
// multiplications; the last one rounds once into the subnormal or overflow range.
template <class V> inline V scale2(const V &p, const V &k) {
  using T = simd::value_t<V>;
  const V k1 = round_int(k * V(T(0.5)) - V(T(0.25)));  // floor(k/2) for integer k
  return (p * pow2i(k1)) * pow2i(k - k1);
}

// exp(x) = exp(r) * 2^k for f32: k = round(x / ln2), r = x - k*ln2 in two steps (ln2_hi has
// 16 bits, so k*ln2_hi is exact), exp(r) = 1 + r + r^2 P(r) on |r| <= ln2/2 with P of
// degree 4 fitted for this library (relative minimax by reweighted least squares,
// scripts/fit/exp_f32.py: 3.8e-9 = 0.06 ulp with the coefficients rounded to float; SLEEF's
// expf_u10 takes degree 5). With fused multiply-add the sum is Horner's to the end,
// 1 + r (1 + r P): two operations instead of three, and the rounding of 1 + r P, scaled by
// |r| <= 0.35, stays below 0.2 ulp (the exhaustive sweep's worst is 1 ulp on every path).
template <class V> XENT_ALWAYS_INLINE V expf_reduce(const V &x, const V &k) {
  V r = simd::fma(k, V(-0.693145751953125f), x);       // ln2_hi
  return simd::fma(k, V(-1.428606765330187045e-06f), r);  // ln2_lo
}
template <class V> XENT_ALWAYS_INLINE V expf_poly(const V &r) {
  V u = V(0x1.6a2434p-10f);
  u = simd::fma(u, r, V(0x1.1239e2p-7f));
  u = simd::fma(u, r, V(0x1.5558f2p-5f));
  u = simd::fma(u, r, V(0x1.555492p-3f));
  u = simd::fma(u, r, V(0x1.fffffcp-2f));
  if constexpr (simd::fused_fma<V>()) return simd::fma(r, simd::fma(r, u, V(1.0f)), V(1.0f));
  else return V(1.0f) + simd::fma(r * r, u, r);
}
// Returns exp(r) and sets k (any x; clamp first to keep k within scale2's range).
template <class V> inline V expf_reduced(const V &x, V &k) {
  k = round_int(x * V(1.44269504088896341f));  // 1/ln2
  return expf_poly(expf_reduce(x, k));
}

// k = round(x / ln2) and 2^k, for x whose 2^k is a normal float (|x| < 88): k + bias is
// rounded into the low mantissa bits of kb (magic = 1.5*2^23 + 127), so 2^k is kb's bits
// shifted into the exponent field. NaN gives NaN in k.
template <class V> XENT_ALWAYS_INLINE V expf_split(const V &x, V &pow2k) {
  constexpr float magic = 12583039.0f;
  const V kb = simd::fma(x, V(1.44269504088896341f), V(magic));
  pow2k = simd::as_float<V>(simd::shl(simd::as_int(kb), 23));
  return kb - V(magic);
}

// exp(x) for x whose result is a normal float (-87.33 < x < 88.72; NaN gives NaN): one
// scaling.
template <class V> XENT_ALWAYS_INLINE V expf_normal(const V &x) {
  V pow2k;
  const V k = expf_split(x, pow2k);
  return expf_poly(expf_reduce(x, k)) * pow2k;
}
// AVX-512: exp(x) for any x in [-104.5, 89.5] or NaN, scaled by vscalefps, which rounds the
// subnormal results once and overflows to inf itself: no two-step scaling, no branch. For
// the x of expf_normal the same bits (the product by a normal 2^k is exact either way).
template <class V> XENT_ALWAYS_INLINE V expf_scalef(const V &x) {
  V unused;  // the shifted 2^k bits of expf_split, dead code here
  const V k = expf_split(x, unused);
  return simd::scalef(expf_poly(expf_reduce(x, k)), k);
}

// f64: k = round(x / ln2) and 2^k for x whose 2^k is a normal double (-708.7 < x < 709.4):
// the magic 1.5*2^52 + 1023 rounds k + bias into kb's low mantissa bits, as expf_split.
template <class V> XENT_ALWAYS_INLINE V expd_split(const V &x, V &pow2k) {
  constexpr double magic = 6755399441056767.0;
  const V kb = simd::fma(x, V(1.442695040888963407359924681001892137), V(magic));
  pow2k = simd::as_float<V>(simd::shl(simd::as_int(kb), 52));
  return kb - V(magic);
}
template <class V> XENT_ALWAYS_INLINE V expd_reduce(const V &x, const V &k) {
  const V r = simd::fma(k, V(-.69314718055966295651160180568695068359375), x);      // ln2_hi
  return simd::fma(k, V(-.28235290563031577122588448175013436025525412068e-12), r);  // ln2_lo
}
// exp(r) on |r| <= ln2/2 from the Taylor coefficients 1/n!, n = 13 .. 2: 1 + r + r^2 P(r),
// P by Horner (Estrin's shorter chain measured no faster in the sum loops and 40% slower in
// xent_exp on Zen 4 AVX2). Truncation < 0.05 ulp.
template <class V> XENT_ALWAYS_INLINE V expd_poly(const V &r) {
  constexpr int Deg = 13;
  double f = 1;
  for (int n = 2; n <= Deg; ++n) f *= n;  // Deg!
  V u = V(1.0 / f);
  for (int n = Deg; n > 2; --n) u = simd::fma(u, r, V(1.0 / (f /= n)));  // 1/(n-1)!
  return V(1.0) + simd::fma(r * r, u, r);
}
// exp(x) for x whose 2^k is a normal double (NaN gives NaN): one scaling, exact for normal
// results and rounded once into the subnormals.
template <class V> XENT_ALWAYS_INLINE V expd_normal(const V &x) {
  V pow2k;
  const V k = expd_split(x, pow2k);
  return expd_poly(expd_reduce(x, k)) * pow2k;
}
// AVX-512 f64: a table reduction instead of the degree-13 series. n = round(16 x / ln2) in
// kb's low mantissa bits (the shifter 1.5*2^52), r = x - n ln2/16 in two steps (|r| <=
// ln2/32; ln2_hi/16 has 32 bits, so n ln2_hi/16 is exact for |n| < 2^21), 2^(j/16) for
// j = n mod 16 (kb's low 4 bits, which vpermt2pd reads as its index) as a hi + lo pair from
// a 16-entry table, exp(r) - 1 = r + r^2 Q(r) with Q of degree 4 fitted for this library
// (relative minimax, 1.2e-17 = 0.11 ulp), y = T_hi + (T_hi p + T_lo), and y 2^floor(n/16) by
// vscalefpd (which floors its exponent operand itself): 17 operations against 21.
// Returns y and sets e = n/16 (the scalef operand). Valid for x in [-746, 710] or NaN.
struct Exp2TableF64 {
  alignas(64) double hi[16];
  alignas(64) double lo[16];
};
constexpr long double exp_series(long double a) {  // |a| < 1, to the precision of long double
  long double term = 1, sum = 1;
  for (int n = 1; n < 40; ++n) sum += (term *= a / n);
  return sum;
}
constexpr Exp2TableF64 make_exp2_table_f64() {
  Exp2TableF64 t{};
  for (int j = 0; j < 16; ++j) {
    const long double v = exp_series(j * 0.69314718055994530941723212145817656807L / 16);
    t.hi[j] = double(v);
    t.lo[j] = double(v - static_cast<long double>(t.hi[j]));
  }
  return t;
}
inline constexpr Exp2TableF64 kExp2TableF64 = make_exp2_table_f64();

template <class V> XENT_ALWAYS_INLINE V expd_table(const V &x, V &e) {
#if defined(__x86_64__) || defined(__i386__)
  constexpr double shifter = 6755399441056768.0;  // 1.5 * 2^52
  const __m512d kb = _mm512_fmadd_pd(x, _mm512_set1_pd(23.083120654223414517), _mm512_set1_pd(shifter));  // 16/ln2
  const __m512d n = _mm512_sub_pd(kb, _mm512_set1_pd(shifter));
  __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0x1.62e42fee00000p-5), x);   // ln2_hi / 16
  r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0x1.a39ef35793c76p-37), r);           // ln2_lo / 16
  const __m512i j = _mm512_castpd_si512(kb);
  const Exp2TableF64 &t = kExp2TableF64;
  const __m512d t_hi = _mm512_permutex2var_pd(_mm512_load_pd(t.hi), j, _mm512_load_pd(t.hi + 8));
  const __m512d t_lo = _mm512_permutex2var_pd(_mm512_load_pd(t.lo), j, _mm512_load_pd(t.lo + 8));
  __m512d q = _mm512_fmadd_pd(_mm512_set1_pd(0x1.6c149d482d80dp-10), r, _mm512_set1_pd(0x1.11123b3e18400p-7));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0x1.555555592ad8bp-5));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0x1.555555548eca6p-3));
  q = _mm512_fmadd_pd(q, r, _mm512_set1_pd(0x1.fffffffffffbcp-2));
  const __m512d p = _mm512_fmadd_pd(_mm512_mul_pd(r, r), q, r);
  e = V(_mm512_mul_pd(n, _mm512_set1_pd(0.0625)));
  return V(_mm512_add_pd(t_hi, _mm512_fmadd_pd(t_hi, p, t_lo)));
#else
  e = x;
  return x;  // unreachable: called only where has_scalef holds
#endif
}
template <class V> XENT_ALWAYS_INLINE V expd_table_scaled(const V &x) {  // x in [-746, 710] or NaN
  V e;
  const V y = expd_table(x, e);
  return simd::scalef(y, e);
}

}  // namespace detail

template <class V> XENT_ALWAYS_INLINE V exp_v(const V &x) {
  using T = simd::value_t<V>;
  if constexpr (simd::has_scalef<V>()) {
    // Outside the clamps the result is 0 or +inf either way; NaN passes them.
    if constexpr (std::is_same_v<T, float>)
      return detail::expf_scalef(simd::vmin_keep_nan(V(89.5f), simd::vmax_keep_nan(V(-104.5f), x)));
    else return detail::expd_table_scaled(simd::vmin_keep_nan(V(710.0), simd::vmax_keep_nan(V(-746.0), x)));
  } else if constexpr (std::is_same_v<T, float>) {
    // Whole vectors whose results are all normal floats (nearly always): one scaling.
    if (simd::all(simd::vabs(x) < V(87.0f))) return detail::expf_normal(x);
    // Outside [-104, 89] the result is 0 or +inf; clamping keeps k within scale2's range.
    const V xc = simd::vmin(simd::vmax(x, V(-104.5f)), V(89.5f));
    V k;
    const V u = detail::expf_reduced(xc, k);
    const V y = detail::scale2(u, k);
    return simd::select(simd::isnan_v(x), x, y);
  } else {
    // Whole vectors whose 2^k are all normal (nearly always): one scaling.
    if (simd::all(simd::vabs(x) < V(708.0))) return detail::expd_normal(x);
    const V xc = simd::vmin(simd::vmax(x, V(-746.0)), V(710.0));
    const V k = detail::round_int(xc * V(1.442695040888963407359924681001892137));
    const V u = detail::expd_poly(detail::expd_reduce(xc, k));
    const V y = detail::scale2(u, k);
    return simd::select(simd::isnan_v(x), x, y);
  }
}

inline constexpr double kExpLe0FloorF64 = -708.7;

// exp(d) for d <= 0 (the shifted logits d = y - max of every softmax-family kernel).
// Same polynomial and accuracy as exp_v where exp(d) >= 2^-126; smaller results are
// flushed to 0 (at most 1.2e-38 absolute, against a sum >= 1). NaN gives NaN.
// No clamp, no two-step scaling, no NaN select: about half the work of exp_v.
template <class V> XENT_ALWAYS_INLINE V exp_le0_v(const V &d) {
  using T = simd::value_t<V>;
  if constexpr (simd::has_scalef<V>()) {
    // The flush by the scaling's zero-masking: one compare instead of a compare and a blend.
    V unused;
    if constexpr (std::is_same_v<T, float>) {
      const V k = detail::expf_split(d, unused);
      return simd::scalef_unless_below(detail::expf_poly(detail::expf_reduce(d, k)), k, d, -87.3f);
    } else {
      V e;
      const V y = detail::expd_table(d, e);
      return simd::scalef_unless_below(y, e, d, kExpLe0FloorF64);
    }
  } else if constexpr (std::is_same_v<T, float>) {
    return simd::select(d < V(-87.3f), V(0.0f), detail::expf_normal(d));
  } else {
    // Below -708.7, 2^k would not be a normal double: flushed (exp < 2^-1022).
    return simd::select(d < V(kExpLe0FloorF64), V(0.0), detail::expd_normal(d));
  }
}

// exp(d) for d <= 0 at the loss tolerance (SPEC section 4: 1e-5 relative), for the sums
// and probabilities inside the loss kernels; xent_exp keeps the 1-ulp contract above.
// f32: exp_v's reduction with a degree-4 relative-minimax polynomial (three multiply-adds
// less; the sum loops are bound by multiply-add throughput): relative error < 3.5e-6 on
// [-87.3, 0] (tests/test_loss_exp.cpp), a third of the 1e-5 loss tolerance. The errors are
// relative per term, so the loss and the softmax stay relatively accurate even where
// lse - y_label is tiny. f64: exp_le0_v, the 1-ulp exp with one scaling and the flush at
// -708.7 (the bits of the public kernels' exp, which the vocabulary-parallel functions
// build on: their single-shard results equal the single-process loss bit for bit).
namespace detail {
// exp(d) = u 2^k: returns u, sets k and pow2k (d >= -87.3 or NaN).
template <class V> XENT_ALWAYS_INLINE V expf_loss_parts(const V &d, V &k, V &pow2k) {
  k = expf_split(d, pow2k);
  // With a fused multiply-add, r = d - k ln2 in one step: the product is exact and ln2
  // rounded to float is off by 1.9e-9, so r is off by at most 126 * 1.9e-9 = 2.4e-7 (a
  // relative error of 2.4e-7 in exp) for one multiply-add less (L2 loss 0.316 -> 0.281
  // ns/elem on AVX2). Unfused, k ln2 would round: the two-step reduction.
  V r;
  if constexpr (simd::fused_fma<V>()) r = simd::fma(k, V(-0x1.62e430p-1f), d);
  else r = expf_reduce(d, k);
  // Scaled last: u 2^k is normal for every d >= -87.3 (where k = -126, r > 0.036 and u > 1).
  // Folding 2^k into the last multiply-add would shorten the chain by one step but form
  // r 2^k, subnormal for the -87.3 of every masked or padded lane, and subnormal values
  // cost microcode assists (a tiny call took 38 instead of 27 ns).
  V u = V(0x1.5414dap-5f);
  u = simd::fma(u, r, V(0x1.57ceb6p-3f));
  u = simd::fma(u, r, V(0x1.0003f4p-1f));
  u = simd::fma(u, r, V(0x1.fffba8p-1f));
  return simd::fma(u, r, V(1.0f));
}
template <class V> XENT_ALWAYS_INLINE V expf_loss(const V &d) {  // d >= -87.3 or NaN
  V k, pow2k;
  const V u = expf_loss_parts(d, k, pow2k);
  if constexpr (simd::has_scalef<V>()) return simd::scalef(u, k);  // the same bits, one instruction
  else return u * pow2k;
}
}  // namespace detail

// Where the f32 loss exp's clamp and flush to 0 start: exp(-87.3) = 1.2e-38 is normal.
// (f64: kExpLe0FloorF64. Callers that test d >= kLossExpFloor for a row's range are
// conservative for f64.)
inline constexpr float kLossExpFloor = -87.3f;
template <class T> inline constexpr T loss_exp_floor() { return std::is_same_v<T, float> ? T(kLossExpFloor) : T(kExpLe0FloorF64); }

// The terms of a sum of exp: d < -87.3 (-inf included) is raised to -87.3, whose exp
// (1.2e-38) vanishes next to the sum >= 1; one max instead of exp_loss_v's compare and
// select. NaN gives NaN.
template <class V> XENT_ALWAYS_INLINE V exp_loss_sum_v(const V &d) {
  using T = simd::value_t<V>;
  if constexpr (std::is_same_v<T, float>) return detail::expf_loss(simd::vmax_keep_nan(V(kLossExpFloor), d));
  else return exp_le0_v(d);
}
// exp_loss_sum_v for d known to be >= -87.3 (or NaN): without the clamp, the same bits.
template <class V> XENT_ALWAYS_INLINE V exp_loss_sum_in_range_v(const V &d) {
  if constexpr (std::is_same_v<simd::value_t<V>, float>) return detail::expf_loss(d);
  else if constexpr (simd::has_scalef<V>()) return detail::expd_table_scaled(d);
  else return detail::expd_normal(d);
}

// exp_loss_v(d) from e = exp_loss_sum_v(d), bitwise (where d >= -87.3 the two are the
// same computation).
template <class V> XENT_ALWAYS_INLINE V exp_loss_from_sum_term(const V &d, const V &e) {
  using T = simd::value_t<V>;
  return simd::select(d < V(loss_exp_floor<T>()), V(T(0)), e);
}

// The probabilities (softmax numerators): d < -87.3 gives exactly 0, so a masked class
// (-inf) has a gradient of exactly 0. NaN gives NaN.
template <class V> XENT_ALWAYS_INLINE V exp_loss_v(const V &d) {
  if constexpr (std::is_same_v<simd::value_t<V>, float> && simd::has_scalef<V>()) {
    V k, pow2k;
    const V u = detail::expf_loss_parts(d, k, pow2k);
    return simd::scalef_unless_below(u, k, d, kLossExpFloor);
  } else if constexpr (std::is_same_v<simd::value_t<V>, float>) {
    return exp_loss_from_sum_term(d, detail::expf_loss(d));
  } else {
    return exp_le0_v(d);
  }
}

}  // namespace xent::XENT_ISA_NS::math
