// The bf16 / f16 forms of the fused linear loss (include/xent/xent_linear.h). Inputs are
// random 16-bit values; the references take them widened to double by the test's own
// arithmetic (support/half16.hpp):
//  - loss and lse within SPEC section 4's f32 tolerance of the long-double reference of the
//    unfused computation, each gradient element within the f32 gradient tolerance plus one
//    16-bit ulp (check_rounded), for n = 1, 255, 300 (two chunks), bias or not, every
//    option, int64 and int32 labels;
//  - the contract's f32 math: loss and lse bitwise the f32 form's on the widened inputs,
//    d_weight and d_bias bitwise the test's rounding of its results;
//  - n = 0, the backward form, 1 vs 2 threads bitwise, errors with outputs untouched.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "support/errors.hpp"
#include "support/half16.hpp"
#include "support/linear_case.hpp"
#include "support/linear_checks.hpp"

using namespace xt;
using xt::half16::BF16;
using xt::half16::F16;

namespace {

template <class H> struct HalfCase {
  using S = typename H::type;
  LinearCase<double> wide;  // the 16-bit values widened (exactly): the references' inputs
  std::vector<S> hidden, weight, bias;
  const S *bias_ptr() const { return bias.empty() ? nullptr : bias.data(); }
};

template <class H> std::vector<typename H::type> round_all(std::vector<double> &x) {
  std::vector<typename H::type> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    r[i].bits = H::round(x[i]);
    x[i] = double(H::widen(r[i].bits));
  }
  return r;
}

template <class H>
HalfCase<H> make_half_case(uint64_t seed, int64_t n, int64_t h, int64_t v, bool with_bias = true) {
  HalfCase<H> c;
  c.wide = make_linear_case<double>(seed, n, h, v, with_bias);
  c.hidden = round_all<H>(c.wide.hidden);
  c.weight = round_all<H>(c.wide.weight);
  c.bias = round_all<H>(c.wide.bias);
  return c;
}

template <class H> std::vector<float> widened(const std::vector<typename H::type> &x) {
  std::vector<float> r;
  for (const auto &e : x) r.push_back(H::widen(e.bits));
  return r;
}

// The spacing of H's values at |x| (its subnormal spacing below the normals).
template <class H> LD ulp16(LD x) {
  constexpr bool bf = std::is_same_v<H, BF16>;
  const int p = bf ? 7 : 10, emin = bf ? -126 : -14;
  const int e = x == 0 ? emin : std::max(ilogbl(fabsl(x)), emin);
  return ldexpl(1.0L, e - p);
}

// A 16-bit gradient against the long-double reference. The library computes g32 in f32 on
// the exactly widened inputs, which the f32 tests bound by |g32 - want| <= tol * largest,
// then rounds it to nearest: |g16 - g32| <= ulp16(g32) / 2. When |g32| < 2 |want| that is at
// most ulp16(want); otherwise |g32| <= 2 tol * largest and half its ulp is below
// 2^-7 tol * largest. So |g16 - want| <= tol * largest * (1 + 2^-7) + ulp16(want).
// (ulps > 1: a comparison of two values rounded to 16 bits, see its caller.)
template <class H>
void check_rounded(const char *name, const std::vector<typename H::type> &got, const std::vector<LD> &want,
                   double tol, int ulps = 1) {
  LD largest = 0;
  for (LD w : want) largest = fmaxl(largest, fabsl(w));
  Report r;
  for (size_t i = 0; i < want.size(); ++i)
    compare_one(r, i, H::widen(got[i].bits), want[i], LD(tol) * largest * (1 + 0x1p-7L) + ulps * ulp16<H>(want[i]));
  INFO(r.summary(name));
  CHECK(r.ok);
}

// Outputs prefilled with a pattern no call writes (a NaN payload in both formats).
constexpr uint16_t kMark = 0x7fa5;
template <class S> std::vector<S> marked(size_t n) { return std::vector<S>(n, S{kMark}); }
template <class S> bool untouched(const std::vector<S> &x) {
  for (const S &e : x)
    if (e.bits != kMark) return false;
  return true;
}

using FloatOptions = OptionsFor<float>;  // weights as float, as the 16-bit forms take them

// One forward call with every output; L: the label type.
template <class H, class L = int64_t> struct HalfRun {
  using S = typename H::type;
  std::vector<float> loss, lse;
  std::vector<S> d_hidden, d_weight, d_bias;
  xent_status status;
  HalfRun(const HalfCase<H> &c, xent_options o, bool grads = true) {
    const LinearCase<double> &w = c.wide;
    loss.assign(o.reduction == XENT_REDUCTION_NONE ? size_t(w.n) : 1, -7.f);
    lse.assign(size_t(w.n), -7.f);
    d_hidden = marked<S>(size_t(w.n * w.h));
    d_weight = marked<S>(size_t(w.v * w.h));
    d_bias = marked<S>(size_t(w.v));
    o.lse_out = lse.data();
    const std::vector<L> labels(w.labels.begin(), w.labels.end());
    status = linear_call(c.hidden.data(), c.weight.data(), c.bias_ptr(), labels.data(), w.n, w.h, w.v, &o,
                         loss.data(), grads ? d_hidden.data() : nullptr, grads ? d_weight.data() : nullptr,
                         grads && !c.bias.empty() ? d_bias.data() : nullptr);
  }
};

template <class H> void check_case(const HalfCase<H> &c, const ref::Options &ro) {
  const LinearCase<double> &w = c.wide;
  FloatOptions fo(ro);
  const HalfRun<H> got(c, fo.o);
  REQUIRE(got.status == XENT_OK);
  const LinearRef r = linear_reference(w, ro);
  const double tol = linear_tol<float>();
  check_scaled("loss", got.loss.data(), r.loss.loss, r.loss.scale, tol);
  std::vector<LD> lse_scale;
  for (LD l : r.lse) lse_scale.push_back(fmaxl(1, fabsl(l)));
  check_scaled("lse", got.lse.data(), r.lse, lse_scale, tol);
  check_rounded<H>("d_hidden", got.d_hidden, r.d_hidden, tol);
  check_rounded<H>("d_weight", got.d_weight, r.d_weight, tol);
  if (!c.bias.empty()) check_rounded<H>("d_bias", got.d_bias, r.d_bias, tol);
  else CHECK(untouched(got.d_bias));

  // The contract's f32 math: the f32 form on the widened inputs gives the loss and lse bit
  // for bit, and d_weight / d_bias before their one rounding (d_hidden's products are
  // tiled differently: checked above only).
  const std::vector<float> hd = widened<H>(c.hidden), wt = widened<H>(c.weight), bs = widened<H>(c.bias);
  std::vector<float> loss(got.loss.size()), lse(got.lse.size()), dw(size_t(w.v * w.h)), db(size_t(w.v));
  xent_options o = fo.o;
  o.lse_out = lse.data();
  REQUIRE(xent_linear_sparse_softmax_ce_f32(hd.data(), wt.data(), bs.empty() ? nullptr : bs.data(), w.labels.data(),
                                            w.n, w.h, w.v, &o, loss.data(), nullptr, dw.data(),
                                            bs.empty() ? nullptr : db.data()) == XENT_OK);
  CHECK(std::memcmp(loss.data(), got.loss.data(), loss.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(lse.data(), got.lse.data(), lse.size() * sizeof(float)) == 0);
  size_t bad_dw = 0, bad_db = 0;
  for (size_t i = 0; i < dw.size(); ++i) bad_dw += got.d_weight[i].bits != H::round(double(dw[i]));
  if (!bs.empty())
    for (size_t i = 0; i < db.size(); ++i) bad_db += got.d_bias[i].bits != H::round(double(db[i]));
  CHECK(bad_dw == 0);
  CHECK(bad_db == 0);
}

template <class H> void every_option() {
  Rng rng(3);
  for (const int64_t n : {1, 255, 300}) {
    for (int red : {ref::NONE, ref::SUM, ref::MEAN}) {
      INFO("n " << n << ", reduction " << red);
      for (bool bias : {true, false}) {
        INFO("bias " << bias);
        ref::Options o;
        o.reduction = red;
        check_case(make_half_case<H>(uint64_t(11 + n), n, 16, 600, bias), o);  // two vocabulary tiles
      }
      const auto c = make_half_case<H>(uint64_t(12 + n), n, 12, 70);
      {
        INFO("label_smoothing");
        ref::Options o;
        o.reduction = red;
        o.smoothing = LD(float(0.1));
        check_case(c, o);
      }
      {
        INFO("class and sample weights");
        ref::Options o;
        o.reduction = red;
        o.class_weights = rounded_weights<float>(rng, size_t(c.wide.v));
        o.sample_weights = rounded_weights<float>(rng, size_t(c.wide.n));
        check_case(c, o);
      }
      {
        INFO("ignore_index");
        auto ci = c;
        for (size_t i = 0; i < ci.wide.labels.size(); i += 3) ci.wide.labels[i] = -100;
        ref::Options o;
        o.reduction = red;
        o.has_ignore = true;
        o.ignore_index = -100;
        check_case(ci, o);
      }
      {
        INFO("z_loss");
        ref::Options o;
        o.reduction = red;
        o.z_loss = LD(float(0.01));
        check_case(c, o);
      }
      {
        INFO("logit_softcap");
        ref::Options o;
        o.reduction = red;
        o.softcap = 2;
        check_case(c, o);
      }
    }
  }
  INFO("h = 300: two d_hidden tiles, weight blocks converted by rows");
  ref::Options o;
  o.reduction = ref::MEAN;
  check_case(make_half_case<H>(13, 5, 300, 530), o);
}

bool available() {
  if (xent_linear_available()) return true;
  WARN("this build has no BLAS: the fused linear loss returns XENT_ERR_UNSUPPORTED");
  return false;
}

}  // namespace

TEMPLATE_TEST_CASE("linear 16-bit: without a BLAS every entry point says so", "[linear][half]", BF16, F16) {
  if (xent_linear_available()) return;
  const auto c = make_half_case<TestType>(1, 3, 2, 4);
  float loss[3];
  check_failure(linear_call(c.hidden.data(), c.weight.data(), nullptr, c.wide.labels.data(), 3, 2, 4, nullptr, loss,
                            nullptr, nullptr, nullptr),
                XENT_ERR_UNSUPPORTED, std::string("xent_linear_sparse_softmax_ce_") + TestType::name, "-Dblas=enabled");
}

TEMPLATE_TEST_CASE("linear 16-bit: loss, lse and gradients match the long-double reference for every option",
                   "[linear][half]", BF16, F16) {
  if (available()) every_option<TestType>();
}

TEMPLATE_TEST_CASE("linear 16-bit: int32 labels give the bits of int64 labels", "[linear][half]", BF16, F16) {
  using H = TestType;
  if (!available()) return;
  const auto c = make_half_case<H>(81, 300, 8, 40);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_MEAN}) {
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    const HalfRun<H, int64_t> a(c, o);
    const HalfRun<H, int32_t> b(c, o);
    REQUIRE(a.status == XENT_OK);
    REQUIRE(b.status == XENT_OK);
    CHECK(std::memcmp(a.loss.data(), b.loss.data(), a.loss.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(a.d_hidden.data(), b.d_hidden.data(), a.d_hidden.size() * 2) == 0);
    CHECK(std::memcmp(a.d_weight.data(), b.d_weight.data(), a.d_weight.size() * 2) == 0);
    CHECK(std::memcmp(a.d_bias.data(), b.d_bias.data(), a.d_bias.size() * 2) == 0);
  }
}

TEMPLATE_TEST_CASE("linear 16-bit: n = 0 gives the empty sums, zero d_weight and d_bias", "[linear][half]", BF16,
                   F16) {
  using S = typename TestType::type;
  if (!available()) return;
  const auto c = make_half_case<TestType>(61, 1, 3, 5);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    float loss = -1;
    auto dh = marked<S>(1), dw = marked<S>(15), db = marked<S>(5);
    REQUIRE(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), c.wide.labels.data(), 0, 3, 5, &o, &loss,
                        dh.data(), dw.data(), db.data()) == XENT_OK);
    if (red == XENT_REDUCTION_NONE) CHECK(loss == -1);
    if (red == XENT_REDUCTION_SUM) CHECK(loss == 0);
    if (red == XENT_REDUCTION_MEAN) CHECK(std::isnan(loss));
    CHECK(untouched(dh));
    for (S x : dw) CHECK(x.bits == 0);
    for (S x : db) CHECK(x.bits == 0);
  }
}

TEMPLATE_TEST_CASE("linear 16-bit: the backward form gives the gradients of dloss . loss", "[linear][half]", BF16,
                   F16) {
  using H = TestType;
  using S = typename H::type;
  if (!available()) return;
  const auto c = make_half_case<H>(51, 300, 12, 31);
  const LinearCase<double> &w = c.wide;
  Rng rng(5);
  const std::vector<LD> dloss_ld = rounded_weights<float>(rng, size_t(w.n));
  for (int red : {ref::NONE, ref::SUM, ref::MEAN}) {
    INFO("reduction " << red);
    // NONE: sum_i dloss_i loss_i is the SUM of losses weighted by dloss; SUM / MEAN: dloss * loss.
    ref::Options ro;
    ro.reduction = red == ref::NONE ? ref::SUM : red;
    if (red == ref::NONE) ro.sample_weights = dloss_ld;
    ro.smoothing = LD(float(0.1));
    const LinearRef r = linear_reference(w, ro);
    const LD scalar = red == ref::NONE ? 1 : LD(float(0.7));
    std::vector<float> dloss;
    if (red == ref::NONE)
      for (LD d : dloss_ld) dloss.push_back(float(d));
    else
      dloss.push_back(float(scalar));
    xent_options o;
    xent_options_init(&o);
    o.reduction = xent_reduction(red);
    o.label_smoothing = 0.1;
    auto dh = marked<S>(size_t(w.n * w.h)), dw = marked<S>(size_t(w.v * w.h)), db = marked<S>(size_t(w.v));
    REQUIRE(linear_backward(c.hidden.data(), c.weight.data(), c.bias.data(), w.labels.data(), w.n, w.h, w.v, &o,
                            dloss.data(), nullptr, dh.data(), dw.data(), db.data()) == XENT_OK);
    const auto scaled = [&](std::vector<LD> x) {
      for (LD &e : x) e *= scalar;
      return x;
    };
    const double tol = linear_tol<float>();
    check_rounded<H>("d_hidden", dh, scaled(r.d_hidden), tol);
    check_rounded<H>("d_weight", dw, scaled(r.d_weight), tol);
    check_rounded<H>("d_bias", db, scaled(r.d_bias), tol);
    // The forward with gradients, scaled by the test, against the backward with dloss and
    // the forward's saved lse. Both are rounded: the backward's value by at most ulp16(want)
    // (check_rounded), the forward's g = want / 0.7 by half of ulp16(g) <= 2 ulp16(want),
    // times 0.7 after: 1.7 ulp16(want) in all, plus both f32 tolerances.
    if (red != ref::NONE) {
      const HalfRun<H> fwd(c, o);
      REQUIRE(fwd.status == XENT_OK);
      auto dh2 = marked<S>(dh.size()), dw2 = marked<S>(dw.size()), db2 = marked<S>(db.size());
      REQUIRE(linear_backward(c.hidden.data(), c.weight.data(), c.bias.data(), w.labels.data(), w.n, w.h, w.v, &o,
                              dloss.data(), fwd.lse.data(), dh2.data(), dw2.data(), db2.data()) == XENT_OK);
      std::vector<LD> fwd_dh, fwd_dw;
      for (const S &e : fwd.d_hidden) fwd_dh.push_back(LD(H::widen(e.bits)) * scalar);
      for (const S &e : fwd.d_weight) fwd_dw.push_back(LD(H::widen(e.bits)) * scalar);
      check_rounded<H>("d_hidden vs the forward's", dh2, fwd_dh, 2 * tol, 2);
      check_rounded<H>("d_weight vs the forward's", dw2, fwd_dw, 2 * tol, 2);
    }
  }
}

TEMPLATE_TEST_CASE("linear 16-bit: results have the same bits for 1 and 2 threads", "[linear][half]", BF16, F16) {
  using S = typename TestType::type;
  if (!available()) return;
  // Two chunks, four vocabulary tiles, two d_hidden tiles (h = 264).
  const auto c = make_half_case<TestType>(41, 300, 264, 2000);
  for (int red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM}) {
    xent_options o1, o2;
    xent_options_init(&o1);
    o1.reduction = xent_reduction(red);
    o1.num_threads = 1;
    o2 = o1;
    o2.num_threads = 2;
    const HalfRun<TestType> a(c, o1), b(c, o2);
    REQUIRE(a.status == XENT_OK);
    REQUIRE(b.status == XENT_OK);
    INFO("reduction " << red);
    CHECK(std::memcmp(a.loss.data(), b.loss.data(), a.loss.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(a.lse.data(), b.lse.data(), a.lse.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(a.d_hidden.data(), b.d_hidden.data(), a.d_hidden.size() * sizeof(S)) == 0);
    CHECK(std::memcmp(a.d_weight.data(), b.d_weight.data(), a.d_weight.size() * sizeof(S)) == 0);
    CHECK(std::memcmp(a.d_bias.data(), b.d_bias.data(), a.d_bias.size() * sizeof(S)) == 0);
  }
}

TEMPLATE_TEST_CASE("linear 16-bit: errors return the f32 form's status and message and write nothing",
                   "[linear][half]", BF16, F16) {
  using H = TestType;
  using S = typename H::type;
  if (!available()) return;
  const std::string fn = std::string("xent_linear_sparse_softmax_ce_") + H::name;
  const int64_t n = 6, h = 4, v = 9;
  const auto c = make_half_case<H>(71, n, h, v);
  // hidden and d_hidden share one buffer: adjacent is fine, one element of overlap is not
  // (the sizes are the 16-bit ones).
  std::vector<S> shared(size_t(2 * n * h));
  std::memcpy(shared.data(), c.hidden.data(), c.hidden.size() * sizeof(S));
  std::vector<float> loss(size_t(n), -7.f), lse(size_t(n), -7.f);
  auto dh = marked<S>(size_t(n * h)), dw = marked<S>(size_t(v * h)), db = marked<S>(size_t(v));
  xent_options good;
  xent_options_init(&good);
  const auto all_untouched = [&] {
    for (float x : loss) CHECK(x == -7.f);
    for (float x : lse) CHECK(x == -7.f);
    CHECK(untouched(dh));
    CHECK(untouched(dw));
    CHECK(untouched(db));
  };
  const auto expect = [&](xent_status got, xent_status want, const std::string &needle) {
    check_failure(got, want, fn, needle);
    all_untouched();
  };
  const int64_t *l = c.wide.labels.data();
  prime_last_error();
  expect(linear_call(static_cast<const S *>(nullptr), c.weight.data(), c.bias.data(), l, n, h, v, &good,
                     loss.data(), dh.data(), dw.data(), db.data()),
         XENT_ERR_NULL_POINTER, "hidden is NULL");
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &good, nullptr, dh.data(),
                     dw.data(), db.data()),
         XENT_ERR_NULL_POINTER, "loss is NULL");
  xent_options k = good;
  k.struct_size = 8;
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &k, loss.data(), dh.data(),
                     dw.data(), db.data()),
         XENT_ERR_INVALID_ARGUMENT, "struct_size");
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, -1, h, v, &good, loss.data(), dh.data(),
                     dw.data(), db.data()),
         XENT_ERR_INVALID_SHAPE, "n = -1");
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, int64_t(1) << 40, &good, loss.data(),
                     dh.data(), dw.data(), db.data()),
         XENT_ERR_INVALID_SHAPE, "int range");
  k = good, k.inner = 2;
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &k, loss.data(), dh.data(),
                     dw.data(), db.data()),
         XENT_ERR_INVALID_ARGUMENT, "inner");
  k = good, k.focal_alpha = 0.25;
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &k, loss.data(), dh.data(),
                     dw.data(), db.data()),
         XENT_ERR_INVALID_ARGUMENT, "focal_alpha");
  k = good, k.lse_out = loss.data() + 1;  // lse_out's n floats overlap loss's
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &k, loss.data(), dh.data(),
                     dw.data(), db.data()),
         XENT_ERR_INVALID_ARGUMENT, "loss");
  // class_weights are v floats (not v 16-bit values): d_bias on their last one overlaps.
  std::vector<float> cw_then_db(size_t(v) + 8, 1.f);
  k = good, k.class_weights = cw_then_db.data();
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &k, loss.data(), dh.data(),
                     dw.data(), reinterpret_cast<S *>(cw_then_db.data() + v - 1)),
         XENT_ERR_INVALID_ARGUMENT, "class_weights");
  expect(linear_call(shared.data(), c.weight.data(), c.bias.data(), l, n, h, v, &good, loss.data(),
                     shared.data() + n * h - 1, dw.data(), db.data()),
         XENT_ERR_INVALID_ARGUMENT, "hidden");
  auto bad = c.wide.labels;
  bad[4] = 9;
  expect(linear_call(c.hidden.data(), c.weight.data(), c.bias.data(), bad.data(), n, h, v, &good, loss.data(),
                     dh.data(), dw.data(), db.data()),
         XENT_ERR_LABEL_OUT_OF_RANGE, "labels[4] = 9");
  // The adjacent buffer is accepted and its d_hidden written.
  CHECK(linear_call(shared.data(), c.weight.data(), c.bias.data(), l, n, h, v, &good, loss.data(),
                    shared.data() + n * h, nullptr, nullptr) == XENT_OK);
  CHECK(std::memcmp(shared.data(), c.hidden.data(), c.hidden.size() * sizeof(S)) == 0);
  // The backward's own: dloss NULL.
  prime_last_error();
  check_failure(linear_backward(c.hidden.data(), c.weight.data(), c.bias.data(), l, n, h, v, &good,
                                static_cast<const float *>(nullptr), nullptr, dh.data(), nullptr, nullptr),
                XENT_ERR_NULL_POINTER, std::string("xent_linear_sparse_softmax_ce_backward_") + H::name, "dloss");
  CHECK(untouched(dh));
}
