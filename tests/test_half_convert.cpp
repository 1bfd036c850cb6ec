// The float -> bfloat16 rounding of each AVX-512 form against the portable one
// (half::f32_to_bf16, itself checked against the test's own rounding in test_half.cpp):
// the same 16 bits for every 61st float pattern, for every pattern next to a rounding tie
// and to the subnormal range, and for NaNs, in blocks that mix a subnormal into normal
// values (the BF16 instruction's fallback) and with tails of every length below 32.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

#define XENT_ISA_NS isa_test_half_portable
#include "kernels/half_convert.hpp"
#include "support/half_convert_paths.hpp"
#include "support/cpu.hpp"

#if XENT_TEST_AVX2_FMA  // the AVX-512 forms exist on x86-64 only
namespace {

namespace h = xent::isa_test_half_portable::half;

std::vector<float> patterns() {
  std::vector<uint32_t> bits;
  for (uint64_t u = 0; u <= 0xffffffffu; u += 61) bits.push_back(uint32_t(u));
  for (uint32_t top = 0; top <= 0xffffu; ++top)  // both sides of each tie, the tie itself
    for (uint32_t low : {0x7fffu, 0x8000u, 0x8001u, 0x0000u, 0xffffu}) bits.push_back(top << 16 | low);
  for (uint32_t u = 0; u < 4096; ++u) {  // the subnormal edges, both signs
    bits.push_back(0x00800000u - u);
    bits.push_back(0x80800000u - u);
    bits.push_back(u);
    bits.push_back(0x80000000u | u);
  }
  std::vector<float> f(bits.size());
  std::memcpy(f.data(), bits.data(), bits.size() * sizeof(float));
  return f;
}

int64_t mismatches(void (*round)(const float *, uint16_t *, int64_t), const std::vector<float> &f) {
  std::vector<uint16_t> got(f.size());
  int64_t bad = 0;
  // Whole arrays, then short ones of every length (the tails).
  round(f.data(), got.data(), int64_t(f.size()));
  for (size_t i = 0; i < f.size(); ++i) bad += got[i] != h::f32_to_bf16(f[i]);
  for (int64_t n = 0; n < 70 && n <= int64_t(f.size()); ++n) {
    const size_t at = size_t(1000 * n) % (f.size() - size_t(n) + 1);
    round(f.data() + at, got.data(), n);
    for (int64_t i = 0; i < n; ++i) bad += got[size_t(i)] != h::f32_to_bf16(f[at + size_t(i)]);
  }
  return bad;
}

}  // namespace
#endif

TEST_CASE("bfloat16 rounding: each AVX-512 form gives the portable bits", "[half]") {
#if XENT_TEST_AVX2_FMA
  XT_SKIP_UNLESS(xt::cpu_has_avx512bw_dq(), "no AVX-512 on this CPU");
  const std::vector<float> f = patterns();
  CHECK(mismatches(xt::bf16_round_avx512_bits, f) == 0);
  if (!xt::cpu_has_avx512bf16()) {
    WARN("no AVX-512 BF16 on this CPU: its form not run");
    return;
  }
  CHECK(mismatches(xt::bf16_round_avx512bf16, f) == 0);
  // A subnormal inside a block of normal values: the block takes the bit arithmetic.
  std::vector<float> mixed(64, 1.00390625f);  // a tie: 1 + 2^-8 rounds to even (1)
  mixed[5] = 1e-39f;
  mixed[40] = -3e-40f;
  CHECK(mismatches(xt::bf16_round_avx512bf16, mixed) == 0);
#else
  SUCCEED("not x86-64");
#endif
}
