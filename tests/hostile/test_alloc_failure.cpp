// Scratch allocation failure. A SUM / MEAN reduction over more than 64 units keeps its block
// sums in heap scratch; when that allocation fails, every loss variant must report
// XENT_ERR_OUT_OF_MEMORY with a message naming the function, and leave loss and grad
// untouched. With allocations allowed again the same call succeeds.
// Uses xent::fail_scratch_allocations_for_testing(), reachable only through libxent.a.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "driver/scratch.hpp"
#include "xent/xent.h"

namespace {

// 1100 samples: past the 64 block sums kept on the stack, and past the 1024 of the sparse
// softmax short route (capi/short_route.hpp), which needs no scratch.
constexpr int64_t kBatch = 1100, kClasses = 5;
constexpr size_t kGuard = 8;

template <class T> struct Inputs {
  std::vector<T> logits, probs, soft;
  std::vector<int64_t> l64;
  std::vector<int32_t> l32;
  Inputs() {
    for (int64_t i = 0; i < kBatch * kClasses; ++i) {
      logits.push_back(T(3 * std::sin(double(i))));
      probs.push_back(T(double(i % kClasses + 1) / 15));  // each row sums to 1
      soft.push_back(probs.back());
    }
    for (int64_t b = 0; b < kBatch; ++b) l64.push_back(b % kClasses), l32.push_back(int32_t(b % kClasses));
  }
};

template <class T> using LossFn = std::function<xent_status(const xent_options *, T *loss, T *grad)>;
template <class T> struct Variant {
  std::string name;
  LossFn<T> run;
};

template <class T, class Y>
LossFn<T> loss_fn(xent_status (*f)(const T *, const Y *, int64_t, int64_t, const xent_options *, T *, T *),
               const std::vector<T> &x, const std::vector<Y> &y) {
  return [f, &x, &y](const xent_options *o, T *loss, T *grad) {
    return f(x.data(), y.data(), kBatch, kClasses, o, loss, grad);
  };
}

// Every loss entry point of one precision S (f32 / f64).
#define XENT_ALL_LOSSES(S)                                                                              \
  {                                                                                                     \
    {"xent_sigmoid_ce_with_logits_" #S, loss_fn(xent_sigmoid_ce_with_logits_##S, in.logits, in.soft)},     \
    {"xent_softmax_ce_with_logits_" #S, loss_fn(xent_softmax_ce_with_logits_##S, in.logits, in.soft)},     \
    {"xent_sparse_softmax_ce_with_logits_" #S,                                                          \
     loss_fn(xent_sparse_softmax_ce_with_logits_##S, in.logits, in.l64)},                                  \
    {"xent_sparse_softmax_ce_with_logits_" #S "_i32",                                                   \
     loss_fn(xent_sparse_softmax_ce_with_logits_##S##_i32, in.logits, in.l32)},                            \
    {"xent_binary_ce_" #S, loss_fn(xent_binary_ce_##S, in.probs, in.soft)},                                \
    {"xent_categorical_ce_" #S, loss_fn(xent_categorical_ce_##S, in.probs, in.soft)},                      \
    {"xent_sparse_categorical_ce_" #S, loss_fn(xent_sparse_categorical_ce_##S, in.probs, in.l64)},         \
    {"xent_sparse_categorical_ce_" #S "_i32", loss_fn(xent_sparse_categorical_ce_##S##_i32, in.probs, in.l32)}, \
  }

std::vector<Variant<float>> variants(const Inputs<float> &in) { return XENT_ALL_LOSSES(f32); }
std::vector<Variant<double>> variants(const Inputs<double> &in) { return XENT_ALL_LOSSES(f64); }

// Turns scratch failure on for its lifetime (also when a check throws).
struct FailScratch {
  FailScratch() { xent::fail_scratch_allocations_for_testing(true); }
  ~FailScratch() { xent::fail_scratch_allocations_for_testing(false); }
};

// Output bytes with guard bands, all set to one pattern.
template <class T> struct Out {
  explicit Out(size_t n) : bytes((n + 2 * kGuard) * sizeof(T), 0x5A) {}
  T *data() { return reinterpret_cast<T *>(bytes.data()) + kGuard; }
  bool untouched() const {
    for (unsigned char c : bytes)
      if (c != 0x5A) return false;
    return true;
  }
  std::vector<unsigned char> bytes;
};

}  // namespace

TEMPLATE_TEST_CASE("a failed scratch allocation is XENT_ERR_OUT_OF_MEMORY and writes nothing",
                   "[hostile][oom]", float, double) {
  const Inputs<TestType> in;
  for (const Variant<TestType> &v : variants(in))
    for (xent_reduction r : {XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
      for (bool with_grad : {true, false}) {
        INFO(v.name << ", reduction " << int(r) << (with_grad ? ", with grad" : ", no grad"));
        xent_options o;
        xent_options_init(&o);
        o.reduction = r;
        Out<TestType> loss(1), grad(size_t(kBatch * kClasses));
        xent_status st;
        {
          FailScratch fail;
          st = v.run(&o, loss.data(), with_grad ? grad.data() : nullptr);
        }
        const std::string msg = xent_last_error();
        INFO("xent_last_error(): " << msg);
        CHECK(st == XENT_ERR_OUT_OF_MEMORY);
        CHECK(msg.rfind(v.name + ": ", 0) == 0);
        CHECK(msg.size() > v.name.size() + 2);
        CHECK(loss.untouched());
        CHECK(grad.untouched());

        st = v.run(&o, loss.data(), with_grad ? grad.data() : nullptr);
        CHECK(st == XENT_OK);
        CHECK(std::isfinite(double(loss.data()[0])));
        if (with_grad) CHECK(std::isfinite(double(grad.data()[kBatch * kClasses - 1])));
      }
}

// The backward keeps no block sums: it needs no scratch, so it succeeds where the forward
// cannot allocate, and gives the gradient the forward gives (times dloss = 1).
TEST_CASE("the backward allocates no scratch", "[hostile][oom]") {
  const Inputs<float> in;
  using B = xent_status (*)(const float *, const int64_t *, int64_t, int64_t, const xent_options *, const float *,
                            const float *, float *);
  using D = xent_status (*)(const float *, const float *, int64_t, int64_t, const xent_options *, const float *,
                            const float *, float *);
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_MEAN;
  const float one = 1;
  std::vector<float> g(size_t(kBatch * kClasses)), fused(g.size());
  float loss = 0;
  const std::pair<const char *, std::function<xent_status(float *)>> calls[] = {
      {"sparse softmax", [&](float *out) {
         return B(xent_sparse_softmax_ce_with_logits_backward_f32)(in.logits.data(), in.l64.data(), kBatch, kClasses,
                                                                   &o, &one, nullptr, out);
       }},
      {"sigmoid", [&](float *out) {
         return D(xent_sigmoid_ce_with_logits_backward_f32)(in.logits.data(), in.soft.data(), kBatch, kClasses, &o,
                                                            &one, nullptr, out);
       }},
      {"categorical", [&](float *out) {
         return D(xent_categorical_ce_backward_f32)(in.probs.data(), in.soft.data(), kBatch, kClasses, &o, &one,
                                                    nullptr, out);
       }},
  };
  REQUIRE(xent_sparse_softmax_ce_with_logits_f32(in.logits.data(), in.l64.data(), kBatch, kClasses, &o, &loss,
                                                 fused.data()) == XENT_OK);
  for (const auto &c : calls) {
    INFO(c.first);
    xent_status st;
    {
      FailScratch fail;
      st = c.second(g.data());
    }
    CHECK(st == XENT_OK);
  }
  {
    FailScratch fail;
    REQUIRE(calls[0].second(g.data()) == XENT_OK);
  }
  CHECK(std::memcmp(g.data(), fused.data(), g.size() * sizeof(float)) == 0);
}
