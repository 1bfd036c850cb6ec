// The fused linear + sparse softmax CE (include/xent/xent_linear.h): loss, lse and the three
// gradients against a long-double reference of the unfused computation, finite differences
// (f64), the unfused route through the library's own sparse loss, every option, the
// backward form, empty n, every error with outputs untouched, and 1 vs 2 threads bitwise.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "support/errors.hpp"
#include "support/linear_case.hpp"

using namespace xt;

namespace {

// The library's options for a reference Options (class / sample weights stored in `keep`).
template <class T> struct OptionsFor {
  std::vector<T> cw, sw;
  xent_options o;
  explicit OptionsFor(const ref::Options &r) {
    xent_options_init(&o);
    o.reduction = xent_reduction(r.reduction);
    o.label_smoothing = double(r.smoothing);
    for (LD w : r.class_weights) cw.push_back(T(w));
    for (LD w : r.sample_weights) sw.push_back(T(w));
    o.class_weights = cw.empty() ? nullptr : cw.data();
    o.sample_weights = sw.empty() ? nullptr : sw.data();
    if (r.has_ignore) o.ignore_index = r.ignore_index;
    o.z_loss = double(r.z_loss);
    o.logit_softcap = double(r.softcap);
  }
};

// The weights in ref::Options are given as T values (what the library receives).
template <class T> std::vector<LD> rounded_weights(Rng &rng, size_t n) {
  std::vector<LD> w;
  for (size_t i = 0; i < n; ++i) w.push_back(LD(T(rng.uniform(0.25, 2))));
  return w;
}

template <class T> void check_against_reference(const LinearCase<T> &c, const ref::Options &ro, bool lse_out = false) {
  OptionsFor<T> of(ro);
  LinearOut<T> out(c, ro.reduction, true, lse_out);
  if (lse_out) of.o.lse_out = out.lse.data();
  const xent_status s = linear_call(c.hidden.data(), c.weight.data(), c.bias_ptr(), c.labels.data(), c.n, c.h, c.v,
                                    &of.o, out.loss.data(), out.d_hidden.data(), out.d_weight.data(),
                                    c.bias.empty() ? nullptr : out.d_bias.data());
  REQUIRE(s == XENT_OK);
  const LinearRef r = linear_reference(c, ro);
  const double tol = linear_tol<T>();
  check_scaled("loss", out.loss.data(), r.loss.loss, r.loss.scale, tol);
  check_largest("d_hidden", out.d_hidden.data(), r.d_hidden, tol);
  check_largest("d_weight", out.d_weight.data(), r.d_weight, tol);
  if (!c.bias.empty()) {
    check_largest("d_bias", out.d_bias.data(), r.d_bias, tol);
  } else {
    CHECK(out.d_bias.untouched());
  }
  if (lse_out) {
    std::vector<LD> scale;
    for (LD l : r.lse) scale.push_back(fmaxl(1, fabsl(l)));
    check_scaled("lse", out.lse.data(), r.lse, scale, tol);
  }
  CHECK(out.loss.guards_intact());
  CHECK(out.d_hidden.guards_intact());
  CHECK(out.d_weight.guards_intact());
  CHECK(out.d_bias.guards_intact());
}

template <class T> void every_option() {
  const int reductions[] = {ref::NONE, ref::SUM, ref::MEAN};
  for (int red : reductions) {
    INFO("reduction " << red);
    Rng rng(7);
    for (bool bias : {true, false}) {
      INFO("bias " << bias);
      const auto c = make_linear_case<T>(11, 37, 24, 53, bias);
      ref::Options o;
      o.reduction = red;
      check_against_reference(c, o, /*lse_out*/ true);
    }
    const auto c = make_linear_case<T>(12, 29, 16, 41);
    {
      INFO("label_smoothing");
      ref::Options o;
      o.reduction = red;
      o.smoothing = LD(T(0.1));
      check_against_reference(c, o);
    }
    {
      INFO("class and sample weights");
      ref::Options o;
      o.reduction = red;
      o.class_weights = rounded_weights<T>(rng, size_t(c.v));
      o.sample_weights = rounded_weights<T>(rng, size_t(c.n));
      check_against_reference(c, o);
    }
    {
      INFO("ignore_index");
      auto ci = c;
      for (size_t i = 0; i < ci.labels.size(); i += 3) ci.labels[i] = -100;
      ref::Options o;
      o.reduction = red;
      o.has_ignore = true;
      o.ignore_index = -100;
      check_against_reference(ci, o);
    }
    {
      INFO("z_loss");
      ref::Options o;
      o.reduction = red;
      o.z_loss = LD(T(0.01));
      check_against_reference(c, o, true);
    }
    {
      INFO("logit_softcap");
      ref::Options o;
      o.reduction = red;
      o.softcap = 2;
      check_against_reference(c, o);
    }
    {
      INFO("everything at once");
      auto ci = c;
      ci.labels[3] = 5;
      ref::Options o;
      o.reduction = red;
      o.smoothing = LD(T(0.05));
      o.class_weights = rounded_weights<T>(rng, size_t(c.v));
      o.sample_weights = rounded_weights<T>(rng, size_t(c.n));
      o.has_ignore = true;
      o.ignore_index = 5;
      o.z_loss = LD(T(0.001));
      o.softcap = 3;
      check_against_reference(ci, o);
    }
  }
}

// The unfused route: logits in long double rounded to T, the library's sparse loss on them
// (with its gradient), the gradient products in long double.
template <class T> struct Unfused {
  std::vector<LD> loss, d_hidden, d_weight, d_bias;
};
template <class T> Unfused<T> unfused(const LinearCase<T> &c, const xent_options &o) {
  const int64_t n = c.n, h = c.h, v = c.v;
  std::vector<T> z(size_t(n * v)), g(size_t(n * v));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < v; ++j) {
      LD s = c.bias.empty() ? 0 : c.bias[size_t(j)];
      for (int64_t k = 0; k < h; ++k) s += LD(c.hidden[size_t(i * h + k)]) * c.weight[size_t(j * h + k)];
      z[size_t(i * v + j)] = T(s);
    }
  std::vector<T> loss(o.reduction == XENT_REDUCTION_NONE ? size_t(n) : 1);
  xent_status s;
  if constexpr (std::is_same_v<T, float>)
    s = xent_sparse_softmax_ce_with_logits_f32(z.data(), c.labels.data(), n, v, &o, loss.data(), g.data());
  else
    s = xent_sparse_softmax_ce_with_logits_f64(z.data(), c.labels.data(), n, v, &o, loss.data(), g.data());
  REQUIRE(s == XENT_OK);
  Unfused<T> u;
  u.loss.assign(loss.begin(), loss.end());
  u.d_hidden.assign(size_t(n * h), 0);
  u.d_weight.assign(size_t(v * h), 0);
  u.d_bias.assign(size_t(v), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < v; ++j) {
      const LD gij = g[size_t(i * v + j)];
      u.d_bias[size_t(j)] += gij;
      for (int64_t k = 0; k < h; ++k) {
        u.d_hidden[size_t(i * h + k)] += gij * c.weight[size_t(j * h + k)];
        u.d_weight[size_t(j * h + k)] += gij * c.hidden[size_t(i * h + k)];
      }
    }
  return u;
}

template <class T> void check_against_unfused(const LinearCase<T> &c, const xent_options &o) {
  const Unfused<T> want = unfused(c, o);
  LinearOut<T> out(c, o.reduction);
  REQUIRE(linear_call(c.hidden.data(), c.weight.data(), c.bias_ptr(), c.labels.data(), c.n, c.h, c.v, &o,
                      out.loss.data(), out.d_hidden.data(), out.d_weight.data(), out.d_bias.data()) == XENT_OK);
  const double tol = linear_tol<T>();
  std::vector<LD> scale;
  for (LD l : want.loss) scale.push_back(fmaxl(1, fabsl(l)) * 4);  // 1 + |logits| <= ~4
  check_scaled("loss", out.loss.data(), want.loss, scale, tol);
  check_largest("d_hidden", out.d_hidden.data(), want.d_hidden, tol);
  check_largest("d_weight", out.d_weight.data(), want.d_weight, tol);
  check_largest("d_bias", out.d_bias.data(), want.d_bias, tol);
}

bool available() {
  if (xent_linear_available()) return true;
  WARN("this build has no BLAS: the fused linear loss returns XENT_ERR_UNSUPPORTED");
  return false;
}

}  // namespace

TEST_CASE("linear: without a BLAS every entry point says so", "[linear]") {
  if (xent_linear_available()) return;
  const auto c = make_linear_case<float>(1, 3, 2, 4);
  float loss[3];
  const xent_status s = xent_linear_sparse_softmax_ce_f32(c.hidden.data(), c.weight.data(), nullptr, c.labels.data(),
                                                          3, 2, 4, nullptr, loss, nullptr, nullptr, nullptr);
  check_failure(s, XENT_ERR_UNSUPPORTED, "xent_linear_sparse_softmax_ce_f32", "-Dblas=enabled");
}

TEST_CASE("linear f32: loss, lse and gradients match the long-double reference for every option", "[linear]") {
  if (available()) every_option<float>();
}

TEST_CASE("linear f64: loss, lse and gradients match the long-double reference for every option", "[linear]") {
  if (available()) every_option<double>();
}

TEST_CASE("linear f64: gradients match central finite differences of the loss", "[linear]") {
  if (!available()) return;
  auto c = make_linear_case<double>(21, 5, 4, 7);
  for (int red : {XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
    INFO("reduction " << red);
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    o.label_smoothing = 0.1;
    o.z_loss = 0.01;
    std::vector<double> dh(size_t(c.n * c.h)), dw(size_t(c.v * c.h)), db(size_t(c.v));
    double loss = 0;
    REQUIRE(xent_linear_sparse_softmax_ce_f64(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(), c.n,
                                              c.h, c.v, &o, &loss, dh.data(), dw.data(), db.data()) == XENT_OK);
    const auto loss_at = [&](std::vector<double> &x, size_t i, double step) {
      const double keep = x[i];
      x[i] = keep + step;
      double l = 0;
      REQUIRE(xent_linear_sparse_softmax_ce_f64(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(),
                                                c.n, c.h, c.v, &o, &l, nullptr, nullptr, nullptr) == XENT_OK);
      x[i] = keep;
      return l;
    };
    const auto fd_check = [&](std::vector<double> &x, const std::vector<double> &grad, const char *name) {
      const double step = 1e-5;
      for (size_t i = 0; i < x.size(); ++i) {
        const double fd = (loss_at(x, i, step) - loss_at(x, i, -step)) / (2 * step);
        INFO(name << "[" << i << "]: analytic " << grad[i] << ", finite difference " << fd);
        CHECK(std::fabs(fd - grad[i]) <= 1e-8);
      }
    };
    fd_check(c.hidden, dh, "d_hidden");
    fd_check(c.weight, dw, "d_weight");
    fd_check(c.bias, db, "d_bias");
  }
}

TEST_CASE("linear f32: equals the unfused route (logits, then xent's sparse loss) over several chunks", "[linear]") {
  if (!available()) return;
  // A chunk holds 256 tokens (linear/tiles.hpp), so 300 tokens take two chunks and d_weight
  // adds them; v = 20000: 40 vocabulary tiles.
  const auto c = make_linear_case<float>(31, 300, 8, 20000);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_MEAN}) {
    INFO("reduction " << red);
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    check_against_unfused(c, o);
  }
}

TEMPLATE_TEST_CASE("linear: focal and Poly-1 equal the unfused route", "[linear]", float, double) {
  if (!available()) return;
  const auto c = make_linear_case<TestType>(33, 27, 10, 45);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
    INFO("reduction " << red);
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    o.focal_gamma = 2;
    check_against_unfused(c, o);
    o.focal_gamma = 0;
    o.poly_epsilon = 1;
    o.label_smoothing = 0.1;
    check_against_unfused(c, o);
  }
}

TEST_CASE("linear f32: results have the same bits for 1 and 2 threads", "[linear]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(41, 300, 40, 20000);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM}) {
    std::vector<float> outs[2][4];
    for (int t = 0; t < 2; ++t) {
      xent_options o;
      xent_options_init(&o);
      o.reduction = xent_reduction(red);
      o.num_threads = t + 1;
      auto &r = outs[t];
      r[0].resize(red == XENT_REDUCTION_NONE ? size_t(c.n) : 1);
      r[1].resize(size_t(c.n * c.h));
      r[2].resize(size_t(c.v * c.h));
      r[3].resize(size_t(c.v));
      REQUIRE(xent_linear_sparse_softmax_ce_f32(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(),
                                                c.n, c.h, c.v, &o, r[0].data(), r[1].data(), r[2].data(),
                                                r[3].data()) == XENT_OK);
    }
    for (int k = 0; k < 4; ++k) {
      INFO("reduction " << red << ", output " << k);
      CHECK(std::memcmp(outs[0][k].data(), outs[1][k].data(), outs[0][k].size() * sizeof(float)) == 0);
    }
  }
}

TEMPLATE_TEST_CASE("linear: the backward form gives the gradients of dloss . loss", "[linear]", float, double) {
  using T = TestType;
  if (!available()) return;
  const auto c = make_linear_case<T>(51, 23, 12, 31);
  Rng rng(5);
  const std::vector<LD> dloss_ld = rounded_weights<T>(rng, size_t(c.n));
  for (int red : {ref::NONE, ref::SUM, ref::MEAN}) {
    INFO("reduction " << red);
    // NONE: sum_i dloss_i loss_i is the SUM of losses weighted by dloss; SUM / MEAN: dloss * loss.
    ref::Options ro;
    ro.reduction = red == ref::NONE ? ref::SUM : red;
    if (red == ref::NONE) ro.sample_weights = dloss_ld;
    ro.smoothing = LD(T(0.1));
    const LinearRef r = linear_reference(c, ro);
    const LD scalar = red == ref::NONE ? 1 : LD(T(0.7));
    std::vector<T> dloss;
    if (red == ref::NONE)
      for (LD d : dloss_ld) dloss.push_back(T(d));
    else
      dloss.push_back(T(scalar));
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    o.label_smoothing = 0.1;
    LinearOut<T> out(c, red);
    REQUIRE(linear_backward(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(), c.n, c.h, c.v, &o,
                            dloss.data(), nullptr, out.d_hidden.data(), out.d_weight.data(),
                            out.d_bias.data()) == XENT_OK);
    CHECK(out.loss.untouched());
    const auto scaled = [&](std::vector<LD> x) {
      for (LD &e : x) e *= scalar;
      return x;
    };
    const double tol = linear_tol<T>();
    check_largest("d_hidden", out.d_hidden.data(), scaled(r.d_hidden), tol);
    check_largest("d_weight", out.d_weight.data(), scaled(r.d_weight), tol);
    check_largest("d_bias", out.d_bias.data(), scaled(r.d_bias), tol);
    // The forward's lse (through opts->lse_out) given to the backward gives the same gradients
    std::vector<T> lse(size_t(c.n)), fwd_loss(red == ref::NONE ? size_t(c.n) : 1);
    xent_options fo = o;
    fo.lse_out = lse.data();
    REQUIRE(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(), c.n, c.h, c.v, &fo,
                        fwd_loss.data(), nullptr, nullptr, nullptr) == XENT_OK);
    LinearOut<T> again(c, red);
    REQUIRE(linear_backward(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(), c.n, c.h, c.v, &o,
                            dloss.data(), lse.data(), again.d_hidden.data(), again.d_weight.data(),
                            again.d_bias.data()) == XENT_OK);
    // (the kernel then skips its max and sum pass: the same values within tolerance, not the same bits)
    check_largest("d_hidden with the saved lse", again.d_hidden.data(), scaled(r.d_hidden), tol);
    check_largest("d_weight with the saved lse", again.d_weight.data(), scaled(r.d_weight), tol);
  }
}

TEST_CASE("linear: n = 0 gives the empty sums, zero d_weight and d_bias", "[linear]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(61, 0, 3, 5);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    float loss = -1, dh = -1;
    std::vector<float> dw(15, -1), db(5, -1);
    const int64_t none[1] = {0};
    REQUIRE(xent_linear_sparse_softmax_ce_f32(c.weight.data(), c.weight.data() + 0, c.bias.data(), none, 0, 3, 5,
                                              &o, &loss, &dh, dw.data(), db.data()) == XENT_OK);
    if (red == XENT_REDUCTION_NONE) CHECK(loss == -1);
    if (red == XENT_REDUCTION_SUM) CHECK(loss == 0);
    if (red == XENT_REDUCTION_MEAN) CHECK(std::isnan(loss));
    CHECK(dh == -1);
    for (float x : dw) CHECK(x == 0);
    for (float x : db) CHECK(x == 0);
  }
}

TEST_CASE("linear: every error returns its status, names the argument and writes nothing", "[linear]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(71, 6, 4, 9);
  const char *fn = "xent_linear_sparse_softmax_ce_f32";
  struct Call {
    const float *hidden, *weight, *bias;
    const int64_t *labels;
    int64_t n, h, v;
    xent_options o;
    bool opts_null = false;
  };
  LinearOut<float> out(c, XENT_REDUCTION_NONE, true, true);
  const auto run = [&](Call k) {
    return xent_linear_sparse_softmax_ce_f32(k.hidden, k.weight, k.bias, k.labels, k.n, k.h, k.v,
                                             k.opts_null ? nullptr : &k.o, out.loss.data(), out.d_hidden.data(),
                                             out.d_weight.data(), out.d_bias.data());
  };
  Call good{c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(), c.n, c.h, c.v, {}};
  xent_options_init(&good.o);
  const auto expect = [&](Call k, xent_status want, const std::string &needle) {
    prime_last_error();
    check_failure(run(k), want, fn, needle);
    CHECK(out.loss.untouched());
    CHECK(out.d_hidden.untouched());
    CHECK(out.d_weight.untouched());
    CHECK(out.d_bias.untouched());
    CHECK(out.lse.untouched());
  };
  Call k = good;
  k.hidden = nullptr;
  expect(k, XENT_ERR_NULL_POINTER, "hidden");
  k = good, k.weight = nullptr;
  expect(k, XENT_ERR_NULL_POINTER, "weight");
  k = good, k.labels = nullptr;
  expect(k, XENT_ERR_NULL_POINTER, "labels");
  k = good, k.o.struct_size = 8;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "struct_size");
  k = good, k.n = -1;
  expect(k, XENT_ERR_INVALID_SHAPE, "n = -1");
  k = good, k.h = 0;
  expect(k, XENT_ERR_INVALID_SHAPE, "h = 0");
  k = good, k.v = 0;
  expect(k, XENT_ERR_INVALID_SHAPE, "v = 0");
  k = good, k.v = int64_t(1) << 40;
  expect(k, XENT_ERR_INVALID_SHAPE, "int range");
  k = good, k.n = INT64_MAX / 2;
  expect(k, XENT_ERR_INVALID_SHAPE, "n * h");
  k = good, k.o.inner = 2;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "inner");
  k = good, k.o.label_smoothing = 2;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "label_smoothing");
  k = good, k.o.reduction = xent_reduction(3);
  expect(k, XENT_ERR_INVALID_ARGUMENT, "reduction");
  float pw[9] = {};
  k = good, k.o.pos_weight = pw;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "pos_weight");
  k = good, k.o.epsilon = 0.1;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "epsilon");
  k = good, k.o.focal_alpha = 0.25;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "focal_alpha");
  k = good, k.o.focal_gamma = 2, k.o.label_smoothing = 0.1;
  expect(k, XENT_ERR_INVALID_ARGUMENT, "focal_gamma");
  // Overlaps: an output on an input, two outputs on each other.
  k = good, k.o.lse_out = out.d_bias.data();
  expect(k, XENT_ERR_INVALID_ARGUMENT, "d_bias");
  k = good, k.bias = out.d_bias.data();
  expect(k, XENT_ERR_INVALID_ARGUMENT, "bias");
  k = good, k.hidden = out.d_hidden.data();
  expect(k, XENT_ERR_INVALID_ARGUMENT, "hidden");
  std::vector<float> cw(9, 1);
  k = good, k.o.class_weights = out.d_weight.data();
  expect(k, XENT_ERR_INVALID_ARGUMENT, "class_weights");
  // Labels.
  auto bad = c.labels;
  bad[4] = 9;
  k = good, k.labels = bad.data();
  expect(k, XENT_ERR_LABEL_OUT_OF_RANGE, "labels[4] = 9");
  bad[4] = -100;
  expect(k, XENT_ERR_LABEL_OUT_OF_RANGE, "labels[4] = -100");
  k.o.ignore_index = -100;
  prime_last_error();
  CHECK(run(k) == XENT_OK);  // the same labels with -100 ignored

  // The backward's own: dloss NULL, lse overlapping an output; opts->lse_out is ignored there.
  const char *bfn = "xent_linear_sparse_softmax_ce_backward_f32";
  LinearOut<float> bout(c, XENT_REDUCTION_NONE);
  std::vector<float> dloss(size_t(c.n), 1);
  xent_options o;
  xent_options_init(&o);
  prime_last_error();
  check_failure(xent_linear_sparse_softmax_ce_backward_f32(c.hidden.data(), c.weight.data(), c.bias.data(),
                                                           c.labels.data(), c.n, c.h, c.v, &o, nullptr, nullptr,
                                                           bout.d_hidden.data(), nullptr, nullptr),
                XENT_ERR_NULL_POINTER, bfn, "dloss");
  o.lse_out = dloss.data();  // overlaps dloss: ignored, so no error, and dloss not written
  const std::vector<float> dloss_before = dloss;
  CHECK(xent_linear_sparse_softmax_ce_backward_f32(c.hidden.data(), c.weight.data(), c.bias.data(), c.labels.data(),
                                                   c.n, c.h, c.v, &o, dloss.data(), nullptr, bout.d_hidden.data(),
                                                   nullptr, nullptr) == XENT_OK);
  CHECK(std::memcmp(dloss.data(), dloss_before.data(), dloss.size() * sizeof(float)) == 0);
  bout.d_hidden = Guarded<float>(size_t(c.n * c.h));
  o.lse_out = nullptr;
  prime_last_error();
  check_failure(xent_linear_sparse_softmax_ce_backward_f32(c.hidden.data(), c.weight.data(), c.bias.data(),
                                                           c.labels.data(), c.n, c.h, c.v, &o, dloss.data(),
                                                           bout.d_hidden.data(), bout.d_hidden.data(), nullptr,
                                                           nullptr),
                XENT_ERR_INVALID_ARGUMENT, bfn, "lse");
  CHECK(bout.d_hidden.untouched());
}

TEST_CASE("linear: int32 labels give the bits of int64 labels", "[linear]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(81, 17, 8, 19);
  std::vector<int32_t> l32(c.labels.begin(), c.labels.end());
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_MEAN;
  float a = 0, b = 0;
  std::vector<float> dwa(size_t(c.v * c.h)), dwb(dwa.size());
  REQUIRE(xent_linear_sparse_softmax_ce_f32(c.hidden.data(), c.weight.data(), nullptr, c.labels.data(), c.n, c.h,
                                            c.v, &o, &a, nullptr, dwa.data(), nullptr) == XENT_OK);
  REQUIRE(xent_linear_sparse_softmax_ce_f32_i32(c.hidden.data(), c.weight.data(), nullptr, l32.data(), c.n, c.h, c.v,
                                                &o, &b, nullptr, dwb.data(), nullptr) == XENT_OK);
  CHECK(same_bits(a, b));
  CHECK(std::memcmp(dwa.data(), dwb.data(), dwa.size() * sizeof(float)) == 0);
  std::vector<double> hd(c.hidden.begin(), c.hidden.end()), wd(c.weight.begin(), c.weight.end()), dwd(dwa.size());
  double ad = 0, bd = 0;
  REQUIRE(xent_linear_sparse_softmax_ce_f64(hd.data(), wd.data(), nullptr, c.labels.data(), c.n, c.h, c.v, &o, &ad,
                                            nullptr, dwd.data(), nullptr) == XENT_OK);
  REQUIRE(xent_linear_sparse_softmax_ce_f64_i32(hd.data(), wd.data(), nullptr, l32.data(), c.n, c.h, c.v, &o, &bd,
                                                nullptr, nullptr, nullptr) == XENT_OK);
  CHECK(same_bits(ad, bd));
}
