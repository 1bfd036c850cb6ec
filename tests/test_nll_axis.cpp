// nll_loss (forward, backward) and the softmax family over the middle axis, against
// long-double references written here from their formulas; log_softmax + nll_loss against
// sparse_softmax_ce_with_logits; inner = 1 bitwise the last-axis functions; special lines;
// a line alone or in a batch and any thread count with the same bits; errors.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "support/loss_case.hpp"

using namespace xt;

namespace {

template <class T> using NllFn = xent_status (*)(const T *, const int64_t *, int64_t, int64_t, const xent_options *,
                                                  T *, T *);
template <class T> NllFn<T> nll() {
  if constexpr (sizeof(T) == 4) return xent_nll_loss_f32;
  else return xent_nll_loss_f64;
}
template <class T> NllFn<T> sparse_ce() {
  if constexpr (sizeof(T) == 4) return xent_sparse_softmax_ce_with_logits_f32;
  else return xent_sparse_softmax_ce_with_logits_f64;
}

struct NllSpec {
  int64_t B, C, K;
  int reduction;
  double smoothing;
  bool weights, ignore;
};

// Log-probabilities of random logits (long double log_softmax over C), labels, weights.
template <class T> void check_nll(const NllSpec &sp, uint64_t seed) {
  Rng rng(seed);
  const int64_t B = sp.B, C = sp.C, K = sp.K, n = B * C * K, S = B * K;
  std::vector<T> lp(static_cast<size_t>(n)), cw, sw;
  std::vector<LD> x(static_cast<size_t>(n));
  for (auto &v : x) v = rng.uniform(-6, 6);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      std::vector<LD> row(static_cast<size_t>(C));
      for (int64_t c = 0; c < C; ++c) row[size_t(c)] = x[size_t((b * C + c) * K + k)];
      const LD l = ref::lse(row.data(), C);
      for (int64_t c = 0; c < C; ++c) lp[size_t((b * C + c) * K + k)] = T(row[size_t(c)] - l);
    }
  std::vector<int64_t> labels(static_cast<size_t>(S));
  for (auto &l : labels) l = sp.ignore && rng.chance(0.3) ? -100 : rng.below(C);
  if (sp.weights) cw = uniform_vector<T>(rng, size_t(C), 0.25, 2), sw = uniform_vector<T>(rng, size_t(S), 0, 2);
  xent_options o;
  xent_options_init(&o);
  o.reduction = xent_reduction(sp.reduction);
  o.label_smoothing = sp.smoothing;
  o.inner = K;
  o.ignore_index = sp.ignore ? -100 : XENT_NO_IGNORE;
  o.class_weights = cw.empty() ? nullptr : cw.data();
  o.sample_weights = sw.empty() ? nullptr : sw.data();

  // Reference: loss_s = -sw sum_c cw_c t'_c lp_c, grad = -sw cw_c t'_c (/ MEAN's divisor).
  std::vector<LD> want(static_cast<size_t>(S)), scale(want.size()), grad(static_cast<size_t>(n));
  LD total = 0, divisor = 0, scale_total = 0;
  for (int64_t s = 0; s < S; ++s) {
    const int64_t b = s / K, k = s % K, l = labels[size_t(s)];
    scale[size_t(s)] = 1;
    if (l == -100 && sp.ignore) continue;
    const LD w_s = sw.empty() ? 1 : LD(sw[size_t(s)]);
    LD loss = 0, big = 0;
    for (int64_t c = 0; c < C; ++c) {
      const size_t at = size_t((b * C + c) * K + k);
      const LD coef = ((c == l ? 1 - LD(sp.smoothing) : 0) + LD(sp.smoothing) / LD(C)) * (cw.empty() ? 1 : LD(cw[size_t(c)]));
      loss -= w_s * coef * LD(lp[at]);
      grad[at] = -w_s * coef;
      big = fmaxl(big, fabsl(LD(lp[at])));
    }
    want[size_t(s)] = loss;
    scale[size_t(s)] = fmaxl(fabsl(loss), 1 + big);
    total += loss;
    scale_total += scale[size_t(s)];
    divisor += w_s * (cw.empty() ? 1 : LD(cw[size_t(l)]));
  }
  Guarded<T> loss(sp.reduction ? 1 : size_t(S)), g(static_cast<size_t>(n));
  INFO("nll B=" << B << " C=" << C << " K=" << K << " red=" << sp.reduction << " s=" << sp.smoothing
                << " weights=" << sp.weights << " ignore=" << sp.ignore << (sizeof(T) == 4 ? " f32" : " f64"));
  REQUIRE(nll<T>()(lp.data(), labels.data(), B, C, &o, loss.data(), g.data()) == XENT_OK);
  if (sp.reduction == 0) {
    XT_CHECK_REPORT(compare_scaled(loss.data(), want, scale, Api<T>::tol), "loss");
  } else {
    const LD d = sp.reduction == 2 ? divisor : 1;
    if (d != 0) XT_CHECK_REPORT(compare_scaled(loss.data(), {total / d}, {scale_total / d}, Api<T>::tol), "loss");
    if (d != 0)
      for (int64_t i = 0; i < n; ++i)
        if (!(sp.ignore && labels[size_t(i / (C * K) * K + i % K)] == -100)) grad[size_t(i)] /= d;
  }
  if (sp.reduction != 2 || divisor != 0) XT_CHECK_REPORT(compare_to_largest(g.data(), grad, Api<T>::tol), "grad");

  // log_softmax + nll_loss is sparse_softmax_ce_with_logits on the logits.
  std::vector<T> xt(x.begin(), x.end());
  Guarded<T> ce(loss.size());
  REQUIRE(sparse_ce<T>()(xt.data(), labels.data(), B, C, &o, ce.data(), nullptr) == XENT_OK);
  std::vector<LD> ce_want(ce.data(), ce.data() + ce.size()), ce_scale(ce.size(), 0);
  for (size_t i = 0; i < ce.size(); ++i) ce_scale[i] = fmaxl(fabsl(ce_want[i]), 7);
  XT_CHECK_REPORT(compare_scaled(loss.data(), ce_want, ce_scale, 2 * Api<T>::tol), "nll vs sparse CE");
}

}  // namespace

TEMPLATE_TEST_CASE("nll_loss against its formula, and log_softmax + nll_loss = sparse softmax CE", "[nll]", float,
                   double) {
  uint64_t seed = 40;
  for (const auto shape : {std::array<int64_t, 3>{1, 1, 1}, {4, 7, 1}, {3, 5, 4}, {2, 1000, 1}, {50, 17, 1}})
    for (int r = 0; r < 3; ++r)
      for (double s : {0.0, 0.1})
        for (bool w : {false, true})
          for (bool ign : {false, true}) check_nll<TestType>({shape[0], shape[1], shape[2], r, s, w, ign}, ++seed);
}

TEST_CASE("nll_loss: only the label's entry is read without smoothing; backward; errors", "[nll]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double lp[] = {-0.5, nan, -2.0, nan, -0.1, -3.0};
  const int64_t labels[] = {0, 1};
  double loss[2], grad[6], dloss[2] = {2, -1}, back[6];
  REQUIRE(xent_nll_loss_f64(lp, labels, 2, 3, nullptr, loss, grad) == XENT_OK);
  CHECK(loss[0] == 0.5);
  CHECK(loss[1] == 0.1);
  REQUIRE(xent_nll_loss_backward_f64(lp, labels, 2, 3, nullptr, dloss, nullptr, back) == XENT_OK);
  for (int i = 0; i < 6; ++i) CHECK(same_bits(back[i], dloss[i / 3] * grad[i]));
  const int64_t bad[] = {0, 3};
  Guarded<double> out(2);
  CHECK(xent_nll_loss_f64(lp, bad, 2, 3, nullptr, out.data(), nullptr) == XENT_ERR_LABEL_OUT_OF_RANGE);
  CHECK(std::string(xent_last_error()).find("labels[1] = 3") != std::string::npos);
  xent_options o;
  xent_options_init(&o);
  o.z_loss = 0.1;
  CHECK(xent_nll_loss_f64(lp, labels, 2, 3, &o, out.data(), nullptr) == XENT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(xent_last_error()).find("opts->z_loss") != std::string::npos);
  CHECK(out.untouched());
}

// ------------------------------------------------------------------ axis kernels

namespace {

template <class T> struct AxisApi;
template <> struct AxisApi<float> {
  static constexpr auto lse = xent_logsumexp_axis_f32, softmax = xent_softmax_axis_f32,
                        log_softmax = xent_log_softmax_axis_f32;
  static constexpr auto partial = xent_lse_partial_axis_f32;
};
template <> struct AxisApi<double> {
  static constexpr auto lse = xent_logsumexp_axis_f64, softmax = xent_softmax_axis_f64,
                        log_softmax = xent_log_softmax_axis_f64;
  static constexpr auto partial = xent_lse_partial_axis_f64;
};

template <class T> void check_axis(int64_t O, int64_t C, int64_t I, uint64_t seed) {
  using A = AxisApi<T>;
  Rng rng(seed);
  const int64_t n = O * C * I;
  std::vector<T> x(static_cast<size_t>(n));
  for (auto &v : x) v = T(rng.uniform(-30, 30));
  if (O * I > 2) {  // special lines: all -inf, a NaN, a +inf, 1e30 and -1e30
    for (int64_t c = 0; c < C; ++c) x[size_t(c * I)] = -INFINITY;
    x[size_t(1)] = NAN;
    x[size_t(2 + (C - 1) * I)] = INFINITY;
  }
  std::vector<T> lse(static_cast<size_t>(O * I)), mx(lse.size()), sm(lse.size()), y(x.size()), ly(x.size());
  REQUIRE(A::lse(x.data(), O, C, I, lse.data()) == XENT_OK);
  REQUIRE(A::partial(x.data(), O, C, I, mx.data(), sm.data()) == XENT_OK);
  REQUIRE(A::softmax(x.data(), O, C, I, y.data()) == XENT_OK);
  REQUIRE(A::log_softmax(x.data(), O, C, I, ly.data()) == XENT_OK);
  INFO("axis O=" << O << " C=" << C << " I=" << I << (sizeof(T) == 4 ? " f32" : " f64"));
  std::vector<LD> want_lse(lse.size()), lse_scale(lse.size()), want_y(x.size()), want_ly(x.size()), ly_scale(x.size());
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i) {
      std::vector<LD> line(static_cast<size_t>(C));
      LD big = 0;
      for (int64_t c = 0; c < C; ++c) {
        line[size_t(c)] = x[size_t((o * C + c) * I + i)];
        if (std::isfinite(line[size_t(c)])) big = fmaxl(big, fabsl(line[size_t(c)]));
      }
      const LD l = ref::lse(line.data(), C);
      want_lse[size_t(o * I + i)] = l;
      lse_scale[size_t(o * I + i)] = 1 + big;
      for (int64_t c = 0; c < C; ++c) {
        const size_t at = size_t((o * C + c) * I + i);
        want_y[at] = std::isfinite(l) ? expl(line[size_t(c)] - l) : (std::isnan(l) || l < 0 ? ref::nan() : (line[size_t(c)] == l ? ref::nan() : 0.0L));
        want_ly[at] = line[size_t(c)] - l;
        ly_scale[at] = 1 + big;
      }
      // lse_partial's pair gives the lse again.
      const LD from_parts = LD(mx[size_t(o * I + i)]) + logl(LD(sm[size_t(o * I + i)]));
      if (std::isfinite(l)) CHECK(fabsl(from_parts - l) <= Api<T>::tol * (1 + big));
    }
  XT_CHECK_REPORT(compare_scaled(lse.data(), want_lse, lse_scale, Api<T>::tol), "logsumexp_axis");
  XT_CHECK_REPORT(compare_to_largest(y.data(), want_y, Api<T>::tol), "softmax_axis");
  XT_CHECK_REPORT(compare_scaled(ly.data(), want_ly, ly_scale, Api<T>::tol), "log_softmax_axis");

  // In place, and each line alone (outer = 1, inner = 1 through the last-axis route is
  // another algorithm: compare a single outer slab instead) with the same bits.
  std::vector<T> inplace = x;
  REQUIRE(A::softmax(inplace.data(), O, C, I, inplace.data()) == XENT_OK);
  XT_CHECK_REPORT(compare_bitwise(inplace.data(), y.data(), y.size()), "in place");
  const int64_t o_last = O - 1;
  std::vector<T> slab(x.begin() + o_last * C * I, x.end()), slab_y(slab.size());
  REQUIRE(A::softmax(slab.data(), 1, C, I, slab_y.data()) == XENT_OK);
  XT_CHECK_REPORT(compare_bitwise(slab_y.data(), y.data() + o_last * C * I, slab.size()), "one slab alone");
  xent_set_num_threads(1);
  std::vector<T> y1(x.size());
  REQUIRE(A::softmax(x.data(), O, C, I, y1.data()) == XENT_OK);
  xent_set_num_threads(0);
  XT_CHECK_REPORT(compare_bitwise(y1.data(), y.data(), y.size()), "1 thread vs default");
}

}  // namespace

TEMPLATE_TEST_CASE("softmax family on the middle axis against the reference; in place; alone; threads",
                   "[axis]", float, double) {
  uint64_t seed = 70;
  for (int64_t I : {2, 3, 7, 8, 16, 17, 33, 64})
    for (int64_t C : {1, 2, 5, 100})
      for (int64_t O : {1, 3}) check_axis<TestType>(O, C, I, ++seed);
  check_axis<TestType>(2, 5000, 17, ++seed);
  check_axis<TestType>(40, 300, 40, ++seed);  // past the threads' minimum size
}

TEMPLATE_TEST_CASE("axis kernels: inner = 1 is the last-axis function bit for bit; errors write nothing", "[axis]",
                   float, double) {
  using T = TestType;
  using A = AxisApi<T>;
  Rng rng(5);
  std::vector<T> x = uniform_vector<T>(rng, 6 * 33, -5, 5), a(x.size()), b(x.size());
  REQUIRE(A::softmax(x.data(), 6, 33, 1, a.data()) == XENT_OK);
  REQUIRE(Api<T>::softmax(x.data(), 6, 33, b.data()) == XENT_OK);
  XT_CHECK_REPORT(compare_bitwise(a.data(), b.data(), a.size()), "softmax inner 1");
  REQUIRE(A::lse(x.data(), 6, 33, 1, a.data()) == XENT_OK);
  REQUIRE(Api<T>::logsumexp(x.data(), 6, 33, b.data()) == XENT_OK);
  XT_CHECK_REPORT(compare_bitwise(a.data(), b.data(), 6), "logsumexp inner 1");
  Guarded<T> out(x.size());
  CHECK(A::softmax(x.data(), 2, 0, 3, out.data()) == XENT_ERR_INVALID_SHAPE);
  CHECK(std::string(xent_last_error()).find("cols = 0") != std::string::npos);
  CHECK(A::softmax(x.data(), 2, 3, 0, out.data()) == XENT_ERR_INVALID_SHAPE);
  CHECK(A::softmax(x.data(), -1, 3, 2, out.data()) == XENT_ERR_INVALID_SHAPE);
  CHECK(A::softmax(nullptr, 2, 3, 2, out.data()) == XENT_ERR_NULL_POINTER);
  CHECK(A::lse(x.data(), 2, 3, 2, x.data() + 1) == XENT_ERR_INVALID_ARGUMENT);  // out inside x
  CHECK(A::partial(x.data(), 2, 3, 2, out.data(), out.data() + 1) == XENT_ERR_INVALID_ARGUMENT);
  CHECK(out.untouched());
}
