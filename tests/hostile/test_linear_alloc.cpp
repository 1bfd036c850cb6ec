// The fused linear loss when its logits tile cannot be allocated: XENT_ERR_OUT_OF_MEMORY
// naming the function, loss and every gradient untouched; allowed again, the same call
// succeeds. Uses xent::fail_scratch_allocations_for_testing() (libxent.a only).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "driver/scratch.hpp"
#include "xent/xent_linear.h"

TEST_CASE("linear: a failed tile allocation is OUT_OF_MEMORY with nothing written", "[hostile][linear]") {
  if (!xent_linear_available()) return;
  const int64_t n = 40, h = 6, v = 11;
  std::vector<float> hidden(size_t(n * h)), weight(size_t(v * h)), bias(size_t(v), 0.5f);
  for (size_t i = 0; i < hidden.size(); ++i) hidden[i] = float(std::sin(double(i)));
  for (size_t i = 0; i < weight.size(); ++i) weight[i] = float(std::cos(double(i)));
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(i % v);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_MEAN}) {
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    const float mark = -12345.f;
    std::vector<float> loss(size_t(n), mark), dh(size_t(n * h), mark), dw(size_t(v * h), mark), db(size_t(v), mark);
    xent::fail_scratch_allocations_for_testing(true);
    const xent_status s = xent_linear_sparse_softmax_ce_f32(hidden.data(), weight.data(), bias.data(), labels.data(),
                                                            n, h, v, &o, loss.data(), dh.data(), dw.data(), db.data());
    xent::fail_scratch_allocations_for_testing(false);
    CHECK(s == XENT_ERR_OUT_OF_MEMORY);
    CHECK(std::string(xent_last_error()).rfind("xent_linear_sparse_softmax_ce_f32", 0) == 0);
    for (const auto *out : {&loss, &dh, &dw, &db})
      for (float x : *out) CHECK(x == mark);
    CHECK(xent_linear_sparse_softmax_ce_f32(hidden.data(), weight.data(), bias.data(), labels.data(), n, h, v, &o,
                                            loss.data(), dh.data(), dw.data(), db.data()) == XENT_OK);
    CHECK(std::isfinite(loss[0]));
  }
}
