// Rows at the edges of the number line and of the shapes: NaN confined to its own row,
// masked (-inf) classes, all -inf rows, +inf logits, 1e30 next to -1e30 (exact), batch 0,
// every sample ignored, and the gradient written over its own input.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <limits>

#include "support/loss_case.hpp"

using ref::LD;
using xt::LossData;
using xt::LossSpec;
using xt::Variant;

namespace {

template <class T> using Edit = std::function<void(LossData<T> &)>;

// Random data for s, edited, then compared with the reference (which knows the special values).
template <class T> void check_edited(const LossSpec &s, const Edit<T> &edit) {
  LossData<T> d = xt::make_data<T>(s);
  edit(d);
  xt::check_data(s, d);
}

template <class T> T nan_v() { return std::numeric_limits<T>::quiet_NaN(); }
template <class T> T inf_v() { return std::numeric_limits<T>::infinity(); }

}  // namespace

TEMPLATE_TEST_CASE("NaN in one row (input, target or sample weight) stays in that row", "[edge]", float, double) {
  using T = TestType;
  for (Variant v : xt::kAllVariants)
    for (int reduction : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM})
      for (int64_t K : {1, 3}) {
        LossSpec s = xt::make_spec(v, 5, 7, K);
        s.reduction = reduction;
        s.sample_weights = true;
        const size_t at = static_cast<size_t>((2 * 7 + 3) * K);  // sample 2, class 3
        check_edited<T>(s, [&](LossData<T> &d) { d.input[at] = nan_v<T>(); });
        if (!ref::is_sparse(v)) check_edited<T>(s, [&](LossData<T> &d) { d.targets[at] = nan_v<T>(); });
        check_edited<T>(s, [&](LossData<T> &d) { d.sample_weights[static_cast<size_t>(3 * K)] = nan_v<T>(); });
      }
}

TEMPLATE_TEST_CASE("masked classes: -inf logits where the target is 0 are valid", "[edge]", float, double) {
  using T = TestType;
  for (Variant v : {Variant::SoftmaxLogits, Variant::SparseSoftmaxLogits})
    for (double cap : {0.0, 8.0})
      for (double z : {0.0, 0.01}) {
        LossSpec s = xt::make_spec(v, 4, 6);
        s.softcap = cap;
        s.z_loss = z;
        s.class_weights = true;
        LossData<T> d = xt::make_data<T>(s);
        for (int64_t b = 0; b < 4; ++b) {
          const int64_t label = b % 3;  // classes 3..5 masked in every row, 0..2 hold the target
          if (ref::is_sparse(v)) d.labels64[b] = label, d.labels32[b] = static_cast<int32_t>(label);
          for (int64_t c = 0; c < 6; ++c) {
            if (!ref::is_sparse(v)) d.targets[b * 6 + c] = c == label ? T(1) : T(0);
            if (c >= 3) d.input[b * 6 + c] = -inf_v<T>();
          }
        }
        xt::check_data(s, d);
        const xt::LibOut<T> got = xt::run_lib(s, d);
        REQUIRE(got.status == XENT_OK);
        for (int64_t b = 0; b < 4; ++b) {
          CHECK(std::isfinite(got.loss[b]));
          for (int64_t c = 3; c < 6; ++c) CHECK(got.grad[b * 6 + c] == 0);
        }
        s.smoothing = 0.1;  // now the target covers the masked classes: +inf (without softcap)
        xt::check_data(s, d);
      }
}

TEMPLATE_TEST_CASE("a row of all -inf gives NaN for that row only; +inf logits follow IEEE", "[edge]", float, double) {
  using T = TestType;
  for (Variant v : {Variant::SoftmaxLogits, Variant::SparseSoftmaxLogits})
    for (int64_t K : {1, 2}) {
      const LossSpec s = xt::make_spec(v, 4, 5, K);
      check_edited<T>(s, [&](LossData<T> &d) {
        for (int64_t c = 0; c < 5; ++c) d.input[static_cast<size_t>((1 * 5 + c) * K)] = -inf_v<T>();
        d.input[static_cast<size_t>((3 * 5 + 4) * K)] = inf_v<T>();  // +inf in sample 3
      });
    }
  // sigmoid: x = +inf with t = 1 and x = -inf with t = 0 cost exactly 0; the wrong way round, +inf
  LossSpec s = xt::make_spec(Variant::SigmoidLogits, 2, 3);
  LossData<T> d;
  d.input = {inf_v<T>(), -inf_v<T>(), inf_v<T>(), -inf_v<T>(), 0, 2};
  d.targets = {1, 0, 0, 1, 0.5, 1};
  xt::check_data(s, d);
}

TEMPLATE_TEST_CASE("a row holding 1e30 and -1e30 is exact", "[edge]", float, double) {
  using T = TestType;
  // lse = 1e30 exactly and softmax = [1, 0, 0, 0]: the losses 0, 2e30, 1e30, 1e30 - 5 and the
  // gradients 0 / +-1 all round exactly; sigmoid CE of +-1e30 is 0, 1e30 or 1e30 / 2, exactly.
  LossData<T> d;
  for (int b = 0; b < 4; ++b) {
    for (T x : {T(1e30), T(-1e30), T(0), T(5)}) d.input.push_back(x);
    d.labels64.push_back(b);
    d.labels32.push_back(b);
    for (int c = 0; c < 4; ++c) d.targets.push_back(c == b ? T(1) : T(0));
  }
  LossData<T> sig;
  sig.input = {T(1e30), T(-1e30), T(1e30), T(-1e30), T(1e30), T(-1e30)};
  sig.targets = {0, 0, T(0.5), 1, 1, T(0.5)};
  const LossSpec sparse = xt::make_spec(Variant::SparseSoftmaxLogits, 4, 4), dense = xt::make_spec(Variant::SoftmaxLogits, 4, 4);
  const std::pair<LossSpec, const LossData<T> *> cases[] = {
      {sparse, &d}, {dense, &d}, {xt::make_spec(Variant::SigmoidLogits, 2, 3), &sig}};
  for (const auto &one : cases) {
    const ref::Result want = ref::evaluate(xt::to_problem(one.first, *one.second));
    const xt::LibOut<T> got = xt::run_lib(one.first, *one.second);
    INFO(one.first.describe(sizeof(T) == 4 ? "f32" : "f64") << " " << got.error);
    REQUIRE(got.status == XENT_OK);
    for (size_t i = 0; i < want.loss.size(); ++i) CHECK(got.loss[i] == static_cast<T>(want.loss[i]));
    for (size_t i = 0; i < want.grad.size(); ++i) CHECK(got.grad[i] == static_cast<T>(want.grad[i]));
  }
}

TEMPLATE_TEST_CASE("batch = 0: NONE writes nothing, SUM is 0, MEAN is NaN", "[edge]", float, double) {
  using T = TestType;
  for (Variant v : xt::kAllVariants)
    for (int width : {0, 1})
      for (int reduction : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
        LossSpec s = xt::make_spec(v, 0, 4);
        s.reduction = reduction;
        s.int32_labels = width == 1;
        const LossData<T> d = xt::make_data<T>(s);
        const xt::LibOut<T> got = xt::run_lib(s, d);
        INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64") << " " << got.error);
        REQUIRE(got.status == XENT_OK);
        CHECK(got.grad.untouched());
        if (reduction == XENT_REDUCTION_NONE) CHECK(got.loss.untouched());
        if (reduction == XENT_REDUCTION_SUM) CHECK(xt::same_bits(got.loss[0], T(0)));
        if (reduction == XENT_REDUCTION_MEAN) CHECK((std::isnan(got.loss[0]) && !xt::same_bits(got.loss[0], xt::sentinel<T>())));
        CHECK(got.loss.guards_intact());
      }
}

TEMPLATE_TEST_CASE("every sample ignored, or weights summing to 0: MEAN NaN, SUM 0, gradient 0", "[edge]", float, double) {
  using T = TestType;
  for (Variant v : {Variant::SparseSoftmaxLogits, Variant::SparseCategorical})
    for (int width : {0, 1})
      for (int reduction : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
        LossSpec s = xt::make_spec(v, 6, 4, 2);
        s.reduction = reduction;
        s.int32_labels = width == 1;
        s.ignore = true;
        check_edited<T>(s, [&](LossData<T> &d) {
          for (auto &l : d.labels64) l = s.ignore_index;
          for (auto &l : d.labels32) l = static_cast<int32_t>(s.ignore_index);
        });
        s.ignore = false;
        s.sample_weights = true;
        check_edited<T>(s, [](LossData<T> &d) {
          for (size_t i = 0; i < d.sample_weights.size(); ++i) d.sample_weights[i] = i % 2 ? T(-1.5) : T(1.5);
        });
      }
}

TEMPLATE_TEST_CASE("gradient in place (grad == input) equals the out-of-place gradient", "[edge]", float, double) {
  using T = TestType;
  for (Variant v : xt::kAllVariants)
    for (int reduction : {XENT_REDUCTION_NONE, XENT_REDUCTION_MEAN})
      for (xt::Shape shape : {xt::Shape{3, 5, 1}, xt::Shape{4, 3, 5}, xt::Shape{2, 1000, 1}, xt::Shape{64, 33, 1}}) {
        LossSpec s = xt::make_spec(v, shape.batch, shape.classes, shape.inner);
        s.reduction = reduction;
        s.smoothing = 0.1;
        s.sample_weights = true;
        const LossData<T> d = xt::make_data<T>(s);
        xt::check_data(s, d, xt::GradMode::InPlace);
        const xt::LibOut<T> apart = xt::run_lib(s, d), in_place = xt::run_lib(s, d, xt::GradMode::InPlace);
        INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64"));
        REQUIRE(apart.status == XENT_OK);
        REQUIRE(in_place.status == XENT_OK);
        XT_CHECK_REPORT(xt::compare_bitwise(in_place.loss.data(), apart.loss.data(), s.loss_count()), "loss");
        XT_CHECK_REPORT(xt::compare_bitwise(in_place.grad.data(), apart.grad.data(), in_place.grad.size()), "grad");
      }
}

// batch = 0 makes batch * classes * inner = 0 whatever classes and inner are: the call is
// valid and no kernel may run (classes * inner alone would overflow int64; the sanitizer
// suite runs this under UBSan). A fuzzer finding (tests/fuzz/corpus/empty_batch_huge_classes_inner).
TEST_CASE("batch = 0 with classes * inner beyond int64: OK, nothing computed", "[edge]") {
  float x = 1, t = 0, loss = -1, g = -1;
  int64_t label = 0;
  xent_options o;
  xent_options_init(&o);
  o.inner = int64_t(1) << 40;
  const int64_t classes = int64_t(1) << 40;
  for (int reduction : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM}) {
    o.reduction = xent_reduction(reduction);
    INFO("reduction " << reduction);
    CHECK(xent_sigmoid_ce_with_logits_f32(&x, &t, 0, classes, &o, &loss, &g) == XENT_OK);
    CHECK(xent_softmax_ce_with_logits_f32(&x, &t, 0, classes, &o, &loss, &g) == XENT_OK);
    CHECK(xent_sparse_softmax_ce_with_logits_f32(&x, &label, 0, classes, &o, &loss, &g) == XENT_OK);
    CHECK(xent_binary_ce_f32(&x, &t, 0, classes, &o, &loss, &g) == XENT_OK);
    CHECK(xent_categorical_ce_f32(&x, &t, 0, classes, &o, &loss, &g) == XENT_OK);
    CHECK(xent_sparse_categorical_ce_f32(&x, &label, 0, classes, &o, &loss, &g) == XENT_OK);
    CHECK(g == -1);
    CHECK(loss == (reduction == XENT_REDUCTION_SUM ? 0.0f : -1.0f));
  }
}
