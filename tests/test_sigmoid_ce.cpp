// xent_sigmoid_ce_with_logits against the reference: every option, shape and reduction.
#include <catch2/catch.hpp>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

TEMPLATE_TEST_CASE("sigmoid CE with logits: options x shapes x reductions", "[sigmoid][sweep]", float, double) {
  std::vector<LossSpec> p = xt::common_profiles();
  p.resize(8);
  p[5].pos_weight = true;
  p[6].smoothing = 0.2;
  p[6].pos_weight = p[6].class_weights = p[6].sample_weights = true;
  p[7].logit_range = 60;  // rows up to |x| = 240: softplus far from 0 on both sides
  xt::sweep<TestType>(Variant::SigmoidLogits, p);
}
