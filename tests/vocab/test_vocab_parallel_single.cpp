// The vocabulary-parallel C API (xent_vocab_parallel.h) in one process: the logits are cut
// into shards, and the collectives of the protocol are loops over the shards (MAX, then SUM
// in shard order). Checked against the long-double reference of tests/reference (SPEC
// section 4), bitwise against the single-process call where one shard makes the sums the
// same, and every error path (status, message, nothing written).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "support/errors.hpp"
#include "support/half16.hpp"
#include "support/loss_case.hpp"
#include "xent/xent_vocab_parallel.h"

namespace {

using xt::LossSpec;

template <class T> struct Vp;
template <> struct Vp<float> {
  static constexpr auto forward = xent_vocab_parallel_forward_f32;
  static constexpr auto forward_i32 = xent_vocab_parallel_forward_f32_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_f32;
  static constexpr auto loss_i32 = xent_vocab_parallel_loss_f32_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_f32;
  static constexpr auto grad_i32 = xent_vocab_parallel_grad_f32_i32;
};
template <> struct Vp<double> {
  static constexpr auto forward = xent_vocab_parallel_forward_f64;
  static constexpr auto forward_i32 = xent_vocab_parallel_forward_f64_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f64;
  static constexpr auto loss = xent_vocab_parallel_loss_f64;
  static constexpr auto loss_i32 = xent_vocab_parallel_loss_f64_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_f64;
  static constexpr auto grad_i32 = xent_vocab_parallel_grad_f64_i32;
};

// The 16-bit shards: float partials, so the f32 rescale.
template <> struct Vp<xent_bf16> {
  static constexpr auto forward = xent_vocab_parallel_forward_bf16;
  static constexpr auto forward_i32 = xent_vocab_parallel_forward_bf16_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_bf16;
  static constexpr auto loss_i32 = xent_vocab_parallel_loss_bf16_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_bf16;
  static constexpr auto grad_i32 = xent_vocab_parallel_grad_bf16_i32;
};
template <> struct Vp<xent_f16> {
  static constexpr auto forward = xent_vocab_parallel_forward_f16;
  static constexpr auto forward_i32 = xent_vocab_parallel_forward_f16_i32;
  static constexpr auto rescale = xent_vocab_parallel_rescale_f32;
  static constexpr auto loss = xent_vocab_parallel_loss_f16;
  static constexpr auto loss_i32 = xent_vocab_parallel_loss_f16_i32;
  static constexpr auto grad = xent_vocab_parallel_grad_f16;
  static constexpr auto grad_i32 = xent_vocab_parallel_grad_f16_i32;
};
// The type of partials, loss and options for shards of S.
template <class S> using Math = std::conditional_t<std::is_same_v<S, double>, double, float>;

const char *type_name(float) { return "f32"; }
const char *type_name(double) { return "f64"; }

// Columns [off, off + n) of the (B, C) matrix x.
template <class T> std::vector<T> columns(const std::vector<T> &x, int64_t B, int64_t C, int64_t off, int64_t n) {
  std::vector<T> s(static_cast<size_t>(B * n));
  for (int64_t r = 0; r < B; ++r)
    std::copy_n(x.begin() + r * C + off, n, s.begin() + r * n);
  return s;
}

// The protocol of xent_vocab_parallel.h over `parts` even shards of x (d.input, or its
// 16-bit form; d gives the labels and the options).
template <class S> struct Sharded {
  using T = Math<S>;
  xent_status status = XENT_OK;
  std::vector<T> loss, combined;
  std::vector<S> grad;
};

template <class S, class T>
Sharded<S> run_sharded(const LossSpec &s, const xt::LossData<T> &d, const std::vector<S> &x, int64_t parts,
                       bool in_place = false) {
  static_assert(std::is_same_v<T, Math<S>>);
  const int64_t B = s.batch, C = s.classes;
  const xent_options o = xt::make_options(s, d);
  const size_t nf = size_t(XENT_VP_FIELDS * B);
  std::vector<std::vector<S>> shards;
  std::vector<std::vector<T>> partials(size_t(parts), std::vector<T>(nf + 1));
  std::vector<int64_t> offsets, sizes;
  Sharded<S> out;
  auto ok = [&](xent_status st) { return (out.status = st) == XENT_OK; };
  for (int64_t p = 0; p < parts; ++p) {
    int64_t off = 0, n = 0;
    REQUIRE(xent_vocab_parallel_shard(C, parts, p, &off, &n) == XENT_OK);
    offsets.push_back(off), sizes.push_back(n);
    shards.push_back(columns(x, B, C, off, n));
    const S *xs = shards.back().data();
    if (!ok(s.int32_labels ? Vp<S>::forward_i32(xs, d.labels32.data(), B, n, off, C, &o, partials[p].data())
                           : Vp<S>::forward(xs, d.labels64.data(), B, n, off, C, &o, partials[p].data())))
      return out;
  }
  std::vector<T> global_max(size_t(B) + 1, -std::numeric_limits<T>::infinity());
  for (const auto &q : partials)  // MAX, as a collective might do it (NaN-blind)
    for (int64_t r = 0; r < B; ++r) global_max[r] = std::max(global_max[r], q[r]);
  for (auto &q : partials)
    if (!ok(Vp<S>::rescale(q.data(), global_max.data(), B))) return out;
  out.combined = partials[0];
  for (size_t p = 1; p < partials.size(); ++p)  // SUM in shard order
    for (size_t i = size_t(B); i < nf; ++i) out.combined[i] += partials[p][i];
  out.loss.assign(s.loss_count(), T(0));
  out.grad.assign(size_t(B * C), S{});
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t off = offsets[p], n = sizes[p];
    std::vector<S> g(size_t(B * n) + 1);
    std::vector<T> loss(s.loss_count());
    S *gp = in_place ? shards[p].data() : g.data();
    if (!ok(s.int32_labels ? Vp<S>::loss_i32(shards[p].data(), out.combined.data(), d.labels32.data(), B, n, off, C,
                                             &o, loss.data(), gp)
                           : Vp<S>::loss(shards[p].data(), out.combined.data(), d.labels64.data(), B, n, off, C, &o,
                                         loss.data(), gp)))
      return out;
    if (p == 0) out.loss = loss;
    CHECK(xt::compare_bitwise(loss.data(), out.loss.data(), loss.size()).ok);  // every shard: the same loss
    for (int64_t r = 0; r < B; ++r) std::copy_n(gp + r * n, n, out.grad.begin() + r * C + off);
  }
  return out;
}
template <class T>
Sharded<T> run_sharded(const LossSpec &s, const xt::LossData<T> &d, int64_t parts, bool in_place = false) {
  return run_sharded(s, d, d.input, parts, in_place);
}

// Sharded into `parts` against the long-double reference, within SPEC section 4.
template <class T> void check_against_reference(const LossSpec &s, int64_t parts, bool in_place = false) {
  const xt::LossData<T> d = xt::make_data<T>(s);
  const ref::Result want = ref::evaluate(xt::to_problem(s, d));
  const Sharded<T> got = run_sharded(s, d, parts, in_place);
  INFO(s.describe(type_name(T())) << ", " << parts << " shards" << (in_place ? ", in place" : ""));
  INFO("xent_last_error: " << xent_last_error());
  REQUIRE(got.status == XENT_OK);
  XT_CHECK_REPORT(xt::compare_scaled(got.loss.data(), want.loss, want.scale, xt::Api<T>::tol), "loss");
  XT_CHECK_REPORT(xt::compare_to_largest(got.grad.data(), want.grad, xt::Api<T>::tol, want.grad_terms), "grad");
}

std::vector<LossSpec> profiles() {
  std::vector<LossSpec> p = xt::common_profiles();  // none, smoothing, class / sample weights, all
  p.resize(8);
  p[5].ignore = true;
  p[6].z_loss = 1e-3;
  p[6].ignore = p[6].class_weights = true;
  p[7].smoothing = 0.1;
  p[7].z_loss = 1e-4;
  p[7].class_weights = p[7].sample_weights = p[7].ignore = true;
  p[7].logit_range = 40;
  return p;
}

}  // namespace

TEMPLATE_TEST_CASE("vocab parallel: shards x options x reductions against the reference", "[vocab]", float,
                   double) {
  uint64_t seed = 7000;
  const int64_t shapes[][2] = {{5, 1001}, {3, 7}, {16, 4096}, {1, 20000}};
  for (const LossSpec &profile : profiles())
    for (const auto &shape : shapes)
      for (int reduction = 0; reduction < 3; ++reduction)
        for (int64_t parts : {1, 2, 3, 7}) {
          if (parts > shape[1]) continue;
          LossSpec s = profile;
          s.batch = shape[0];
          s.classes = shape[1];
          s.reduction = reduction;
          s.int32_labels = parts == 3;
          s.seed = ++seed;
          check_against_reference<TestType>(s, parts, parts == 2);
        }
}

// Whether the active SIMD path's kernels are compiled without FMA: GCC contracts their
// scalar tail (A + 2 z lse, g - scale * coef) into fused multiply-adds where -mfma is on
// (avx2, avx512; every aarch64 path), which this library's plain C++ does not.
static bool kernels_unfused() {
#if defined(__x86_64__)
  const std::string isa = xent_simd_isa();
  return isa == "sse2" || isa == "scalar";
#else
  return false;
#endif
}

TEST_CASE("vocab parallel: one shard is bitwise the single-process call (f64, no smoothing)", "[vocab]") {
  // The same lse_rows sums, an exact rescale by exp(0) = 1 and the kernel's own algebra.
  // With weights or z_loss, only where the kernels are unfused (see kernels_unfused).
  for (const int reduction : {0, 1, 2})
    for (const bool weights : {false, true}) {
      LossSpec s;
      s.batch = 33;
      s.classes = 3000;
      s.reduction = reduction;
      s.ignore = true;
      s.class_weights = s.sample_weights = weights;
      s.z_loss = weights ? 1e-3 : 0;
      s.seed = 42 + uint64_t(reduction);
      if (weights && !kernels_unfused()) {
        check_against_reference<double>(s, 1);
        continue;
      }
      const xt::LossData<double> d = xt::make_data<double>(s);
      const xt::LibOut<double> single = xt::run_lib(s, d);
      const Sharded<double> one = run_sharded(s, d, 1);
      INFO(s.describe("f64") << ", ISA " << xent_simd_isa());
      REQUIRE(single.status == XENT_OK);
      REQUIRE(one.status == XENT_OK);
      XT_CHECK_REPORT(xt::compare_bitwise(one.loss.data(), single.loss.data(), one.loss.size()), "loss");
      XT_CHECK_REPORT(xt::compare_bitwise(one.grad.data(), single.grad.data(), one.grad.size()), "grad");
    }
}

TEMPLATE_TEST_CASE("vocab parallel: bitwise the same for any thread count; int32 labels; grad alone", "[vocab]",
                   float, double) {
  LossSpec s;
  s.batch = 40;
  s.classes = 5000;
  s.smoothing = 0.1;
  s.ignore = s.class_weights = true;
  s.reduction = XENT_REDUCTION_MEAN;
  const xt::LossData<TestType> d = xt::make_data<TestType>(s);
  s.num_threads = 1;
  const Sharded<TestType> one = run_sharded(s, d, 3);
  s.num_threads = 2;
  const Sharded<TestType> two = run_sharded(s, d, 3);
  s.int32_labels = true;
  const Sharded<TestType> narrow = run_sharded(s, d, 3);
  REQUIRE(one.status == XENT_OK);
  REQUIRE(two.status == XENT_OK);
  REQUIRE(narrow.status == XENT_OK);
  for (const Sharded<TestType> *other : {&two, &narrow}) {
    XT_CHECK_REPORT(xt::compare_bitwise(other->loss.data(), one.loss.data(), 1), "loss");
    XT_CHECK_REPORT(xt::compare_bitwise(other->grad.data(), one.grad.data(), one.grad.size()), "grad");
  }
  // xent_vocab_parallel_grad gives the loss call's gradient (whole row: one shard).
  const xent_options o = xt::make_options(s, d);
  const Sharded<TestType> whole = run_sharded(s, d, 1);
  std::vector<TestType> g(d.input.size());
  REQUIRE(Vp<TestType>::grad(d.input.data(), whole.combined.data(), d.labels64.data(), s.batch, s.classes, 0,
                             s.classes, &o, g.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_bitwise(g.data(), whole.grad.data(), g.size()), "grad alone");
}

TEMPLATE_TEST_CASE("vocab parallel: special rows as the single-process call", "[vocab]", float, double) {
  using T = TestType;
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  LossSpec s;
  s.batch = 5;
  s.classes = 12;
  xt::LossData<T> d = xt::make_data<T>(s);
  d.labels64 = {1, 9, 2, 10, 0};
  d.labels32.assign(d.labels64.begin(), d.labels64.end());
  for (int64_t c = 0; c < 12; ++c) d.input[size_t(c)] = -inf;        // row 0: all -inf -> NaN loss
  for (int64_t c = 0; c < 6; ++c) d.input[size_t(12 + c)] = -inf;    // row 1: shards 0-1 masked
  d.input[size_t(24 + 7)] = nan;                                     // row 2: NaN in shard 2
  d.input[size_t(36 + 3)] = inf;                                     // row 3: +inf, label elsewhere
  const xt::LibOut<T> single = xt::run_lib(s, d);
  REQUIRE(single.status == XENT_OK);
  for (int64_t parts : {1, 4}) {
    const Sharded<T> got = run_sharded(s, d, parts);
    INFO(parts << " shards");
    REQUIRE(got.status == XENT_OK);
    for (size_t r = 0; r < 5; ++r) {
      INFO("row " << r << ": got " << got.loss[r] << ", single " << single.loss[r]);
      if (std::isnan(single.loss[r]))
        CHECK(std::isnan(got.loss[r]));
      else if (std::isinf(single.loss[r]))
        CHECK(got.loss[r] == single.loss[r]);
      else  // logits up to 4 * 8 (make_data's row scales)
        CHECK(std::abs(got.loss[r] - single.loss[r]) <= xt::Api<T>::tol * (1 + 32));
      for (size_t c = 0; c < 12; ++c) {
        const T g = got.grad[r * 12 + c], w = single.grad[r * 12 + c];
        INFO("grad column " << c << ": got " << g << ", single " << w);
        CHECK((std::isnan(w) ? std::isnan(g) : std::abs(g - w) <= xt::Api<T>::tol));
      }
    }
  }
}

TEST_CASE("vocab parallel: rescale keeps neutral and infinite partials, spreads NaN", "[vocab]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  // rows: masked shard, +inf everywhere, NaN local max, NaN global max, ordinary
  std::vector<float> p = {-inf, inf, nan, 1.f, 1.f, /*sum*/ 0, 1, nan, 2, 2, /*label*/ 0, 0, 0, 0, 0, /*ls*/ 0, 0, 0, 0, 0};
  const std::vector<float> global = {3.f, inf, 2.f, nan, 3.f};
  REQUIRE(xent_vocab_parallel_rescale_f32(p.data(), global.data(), 5) == XENT_OK);
  CHECK(p[5] == 0);
  CHECK(p[6] == 1);
  CHECK(std::isnan(p[7]));
  CHECK(std::isnan(p[8]));
  CHECK(std::abs(p[9] - 2 * std::exp(-2.f)) <= 2e-7f);
  CHECK(xt::same_bits(p[0], 3.f));
  CHECK(std::isnan(p[3]));
}

TEMPLATE_TEST_CASE("vocab parallel: batch 0", "[vocab]", float, double) {
  using T = TestType;
  T x[1] = {0}, part[1] = {7}, loss[1] = {7}, g[1] = {7};
  const int64_t labels[1] = {0};
  xent_options o;
  xent_options_init(&o);
  REQUIRE(Vp<T>::forward(x, labels, 0, 4, 0, 4, &o, part) == XENT_OK);
  REQUIRE(Vp<T>::loss(x, part, labels, 0, 4, 0, 4, &o, loss, g) == XENT_OK);
  o.reduction = XENT_REDUCTION_MEAN;
  REQUIRE(Vp<T>::loss(x, part, labels, 0, 4, 0, 4, &o, loss, g) == XENT_OK);
  CHECK(std::isnan(loss[0]));  // nothing to divide by
  CHECK(g[0] == 7);
}

TEST_CASE("vocab parallel: xent_vocab_parallel_shard", "[vocab]") {
  int64_t off = -1, n = -1, next = 0;
  for (int64_t p = 0; p < 4; ++p) {
    REQUIRE(xent_vocab_parallel_shard(1001, 4, p, &off, &n) == XENT_OK);
    CHECK(off == next);
    CHECK(n == (p == 0 ? 251 : 250));
    next = off + n;
  }
  CHECK(next == 1001);
  xt::check_failure(xent_vocab_parallel_shard(3, 4, 0, &off, &n), XENT_ERR_INVALID_SHAPE, "xent_vocab_parallel_shard",
                    "parts = 4");
  xt::check_failure(xent_vocab_parallel_shard(10, 4, 4, &off, &n), XENT_ERR_INVALID_SHAPE, "xent_vocab_parallel_shard",
                    "part = 4");
  xt::check_failure(xent_vocab_parallel_shard(10, 4, 0, nullptr, &n), XENT_ERR_NULL_POINTER,
                    "xent_vocab_parallel_shard", "class_offset");
}

TEST_CASE("vocab parallel: errors name the argument and write nothing", "[vocab][errors]") {
  const int64_t B = 3, C = 10, n = 4, off = 4;
  std::vector<float> shard(size_t(B * n), 0.5f), comb(size_t(XENT_VP_FIELDS * B), 1.f), cw(C, 1.f);
  std::vector<int64_t> labels = {0, 5, 9};
  xent_options o;
  xent_options_init(&o);
  xt::Guarded<float> part{size_t(XENT_VP_FIELDS * B)}, loss{size_t(B)}, grad{size_t(B * n)};
  const char *fwd = "xent_vocab_parallel_forward_f32", *fin = "xent_vocab_parallel_loss_f32";
  auto forward = [&](const float *x, const int64_t *l, int64_t b, int64_t sn, int64_t so, int64_t c,
                     const xent_options *op, float *p) { return xent_vocab_parallel_forward_f32(x, l, b, sn, so, c, op, p); };
  auto finish = [&](const float *x, const int64_t *l, const xent_options *op, float *ls, float *g) {
    return xent_vocab_parallel_loss_f32(x, comb.data(), l, B, n, off, C, op, ls, g);
  };
  struct Case {
    const char *what;
    xent_status status;
    const char *fn, *needle;
    std::function<xent_status()> call;
  };
  xent_options inner = o, cap = o, smooth = o, small = o, weights = o, focal = o, poly = o, lse = o;
  inner.inner = 2;
  cap.logit_softcap = 30;
  focal.focal_gamma = 2;
  poly.poly_epsilon = 0.5;
  std::vector<float> lse_buffer(static_cast<size_t>(B));
  lse.lse_out = lse_buffer.data();
  smooth.label_smoothing = 1.5;
  small.struct_size = 8;
  weights.class_weights = part.data();  // overlaps the partials output
  const std::vector<int64_t> bad_labels = {0, 10, 3};
  const std::vector<Case> cases = {
      {"NULL shard", XENT_ERR_NULL_POINTER, fwd, "shard is NULL", [&] { return forward(nullptr, labels.data(), B, n, off, C, &o, part.data()); }},
      {"NULL labels", XENT_ERR_NULL_POINTER, fwd, "labels is NULL", [&] { return forward(shard.data(), nullptr, B, n, off, C, &o, part.data()); }},
      {"NULL partials", XENT_ERR_NULL_POINTER, fwd, "partials is NULL", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &o, nullptr); }},
      {"struct_size", XENT_ERR_INVALID_ARGUMENT, fwd, "struct_size = 8", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &small, part.data()); }},
      {"negative batch", XENT_ERR_INVALID_SHAPE, fwd, "batch = -1", [&] { return forward(shard.data(), labels.data(), -1, n, off, C, &o, part.data()); }},
      {"empty shard", XENT_ERR_INVALID_SHAPE, fwd, "shard_classes = 0", [&] { return forward(shard.data(), labels.data(), B, 0, off, C, &o, part.data()); }},
      {"shard past classes", XENT_ERR_INVALID_SHAPE, fwd, "class_offset = 7", [&] { return forward(shard.data(), labels.data(), B, n, 7, C, &o, part.data()); }},
      {"negative offset", XENT_ERR_INVALID_SHAPE, fwd, "class_offset = -1", [&] { return forward(shard.data(), labels.data(), B, n, -1, C, &o, part.data()); }},
      {"inner", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->inner = 2", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &inner, part.data()); }},
      {"softcap", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->logit_softcap = 30", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &cap, part.data()); }},
      {"smoothing", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->label_smoothing = 1.5", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &smooth, part.data()); }},
      {"focal", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->focal_gamma = 2 is not supported", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &focal, part.data()); }},
      {"poly", XENT_ERR_INVALID_ARGUMENT, fin, "opts->poly_epsilon = 0.5 is not supported", [&] { return finish(shard.data(), labels.data(), &poly, loss.data(), grad.data()); }},
      {"lse_out", XENT_ERR_INVALID_ARGUMENT, fin, "opts->lse_out is not supported", [&] { return finish(shard.data(), labels.data(), &lse, loss.data(), grad.data()); }},
      {"overlap", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->class_weights", [&] { return forward(shard.data(), labels.data(), B, n, off, C, &weights, part.data()); }},
      {"label", XENT_ERR_LABEL_OUT_OF_RANGE, fwd, "labels[1] = 10 is outside [0, 10)", [&] { return forward(shard.data(), bad_labels.data(), B, n, off, C, &o, part.data()); }},
      {"NULL combined", XENT_ERR_NULL_POINTER, fin, "combined is NULL", [&] { return xent_vocab_parallel_loss_f32(shard.data(), nullptr, labels.data(), B, n, off, C, &o, loss.data(), grad.data()); }},
      {"NULL loss", XENT_ERR_NULL_POINTER, fin, "loss is NULL", [&] { return finish(shard.data(), labels.data(), &o, nullptr, grad.data()); }},
      {"NULL shard with grad", XENT_ERR_NULL_POINTER, fin, "shard is NULL (grad is not)", [&] { return finish(nullptr, labels.data(), &o, loss.data(), grad.data()); }},
      {"grad overlaps shard", XENT_ERR_INVALID_ARGUMENT, fin, "output grad", [&] { return finish(shard.data(), labels.data(), &o, loss.data(), shard.data() + 1); }},
      {"loss overlaps combined", XENT_ERR_INVALID_ARGUMENT, fin, "combined", [&] { return xent_vocab_parallel_loss_f32(shard.data(), comb.data(), labels.data(), B, n, off, C, &o, comb.data() + 2, grad.data()); }},
      {"label in finish", XENT_ERR_LABEL_OUT_OF_RANGE, fin, "labels[1] = 10", [&] { return finish(shard.data(), bad_labels.data(), &o, loss.data(), grad.data()); }},
      {"NULL grad", XENT_ERR_NULL_POINTER, "xent_vocab_parallel_grad_f32", "grad is NULL", [&] { return xent_vocab_parallel_grad_f32(shard.data(), comb.data(), labels.data(), B, n, off, C, &o, nullptr); }},
      {"rescale NULL", XENT_ERR_NULL_POINTER, "xent_vocab_parallel_rescale_f32", "global_max is NULL", [&] { return xent_vocab_parallel_rescale_f32(part.data(), nullptr, B); }},
      {"rescale overlap", XENT_ERR_INVALID_ARGUMENT, "xent_vocab_parallel_rescale_f32", "global_max", [&] { return xent_vocab_parallel_rescale_f32(part.data(), part.data() + 1, B); }},
  };
  for (const Case &c : cases) {
    INFO(c.what);
    xt::prime_last_error();
    xt::check_failure(c.call(), c.status, c.fn, c.needle);
    CHECK(part.untouched());
    CHECK(loss.untouched());
    CHECK(grad.untouched());
  }
  // In place is allowed, and a successful call writes.
  std::vector<float> in_place = shard;
  REQUIRE(finish(in_place.data(), labels.data(), &o, loss.data(), in_place.data()) == XENT_OK);
  CHECK(loss.guards_intact());
  CHECK(xent_vocab_parallel_set_error(XENT_ERR_INTERNAL, "xent_mpi_x", "comm broke") == XENT_ERR_INTERNAL);
  CHECK(std::string(xent_last_error()) == "xent_mpi_x: comm broke");
}

// ---- 16-bit shards: the f32 protocol on the widened shard, its gradient rounded to nearest
// even (by the test's own rounding, tests/support/half16.hpp), and the long-double
// reference of the widened values.
namespace {

namespace h16 = xt::half16;

// d.input rounded to H, and replaced by its widened values (what the f32 call and the
// reference see). special: a row of -inf, a half-masked row, a NaN in the last shard, and
// values of 30000 or more (past binary16's range: inf there).
template <class H> std::vector<typename H::type> to_half(const LossSpec &s, xt::LossData<float> &d, bool special) {
  if (special) {
    REQUIRE((s.batch >= 4 && s.classes >= 4));
    const size_t C = size_t(s.classes);
    const float inf = std::numeric_limits<float>::infinity();
    for (size_t c = 0; c < C; ++c) d.input[c] = -inf;
    for (size_t c = 0; c < C / 2; ++c) d.input[C + c] = -inf;
    d.input[3 * C - 1] = std::numeric_limits<float>::quiet_NaN();
    d.input[3 * C + 1] = 1e5f;
    d.input[3 * C + 2] = -3e4f;
    d.input[4 * C - 1] = 3e4f;
  }
  std::vector<typename H::type> x = h16::to16<H>(d.input);
  d.input = h16::widen_all<H>(x);
  return x;
}

template <class H> void check_half(LossSpec s, int64_t parts, bool special, bool in_place) {
  using S = typename H::type;
  xt::LossData<float> d = xt::make_data<float>(s);
  const std::vector<S> x = to_half<H>(s, d, special);
  const Sharded<S> got = run_sharded(s, d, x, parts, in_place);
  const Sharded<float> f32 = run_sharded(s, d, parts);
  INFO(s.describe(H::name) << ", " << parts << " shards" << (special ? ", special rows" : "")
                           << (in_place ? ", in place" : ""));
  INFO("xent_last_error: " << xent_last_error());
  REQUIRE(got.status == XENT_OK);
  REQUIRE(f32.status == XENT_OK);
  CHECK(h16::same_floats(got.combined, f32.combined));
  CHECK(h16::same_floats(got.loss, f32.loss));
  CHECK(h16::same_bits<H>(got.grad, f32.grad));
  if (special) return;
  const ref::Result want = ref::evaluate(xt::to_problem(s, d));
  XT_CHECK_REPORT(xt::compare_scaled(got.loss.data(), want.loss, want.scale, xt::Api<float>::tol), "loss");
  // The f32 gradient's error plus the 16-bit rounding (half an ulp, relative).
  const double half_ulp = std::is_same_v<H, h16::BF16> ? 0x1p-8 : 0x1p-11;
  const std::vector<float> g = h16::widen_all<H>(got.grad);
  XT_CHECK_REPORT(xt::compare_to_largest(g.data(), want.grad, xt::Api<float>::tol + half_ulp, want.grad_terms), "grad");
}

template <class H> void check_half_protocol() {
  uint64_t seed = 9000;
  std::vector<LossSpec> p = profiles();
  p.push_back(p[4]);  // everything, with large logits (up to 12000)
  p.back().logit_range = 3000;
  const int64_t shapes[][2] = {{5, 1001}, {3, 7}, {16, 700}};
  for (const LossSpec &profile : p)
    for (const auto &shape : shapes)
      for (int reduction = 0; reduction < 3; ++reduction)
        for (int64_t parts : {1, 2, 3}) {
          LossSpec s = profile;
          s.batch = shape[0];
          s.classes = shape[1];
          s.reduction = reduction;
          s.int32_labels = parts == 3;
          s.seed = ++seed;
          check_half<H>(s, parts, false, parts == 2);
          if (shape[0] >= 4) check_half<H>(s, parts, true, parts == 1);
        }
}

// Runs at 1 and 2 threads give the same bits, and xent_vocab_parallel_grad_* (in place
// too) the loss call's gradient.
template <class H> void check_half_threads(int64_t B, int64_t C, int64_t parts) {
  using S = typename H::type;
  LossSpec s;
  s.batch = B;
  s.classes = C;
  s.smoothing = 0.1;
  s.z_loss = 1e-4;
  s.ignore = s.class_weights = s.sample_weights = true;
  s.reduction = XENT_REDUCTION_MEAN;
  xt::LossData<float> d = xt::make_data<float>(s);
  const std::vector<S> x = to_half<H>(s, d, false);
  s.num_threads = 1;
  const Sharded<S> one = run_sharded(s, d, x, parts);
  s.num_threads = 2;
  const Sharded<S> two = run_sharded(s, d, x, parts);
  s.int32_labels = true;
  const Sharded<S> narrow = run_sharded(s, d, x, parts, true);
  const Sharded<float> f32 = run_sharded(s, d, parts);
  INFO(s.describe(H::name) << ", " << parts << " shards");
  REQUIRE(one.status == XENT_OK);
  REQUIRE(two.status == XENT_OK);
  REQUIRE(narrow.status == XENT_OK);
  REQUIRE(f32.status == XENT_OK);
  for (const Sharded<S> *other : {&two, &narrow}) {
    CHECK(h16::same_floats(other->loss, one.loss));
    CHECK(h16::same_bits<H>(other->grad, h16::widen_all<H>(one.grad)));
  }
  CHECK(h16::same_floats(one.loss, f32.loss));
  CHECK(h16::same_bits<H>(one.grad, f32.grad));
  // The gradient alone over the whole row (one shard), out of place and in place.
  const xent_options o = xt::make_options(s, d);
  const Sharded<S> whole = run_sharded(s, d, x, 1);
  REQUIRE(whole.status == XENT_OK);
  std::vector<S> g(x.size()), in_place = x;
  REQUIRE(Vp<S>::grad(x.data(), whole.combined.data(), d.labels64.data(), B, C, 0, C, &o, g.data()) == XENT_OK);
  REQUIRE(Vp<S>::grad_i32(in_place.data(), whole.combined.data(), d.labels32.data(), B, C, 0, C, &o,
                          in_place.data()) == XENT_OK);
  CHECK(h16::same_bits<H>(g, h16::widen_all<H>(whole.grad)));
  CHECK(h16::same_bits<H>(in_place, h16::widen_all<H>(whole.grad)));
}

}  // namespace

TEST_CASE("vocab parallel 16-bit: the f32 protocol of the widened shard, grad rounded; the reference", "[vocab][half]") {
  check_half_protocol<h16::BF16>();
  check_half_protocol<h16::F16>();
}

TEST_CASE("vocab parallel 16-bit: thread counts, int32 labels, in place, grad alone", "[vocab][half]") {
  // 2100 x 4000 in one shard: conversion tiles of 2 rows, blocks of 2 or 3 rows, so a
  // block takes two tiles.
  check_half_threads<h16::BF16>(2100, 4000, 1);
  check_half_threads<h16::F16>(40, 5000, 3);
  check_half_threads<h16::BF16>(40, 5000, 2);
}

TEST_CASE("vocab parallel 16-bit: errors as the f32 calls, with 16-bit sizes, nothing written", "[vocab][half][errors]") {
  const int64_t B = 3, C = 10, n = 4, off = 4;
  const uint16_t unwritten = 0x7fa5;
  // shard, then an adjacent grad: not overlapping with 2-byte elements.
  std::vector<xent_bf16> both(size_t(2 * B * n), xent_bf16{0x3f00});
  xent_bf16 *shard = both.data(), *next = both.data() + B * n;
  std::vector<xent_f16> shard16(size_t(B * n), xent_f16{0x3800});
  std::vector<float> comb(size_t(XENT_VP_FIELDS * B), 1.f);
  const std::vector<int64_t> labels = {0, 5, 9}, bad_labels = {0, 10, 3};
  const std::vector<int32_t> labels32 = {0, 5, 9};
  xent_options o, cap, weights;
  xent_options_init(&o);
  cap = weights = o;
  cap.logit_softcap = 30;
  xt::Guarded<float> part{size_t(XENT_VP_FIELDS * B)}, loss{size_t(B)};
  std::vector<xent_bf16> grad(size_t(B * n), xent_bf16{unwritten});
  std::vector<xent_f16> grad16(size_t(B * n), xent_f16{unwritten});
  weights.class_weights = part.data();
  struct Case {
    const char *what;
    xent_status status;
    const char *fn, *needle;
    std::function<xent_status()> call;
  };
  const char *fwd = "xent_vocab_parallel_forward_bf16", *fin = "xent_vocab_parallel_loss_bf16";
  const std::vector<Case> cases = {
      {"NULL shard", XENT_ERR_NULL_POINTER, fwd, "shard is NULL", [&] { return xent_vocab_parallel_forward_bf16(nullptr, labels.data(), B, n, off, C, &o, part.data()); }},
      {"NULL partials", XENT_ERR_NULL_POINTER, "xent_vocab_parallel_forward_f16_i32", "partials is NULL", [&] { return xent_vocab_parallel_forward_f16_i32(shard16.data(), labels32.data(), B, n, off, C, &o, nullptr); }},
      {"shard past classes", XENT_ERR_INVALID_SHAPE, fwd, "class_offset = 7", [&] { return xent_vocab_parallel_forward_bf16(shard, labels.data(), B, n, 7, C, &o, part.data()); }},
      {"softcap", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->logit_softcap = 30", [&] { return xent_vocab_parallel_forward_bf16(shard, labels.data(), B, n, off, C, &cap, part.data()); }},
      {"overlap", XENT_ERR_INVALID_ARGUMENT, fwd, "opts->class_weights", [&] { return xent_vocab_parallel_forward_bf16(shard, labels.data(), B, n, off, C, &weights, part.data()); }},
      {"label", XENT_ERR_LABEL_OUT_OF_RANGE, fwd, "labels[1] = 10 is outside [0, 10)", [&] { return xent_vocab_parallel_forward_bf16(shard, bad_labels.data(), B, n, off, C, &o, part.data()); }},
      {"NULL combined", XENT_ERR_NULL_POINTER, fin, "combined is NULL", [&] { return xent_vocab_parallel_loss_bf16(shard, nullptr, labels.data(), B, n, off, C, &o, loss.data(), grad.data()); }},
      {"NULL shard with grad", XENT_ERR_NULL_POINTER, fin, "shard is NULL (grad is not)", [&] { return xent_vocab_parallel_loss_bf16(nullptr, comb.data(), labels.data(), B, n, off, C, &o, loss.data(), grad.data()); }},
      {"grad overlaps shard by one element", XENT_ERR_INVALID_ARGUMENT, fin, "output grad", [&] { return xent_vocab_parallel_loss_bf16(shard, comb.data(), labels.data(), B, n, off, C, &o, loss.data(), next - 1); }},
      {"label in finish", XENT_ERR_LABEL_OUT_OF_RANGE, "xent_vocab_parallel_loss_f16", "labels[1] = 10", [&] { return xent_vocab_parallel_loss_f16(shard16.data(), comb.data(), bad_labels.data(), B, n, off, C, &o, loss.data(), grad16.data()); }},
      {"NULL grad", XENT_ERR_NULL_POINTER, "xent_vocab_parallel_grad_f16", "grad is NULL", [&] { return xent_vocab_parallel_grad_f16(shard16.data(), comb.data(), labels.data(), B, n, off, C, &o, nullptr); }},
      {"grad: loss overlap", XENT_ERR_INVALID_ARGUMENT, "xent_vocab_parallel_grad_bf16_i32", "combined", [&] { return xent_vocab_parallel_grad_bf16_i32(shard, comb.data(), labels32.data(), B, n, off, C, &o, reinterpret_cast<xent_bf16 *>(comb.data() + 1)); }},
  };
  auto untouched = [&] {
    for (size_t i = 0; i < grad.size(); ++i)
      if (grad[i].bits != unwritten || grad16[i].bits != unwritten) return false;
    return part.untouched() && loss.untouched();
  };
  for (const Case &c : cases) {
    INFO(c.what);
    xt::prime_last_error();
    xt::check_failure(c.call(), c.status, c.fn, c.needle);
    CHECK(untouched());
  }
  // The grad just past the shard does not overlap it (2-byte elements), and is written.
  REQUIRE(xent_vocab_parallel_loss_bf16(shard, comb.data(), labels.data(), B, n, off, C, &o, loss.data(), next) == XENT_OK);
  CHECK(loss.guards_intact());
  CHECK(next[0].bits != 0x3f00);
  // Batch 0.
  float p0[1] = {7}, l0[1] = {7};
  xent_bf16 g0[1] = {{unwritten}};
  REQUIRE(xent_vocab_parallel_forward_bf16(shard, labels.data(), 0, n, off, C, &o, p0) == XENT_OK);
  REQUIRE(xent_vocab_parallel_loss_bf16(shard, p0, labels.data(), 0, n, off, C, &o, l0, g0) == XENT_OK);
  CHECK(g0[0].bits == unwritten);
}
