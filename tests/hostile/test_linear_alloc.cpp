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

TEST_CASE("linear bf16: a failed scratch allocation is OUT_OF_MEMORY with nothing written", "[hostile][linear]") {
  if (!xent_linear_available()) return;
  // 300 tokens: two chunks, so the f32 sum of d_weight is part of the scratch too.
  const int64_t n = 300, h = 6, v = 11;
  std::vector<xent_bf16> hidden(size_t(n * h)), weight(size_t(v * h)), bias(size_t(v), xent_bf16{0x3f00});
  for (size_t i = 0; i < hidden.size(); ++i) hidden[i].bits = uint16_t(0x3c00 + i % 0x80);  // in [2^-7, 2^-6)
  for (size_t i = 0; i < weight.size(); ++i) weight[i].bits = uint16_t(0xbc00 + i % 0x80);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < n; ++i) labels.push_back(i % v);
  xent_options o;
  xent_options_init(&o);
  const xent_bf16 mark{0x7fa5};
  std::vector<float> loss(size_t(n), -12345.f);
  std::vector<xent_bf16> dh(size_t(n * h), mark), dw(size_t(v * h), mark), db(size_t(v), mark);
  xent::fail_scratch_allocations_for_testing(true);
  const xent_status s = xent_linear_sparse_softmax_ce_bf16(hidden.data(), weight.data(), bias.data(), labels.data(),
                                                           n, h, v, &o, loss.data(), dh.data(), dw.data(), db.data());
  xent::fail_scratch_allocations_for_testing(false);
  CHECK(s == XENT_ERR_OUT_OF_MEMORY);
  CHECK(std::string(xent_last_error()).rfind("xent_linear_sparse_softmax_ce_bf16", 0) == 0);
  for (float x : loss) CHECK(x == -12345.f);
  for (const auto *out : {&dh, &dw, &db})
    for (xent_bf16 x : *out) CHECK(x.bits == mark.bits);
  CHECK(xent_linear_sparse_softmax_ce_bf16(hidden.data(), weight.data(), bias.data(), labels.data(), n, h, v, &o,
                                           loss.data(), dh.data(), dw.data(), db.data()) == XENT_OK);
  CHECK(std::isfinite(loss[0]));
  CHECK(dw[0].bits != mark.bits);
}
