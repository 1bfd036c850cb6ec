// White-box test of math::exp_loss_v, the exp the loss kernels use for exp(y - max): it is
// not exported, so this compiles the header itself, for scalars (the portable path, FMA
// unfused) and for the baseline vector type of the build (SSE2 on x86-64, NEON on
// aarch64), and on x86-64 also for AVX2+FMA, whose reduction is one fused step
// (tests/loss_exp_avx2.cpp) and AVX-512 (tests/loss_exp_avx512.cpp), each run where the CPU has
// it. Contract (src/math/exp.hpp): relative error below 3.5e-6 on [-87.3, 0], exactly
// 0 for d < -87.3 (results under 1.2e-38, d = -inf included), NaN for NaN. Checked on
// every 7th float of [-87.34, 0] and at the edges, against glibc's double exp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#define XENT_ISA_NS isa_test_loss_exp
#include "math/exp.hpp"
#include "support/loss_exp_sweep.hpp"
#include "support/cpu.hpp"

namespace {

namespace m = xent::isa_test_loss_exp::math;
using Batch = xsimd::batch<float>;  // the default architecture of these flags

float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace

TEST_CASE("loss exp: relative error < 3.5e-6 on [-87.3, 0], 0 below, NaN kept", "[kernels][loss-exp]") {
  std::vector<float> d;
  // -0 up to -87.34 (the bit patterns of negative floats grow with |d|), every 7th.
  const uint32_t end = [] {
    const float lo = -87.34f;
    uint32_t u;
    std::memcpy(&u, &lo, sizeof u);
    return u;
  }();
  // XENT_TEST_SWEEP_STRIDE: a sparser sweep where each float costs much more (the NEON
  // suite under qemu, the sanitizer builds); 7 by default.
  const char *stride_env = std::getenv("XENT_TEST_SWEEP_STRIDE");
  const uint32_t stride = stride_env && std::atoi(stride_env) > 0 ? uint32_t(std::atoi(stride_env)) : 7u;
  for (uint32_t u = 0x80000000u; u <= end; u += stride) d.push_back(from_bits(u));
  for (float v : {0.0f, -0.0f, -1e-30f, -87.3f, -87.33f, -87.336f, -87.34f, -87.35f, -88.0f, -100.0f, -104.0f,
                  -1e30f, -std::numeric_limits<float>::max(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()})
    d.push_back(v);
  while (d.size() % Batch::size) d.push_back(0.0f);

  xt::LossExpSweep scalar;
  for (float v : d) scalar.check(v, m::exp_loss_v(v));
  const xt::LossExpSweep vector = xt::sweep_loss_exp<Batch>(d, [](const Batch &v) { return m::exp_loss_v(v); });
  INFO(d.size() << " inputs; scalar worst " << scalar.worst << " at " << scalar.worst_d << ", "
                << xsimd::default_arch::name() << " worst " << vector.worst << " at " << vector.worst_d);
  CHECK(scalar.worst < 3.5e-6);
  CHECK(vector.worst < 3.5e-6);
  CHECK(scalar.mismatches == 0);
  CHECK(vector.mismatches == 0);
  CHECK(m::exp_loss_v(-std::numeric_limits<float>::infinity()) == 0.0f);
  CHECK(m::exp_loss_v(0.0f) == 1.0f);
  WARN("loss exp max relative error: scalar " << scalar.worst << ", " << xsimd::default_arch::name() << " "
                                              << vector.worst);
#if XENT_TEST_AVX2_FMA
  if (xt::cpu_has_avx2_fma()) {
    const xt::LossExpSweep fused = xt::sweep_loss_exp_avx2(d);
    INFO("avx2+fma (one-step reduction) worst " << fused.worst << " at " << fused.worst_d);
    CHECK(fused.worst < 3.5e-6);
    CHECK(fused.mismatches == 0);
    WARN("loss exp max relative error: avx2+fma " << fused.worst);
    CHECK(xt::fma_rounds_once_avx2());
  }
  if (xt::cpu_has_avx512bw_dq()) {
    const xt::LossExpSweep fused = xt::sweep_loss_exp_avx512(d);
    INFO("avx512 (one-step reduction) worst " << fused.worst << " at " << fused.worst_d);
    CHECK(fused.worst < 3.5e-6);
    CHECK(fused.mismatches == 0);
    WARN("loss exp max relative error: avx512 " << fused.worst);
    CHECK(xt::fma_rounds_once_avx512());
  }
#endif
}

// exp_loss_sum_v, the sum terms: where d >= -87.3 the bits of exp_loss_v (the stored-exp
// gradient route relies on it), below it exp(-87.3) (about 1.2e-38, not 0), NaN kept on the
// scalar and the vector path alike (a NaN logit must make the row's sum NaN).
// AVX2 / AVX-512 go through the same xsimd max; tests/test_fused_paths.cpp checks the routes.
TEST_CASE("loss exp sum terms: exp_loss_v's bits above -87.3, a vanishing term below, NaN kept",
          "[kernels][loss-exp]") {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float floor_term = m::exp_loss_v(-87.3f);
  CHECK(floor_term > 0.0f);
  CHECK(floor_term < 1.3e-38f);
  std::vector<float> d = {0.0f, -0.0f, -1e-7f, -0.5f, -1.0f, -10.0f, -50.0f, -87.0f, -87.3f,
                          -87.31f, -88.0f, -1e30f, -inf, nan};
  while (d.size() % Batch::size) d.push_back(-3.0f);
  alignas(64) float sum_v[Batch::size], full_v[Batch::size], exp_v[Batch::size];
  // The vector path's own floor term: where its multiply-add is fused (NEON), its
  // reduction differs from the scalar path's in the last bit.
  m::exp_loss_v(Batch(-87.3f)).store_aligned(exp_v);
  const float floor_term_v = exp_v[0];
  CHECK(floor_term_v > 0.0f);
  CHECK(floor_term_v < 1.3e-38f);
  for (std::size_t i = 0; i < d.size(); i += Batch::size) {
    const Batch b = Batch::load_unaligned(&d[i]);
    m::exp_loss_sum_v(b).store_aligned(sum_v);
    m::exp_loss_from_sum_term(b, m::exp_loss_sum_v(b)).store_aligned(full_v);
    m::exp_loss_v(b).store_aligned(exp_v);
    for (std::size_t j = 0; j < Batch::size; ++j) {
      const float x = d[i + j], s = m::exp_loss_sum_v(x), e = m::exp_loss_v(x);
      INFO("d = " << x);
      if (std::isnan(x)) {
        CHECK(std::isnan(s));
        CHECK(std::isnan(sum_v[j]));
        CHECK(std::isnan(full_v[j]));
      } else if (x < -87.3f) {
        CHECK(s == floor_term);
        CHECK(sum_v[j] == floor_term_v);
        CHECK(full_v[j] == 0.0f);
      } else {
        CHECK(s == e);
        CHECK(sum_v[j] == exp_v[j]);  // each path against itself (FMA contraction may differ)
        CHECK(full_v[j] == exp_v[j]);
      }
    }
  }
}

// f64: the loss exp (the 1-ulp exp with one scaling: exp_le0_v) within 1e-14 relative of
// glibc's exp on [-708.7, 0]; exactly 0 below (-inf included), NaN kept; and exp_le0_v, the 1-ulp softmax exp, the
// bits of exp_v where the result is normal. Random samples, scalar and vector paths.
TEST_CASE("f64 loss exp: relative error < 1e-14 on [-708.7, 0], 0 below, NaN kept; exp_le0_v is exp_v",
          "[kernels][loss-exp]") {
  using BatchD = xsimd::batch<double>;
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  std::vector<double> d = {0.0, -0.0, -1e-300, -1e-17, -0.34657359, -0.34657360, -1.0, -700.0, -708.0, -708.39,
                           -708.69, -708.7, -708.71, -745.0, -1e300, -inf, nan};
  std::mt19937_64 gen(11);
  for (int i = 0; i < 400000; ++i) {
    const double u = std::generate_canonical<double, 53>(gen);
    d.push_back(i % 2 ? -708.7 * u : -std::exp2(-60.0 * u));  // uniform, and log-uniform near 0
  }
  while (d.size() % BatchD::size) d.push_back(-2.0);
  double worst = 0;
  alignas(64) double sum_v[BatchD::size], prob_v[BatchD::size], le0_v[BatchD::size], exact_v[BatchD::size];
  for (std::size_t i = 0; i < d.size(); i += BatchD::size) {
    const BatchD b = BatchD::load_unaligned(&d[i]);
    m::exp_loss_sum_v(b).store_aligned(sum_v);
    m::exp_loss_v(b).store_aligned(prob_v);
    m::exp_le0_v(b).store_aligned(le0_v);
    m::exp_v(b).store_aligned(exact_v);
    for (std::size_t j = 0; j < BatchD::size; ++j) {
      const double x = d[i + j];
      INFO("d = " << x);
      const double scalar_prob = m::exp_loss_v(x), scalar_sum = m::exp_loss_sum_v(x);
      if (std::isnan(x)) {
        CHECK((std::isnan(sum_v[j]) && std::isnan(prob_v[j]) && std::isnan(le0_v[j]) && std::isnan(scalar_prob) &&
               std::isnan(scalar_sum)));
      } else if (x < -708.7) {
        CHECK(prob_v[j] == 0.0);
        CHECK(scalar_prob == 0.0);
        CHECK(le0_v[j] == 0.0);
        CHECK(sum_v[j] == 0.0);
      } else {
        // glibc's exp (< 1 ulp, 2.2e-16) as the reference: far below the 1e-14 checked, and
        // fast where long double is emulated (aarch64 under qemu).
        const double want = std::exp(x);
        for (double got : {prob_v[j], scalar_prob, sum_v[j], scalar_sum})
          worst = std::max(worst, want == 0 ? 0.0 : std::fabs(got / want - 1));
        CHECK(sum_v[j] == prob_v[j]);
        CHECK(prob_v[j] == le0_v[j]);  // the public softmax kernels' exp (vocab-parallel relies on it)
        if (x >= -708.39) CHECK(le0_v[j] == exact_v[j]);  // a normal result: the 1-ulp exp's bits
      }
    }
  }
  INFO("worst relative error " << worst);
  CHECK(worst < 1e-14);
  WARN("f64 loss exp max relative error: " << worst);
}
