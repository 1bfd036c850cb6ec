// White-box test of math::log_sum_f32_loss, the log the f32 loss kernels take of a row's
// sum of exp(y - max) (x >= 1): not exported, so this compiles the header itself. Contract
// (src/math/log.hpp): absolute error below 1e-9 for positive normal x, NaN for NaN.
// Checked against long double log in every binade of [2^-20, 2^40] (its edges, the
// reduction's switch point sqrt(2) 2^k, 4096 points) and on 200000 random points. Compiled
// with the test's flags (unfused on x86-64); the ISA paths run it through the losses.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>

#define XENT_ISA_NS isa_test_loss_log
#include "math/log.hpp"

namespace {

namespace m = xent::isa_test_loss_log::math;

double abs_error(double x) {
  const long double exact = std::log(static_cast<long double>(x));
  return std::fabs(double(static_cast<long double>(m::log_sum_f32_loss(x)) - exact));
}

}  // namespace

TEST_CASE("loss log: absolute error < 1e-9 on [1, 2^40] and below 1, NaN kept", "[kernels][loss-log]") {
  double worst = 0, worst_x = 0;
  auto check = [&](double x) {
    const double e = abs_error(x);
    if (!(e <= worst)) worst = e, worst_x = x;
  };
  // Every binade of [2^-20, 2^40]: its edges, the points around sqrt(2) * 2^k where the
  // reduction switches binade, and 4096 evenly spaced points.
  for (int k = -20; k <= 40; ++k) {
    const double lo = std::ldexp(1.0, k);
    for (double x : {lo, std::nextafter(lo, 0.0), std::nextafter(lo, 2 * lo), lo * std::sqrt(2.0),
                     std::nextafter(lo * std::sqrt(2.0), 0.0), std::nextafter(lo * std::sqrt(2.0), 4 * lo)})
      check(x);
    for (int i = 0; i < 4096; ++i) check(lo + lo * (i / 4096.0));
  }
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 40.0);
  for (int i = 0; i < 200000; ++i) check(std::exp2(u(rng)));
  INFO("worst |error| " << worst << " at x = " << worst_x);
  CHECK(worst < 1e-9);
  CHECK(m::log_sum_f32_loss(1.0) == 0.0);
  CHECK(std::isnan(m::log_sum_f32_loss(std::numeric_limits<double>::quiet_NaN())));
  CHECK(std::isnan(m::log_sum_f32_loss(-std::numeric_limits<double>::quiet_NaN())));
}
