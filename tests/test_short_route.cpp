// Small softmax CE calls with plain options take a direct route (capi/short_route.hpp):
// 1 .. 1024 samples of up to two vectors of classes. It must
// give the same bits as the general route for every such call: per-sample losses, SUM and
// MEAN, gradients (in place too), int64 and int32 labels, and rows whose max is not finite
// (+inf, all -inf, NaN) wherever they sit in the batch. The general route is reached with
// the same arithmetic through options that are not plain (an ignore_index no label equals;
// sample weights of 1 for soft targets).
// Calls the route declines (a label out of range, aliasing buffers) still get the general
// route's error and leave the outputs untouched.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/random.hpp"
#include "xent/xent.h"

namespace {

template <class T> struct Api;
template <> struct Api<float> {
  static constexpr auto l64 = xent_sparse_softmax_ce_with_logits_f32;
  static constexpr auto l32 = xent_sparse_softmax_ce_with_logits_f32_i32;
  static constexpr auto dense = xent_softmax_ce_with_logits_f32;
};
template <> struct Api<double> {
  static constexpr auto l64 = xent_sparse_softmax_ce_with_logits_f64;
  static constexpr auto l32 = xent_sparse_softmax_ce_with_logits_f64_i32;
  static constexpr auto dense = xent_softmax_ce_with_logits_f64;
};

template <class T> bool same_bits(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

template <class T> struct Result {
  xent_status status;
  std::vector<T> loss, grad;
};

// One call; general = true adds ignore_index = -7 (matches no label): not plain options.
template <class T>
Result<T> call(const std::vector<T> &x, const std::vector<int64_t> &labels, int64_t B, int64_t C,
               xent_reduction r, bool with_grad, bool in_place, bool i32, bool general) {
  xent_options o;
  xent_options_init(&o);
  o.reduction = r;
  if (general) o.ignore_index = -7;
  std::vector<T> in = x;
  Result<T> res;
  res.loss.assign(r == XENT_REDUCTION_NONE ? size_t(B) : 1, T(-1));
  std::vector<T> g(x.size(), T(-1));
  T *gp = with_grad ? (in_place ? in.data() : g.data()) : nullptr;
  if (i32) {
    std::vector<int32_t> l(labels.begin(), labels.end());
    res.status = Api<T>::l32(in.data(), l.data(), B, C, &o, res.loss.data(), gp);
  } else {
    res.status = Api<T>::l64(in.data(), labels.data(), B, C, &o, res.loss.data(), gp);
  }
  if (with_grad) res.grad = in_place ? in : g;
  return res;
}

template <class T> void check_same_bits_as_general_route() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  xt::Rng rng(sizeof(T) * 977);
  int cases = 0;
  for (int64_t C = 1; C <= 33; ++C) {
    for (int64_t B : {1, 2, 3, 7, 64, 1024, 1025}) {
      if (B > 64 && C % 8 != 1) continue;  // the big batches on a few widths
      std::vector<T> x(size_t(B * C));
      for (T &v : x) v = T(rng.uniform(-20, 20));
      std::vector<int64_t> labels(static_cast<size_t>(B), 0);
      for (int64_t &l : labels) l = rng.below(C);
      // Odd rows, in some cases: a +inf logit, every logit -inf, a NaN, a huge range.
      const int special = int(rng.below(5));
      if (special != 4) {
        const int64_t row = rng.below(B), col = rng.below(C);
        T *r = x.data() + row * C;
        if (special == 0) r[col] = inf;
        if (special == 1)
          for (int64_t c = 0; c < C; ++c) r[c] = -inf;
        if (special == 2) r[col] = nan;
        if (special == 3) r[col] = T(1e30);
      }
      for (xent_reduction red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
        for (int grad_mode : {0, 1, 2})  // none, separate, in place
          for (bool i32 : {false, true}) {
            INFO("B = " << B << ", C = " << C << ", special " << special << ", reduction " << int(red) << ", grad "
                        << grad_mode << (i32 ? ", int32" : ", int64"));
            const Result<T> direct = call(x, labels, B, C, red, grad_mode > 0, grad_mode == 2, i32, false);
            const Result<T> general = call(x, labels, B, C, red, grad_mode > 0, grad_mode == 2, i32, true);
            REQUIRE(direct.status == XENT_OK);
            REQUIRE(general.status == XENT_OK);
            CHECK(same_bits(direct.loss, general.loss));
            CHECK(same_bits(direct.grad, general.grad));
            ++cases;
          }
    }
  }
  CHECK(cases > 1000);
}

// A soft-target call; general = true adds sample weights of 1 (x * 1 is x: the same
// arithmetic, not plain options).
template <class T>
Result<T> dense_call(const std::vector<T> &x, const std::vector<T> &t, int64_t B, int64_t C, xent_reduction r,
                     bool with_grad, bool in_place, bool general) {
  xent_options o;
  xent_options_init(&o);
  o.reduction = r;
  const std::vector<T> ones(static_cast<size_t>(B), T(1));
  if (general) o.sample_weights = ones.data();
  std::vector<T> in = x;
  Result<T> res;
  res.loss.assign(r == XENT_REDUCTION_NONE ? size_t(B) : 1, T(-1));
  std::vector<T> g(x.size(), T(-1));
  T *gp = with_grad ? (in_place ? in.data() : g.data()) : nullptr;
  res.status = Api<T>::dense(in.data(), t.data(), B, C, &o, res.loss.data(), gp);
  if (with_grad) res.grad = in_place ? in : g;
  return res;
}

template <class T> void check_dense_same_bits_as_general_route() {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  xt::Rng rng(sizeof(T) * 331);
  int cases = 0;
  for (int64_t C = 1; C <= 33; ++C) {  // one and two vectors and past them, on every ISA's width
    for (int64_t B : {1, 2, 5, 64, 1024, 1025}) {
      if (B > 64 && C % 8 != 1) continue;
      std::vector<T> x(size_t(B * C)), t(size_t(B * C));
      for (T &v : x) v = T(rng.uniform(-20, 20));
      for (int64_t b = 0; b < B; ++b) {  // a distribution per row, some rows unnormalized
        double total = 0;
        for (int64_t c = 0; c < C; ++c) total += (t[size_t(b * C + c)] = T(rng.uniform(0, 1)));
        if (rng.chance(0.7))
          for (int64_t c = 0; c < C; ++c) t[size_t(b * C + c)] = T(double(t[size_t(b * C + c)]) / total);
      }
      // Odd rows: a +inf / NaN / huge logit, every logit -inf; targets 0 (A = 0), -0,
      // negative, NaN, and a zero target where the logit is -inf (its term is 0, not NaN).
      const int special = int(rng.below(10));
      const int64_t row = rng.below(B), col = rng.below(C);
      T *xr = x.data() + row * C, *tr = t.data() + row * C;
      if (special == 0) xr[col] = inf;
      if (special == 1)
        for (int64_t c = 0; c < C; ++c) xr[c] = -inf;
      if (special == 2) xr[col] = nan;
      if (special == 3) xr[col] = T(1e30);
      if (special == 4)
        for (int64_t c = 0; c < C; ++c) tr[c] = T(0);
      if (special == 5)
        for (int64_t c = 0; c < C; ++c) tr[c] = -T(0);
      if (special == 6) tr[col] = T(-0.5);
      if (special == 7) tr[col] = nan;
      if (special == 8) {
        xr[col] = -inf;
        tr[col] = T(0);
      }
      for (xent_reduction red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
        for (int grad_mode : {0, 1, 2}) {  // none, separate, in place
          INFO("B = " << B << ", C = " << C << ", special " << special << ", reduction " << int(red) << ", grad "
                      << grad_mode);
          const Result<T> direct = dense_call(x, t, B, C, red, grad_mode > 0, grad_mode == 2, false);
          const Result<T> general = dense_call(x, t, B, C, red, grad_mode > 0, grad_mode == 2, true);
          REQUIRE(direct.status == XENT_OK);
          REQUIRE(general.status == XENT_OK);
          CHECK(same_bits(direct.loss, general.loss));
          CHECK(same_bits(direct.grad, general.grad));
          ++cases;
        }
    }
  }
  CHECK(cases > 500);
}

}  // namespace

TEST_CASE("short route: the same bits as the general route (f32)", "[softmax][paths][short-route]") {
  check_same_bits_as_general_route<float>();
}
TEST_CASE("short route: the same bits as the general route (f64)", "[softmax][paths][short-route]") {
  check_same_bits_as_general_route<double>();
}

TEST_CASE("short route: declined calls get the general route's error, outputs untouched",
          "[softmax][errors][short-route]") {
  const int64_t B = 2, C = 10;
  std::vector<float> x(size_t(B * C), 0.5f);
  std::vector<int64_t> labels = {3, 10};  // 10 is out of range
  std::vector<float> loss(2, -1.0f), grad(size_t(B * C), -1.0f);
  CHECK(xent_sparse_softmax_ce_with_logits_f32(x.data(), labels.data(), B, C, nullptr, loss.data(), grad.data()) ==
        XENT_ERR_LABEL_OUT_OF_RANGE);
  CHECK(std::string(xent_last_error()).find("labels[1] = 10") != std::string::npos);
  CHECK(loss == std::vector<float>(2, -1.0f));
  CHECK(grad == std::vector<float>(size_t(B * C), -1.0f));

  labels[1] = 4;
  // loss overlapping the logits: INVALID_ARGUMENT naming both.
  CHECK(xent_sparse_softmax_ce_with_logits_f32(x.data(), labels.data(), B, C, nullptr, x.data() + 3, nullptr) ==
        XENT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(xent_last_error()).find("loss") != std::string::npos);
  CHECK(x == std::vector<float>(size_t(B * C), 0.5f));
  // a gradient overlapping the logits without being them
  CHECK(xent_sparse_softmax_ce_with_logits_f32(x.data(), labels.data(), B, C, nullptr, loss.data(), x.data() + 1) ==
        XENT_ERR_INVALID_ARGUMENT);
  CHECK(x == std::vector<float>(size_t(B * C), 0.5f));
  CHECK(loss == std::vector<float>(2, -1.0f));
  // NULL labels
  CHECK(xent_sparse_softmax_ce_with_logits_f32(x.data(), nullptr, B, C, nullptr, loss.data(), nullptr) ==
        XENT_ERR_NULL_POINTER);
  CHECK(loss == std::vector<float>(2, -1.0f));
}

TEST_CASE("short route, soft targets: the same bits as the general route (f32)", "[softmax][paths][short-route]") {
  check_dense_same_bits_as_general_route<float>();
}
TEST_CASE("short route, soft targets: the same bits as the general route (f64)", "[softmax][paths][short-route]") {
  check_dense_same_bits_as_general_route<double>();
}

TEST_CASE("short route, soft targets: declined calls get the general route's error, outputs untouched",
          "[softmax][errors][short-route]") {
  const int64_t B = 2, C = 5;
  std::vector<float> x(size_t(B * C), 0.5f), t(size_t(B * C), 0.2f);
  std::vector<float> loss(2, -1.0f);
  // loss overlapping the targets, a gradient on the targets, on the logits without being them
  CHECK(xent_softmax_ce_with_logits_f32(x.data(), t.data(), B, C, nullptr, t.data() + 1, nullptr) ==
        XENT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(xent_last_error()).find("loss") != std::string::npos);
  CHECK(xent_softmax_ce_with_logits_f32(x.data(), t.data(), B, C, nullptr, loss.data(), t.data()) ==
        XENT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(xent_last_error()).find("targets") != std::string::npos);
  CHECK(xent_softmax_ce_with_logits_f32(x.data(), t.data(), B, C, nullptr, loss.data(), x.data() + 1) ==
        XENT_ERR_INVALID_ARGUMENT);
  CHECK(x == std::vector<float>(size_t(B * C), 0.5f));
  CHECK(t == std::vector<float>(size_t(B * C), 0.2f));
  CHECK(loss == std::vector<float>(2, -1.0f));
  CHECK(xent_softmax_ce_with_logits_f32(x.data(), nullptr, B, C, nullptr, loss.data(), nullptr) ==
        XENT_ERR_NULL_POINTER);
  CHECK(std::string(xent_last_error()).find("targets") != std::string::npos);
  CHECK(loss == std::vector<float>(2, -1.0f));
}
