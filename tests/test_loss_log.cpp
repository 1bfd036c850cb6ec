// White-box test of math::log_sum_f32_loss, the log the f32 loss kernels take of a row's
// sum of exp(y - max) (x >= 1): not exported, so this compiles the header itself. Contract
// (src/math/log.hpp): for positive normal x, absolute error below 6e-11 and below 1.6e-8 of
// |log x|; log(1) = 0; NaN for NaN.
// Checked against long double log in every binade of [2^-20, 2^40] (its edges, the
// points where the table index changes, 4096 points) and on 200000 random points. Compiled
// with the test's flags (unfused on x86-64); the ISA paths run it through the losses.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#define XENT_ISA_NS isa_test_loss_log
#include "math/log.hpp"
#include "support/loss_exp_sweep.hpp"
#include "support/cpu.hpp"

namespace {

namespace m = xent::isa_test_loss_log::math;

struct Error {
  double abs, rel;  // rel: of |log x|
};
Error error_at(double x) {
  const long double exact = std::log(static_cast<long double>(x));
  const double e = std::fabs(double(static_cast<long double>(m::log_sum_f32_loss(x)) - exact));
  return {e, exact == 0 ? e : double(e / std::fabs(exact))};
}

}  // namespace

TEST_CASE("loss log: error < 6e-11 and < 1.6e-8 relative on [1, 2^40] and below 1, NaN kept",
          "[kernels][loss-log]") {
  double worst = 0, worst_x = 0, worst_rel = 0, worst_rel_x = 0;
  auto check = [&](double x) {
    const Error e = error_at(x);
    if (!(e.abs <= worst)) worst = e.abs, worst_x = x;
    if (!(e.rel <= worst_rel)) worst_rel = e.rel, worst_rel_x = x;
  };
  // Every binade of [2^-20, 2^40]: its edges, both sides of every point where the table
  // index changes (lo (1 + (j + 1/2)/128), x's bits rounded to 7 mantissa bits), and 4096
  // evenly spaced points.
  for (int k = -20; k <= 40; ++k) {
    const double lo = std::ldexp(1.0, k);
    for (double x : {lo, std::nextafter(lo, 0.0), std::nextafter(lo, 2 * lo)}) check(x);
    for (int j = 0; j < 128; ++j) {
      const double edge = lo * (1 + (j + 0.5) / 128);
      for (double x : {edge, std::nextafter(edge, 0.0), std::nextafter(edge, 4 * lo)}) check(x);
    }
    for (int i = 0; i < 4096; ++i) check(lo + lo * (i / 4096.0));
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 40.0);
  for (int i = 0; i < 200000; ++i) check(std::exp2(u(rng)));
  INFO("worst |error| " << worst << " at x = " << worst_x << "; worst relative " << worst_rel << " at x = "
                          << worst_rel_x);
  CHECK(worst < 6e-11);
  CHECK(worst_rel < 1.6e-8);
  CHECK(m::log_sum_f32_loss(1.0) == 0.0);  // a one-class row's loss is exactly 0
  CHECK(std::isnan(m::log_sum_f32_loss(std::numeric_limits<double>::quiet_NaN())));
  CHECK(std::isnan(m::log_sum_f32_loss(-std::numeric_limits<double>::quiet_NaN())));
}

TEST_CASE("loss log: the float overload gives the bits of the double one", "[kernels][loss-log]") {
  // Every 61st float of [1, 2^40], the table's index edges of the first binades, NaNs.
  auto same = [](float x) {
    const double a = m::log_sum_f32_loss(x), b = m::log_sum_f32_loss(double(x));
    return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
  };
  uint32_t lo, hi;
  const float one = 1.0f, top = 0x1p40f;
  std::memcpy(&lo, &one, sizeof lo);
  std::memcpy(&hi, &top, sizeof hi);
  int64_t mismatches = 0;
  for (uint32_t u = lo; u <= hi; u += 61) {
    float x;
    std::memcpy(&x, &u, sizeof x);
    if (!same(x)) ++mismatches;
  }
  for (int k = 0; k < 4; ++k)
    for (int j = 0; j < 128; ++j) {
      const float edge = std::ldexp(1.0f + (j + 0.5f) / 128, k);
      for (float x : {edge, std::nextafter(edge, 0.0f), std::nextafter(edge, 1e30f)})
        if (!same(x)) ++mismatches;
    }
  for (uint32_t nan_bits : {0x7FC00000u, 0x7FFFFFFFu, 0xFFFFFFFFu, 0x7F800001u}) {
    float x;
    std::memcpy(&x, &nan_bits, sizeof x);
    CHECK(std::isnan(m::log_sum_f32_loss(x)));
  }
  CHECK(mismatches == 0);
}

// math::log_loss_v, the division-free log of the f32 probability losses and of sigmoid CE's
// log(1 + exp(-|x|)) (src/math/log.hpp): over every 257th positive normal float, absolute
// error below 1.2e-7 plus the rounding of the result (6e-8 of |log x|); the other inputs
// exactly as log_v (0, subnormal, inf, NaN, negative). Scalar here; the AVX2 and AVX-512
// paths run it through the losses' tests against the long-double reference.
TEST_CASE("loss log of floats: absolute error < 1.2e-7 + 6e-8 |log x|; the special values of log_v",
          "[kernels][loss-log]") {
  double worst = 0, worst_x = 0;
  // Every 257th float natively; far fewer under emulation (the NEON suite runs this under
  // qemu, where long double is software quad precision).
#if defined(__x86_64__)
  constexpr uint32_t stride = 257;
#else
  constexpr uint32_t stride = 10007;
#endif
  for (uint32_t bits = 0x00800000u; bits < 0x7f800000u; bits += stride) {
    float x;
    std::memcpy(&x, &bits, sizeof x);
    const long double exact = std::log(static_cast<long double>(x));
    const double err = double(std::fabs(static_cast<long double>(m::log_loss_v(x)) - exact));
    const double excess = err - 6e-8 * double(std::fabs(exact));
    if (!(excess <= worst)) worst = excess, worst_x = x;
  }
  INFO("worst excess over the result's rounding: " << worst << " at x = " << worst_x);
  CHECK(worst < 1.2e-7);
  const float specials[] = {0.0f, -0.0f, 1e-40f, 1e-45f, -1.0f, std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::quiet_NaN()};
  for (float x : specials) {
    INFO("x = " << x);
    const float got = m::log_loss_v(x), want = m::log_v(x);
    CHECK((std::isnan(want) ? std::isnan(got) : got == want));
  }
  CHECK(m::log_loss_v(1.0f) == 0.0f);
}

// The same contract for the vector forms of log_loss_v (table reductions, not the scalar
// polynomial above), where the CPU has the ISA: every 257th positive float, subnormals
// included, and the special values (0 and -0 give -inf, negative and NaN give NaN, inf inf).
#if XENT_TEST_AVX2_FMA
namespace {
void check_loss_log_vector(std::vector<float> (*loss_log)(const std::vector<float> &)) {
  std::vector<float> x;
  for (uint32_t bits = 1; bits < 0x7f800000u; bits += 257) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    x.push_back(f);
  }
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> specials = {0.0f, -0.0f, -1.0f, -1e-40f, inf, -inf, nan, 1.0f};
  x.insert(x.end(), specials.begin(), specials.end());
  while (x.size() % 16) x.push_back(0.5f);
  const std::vector<float> y = loss_log(x);
  double worst = 0, worst_x = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] > 0) || x[i] == inf) continue;
    const long double exact = std::log(static_cast<long double>(x[i]));
    const double excess = double(std::fabs(static_cast<long double>(y[i]) - exact)) - 6e-8 * double(std::fabs(exact));
    if (!(excess <= worst)) worst = excess, worst_x = x[i];
  }
  INFO("worst excess over the result's rounding: " << worst << " at x = " << worst_x);
  CHECK(worst < 1.2e-7);
  auto at = [&](float v) {
    for (size_t i = 0; i < x.size(); ++i)
      if (std::memcmp(&x[i], &v, sizeof v) == 0) return y[i];
    return 0.5f;
  };
  CHECK(at(0.0f) == -inf);
  CHECK(at(-0.0f) == -inf);
  CHECK(std::isnan(at(-1.0f)));
  CHECK(std::isnan(at(-1e-40f)));
  CHECK(std::isnan(at(-inf)));
  CHECK(std::isnan(at(nan)));
  CHECK(at(inf) == inf);
  CHECK(at(1.0f) == 0.0f);
}
}  // namespace
#endif

TEST_CASE("loss log on AVX-512: absolute error < 1.2e-7 + 6e-8 |log x|; special values", "[kernels][loss-log]") {
#if XENT_TEST_AVX2_FMA
  XT_SKIP_UNLESS(xt::cpu_has_avx512bw_dq(), "no AVX-512 on this CPU");
  check_loss_log_vector(xt::loss_log_avx512);
#else
  SUCCEED("not x86-64");
#endif
}

TEST_CASE("loss log on AVX2: absolute error < 1.2e-7 + 6e-8 |log x|; special values", "[kernels][loss-log]") {
#if XENT_TEST_AVX2_FMA
  XT_SKIP_UNLESS(xt::cpu_has_avx2_fma(), "no AVX2 on this CPU");
  check_loss_log_vector(xt::loss_log_avx2);
#else
  SUCCEED("not x86-64");
#endif
}

// log1p_unit_loss_v, sigmoid CE's log1p(exp(-|x|)): relative error < 5e-7 on [0, 1] (every
// float of [2^-40, 1] with a stride, and 0), on scalars and the build's baseline vectors;
// 0 gives 0 and NaN gives NaN.
TEST_CASE("loss log1p on [0, 1]: relative error < 5e-7, log1p(0) = 0, NaN kept", "[kernels][loss-log]") {
  using Batch = xsimd::batch<float>;
  std::vector<float> e = {0.0f, 1.0f, 0.5f, std::numeric_limits<float>::denorm_min()};
  uint32_t lo, hi;
  const float a = std::ldexp(1.0f, -40), b = 1.0f;
  std::memcpy(&lo, &a, 4);
  std::memcpy(&hi, &b, 4);
  // Every 13th float; XENT_TEST_SWEEP_STRIDE (the qemu and sanitizer suites) thins it as it
  // thins the loss-exp sweep.
  const char *thin = std::getenv("XENT_TEST_SWEEP_STRIDE");
  const uint32_t stride = 13u * uint32_t(thin && std::atoi(thin) > 7 ? std::atoi(thin) / 7 : 1);
  for (uint32_t u = lo; u <= hi; u += stride) {
    float f;
    std::memcpy(&f, &u, 4);
    e.push_back(f);
  }
  while (e.size() % Batch::size) e.push_back(0.25f);
  double worst = 0;
  alignas(64) float out[Batch::size];
  for (size_t i = 0; i < e.size(); i += Batch::size) {
    m::log1p_unit_loss_v(Batch::load_unaligned(&e[i])).store_aligned(out);
    for (size_t j = 0; j < Batch::size; ++j) {
      const float x = e[i + j];
      const double want = std::log1p(double(x));  // glibc's: far below the 5e-7 checked
      for (float got : {out[j], m::log1p_unit_loss_v(x)}) {
        if (x == 0) {
          CHECK(got == 0.0f);
          continue;
        }
        worst = std::max(worst, std::fabs(double(got) / want - 1));
      }
    }
  }
  INFO("worst relative error " << worst << " over " << e.size() << " inputs");
  CHECK(worst < 5e-7);
  CHECK(std::isnan(m::log1p_unit_loss_v(std::numeric_limits<float>::quiet_NaN())));
  WARN("loss log1p max relative error: " << worst);
}

// The f64 loss log and loss log1p of the AVX-512 path (src/math/log.hpp: the table reduction
// without log_v's error recovery), where the CPU has AVX-512: relative error < 2e-13 against
// long double over random doubles of every binade, both sides of every table interval edge
// near 1, and the extremes; the lanes that are not positive normal exactly as log_v; log1p on
// [0, 1] relative to log1p (e below 2^-53 gives e, 0 gives 0, NaN NaN).
TEST_CASE("loss log and log1p of doubles on AVX-512: relative error < 2e-13; special values", "[kernels][loss-log]") {
#if XENT_TEST_AVX2_FMA
  XT_SKIP_UNLESS(xt::cpu_has_avx512bw_dq(), "no AVX-512 on this CPU");
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  std::mt19937_64 rng(11);
  std::vector<double> x = {std::numeric_limits<double>::min(), std::numeric_limits<double>::max(), 1.0,
                           std::nextafter(1.0, 0.0), std::nextafter(1.0, 2.0), 2.0, 0.5};
  for (int k = -1022; k <= 1023; k += 7)
    for (int i = 0; i < 64; ++i) x.push_back(std::ldexp(1.0 + double(rng() >> 11) * 0x1p-53, k));
  for (int j = -40; j <= 40; ++j) {  // every table edge of [0.5, 2]: m + 1/32 crosses a multiple of 1/16
    const double edge = 31.0 / 32 + j / 16.0, scaled = edge > 0.5 ? edge : 0;
    for (double v : {scaled, std::nextafter(scaled, 0.0), std::nextafter(scaled, 4.0), scaled / 2, scaled * 2})
      if (v > 0) x.push_back(v);
  }
  for (int i = 0; i < 20000; ++i) x.push_back(1 + (double(rng() >> 11) * 0x1p-53 - 0.5) / 8);  // around 1
  const size_t n_normal = x.size();
  const std::vector<double> specials = {0.0, -0.0, -1.0, 1e-310, 4.9e-324, -1e-310, inf, -inf, nan};
  x.insert(x.end(), specials.begin(), specials.end());
  while (x.size() % 8) x.push_back(0.75);
  const std::vector<double> y = xt::loss_log_avx512_f64(x);
  double worst = 0, worst_x = 0;
  for (size_t i = 0; i < n_normal; ++i) {
    const long double exact = std::log(static_cast<long double>(x[i]));
    const double err = double(std::fabs(static_cast<long double>(y[i]) - exact));
    const double rel = exact == 0 ? err : err / double(std::fabs(exact));
    if (!(rel <= worst)) worst = rel, worst_x = x[i];
  }
  INFO("worst relative error " << worst << " at x = " << worst_x);
  CHECK(worst < 2e-13);
  for (size_t i = n_normal; i < n_normal + specials.size(); ++i) {
    INFO("x = " << x[i]);
    const double want = std::log(x[i]);  // glibc's: log_v's special values are C's
    if (std::isnan(want)) CHECK(std::isnan(y[i]));
    else if (std::isinf(want)) CHECK(y[i] == want);
    else CHECK(std::fabs(y[i] / want - 1) < 1e-15);  // subnormals take log_v (1 ulp)
  }
  CHECK(y[2] == 0.0);

  std::vector<double> e = {0.0, 1.0, 0.5, 0x1p-60, 0x1p-53, 0x1p-52, 4.9e-324, 1e-300, nan};
  for (int i = 0; i < 20000; ++i) e.push_back(std::exp2(-60.0 * double(rng() >> 11) * 0x1p-53));  // 2^-60 .. 1
  for (int i = 0; i < 20000; ++i) e.push_back(double(rng() >> 11) * 0x1p-53);
  while (e.size() % 8) e.push_back(0.25);
  const std::vector<double> l = xt::loss_log1p_unit_avx512_f64(e);
  CHECK(l[0] == 0.0);
  CHECK(std::isnan(l[8]));
  double worst1p = 0, worst_e = 0;
  for (size_t i = 1; i < e.size(); ++i) {
    if (std::isnan(e[i])) continue;
    const long double exact = std::log1p(static_cast<long double>(e[i]));
    const double rel = double(std::fabs(static_cast<long double>(l[i]) - exact) / exact);
    if (!(rel <= worst1p)) worst1p = rel, worst_e = e[i];
  }
  INFO("log1p: worst relative error " << worst1p << " at e = " << worst_e);
  CHECK(worst1p < 2e-13);
  WARN("f64 loss log / log1p max relative error: " << worst << " / " << worst1p);
#else
  SUCCEED("not x86-64");
#endif
}
