// xent_sparse_softmax_ce_with_logits (int64 and int32 labels) against the reference.
#include <catch2/catch.hpp>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

TEMPLATE_TEST_CASE("sparse softmax CE with logits: options x shapes x reductions x label width",
                   "[sparse_softmax][sweep]", float, double) {
  std::vector<LossSpec> p = xt::common_profiles();
  p.resize(11);
  p[5].ignore = true;  // -100, PyTorch's default
  p[6].ignore = true;
  p[6].ignore_index = 0;  // a valid class
  p[7].z_loss = 1e-4;
  p[8].softcap = 30;
  p[9].logit_range = 25;
  p[10].smoothing = 0.1;
  p[10].class_weights = p[10].sample_weights = p[10].ignore = true;
  p[10].z_loss = 0.01;
  p[10].softcap = 20;
  xt::sweep<TestType>(Variant::SparseSoftmaxLogits, p);
}

TEMPLATE_TEST_CASE("sparse CE: int32 labels give bitwise the int64 result", "[sparse_softmax][sparse_categorical]",
                   float, double) {
  for (Variant v : {Variant::SparseSoftmaxLogits, Variant::SparseCategorical}) {
    LossSpec s = xt::make_spec(v, 9, 13, 2);
    s.ignore = s.class_weights = true;
    s.reduction = XENT_REDUCTION_MEAN;
    const xt::LossData<TestType> d = xt::make_data<TestType>(s);
    const xt::LibOut<TestType> wide = xt::run_lib(s, d);
    s.int32_labels = true;
    const xt::LibOut<TestType> narrow = xt::run_lib(s, d);
    INFO(s.describe("") << " " << narrow.error);
    REQUIRE(wide.status == XENT_OK);
    REQUIRE(narrow.status == XENT_OK);
    XT_CHECK_REPORT(xt::compare_bitwise(narrow.loss.data(), wide.loss.data(), 1), "loss");
    XT_CHECK_REPORT(xt::compare_bitwise(narrow.grad.data(), wide.grad.data(), narrow.grad.size()), "grad");
  }
}
