// xent_binary_ce (Keras binary_crossentropy on probabilities) against the reference.
#include <catch2/catch.hpp>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

TEMPLATE_TEST_CASE("binary CE: options x shapes x reductions", "[binary][sweep]", float, double) {
  std::vector<LossSpec> p = xt::common_profiles();
  p.resize(8);
  p[5].epsilon = 0.01;  // clips part of the inputs on both sides
  p[6].epsilon = 0;
  p[7].smoothing = 0.1;
  p[7].class_weights = p[7].sample_weights = true;
  p[7].epsilon = 0.05;
  xt::sweep<TestType>(Variant::Binary, p);
}
