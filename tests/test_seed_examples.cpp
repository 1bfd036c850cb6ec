// The worked examples of the seed articles (shared/seeds). The printed figures there are
// rounded (and the softmax one, 2.137, is wrong: log(1 + e^2) = 2.1269...), so each
// expectation is the article's own formula evaluated in long double; the reference must
// agree with it, and the library with the reference.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "support/loss_case.hpp"

using ref::LD;
using xt::LossData;
using xt::LossSpec;
using xt::Variant;

namespace {

// Reference vs the article's formula, then the library vs the reference, for NONE and SUM.
template <class T> void check_example(LossSpec s, const LossData<T> &d, const std::vector<LD> &formula) {
  LD total = 0;
  for (LD f : formula) total += f;
  for (int reduction : {ref::NONE, ref::SUM}) {
    s.reduction = reduction;
    const ref::Result r = ref::evaluate(xt::to_problem(s, d));
    const std::vector<LD> want = reduction == ref::NONE ? formula : std::vector<LD>{total};
    REQUIRE(r.loss.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO(s.describe("reference") << " value " << i);
      CHECK(fabsl(r.loss[i] - want[i]) <= 1e-17L * (1 + fabsl(want[i])));
    }
    xt::check_data(s, d);
  }
}

// -log of softmax(row)_c, straight from the definition.
LD neg_log_softmax(const std::vector<LD> &row, size_t c) {
  LD total = 0;
  for (LD x : row) total += expl(x);
  return -logl(expl(row[c]) / total);
}

}  // namespace

TEMPLATE_TEST_CASE("seed: sigmoid CE at x = 5 with labels 1, 0, -1", "[seed]", float, double) {
  LossData<TestType> d;
  d.input = {5, 5, 5};
  d.targets = {1, 0, -1};
  const LD e = expl(-5.0L);
  const std::vector<LD> formula = {-logl(1 / (1 + e)), -logl(e / (1 + e)), logl(1 / (1 + e)) - 2 * logl(e / (1 + e))};
  check_example(xt::make_spec(Variant::SigmoidLogits, 3, 1), d, formula);
}

TEMPLATE_TEST_CASE("seed: softmax CE of logits [-1, 1] with labels [1, -1] and [1, 0]", "[seed]", float, double) {
  LossData<TestType> d;
  d.input = {-1, 1, -1, 1};
  d.targets = {1, -1, 1, 0};
  const LD em = expl(-1.0L), ep = expl(1.0L);
  const std::vector<LD> formula = {-logl(em / (em + ep)) + logl(ep / (em + ep)), -logl(em / (em + ep))};
  check_example(xt::make_spec(Variant::SoftmaxLogits, 2, 2), d, formula);
}

TEMPLATE_TEST_CASE("seed: four samples of logits [10, -10], dense labels and their argmax", "[seed]", float, double) {
  LossData<TestType> d;
  d.input = {10, -10, 10, -10, 10, -10, 10, -10};
  d.targets = {1, 0, 1, -1, 0, 1, -1, 1};
  const std::vector<LD> row = {10, -10};
  std::vector<LD> dense, sparse;
  for (size_t b = 0; b < 4; ++b) {
    const LD t0 = d.targets[2 * b], t1 = d.targets[2 * b + 1];
    dense.push_back(t0 * neg_log_softmax(row, 0) + t1 * neg_log_softmax(row, 1));
    const int64_t argmax = t1 > t0 ? 1 : 0;
    d.labels64.push_back(argmax);
    d.labels32.push_back(static_cast<int32_t>(argmax));
    sparse.push_back(neg_log_softmax(row, static_cast<size_t>(argmax)));
  }
  check_example(xt::make_spec(Variant::SoftmaxLogits, 4, 2), d, dense);
  LossSpec s = xt::make_spec(Variant::SparseSoftmaxLogits, 4, 2);
  check_example(s, d, sparse);
  s.int32_labels = true;
  check_example(s, d, sparse);
}

TEMPLATE_TEST_CASE("seed: three rows of logits [1, 2, 3] with class 2, per row and summed", "[seed]", float, double) {
  LossData<TestType> d;
  d.input = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  d.targets = {0, 0, 1, 0, 0, 1, 0, 0, 1};
  d.labels64 = {2, 2, 2};
  d.labels32 = {2, 2, 2};
  const LD per_row = neg_log_softmax({1, 2, 3}, 2);
  const std::vector<LD> formula(3, per_row);
  check_example(xt::make_spec(Variant::SoftmaxLogits, 3, 3), d, formula);
  LossSpec s = xt::make_spec(Variant::SparseSoftmaxLogits, 3, 3);
  check_example(s, d, formula);
  s.int32_labels = true;
  check_example(s, d, formula);
}
