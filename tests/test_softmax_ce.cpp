// xent_softmax_ce_with_logits (dense soft labels) against the reference.
#include <catch2/catch.hpp>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

TEMPLATE_TEST_CASE("softmax CE with logits: options x shapes x reductions", "[softmax][sweep]", float, double) {
  std::vector<LossSpec> p = xt::common_profiles();
  p.resize(9);
  p[5].z_loss = 1e-3;
  p[6].softcap = 30;
  p[7].softcap = 5;
  p[7].logit_range = 25;  // most logits beyond the cap
  p[8].smoothing = 0.1;
  p[8].class_weights = p[8].sample_weights = true;
  p[8].z_loss = 0.1;
  p[8].softcap = 15;
  xt::sweep<TestType>(Variant::SoftmaxLogits, p);
}

TEMPLATE_TEST_CASE("softmax CE with logits: large logits (rows up to |x| = 100)", "[softmax][sweep]", float, double) {
  LossSpec s;
  s.logit_range = 25;
  xt::sweep<TestType>(Variant::SoftmaxLogits, {s});
}
