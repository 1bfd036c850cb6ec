// The AVX-512 float -> bfloat16 roundings (src/kernels/half_convert.hpp), compiled with the
// AVX-512 flags of src/meson.build: the bit arithmetic every AVX-512 CPU runs and the AVX-512
// BF16 instruction form. Called by tests/test_half_convert.cpp only where the CPU has them.
#define XENT_ISA_NS isa_test_half_avx512
#include "cpu_features.hpp"
#include "kernels/half_convert.hpp"
#include "support/half_convert_paths.hpp"

namespace xt {

namespace h = xent::isa_test_half_avx512::half;

void bf16_round_avx512_bits(const float *f, uint16_t *out, int64_t n) {
  h::from_f32<xsimd::avx512bw, h::Format::bf16>(f, out, n);
}
void bf16_round_avx512bf16(const float *f, uint16_t *out, int64_t n) {
  h::from_f32_bf16_native<xsimd::avx512bw>(f, out, n);
}
bool cpu_has_avx512bf16() { return xent::cpu::has_avx512bf16(); }

}  // namespace xt
