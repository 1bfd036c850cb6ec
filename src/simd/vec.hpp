// One vocabulary for kernels over xsimd batches and plain scalars.
//
// Every kernel is written once against a type V that is either a scalar (float/double,
// the portable path and every tail) or xsimd::batch<T, Arch>. This header gives both the
// same free functions, so `exp_v(V)` or a loss row body compiles for each ISA and for
// scalar code alike.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>  // every x86 intrinsic is declared; each is used only under its ISA
#endif

#include "simd/isa_namespace.hpp"

// For helpers that sit in every inner loop, where a call per vector costs more than the
// work (GCC declined to inline load_block into the gradient loop, and exp_v, with its
// rare-case branch, into the exp kernel).
#define XENT_ALWAYS_INLINE inline __attribute__((always_inline))

namespace xent::XENT_ISA_NS::simd {

// The architecture tag of the portable path (no xsimd batch, V = T).
struct scalar_arch {
  static constexpr const char *name() { return "scalar"; }
};

template <class T> struct float_bits;
template <> struct float_bits<float> {
  using int_type = int32_t;
  using uint_type = uint32_t;
  static constexpr int mantissa = 23;
  static constexpr int bias = 127;
};
template <> struct float_bits<double> {
  using int_type = int64_t;
  using uint_type = uint64_t;
  static constexpr int mantissa = 52;
  static constexpr int bias = 1023;
};

// vec<T, Arch>: the register type of T on Arch.
template <class T, class Arch> struct vec_of { using type = xsimd::batch<T, Arch>; };
template <class T> struct vec_of<T, scalar_arch> { using type = T; };
template <class T, class Arch> using vec = typename vec_of<T, Arch>::type;

template <class V> struct vec_traits {  // xsimd batch
  using value_type = typename V::value_type;
  using int_vec = xsimd::batch<typename float_bits<value_type>::int_type, typename V::arch_type>;
  using mask = typename V::batch_bool_type;
  static constexpr std::size_t width = V::size;
};
template <> struct vec_traits<float> {
  using value_type = float;
  using int_vec = int32_t;
  using mask = bool;
  static constexpr std::size_t width = 1;
};
template <> struct vec_traits<double> {
  using value_type = double;
  using int_vec = int64_t;
  using mask = bool;
  static constexpr std::size_t width = 1;
};

template <class V> constexpr std::size_t width_v = vec_traits<V>::width;
template <class V> using value_t = typename vec_traits<V>::value_type;
template <class V> using mask_t = typename vec_traits<V>::mask;
template <class V> using ivec_t = typename vec_traits<V>::int_vec;
template <class V> constexpr bool is_scalar_v = std::is_floating_point_v<V>;

// ---- memory
template <class V> inline V load(const value_t<V> *p) {
  if constexpr (is_scalar_v<V>) return *p;
  else return V::load_unaligned(p);
}
template <class V> inline void store(value_t<V> *p, const V &v) {
  if constexpr (is_scalar_v<V>) *p = v;
  else v.store_unaligned(p);
}
template <class V> inline V splat(value_t<V> x) { return V(x); }
// Lane 0, without a trip through memory on x86.
template <class V> inline value_t<V> first(const V &a) {
  if constexpr (is_scalar_v<V>) {
    return a;
  } else {
#if defined(__x86_64__) || defined(__i386__)
    const typename V::register_type r = a;
    if constexpr (sizeof(r) == 16 && std::is_same_v<value_t<V>, float>) return _mm_cvtss_f32(r);
    else if constexpr (sizeof(r) == 16) return _mm_cvtsd_f64(r);
    else if constexpr (sizeof(r) == 32 && std::is_same_v<value_t<V>, float>) return _mm256_cvtss_f32(r);
    else if constexpr (sizeof(r) == 32) return _mm256_cvtsd_f64(r);
#if defined(__AVX512F__)
    else if constexpr (std::is_same_v<value_t<V>, float>) return _mm512_cvtss_f32(r);
    else return _mm512_cvtsd_f64(r);
#endif
#endif
    alignas(64) value_t<V> lanes[width_v<V>];
    a.store_aligned(lanes);
    return lanes[0];
  }
}

// Lanes 0..m-1 from p[0..m-1] and `pad` in the others, for 0 < m < width, reading only
// those m elements; the partial store writes only them. AVX2 and AVX-512 have masked
// moves (a tiny row's tail costs a few instructions instead of a per-lane copy loop);
// other targets go through a stack buffer.
namespace detail {
template <class V> constexpr bool has_avx512_mask() {
  if constexpr (is_scalar_v<V>) return false;
  else return std::is_base_of_v<xsimd::avx512f, typename V::arch_type>;
}
template <class V> constexpr bool has_avx2_maskmov() {
  if constexpr (is_scalar_v<V>) return false;
  else return std::is_base_of_v<xsimd::avx2, typename V::arch_type>;
}
#if defined(__x86_64__) || defined(__i386__)
template <class T> inline __m256i avx2_first_lanes(int64_t m) {
  if constexpr (sizeof(T) == 4) return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(m)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  else return _mm256_cmpgt_epi64(_mm256_set1_epi64x(m), _mm256_setr_epi64x(0, 1, 2, 3));
}
#endif
}  // namespace detail

template <class V> inline V load_partial(const value_t<V> *p, int64_t m, value_t<V> pad) {
  using T = value_t<V>;
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (detail::has_avx512_mask<V>()) {
    if constexpr (sizeof(T) == 4) return _mm512_mask_loadu_ps(_mm512_set1_ps(pad), __mmask16((1u << m) - 1), p);
    else return _mm512_mask_loadu_pd(_mm512_set1_pd(pad), __mmask8((1u << m) - 1), p);
  } else if constexpr (detail::has_avx2_maskmov<V>()) {
    const __m256i k = detail::avx2_first_lanes<T>(m);
    if constexpr (sizeof(T) == 4)
      return _mm256_blendv_ps(_mm256_set1_ps(pad), _mm256_maskload_ps(p, k), _mm256_castsi256_ps(k));
    else return _mm256_blendv_pd(_mm256_set1_pd(pad), _mm256_maskload_pd(p, k), _mm256_castsi256_pd(k));
  }
#endif
  alignas(64) T buf[width_v<V>];
  for (std::size_t j = 0; j < width_v<V>; ++j) buf[j] = int64_t(j) < m ? p[j] : pad;
  return load<V>(buf);
}

template <class V> inline void store_partial(value_t<V> *p, int64_t m, const V &v) {
  using T = value_t<V>;
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (detail::has_avx512_mask<V>()) {
    if constexpr (sizeof(T) == 4) _mm512_mask_storeu_ps(p, __mmask16((1u << m) - 1), v);
    else _mm512_mask_storeu_pd(p, __mmask8((1u << m) - 1), v);
    return;
  } else if constexpr (detail::has_avx2_maskmov<V>()) {
    const __m256i k = detail::avx2_first_lanes<T>(m);
    if constexpr (sizeof(T) == 4) _mm256_maskstore_ps(p, k, v);
    else _mm256_maskstore_pd(p, k, v);
    return;
  }
#endif
  alignas(64) T buf[width_v<V>];
  store(buf, v);
  for (int64_t j = 0; j < m; ++j) p[j] = buf[j];
}

// ---- arithmetic
// Whether fma() rounds once: hardware FMA (AVX2+FMA, AVX-512, aarch64 NEON). SSE2 and the
// scalar path multiply, round, then add.
template <class V> constexpr bool fused_fma() {
  if constexpr (is_scalar_v<V>) {
    return false;
  } else {
    using A = typename V::arch_type;
#if defined(__x86_64__) || defined(__i386__)
    return std::is_base_of_v<xsimd::fma3<xsimd::avx2>, A> || std::is_base_of_v<xsimd::avx512f, A>;
#elif defined(__aarch64__)
    return std::is_base_of_v<xsimd::neon64, A>;
#else
    return false;
#endif
  }
}
template <class V> inline V fma(const V &a, const V &b, const V &c) {
  // Scalar: a fused std::fma would be a slow libm call without hardware FMA; the math is
  // designed to stay within its bounds unfused (SSE2 is unfused too).
  if constexpr (is_scalar_v<V>) {
    return a * b + c;
#if defined(__x86_64__) || defined(__i386__)
  } else if constexpr (detail::has_avx512_mask<V>()) {
    // xsimd 8.1 has no fma for avx512f: its generic form is a multiply and an add, two
    // roundings (fused_fma() would lie) and twice the instructions in every polynomial.
    if constexpr (sizeof(value_t<V>) == 4) return _mm512_fmadd_ps(a, b, c);
    else return _mm512_fmadd_pd(a, b, c);
#endif
  } else {
    return xsimd::fma(a, b, c);
  }
}
template <class V> inline V vmin(const V &a, const V &b) {
  if constexpr (is_scalar_v<V>) return b < a ? b : a;
  else return xsimd::min(a, b);
}
template <class V> inline V vmax(const V &a, const V &b) {
  if constexpr (is_scalar_v<V>) return b > a ? b : a;
  else return xsimd::max(a, b);
}
// max(lo, b) that is NaN when b is NaN, on every path: x86's max returns its second
// operand when unordered, NEON's max propagates NaN, and the scalar form is written so.
template <class V> XENT_ALWAYS_INLINE V vmax_keep_nan(const V &lo, const V &b) {
  if constexpr (is_scalar_v<V>) return b < lo ? lo : b;
  else return xsimd::max(lo, b);
}
// min(hi, b) that is NaN when b is NaN, on every path, as vmax_keep_nan.
template <class V> XENT_ALWAYS_INLINE V vmin_keep_nan(const V &hi, const V &b) {
  if constexpr (is_scalar_v<V>) return b > hi ? hi : b;
  else return xsimd::min(hi, b);
}

// c - a * b (fnma) and a * b - c (fms), rounded once where fma is fused (not fma(-a, b, c),
// whose negation the compiler may not fold: -a is 0 - a there).
template <bool NegateProduct, class V> inline V fma_negated(const V &a, const V &b, const V &c) {
  if constexpr (is_scalar_v<V>) {
    return NegateProduct ? c - a * b : a * b - c;
#if defined(__x86_64__) || defined(__i386__)
  } else if constexpr (detail::has_avx512_mask<V>()) {
    if constexpr (sizeof(value_t<V>) == 4) return NegateProduct ? _mm512_fnmadd_ps(a, b, c) : _mm512_fmsub_ps(a, b, c);
    else return NegateProduct ? _mm512_fnmadd_pd(a, b, c) : _mm512_fmsub_pd(a, b, c);
#endif
  } else {
    return NegateProduct ? xsimd::fnma(a, b, c) : xsimd::fms(a, b, c);
  }
}
template <class V> inline V fnma(const V &a, const V &b, const V &c) { return fma_negated<true>(a, b, c); }
template <class V> inline V fms(const V &a, const V &b, const V &c) { return fma_negated<false>(a, b, c); }

// AVX-512's vscalefps / vscalefpd: p * 2^floor(k) rounded once, overflowing to inf and
// rounding into the subnormals as one IEEE multiplication would, for any k (exp's scaling in
// one instruction, without forming 2^k). scalef_unless_below(p, k, d, floor) gives 0 in the
// lanes where d < floor (not where d is NaN) through the instruction's zero-masking.
// Declared on every target (callers name them in discarded `if constexpr` branches);
// instantiated only where has_scalef holds.
template <class V> constexpr bool has_scalef() { return detail::has_avx512_mask<V>(); }
// The AVX2 + FMA batches (the avx2 path's).
template <class V> constexpr bool is_avx2_fma() {
  if constexpr (is_scalar_v<V>) return false;
  else return std::is_same_v<typename V::arch_type, xsimd::fma3<xsimd::avx2>>;
}
template <class V> XENT_ALWAYS_INLINE V scalef(const V &p, const V &k) {
  static_assert(has_scalef<V>());
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (sizeof(value_t<V>) == 4) return _mm512_scalef_ps(p, k);
  else return _mm512_scalef_pd(p, k);
#else
  return p * k;  // unreachable: the static_assert fails first
#endif
}
template <class V>
XENT_ALWAYS_INLINE V scalef_unless_below(const V &p, const V &k, const V &d, value_t<V> floor) {
  static_assert(has_scalef<V>());
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (sizeof(value_t<V>) == 4)
    return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(d, _mm512_set1_ps(floor), _CMP_NLT_UQ), p, k);
  else return _mm512_maskz_scalef_pd(_mm512_cmp_pd_mask(d, _mm512_set1_pd(floor), _CMP_NLT_UQ), p, k);
#else
  return p * k + d * floor;  // unreachable
#endif
}

template <class V> inline V vabs(const V &a) {
  if constexpr (is_scalar_v<V>) return std::fabs(a);
  else return xsimd::abs(a);
}
template <class V> inline V vtanh(const V &a) {
  if constexpr (is_scalar_v<V>) {
    return std::tanh(a);
  } else {
    // xsimd 8.1's tanh converts lanes to integers inside exp: a NaN or huge lane is UB
    // there. tanh is +-1 to the last bit beyond |a| = 20; NaN is put back afterwards.
    using T = typename V::value_type;
    const auto nan = xsimd::isnan(a);
    const V safe = xsimd::select(nan, V(T(0)), xsimd::min(xsimd::max(a, V(T(-20))), V(T(20))));
    return xsimd::select(nan, a, xsimd::tanh(safe));
  }
}

// ---- masks
template <class V> inline V select(const mask_t<V> &m, const V &a, const V &b) {
  if constexpr (is_scalar_v<V>) return m ? a : b;
  else return xsimd::select(m, a, b);
}
// Not `a != a`: xsimd 8.1 compares with ordered predicates, so NaN != NaN is false there.
template <class V> inline mask_t<V> isnan_v(const V &a) {
  if constexpr (is_scalar_v<V>) return std::isnan(a);
  else return xsimd::isnan(a);
}
template <class M> inline bool all(const M &m) {
  if constexpr (std::is_same_v<M, bool>) return m;
  else return xsimd::all(m);
}

// ---- bits
template <class V> inline ivec_t<V> as_int(const V &a) {
  if constexpr (is_scalar_v<V>) {
    ivec_t<V> i;
    std::memcpy(&i, &a, sizeof i);
    return i;
  } else {
    return xsimd::bitwise_cast<ivec_t<V>>(a);
  }
}
template <class V> inline V as_float(const ivec_t<V> &i) {
  if constexpr (is_scalar_v<V>) {
    V a;
    std::memcpy(&a, &i, sizeof a);
    return a;
  } else {
    return xsimd::bitwise_cast<V>(i);
  }
}
// Logical shifts (on the unsigned pattern) for the scalar path; xsimd's are the ISA's.
template <class I> inline I shl(const I &i, int n) {
  if constexpr (std::is_integral_v<I>) {
    using U = std::make_unsigned_t<I>;
    return static_cast<I>(static_cast<U>(i) << n);
  } else {
    return i << n;
  }
}

// ---- horizontal reductions (fixed order: the same bits on every call)
#if defined(__x86_64__) || defined(__i386__)
namespace detail {
// An AVX2 vector reduced by op as a tree of halves: 3 dependent steps (a short row's
// chain waits on them; xsimd's hadd takes two slower horizontal adds, hmax 7 steps).
template <class V, class Op> inline value_t<V> avx2_halves(const V &a, Op op) {
  if constexpr (std::is_same_v<value_t<V>, float>) {
    __m128 t = op(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    t = op(t, _mm_movehl_ps(t, t));
    return _mm_cvtss_f32(op(t, _mm_shuffle_ps(t, t, 1)));
  } else {
    const __m128d t = op(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(op(t, _mm_unpackhi_pd(t, t)));
  }
}
template <class V> constexpr bool avx2_only() { return has_avx2_maskmov<V>() && !has_avx512_mask<V>(); }

// The 256-bit halves of an AVX-512 vector combined by op (AVX512F only: the upper half
// through the f64x4 extract, a bit move).
template <class V, class Op> inline auto avx512_fold_halves(const V &a, Op op) {
  if constexpr (std::is_same_v<value_t<V>, float>)
    return op(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  else return op(_mm512_castpd512_pd256(a), _mm512_extractf64x4_pd(a, 1));
}

// The largest lane of an AVX-512 vector in every lane: four shuffle-max steps, none
// through memory (a scalar loop over 16 lanes was the longest link of a short row).
template <class V> inline V avx512_broadcast_max(const V &a) {
  if constexpr (std::is_same_v<value_t<V>, float>) {
    __m512 t = _mm512_max_ps(a, _mm512_shuffle_f32x4(a, a, 0x4E));  // the other 256-bit half
    t = _mm512_max_ps(t, _mm512_shuffle_f32x4(t, t, 0xB1));        // the other 128-bit quarter
    t = _mm512_max_ps(t, _mm512_permute_ps(t, 0x4E));              // the other pair
    return _mm512_max_ps(t, _mm512_permute_ps(t, 0xB1));           // the other lane
  } else {
    __m512d t = _mm512_max_pd(a, _mm512_shuffle_f64x2(a, a, 0x4E));
    t = _mm512_max_pd(t, _mm512_shuffle_f64x2(t, t, 0xB1));
    return _mm512_max_pd(t, _mm512_permute_pd(t, 0x55));
  }
}
}  // namespace detail
#endif

template <class V> inline value_t<V> hsum(const V &a) {
  if constexpr (is_scalar_v<V>) {
    return a;
#if defined(__x86_64__) || defined(__i386__)
  } else if constexpr (detail::avx2_only<V>()) {
    return detail::avx2_halves(a, [](auto x, auto y) {
      if constexpr (std::is_same_v<decltype(x), __m128>) return _mm_add_ps(x, y);
      else return _mm_add_pd(x, y);
    });
  } else if constexpr (detail::has_avx512_mask<V>()) {
    // xsimd's order (halves, quarters, then (t0 + t1) + (t2 + t3)), without its two
    // horizontal adds: the bits of the sums stay those of earlier releases.
    if constexpr (std::is_same_v<value_t<V>, float>) {
      const __m256 s = detail::avx512_fold_halves(a, [](__m256 x, __m256 y) { return _mm256_add_ps(y, x); });
      const __m128 t = _mm_add_ps(_mm256_extractf128_ps(s, 1), _mm256_castps256_ps128(s));
      const __m128 u = _mm_add_ps(t, _mm_shuffle_ps(t, t, 0xB1));  // (t0 + t1, ., t2 + t3, .)
      return _mm_cvtss_f32(_mm_add_ps(u, _mm_movehl_ps(u, u)));
    } else {
      const __m256d s = detail::avx512_fold_halves(a, [](__m256d x, __m256d y) { return _mm256_add_pd(y, x); });
      const __m128d t = _mm_add_pd(_mm256_extractf128_pd(s, 1), _mm256_castpd256_pd128(s));
      return _mm_cvtsd_f64(_mm_add_pd(t, _mm_unpackhi_pd(t, t)));
    }
#endif
  } else {
    return xsimd::hadd(a);
  }
}
// hmax: the largest lane. Where a lane is NaN the result may be NaN or not (callers treat
// a row with NaN by its sum); the same ISA gives the same result every time.
template <class V> inline value_t<V> hmax(const V &a) {
  if constexpr (is_scalar_v<V>) {
    return a;
#if defined(__x86_64__) || defined(__i386__)
  } else if constexpr (detail::avx2_only<V>()) {
    return detail::avx2_halves(a, [](auto x, auto y) {
      if constexpr (std::is_same_v<decltype(x), __m128>) return _mm_max_ps(x, y);
      else return _mm_max_pd(x, y);
    });
  } else if constexpr (detail::has_avx512_mask<V>()) {
    return first(detail::avx512_broadcast_max(a));
#endif
  } else {
    alignas(64) value_t<V> lanes[width_v<V>];
    a.store_unaligned(lanes);
    value_t<V> m = lanes[0];
    for (std::size_t i = 1; i < width_v<V>; ++i) m = lanes[i] > m ? lanes[i] : m;
    return m;
  }
}

// hmax in every lane, and as a scalar in m: no broadcast back after the reduction (a short
// row's dependent chain waits on this max).
template <class V> inline V broadcast_max(const V &a, value_t<V> &m) {
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (detail::avx2_only<V>()) {
    if constexpr (std::is_same_v<value_t<V>, float>) {
      __m256 t = _mm256_max_ps(a, _mm256_permute2f128_ps(a, a, 1));
      t = _mm256_max_ps(t, _mm256_permute_ps(t, 0x4E));  // the other pair of the half
      t = _mm256_max_ps(t, _mm256_permute_ps(t, 0xB1));  // the other lane of the pair
      m = _mm256_cvtss_f32(t);
      return t;
    } else {
      __m256d t = _mm256_max_pd(a, _mm256_permute2f128_pd(a, a, 1));
      t = _mm256_max_pd(t, _mm256_permute_pd(t, 0x5));
      m = _mm256_cvtsd_f64(t);
      return t;
    }
  } else if constexpr (detail::has_avx512_mask<V>()) {
    const V t = detail::avx512_broadcast_max(a);
    m = first(t);
    return t;
  }
#endif
  m = hmax(a);
  return V(m);
}

}  // namespace xent::XENT_ISA_NS::simd
