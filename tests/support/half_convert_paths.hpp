// The AVX-512 float -> bfloat16 roundings as the test sees them (tests/half_convert_avx512.cpp).
#pragma once

#include <cstdint>

namespace xt {
// from_f32's bit arithmetic on AVX-512 (call where the CPU has AVX-512 BW and DQ).
void bf16_round_avx512_bits(const float *f, uint16_t *out, int64_t n);
// The AVX-512 BF16 form (call where cpu_has_avx512bf16()).
void bf16_round_avx512bf16(const float *f, uint16_t *out, int64_t n);
bool cpu_has_avx512bf16();
}  // namespace xt
