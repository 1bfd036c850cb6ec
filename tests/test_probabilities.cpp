// Keras-style probability inputs: clipping to [eps, 1 - eps] at 0, 1, below and above eps
// and exactly on it (inclusive), unnormalized categorical rows, and the gradient that a
// clipped value does not pass.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/loss_case.hpp"

using ref::LD;
using xt::LossData;
using xt::LossSpec;
using xt::Variant;

namespace {

template <class T>
LossData<T> make(const std::vector<double> &input, const std::vector<double> &targets, const std::vector<int64_t> &labels = {}) {
  LossData<T> d;
  for (double v : input) d.input.push_back(static_cast<T>(v));
  for (double v : targets) d.targets.push_back(static_cast<T>(v));
  d.labels64 = labels;
  for (int64_t l : labels) d.labels32.push_back(static_cast<int32_t>(l));
  return d;
}

LossSpec shape(Variant v, int64_t B, int64_t C, double eps) {
  LossSpec s = xt::make_spec(v, B, C);
  s.epsilon = eps;
  return s;
}

// eps = 2^-20: it and 1 - eps are exact in float and double, so "on the boundary" is exact.
const double kEps = std::ldexp(1.0, -20);

}  // namespace

TEMPLATE_TEST_CASE("binary CE: p at 0, 1, beyond and on the clip boundary", "[probabilities][binary]", float, double) {
  using T = TestType;
  const std::vector<double> ps = {0,        1,       kEps / 2, 1 - kEps / 2, kEps, 1 - kEps, 0.3,
                                  2 * kEps, 1 - 2 * kEps, std::nextafter(static_cast<T>(kEps), T(0))};
  const std::vector<double> ts = {0, 1, 0.3};
  std::vector<double> input, targets;
  for (double p : ps)
    for (double t : ts) input.push_back(p), targets.push_back(t);
  const LossData<T> d = make<T>(input, targets);
  const LossSpec s = shape(Variant::Binary, static_cast<int64_t>(ps.size()), 3, kEps);
  xt::check_data(s, d);
  const xt::LibOut<T> got = xt::run_lib(s, d);
  REQUIRE(got.status == XENT_OK);
  for (size_t i = 0; i < input.size(); ++i) {
    const T p = d.input[i];
    INFO("p = " << xt::show(p) << ", t = " << targets[i]);
    if (p < static_cast<T>(kEps) || p > static_cast<T>(1 - kEps)) CHECK(got.grad[i] == 0);  // clipped: no gradient
    if (p == static_cast<T>(kEps) || p == static_cast<T>(1 - kEps)) {
      // on the boundary the gradient flows: -(t/q - (1-t)/r), judged on its own terms' size
      const LD q = p, r = 1 - static_cast<LD>(p), t = d.targets[i];
      const LD want = -(t / q - (1 - t) / r), size = fabsl(t / q) + fabsl((1 - t) / r);
      CHECK(fabsl(got.grad[i] - want) <= xt::Api<T>::tol * size);
    }
  }
}

TEMPLATE_TEST_CASE("binary CE: default epsilon 1e-7 at p = 0 and p = 1", "[probabilities][binary]", float, double) {
  xt::check_data(shape(Variant::Binary, 3, 3, 1e-7), make<TestType>({0, 1, 0.5, 1, 0, 0.5, 0, 0, 1},
                                                                   {0, 1, 0.5, 0, 1, 1, 0.25, 1, 0.75}));
}

TEMPLATE_TEST_CASE("binary CE: epsilon 0 costs nothing where the target does not look", "[probabilities][binary]",
                   float, double) {
  // p = 0, t = 0 and p = 1, t = 1 give exactly 0; p = 0, t = 1 gives +inf (SEMANTICS.md).
  const LossData<TestType> d = make<TestType>({0, 1, 0, 1, 0.5}, {0, 1, 1, 0, 0.5});
  const LossSpec s = shape(Variant::Binary, 1, 5, 0);
  xt::check_data(s, d);
  const xt::LibOut<TestType> got = xt::run_lib(s, d);
  REQUIRE(got.status == XENT_OK);
  CHECK(got.loss[0] == 0);
  CHECK(got.loss[1] == 0);
  CHECK(got.loss[2] == INFINITY);
  CHECK(got.loss[3] == INFINITY);
}

TEMPLATE_TEST_CASE("categorical CE: unnormalized rows, zeros, and rows on the clip boundary",
                   "[probabilities][categorical]", float, double) {
  // eps = 1/16: the row [1, 15] normalizes exactly onto [eps, 1 - eps] (inclusive: gradient
  // flows), the row [1, 31] puts 1/32 below eps (clipped).
  const std::vector<double> input = {2, 6, 2, 0.2, 0.6, 0.2, 0, 3, 1, 1, 15, 0, 1, 31, 0, 7, 7, 7};
  const std::vector<double> targets = {0.2, 0.5, 0.3, 0.2, 0.5, 0.3, 0.5, 0.25, 0.25,
                                       0.6, 0.4, 0,   0.5, 0.5, 0,   1,   0,    0};
  for (double eps : {1.0 / 16, 1e-7}) {
    xt::check_data(shape(Variant::Categorical, 6, 3, eps), make<TestType>(input, targets));
    xt::check_data(shape(Variant::SparseCategorical, 6, 3, eps), make<TestType>(input, {}, {1, 1, 0, 0, 1, 2}));
  }
}

TEMPLATE_TEST_CASE("categorical CE: all mass on the target class is clipped and passes no gradient",
                   "[probabilities][categorical]", float, double) {
  // u = [1, 0, 0]: every class is clipped (1 > 1 - eps, 0 < eps), so the gradient is exactly 0
  // and the loss is -log(1 - eps); C = 1 normalizes to u = 1 the same way.
  for (double eps : {1e-7, 1.0 / 16}) {
    const LossData<TestType> d = make<TestType>({4, 0, 0, 0, 2.5, 0}, {1, 0, 0, 0, 1, 0}, {0, 1});
    for (Variant v : {Variant::Categorical, Variant::SparseCategorical}) {
      const LossSpec s = shape(v, 2, 3, eps);
      xt::check_data(s, d);
      const xt::LibOut<TestType> got = xt::run_lib(s, d);
      REQUIRE(got.status == XENT_OK);
      for (size_t i = 0; i < 6; ++i) CHECK(got.grad[i] == 0);
      const LossSpec single = shape(v, 6, 1, eps);
      xt::check_data(single, make<TestType>({1, 2, 3, 0.5, 1e-3, 7}, {1, 1, 1, 0.5, 2, 1}, {0, 0, 0, 0, 0, 0}));
    }
  }
}
