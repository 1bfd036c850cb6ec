// xent_categorical_ce and xent_sparse_categorical_ce (Keras, probabilities normalized per
// row, then clipped) against the reference.
#include <catch2/catch.hpp>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

namespace {
std::vector<LossSpec> probability_profiles() {
  std::vector<LossSpec> p = xt::common_profiles();
  p.resize(7);
  p[5].epsilon = 0.01;  // long rows: most of p / sum(p) is below it and clipped
  p[6].epsilon = 0;
  return p;
}
}  // namespace

TEMPLATE_TEST_CASE("categorical CE: options x shapes x reductions", "[categorical][sweep]", float, double) {
  std::vector<LossSpec> p = probability_profiles();
  p.push_back(p[4]);
  p.back().epsilon = 0.02;
  xt::sweep<TestType>(Variant::Categorical, p);
}

TEMPLATE_TEST_CASE("sparse categorical CE: options x shapes x reductions x label width", "[sparse_categorical][sweep]",
                   float, double) {
  std::vector<LossSpec> p = probability_profiles();
  p.resize(10);
  p[7].ignore = true;
  p[8].ignore = true;
  p[8].ignore_index = 2;
  p[9] = p[4];
  p[9].ignore = true;
  p[9].epsilon = 0.02;
  xt::sweep<TestType>(Variant::SparseCategorical, p);
}
