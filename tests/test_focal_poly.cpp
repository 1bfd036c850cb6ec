// Focal (opts->focal_gamma, focal_alpha) and Poly-1 (opts->poly_epsilon) losses: the loss
// against a long-double reference written from the formulas of docs/SEMANTICS.md, the
// gradient against Richardson-extrapolated central differences of that reference, the
// saturated and non-finite elements, and the options' checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "support/loss_case.hpp"

using namespace xt;

namespace {

struct FocalOpts {
  double gamma = 0, alpha = -1, eps = 0;
};

// d f / d x_i of a smooth long-double function, O(h^4) (Richardson on central differences).
LD derivative(const std::function<LD(const std::vector<LD> &)> &f, std::vector<LD> x, size_t i) {
  const LD x0 = x[i], h = 1e-4L * fmaxl(1, fabsl(x0));
  auto central = [&](LD step) {
    x[i] = x0 + step;
    const LD up = f(x);
    x[i] = x0 - step;
    const LD down = f(x);
    x[i] = x0;
    return (up - down) / (2 * step);
  };
  return (4 * central(h / 2) - central(h)) / 3;
}

// One sigmoid element: cw * sw * a_t om^gamma (ce + eps om).
LD sigmoid_focal_ref(LD x, LD t_raw, LD smooth, LD pw, LD w, const FocalOpts &f) {
  const LD t = (1 - smooth) * t_raw + smooth / 2;
  const LD p = ref::sigmoid(x), q = ref::sigmoid(-x);
  const LD ce = ref::term(1 - t, ref::softplus(x)) + ref::term(pw * t, ref::softplus(-x));
  const LD om = t * q + (1 - t) * p;
  const LD at = f.alpha >= 0 ? LD(f.alpha) * t + (1 - LD(f.alpha)) * (1 - t) : 1.0L;
  return w * at * powl(om, LD(f.gamma)) * (ce + LD(f.eps) * om);
}

// One softmax sample over a row y = transform(x): sum_c coef_c om_c^gamma ((lse - y_c) +
// eps om_c) + z lse^2, om_c = 1 - p_c, times sw (gamma only with one-hot coef).
LD softmax_focal_ref(const std::vector<LD> &x, const std::vector<LD> &coef, LD sw, LD z, LD cap, const FocalOpts &f) {
  std::vector<LD> y(x.size());
  for (size_t c = 0; c < x.size(); ++c) y[c] = cap > 0 ? cap * tanhl(x[c] / cap) : x[c];
  const LD lse = ref::lse(y.data(), int64_t(y.size()));
  LD loss = z * lse * lse;
  for (size_t c = 0; c < y.size(); ++c) {
    if (coef[c] == 0) continue;
    const LD lp = y[c] - lse, om = -expm1l(lp);
    loss += coef[c] * powl(om, LD(f.gamma)) * (-lp + LD(f.eps) * om);
  }
  return sw * loss;
}

template <class T> void check_sigmoid(const LossSpec &s, const FocalOpts &f) {
  const LossData<T> d = make_data<T>(s);
  xent_options o = make_options(s, d);
  o.focal_gamma = f.gamma, o.focal_alpha = f.alpha, o.poly_epsilon = f.eps;
  const int64_t C = s.classes, K = s.inner, n = s.elements();
  Guarded<T> loss(s.loss_count()), grad(static_cast<size_t>(n));
  INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64") << " gamma=" << f.gamma << " alpha=" << f.alpha << " eps=" << f.eps);
  REQUIRE(xent_status(Api<T>::sigmoid_ce(d.input.data(), d.targets.data(), s.batch, C, &o, loss.data(),
                                         grad.data())) == XENT_OK);
  std::vector<LD> want_loss(static_cast<size_t>(n)), want_grad(static_cast<size_t>(n)), scale(static_cast<size_t>(n));
  LD total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i / K % C, b = i / (C * K), k = i % K;
    const LD pw = d.pos_weight.empty() ? 1 : d.pos_weight[size_t(c)];
    const LD w = (d.class_weights.empty() ? 1 : LD(d.class_weights[size_t(c)])) *
                 (d.sample_weights.empty() ? 1 : LD(d.sample_weights[size_t(b * K + k)]));
    auto f_of = [&](const std::vector<LD> &x) { return sigmoid_focal_ref(x[0], d.targets[size_t(i)], s.smoothing, pw, w, f); };
    const std::vector<LD> x{LD(d.input[size_t(i)])};
    want_loss[size_t(i)] = f_of(x);
    want_grad[size_t(i)] = derivative(f_of, x, 0);
    scale[size_t(i)] = fmaxl(fabsl(want_loss[size_t(i)]), 1 + fabsl(x[0]));
    total += want_loss[size_t(i)];
  }
  if (s.reduction == XENT_REDUCTION_NONE) {
    XT_CHECK_REPORT(compare_scaled(loss.data(), want_loss, scale, Api<T>::tol), "loss");
  } else {
    const LD div = s.reduction == XENT_REDUCTION_MEAN ? LD(n) : 1;
    LD sc = 0;
    for (LD v : scale) sc += v;
    XT_CHECK_REPORT(compare_scaled(loss.data(), {total / div}, {sc / div}, Api<T>::tol), "reduced loss");
    for (LD &g : want_grad) g /= div;
  }
  XT_CHECK_REPORT(compare_to_largest(grad.data(), want_grad, Api<T>::tol), "grad");
}

template <class T> void check_softmax(const LossSpec &s, const FocalOpts &f) {
  const LossData<T> d = make_data<T>(s);
  xent_options o = make_options(s, d);
  o.focal_gamma = f.gamma, o.poly_epsilon = f.eps;
  const int64_t B = s.batch, C = s.classes, K = s.inner;
  Guarded<T> loss(s.loss_count()), grad(static_cast<size_t>(s.elements()));
  INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64") << " gamma=" << f.gamma << " eps=" << f.eps);
  LossArgs<T> a;
  a.variant = s.variant, a.int32_labels = s.int32_labels, a.input = nonnull(d.input), a.targets = nonnull(d.targets);
  a.labels64 = nonnull(d.labels64), a.labels32 = nonnull(d.labels32), a.batch = B, a.classes = C, a.opts = &o;
  a.loss = loss.data(), a.grad = grad.data();
  REQUIRE(call_loss(a) == XENT_OK);
  const bool sparse = ref::is_sparse(s.variant);
  std::vector<LD> want_loss(static_cast<size_t>(s.samples())), scale(want_loss.size()), want_grad(static_cast<size_t>(s.elements()));
  std::vector<bool> ignored(want_grad.size(), false);  // exactly 0, whatever MEAN divides by
  LD total = 0, divisor = 0, scale_total = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const size_t sample = size_t(b * K + k);
      std::vector<LD> x(static_cast<size_t>(C)), coef(static_cast<size_t>(C));
      LD largest = 0;
      const int64_t label = sparse ? d.labels64[sample] : -1;
      for (int64_t c = 0; c < C; ++c) {
        const size_t at = size_t((b * C + c) * K + k);
        x[size_t(c)] = d.input[at];
        largest = fmaxl(largest, fabsl(x[size_t(c)]));
        const LD t = sparse ? (c == label ? 1 : 0) : LD(d.targets[at]);
        coef[size_t(c)] = ((1 - LD(s.smoothing)) * t + LD(s.smoothing) / LD(C)) *
                          (d.class_weights.empty() ? 1 : LD(d.class_weights[size_t(c)]));
      }
      const LD sw = d.sample_weights.empty() ? 1 : LD(d.sample_weights[sample]);
      if (sparse && label == s.ignore_index && s.ignore) {
        want_loss[sample] = 0;
        scale[sample] = 1;
        for (int64_t c = 0; c < C; ++c) ignored[static_cast<size_t>((b * C + c) * K + k)] = true;
        continue;  // gradient 0
      }
      auto f_of = [&](const std::vector<LD> &v) { return softmax_focal_ref(v, coef, sw, s.z_loss, s.softcap, f); };
      want_loss[sample] = f_of(x);
      scale[sample] = fmaxl(fabsl(want_loss[sample]), 1 + largest);
      total += want_loss[sample];
      scale_total += scale[sample];
      divisor += sparse ? sw * (d.class_weights.empty() ? 1 : LD(d.class_weights[size_t(label)])) : 1;
      for (int64_t c = 0; c < C; ++c) want_grad[size_t((b * C + c) * K + k)] = derivative(f_of, x, size_t(c));
    }
  if (s.reduction == XENT_REDUCTION_NONE) {
    XT_CHECK_REPORT(compare_scaled(loss.data(), want_loss, scale, Api<T>::tol), "loss");
  } else {
    const LD div = s.reduction == XENT_REDUCTION_MEAN ? divisor : 1;
    XT_CHECK_REPORT(compare_scaled(loss.data(), {total / div}, {scale_total / div}, Api<T>::tol), "reduced loss");
    for (size_t i = 0; i < want_grad.size(); ++i)
      if (!ignored[i]) want_grad[i] /= div;
  }
  XT_CHECK_REPORT(compare_to_largest(grad.data(), want_grad, Api<T>::tol), "grad");
}

const FocalOpts kSigmoidSettings[] = {{2, 0.25, 0}, {2, -1, 0}, {0.5, 0.75, 0}, {0, 0.25, 0},
                                      {0, -1, 1},   {2, 0.25, 1}, {1.5, -1, -0.5}};

}  // namespace

TEMPLATE_TEST_CASE("sigmoid focal and Poly-1 against the reference and its derivative", "[focal]", float, double) {
  uint64_t seed = 9000;
  for (const FocalOpts &f : kSigmoidSettings)
    for (const Shape sh : {Shape{3, 5, 1}, Shape{2, 3, 4}, Shape{4, 37, 1}})
      for (int r = 0; r < 3; ++r)
        for (int profile = 0; profile < 3; ++profile) {
          LossSpec s = make_spec(Variant::SigmoidLogits, sh.batch, sh.classes, sh.inner);
          s.reduction = r;
          s.seed = ++seed;
          if (profile == 1) s.smoothing = 0.1, s.pos_weight = true;
          if (profile == 2) s.class_weights = s.sample_weights = true;
          check_sigmoid<TestType>(s, f);
        }
}

TEMPLATE_TEST_CASE("softmax focal and Poly-1 against the reference and its derivative", "[focal]", float, double) {
  uint64_t seed = 9500;
  const FocalOpts sparse_settings[] = {{2, -1, 0}, {0.5, -1, 0}, {0, -1, 1}, {2, -1, 2}, {1, -1, -1}};
  for (const FocalOpts &f : sparse_settings)
    for (const Shape sh : {Shape{3, 5, 1}, Shape{2, 3, 4}, Shape{4, 40, 1}, Shape{1, 70, 1}})
      for (int r = 0; r < 3; ++r)
        for (int profile = 0; profile < 4; ++profile) {
          LossSpec s = make_spec(Variant::SparseSoftmaxLogits, sh.batch, sh.classes, sh.inner);
          s.reduction = r;
          s.seed = ++seed;
          s.int32_labels = profile == 3;
          if (profile == 1) s.class_weights = s.sample_weights = true, s.ignore = true;
          if (profile == 2) s.z_loss = 0.01, s.softcap = 4;
          if (profile == 3 && f.gamma == 0) s.smoothing = 0.2;  // smoothing with Poly-1 only
          check_softmax<TestType>(s, f);
        }
  // Poly-1 on soft targets (optax's poly_loss_cross_entropy), with the dense options.
  for (double eps : {1.0, -0.5, 3.0})
    for (const Shape sh : {Shape{3, 5, 1}, Shape{2, 3, 4}, Shape{2, 70, 1}})
      for (int r = 0; r < 3; ++r) {
        LossSpec s = make_spec(Variant::SoftmaxLogits, sh.batch, sh.classes, sh.inner);
        s.reduction = r;
        s.seed = ++seed;
        s.smoothing = r == 1 ? 0.1 : 0;
        s.class_weights = s.sample_weights = r == 2;
        check_softmax<TestType>(s, {0, -1, eps});
      }
}

TEST_CASE("focal: saturated and non-finite logits", "[focal]") {
  const double inf = INFINITY, nan = NAN;
  // x, t -> loss, grad: p_t = 1 exactly costs 0 with a zero gradient; NaN stays NaN.
  const double x[] = {inf, -inf, 1e30, -1e30, 800, nan, inf, -inf};
  const double t[] = {1, 0, 1, 0, 1, 1, 0, 1};
  double loss[8], grad[8];
  xent_options o;
  xent_options_init(&o);
  o.focal_gamma = 2, o.focal_alpha = 0.25, o.poly_epsilon = 1;
  REQUIRE(xent_sigmoid_ce_with_logits_f64(x, t, 1, 8, &o, loss, grad) == XENT_OK);
  for (int i = 0; i < 5; ++i) {
    INFO("element " << i);
    CHECK(loss[i] == 0.0);
    CHECK(grad[i] == 0.0);
  }
  CHECK(std::isnan(loss[5]));
  CHECK(std::isnan(grad[5]));
  CHECK(loss[6] == inf);  // a certain wrong answer
  CHECK(loss[7] == inf);
  CHECK(std::isfinite(grad[6]));
  CHECK(std::isfinite(grad[7]));

  // Softmax: the label's logit far above the rest (p_t = 1 in f64): loss 0, gradient 0.
  const double row[] = {0, 1000, -5};
  const int64_t label[] = {1};
  double l = -1, g[3];
  xent_options so;
  xent_options_init(&so);
  so.focal_gamma = 0.5;
  REQUIRE(xent_sparse_softmax_ce_with_logits_f64(row, label, 1, 3, &so, &l, g) == XENT_OK);
  CHECK(l == 0.0);
  for (double v : g) CHECK(v == 0.0);
}

TEST_CASE("focal and Poly-1 options: values checked, rejected off their variants", "[focal][errors]") {
  struct Bad {
    const char *what;
    void (*set)(xent_options &);
    Variant variant;
    const char *needle;
  };
  const Bad cases[] = {
      {"gamma < 0", [](xent_options &o) { o.focal_gamma = -1; }, Variant::SigmoidLogits, "opts->focal_gamma"},
      {"gamma NaN", [](xent_options &o) { o.focal_gamma = NAN; }, Variant::SparseSoftmaxLogits, "opts->focal_gamma"},
      {"gamma inf", [](xent_options &o) { o.focal_gamma = INFINITY; }, Variant::SigmoidLogits, "opts->focal_gamma"},
      {"alpha > 1", [](xent_options &o) { o.focal_alpha = 1.5; }, Variant::SigmoidLogits, "opts->focal_alpha"},
      {"alpha NaN", [](xent_options &o) { o.focal_alpha = NAN; }, Variant::SigmoidLogits, "opts->focal_alpha"},
      {"poly inf", [](xent_options &o) { o.poly_epsilon = INFINITY; }, Variant::SigmoidLogits, "opts->poly_epsilon"},
      {"gamma on dense softmax", [](xent_options &o) { o.focal_gamma = 2; }, Variant::SoftmaxLogits, "opts->focal_gamma"},
      {"gamma on binary", [](xent_options &o) { o.focal_gamma = 2; }, Variant::Binary, "opts->focal_gamma"},
      {"gamma on categorical", [](xent_options &o) { o.focal_gamma = 2; }, Variant::Categorical, "opts->focal_gamma"},
      {"gamma on sparse categorical", [](xent_options &o) { o.focal_gamma = 2; }, Variant::SparseCategorical,
       "opts->focal_gamma"},
      {"alpha on sparse softmax", [](xent_options &o) { o.focal_alpha = 0.25; }, Variant::SparseSoftmaxLogits,
       "opts->focal_alpha"},
      {"poly on binary", [](xent_options &o) { o.poly_epsilon = 1; }, Variant::Binary, "opts->poly_epsilon"},
      {"poly on sparse categorical", [](xent_options &o) { o.poly_epsilon = 1; }, Variant::SparseCategorical,
       "opts->poly_epsilon"},
      {"gamma with smoothing on sparse softmax",
       [](xent_options &o) {
         o.focal_gamma = 2;
         o.label_smoothing = 0.1;
       },
       Variant::SparseSoftmaxLogits, "label_smoothing"},
  };
  for (const Bad &b : cases) {
    LossSpec s = make_spec(b.variant, 2, 3);
    const LossData<float> d = make_data<float>(s);
    xent_options o = make_options(s, d);
    b.set(o);
    Guarded<float> loss(s.loss_count()), grad(6);
    LossArgs<float> a;
    a.variant = b.variant, a.input = nonnull(d.input), a.targets = nonnull(d.targets), a.labels64 = nonnull(d.labels64);
    a.batch = 2, a.classes = 3, a.opts = &o, a.loss = loss.data(), a.grad = grad.data();
    INFO(b.what);
    CHECK(call_loss(a) == XENT_ERR_INVALID_ARGUMENT);
    CHECK(std::string(xent_last_error()).find(b.needle) != std::string::npos);
    CHECK(loss.untouched());
    CHECK(grad.untouched());
  }
}
