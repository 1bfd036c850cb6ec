// Conversions between the 16-bit storage types (bfloat16, IEEE binary16) and float, for
// the _bf16 / _f16 entry points: their math is the f32 kernels', on rows converted at load
// and rounded back at store (src/driver/run_half.hpp). Every float -> 16-bit conversion
// rounds to nearest even, subnormals included, NaN stays NaN (quiet), overflow gives inf.
// AVX-512 and AVX2 (F16C) use the CPU's f16 instructions; bfloat16 is bit arithmetic in
// vectors there, and AVX-512 BF16's vcvtne2ps2bf16 where the CPU has it (with the bit
// arithmetic for the rare 32 floats holding a subnormal, which it flushes to 0); the other
// paths use the portable scalar forms below.
#pragma once

#include <cstdint>
#include <cstring>

#include "simd/vec.hpp"

namespace xent::XENT_ISA_NS::half {

inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}
inline float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// ---- portable forms (also the tails of the vector loops)
inline float bf16_to_f32(uint16_t h) { return float_of(uint32_t(h) << 16); }
inline uint16_t f32_to_bf16(float f) {
  const uint32_t u = bits_of(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x0040u);  // quiet NaN
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);                      // ties to even
}
inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0x1f) return float_of(sign | 0x7f800000u | (m << 13) | (m ? 0x00400000u : 0u));
  if (e == 0) return float_of(sign | bits_of(float(m) * 0x1p-24f));  // zero, subnormal: exact
  return float_of(sign | ((e + 112u) << 23) | (m << 13));
}
inline uint16_t f32_to_f16(float f) {
  uint32_t u = bits_of(f);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  u &= 0x7fffffffu;
  if (u > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((u >> 13) & 0x3ffu));  // quiet NaN
  if (u >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // >= 65520 rounds to inf
  if (u < 0x38800000u) {
    // Below 2^-14: a multiple of 2^-24. Adding 0.5 (whose ulp is 2^-24) rounds |f| to it
    // (ties to even, in the FPU's default mode); the mantissa bits are the count, and 1024
    // is the smallest normal's encoding.
    return uint16_t(sign | (bits_of(float_of(u) + 0.5f) - 0x3f000000u));
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped bits to even.
  return uint16_t(sign | ((u - 0x38000000u + 0x0fffu + ((u >> 13) & 1u)) >> 13));
}

enum class Format : int { bf16 = 0, f16 = 1 };

template <class Arch> constexpr bool is_avx512() {
  if constexpr (std::is_same_v<Arch, simd::scalar_arch>) return false;
  else return simd::detail::has_avx512_mask<xsimd::batch<float, Arch>>();
}
template <class Arch> constexpr bool is_avx2() {
  if constexpr (std::is_same_v<Arch, simd::scalar_arch>) return false;
  else return simd::detail::has_avx2_maskmov<xsimd::batch<float, Arch>>() && !is_avx512<Arch>();
}

template <Format fmt> inline float widen(uint16_t h) { return fmt == Format::f16 ? f16_to_f32(h) : bf16_to_f32(h); }

// Whether Arch widens a whole vector of 16-bit values with the CPU's instructions
// (widen_vector), and how many values that is.
template <class Arch> constexpr int vector_widen_lanes() { return is_avx512<Arch>() ? 16 : is_avx2<Arch>() ? 8 : 0; }

// The vector_widen_lanes<Arch>() values at h, widened (AVX-512 or AVX2 only).
template <class Arch, Format fmt> XENT_ALWAYS_INLINE auto widen_vector(const uint16_t *h) {
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (is_avx512<Arch>()) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(h));
    if constexpr (fmt == Format::f16) return _mm512_cvtph_ps(v);
    else return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(v), 16));
  } else if constexpr (is_avx2<Arch>()) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(h));
    if constexpr (fmt == Format::f16) return _mm256_cvtph_ps(v);
    else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
  }
#else
  (void)h;  // never called: vector_widen_lanes is 0 off x86
#endif
}

// f[i] = h[i] as float, i < n.
template <class Arch, Format fmt> void to_f32(const uint16_t *h, float *f, int64_t n) {
  int64_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
  constexpr int64_t L = vector_widen_lanes<Arch>();
  if constexpr (L == 16) {
    for (; i + L <= n; i += L) _mm512_storeu_ps(f + i, widen_vector<Arch, fmt>(h + i));
  } else if constexpr (L == 8) {
    for (; i + L <= n; i += L) _mm256_storeu_ps(f + i, widen_vector<Arch, fmt>(h + i));
  }
#endif
  for (; i < n; ++i) f[i] = widen<fmt>(h[i]);
}

// h[i] = f[i] rounded to nearest even, i < n.
template <class Arch, Format fmt> void from_f32(const float *f, uint16_t *h, int64_t n) {
  int64_t i = 0;
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (is_avx512<Arch>()) {
    for (; i + 16 <= n; i += 16) {
      const __m512 v = _mm512_loadu_ps(f + i);
      __m256i r;
      if constexpr (fmt == Format::f16) {
        r = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      } else {
        const __m512i u = _mm512_castps_si512(v);
        const __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i t = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), odd), 16);
        const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
        t = _mm512_mask_or_epi32(t, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
        r = _mm512_cvtepi32_epi16(t);
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(h + i), r);
    }
  } else if constexpr (is_avx2<Arch>()) {
    for (; i + 8 <= n; i += 8) {
      const __m256 v = _mm256_loadu_ps(f + i);
      __m128i r;
      if constexpr (fmt == Format::f16) {
        r = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      } else {
        const __m256i u = _mm256_castps_si256(v);
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        __m256i t = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), odd), 16);
        const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        t = _mm256_blendv_epi8(t, quiet, nan);
        // Lanes hold values <= 0xffff: the unsigned-saturating pack keeps them; it packs
        // within 128-bit halves, so the 64-bit quarters 0 and 2 hold the result.
        const __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(t, t), 0x08);
        r = _mm256_castsi256_si128(p);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i *>(h + i), r);
    }
  }
#endif
  for (; i < n; ++i) h[i] = fmt == Format::f16 ? f32_to_f16(f[i]) : f32_to_bf16(f[i]);
}

#if defined(__x86_64__) || defined(__i386__)
// from_f32 for bfloat16 with AVX-512 BF16's vcvtne2ps2bf16: 32 floats rounded to nearest
// even by one instruction, NaN quieted as f32_to_bf16 does (top half | 0x40). It reads
// subnormal inputs as 0, so 32 floats holding one (fpclass 0x20) take from_f32's bit
// arithmetic, as does the tail: the bits of from_f32 for every input
// (tests/test_half_convert.cpp). Called only where cpu::has_avx512bf16() (src/cpu_features.hpp).
template <class Arch>
__attribute__((target("avx512bf16,avx512f,avx512bw,avx512dq,avx512vl"))) void from_f32_bf16_native(const float *f,
                                                                                                   uint16_t *h,
                                                                                                   int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 lo = _mm512_loadu_ps(f + i), hi = _mm512_loadu_ps(f + i + 16);
    if (__builtin_expect((_mm512_fpclass_ps_mask(lo, 0x20) | _mm512_fpclass_ps_mask(hi, 0x20)) != 0, 0)) {
      from_f32<Arch, Format::bf16>(f + i, h + i, 32);
      continue;
    }
    _mm512_storeu_si512(h + i, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo)));  // lo in the low half
  }
  from_f32<Arch, Format::bf16>(f + i, h + i, n - i);
}
#endif

}  // namespace xent::XENT_ISA_NS::half
