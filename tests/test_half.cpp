// The bf16 / f16 entry points, on the SIMD path of this run (XENT_ISA). Independent
// references: the 16-bit values are widened and rounded here by the test's own code
// (binary16 by exact double arithmetic, bfloat16 by bit arithmetic, both checked
// against exhaustive round trips), the math by long double / glibc double.
//  - element-wise kernels, all 65536 inputs: within 1 ulp of the 16-bit rounding of the
//    double result, and bitwise the rounding of the _f32 kernel's result (the contract);
//  - losses, forward and backward, every variant: loss bitwise the _f32 loss of the widened
//    inputs, grad bitwise its rounding; K > 1 across blocks, in place, 1 and 2 threads, a
//    row alone or in a batch; the sparse loss also against a long-double reference;
//  - softmax family: the same, rows longer than a conversion tile included;
//  - errors name the argument with 16-bit sizes and write nothing.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "support/half16.hpp"
#include "support/random.hpp"
#include "xent/xent.h"

namespace {

// ---- the test's own 16-bit arithmetic (support/half16.hpp)
using xt::half16::BF16;
using xt::half16::F16;
using xt::half16::fbits;
using xt::half16::from_fbits;

template <class H> uint16_t round_float(float f) { return H::round(double(f)); }

bool is_nan16(uint16_t h, bool bf) { return bf ? ((h & 0x7f80) == 0x7f80 && (h & 0x7f)) : ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)); }
// Distance in representable 16-bit values (sign-magnitude order; +0 and -0 are one value).
int64_t ulp_distance(uint16_t a, uint16_t b) {
  auto ord = [](uint16_t h) { return (h & 0x8000) ? -int64_t(h & 0x7fff) : int64_t(h & 0x7fff); };
  return std::llabs(ord(a) - ord(b));
}

template <class H> std::vector<typename H::type> to16(const std::vector<float> &v) {
  std::vector<typename H::type> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i].bits = round_float<H>(v[i]);
  return r;
}
template <class H> std::vector<float> widen_all(const std::vector<typename H::type> &v) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i) r[i] = H::widen(v[i].bits);
  return r;
}
template <class H> bool same_bits(const std::vector<typename H::type> &a, const std::vector<float> &f32) {
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].bits != round_float<H>(f32[i]) && !(std::isnan(f32[i]) && is_nan16(a[i].bits, H::name[0] == 'b'))) {
      UNSCOPED_INFO("element " << i << ": got 0x" << std::hex << a[i].bits << ", the rounded f32 result is 0x"
                               << round_float<H>(f32[i]) << std::dec << " (f32 " << f32[i] << ")");
      return false;
    }
  return true;
}
bool same_floats(const std::vector<float> &a, const std::vector<float> &b) {
  for (size_t i = 0; i < a.size(); ++i)
    if (fbits(a[i]) != fbits(b[i]) && !(std::isnan(a[i]) && std::isnan(b[i]))) {
      UNSCOPED_INFO("element " << i << ": " << a[i] << " vs " << b[i]);
      return false;
    }
  return true;
}

}  // namespace

TEST_CASE("16-bit rounding of the test itself: every pattern round-trips, ties go to even", "[half]") {
  for (uint32_t h = 0; h < 65536; ++h) {
    if (!is_nan16(uint16_t(h), true)) REQUIRE(BF16::round(BF16::widen(uint16_t(h))) == h);
    if (!is_nan16(uint16_t(h), false)) REQUIRE(F16::round(F16::widen(uint16_t(h))) == h);
  }
  CHECK(BF16::round(1.0 + std::ldexp(1.0, -8)) == 0x3f80);  // tie between 1 and 1+2^-7: even
  CHECK(BF16::round(1.0 + 3 * std::ldexp(1.0, -8)) == 0x3f82);
  CHECK(F16::round(65520.0) == 0x7c00);
  CHECK(F16::round(65519.0) == 0x7bff);
  CHECK(F16::round(1.0 + std::ldexp(1.0, -11)) == 0x3c00);  // tie between 1 and 1+2^-10: even
  CHECK(F16::round(1.0 + 3 * std::ldexp(1.0, -11)) == 0x3c02);
  CHECK(F16::round(std::ldexp(1.0, -25)) == 0x0000);  // subnormal tie: even (zero)
  CHECK(F16::round(3 * std::ldexp(1.0, -25)) == 0x0002);
  CHECK(F16::round(-std::ldexp(1023.75, -24)) == 0x8400);  // carries into the smallest normal
}

#if defined(__FLT16_MAX__) && (defined(__x86_64__) || defined(__i386__))
// Where the compiler has binary16, its conversion (correctly rounded from double) agrees.
TEST_CASE("16-bit rounding of the test itself agrees with the compiler's _Float16", "[half]") {
  xt::Rng rng(16);
  for (int i = 0; i < 200000; ++i) {
    const double d = std::ldexp(rng.uniform(-1.0, 1.0), int(rng.uniform(-30.0, 18.0)));
    const _Float16 v = static_cast<_Float16>(d);
    uint16_t h;
    std::memcpy(&h, &v, 2);
    REQUIRE(F16::round(d) == h);
  }
}
#endif

// ---- element-wise kernels
namespace {
struct UnaryCase {
  const char *name;
  xent_status (*f32)(const float *, float *, int64_t);
  xent_status (*bf16)(const xent_bf16 *, xent_bf16 *, int64_t);
  xent_status (*f16)(const xent_f16 *, xent_f16 *, int64_t);
  double (*ref)(double);
};
double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double ref_softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
double ref_log_sigmoid(double x) { return -ref_softplus(-x); }
const UnaryCase kUnary[] = {
    {"exp", xent_exp_f32, xent_exp_bf16, xent_exp_f16, [](double x) { return std::exp(x); }},
    {"log", xent_log_f32, xent_log_bf16, xent_log_f16, [](double x) { return std::log(x); }},
    {"log1p", xent_log1p_f32, xent_log1p_bf16, xent_log1p_f16, [](double x) { return std::log1p(x); }},
    {"sigmoid", xent_sigmoid_f32, xent_sigmoid_bf16, xent_sigmoid_f16, ref_sigmoid},
    {"softplus", xent_softplus_f32, xent_softplus_bf16, xent_softplus_f16, ref_softplus},
    {"log_sigmoid", xent_log_sigmoid_f32, xent_log_sigmoid_bf16, xent_log_sigmoid_f16, ref_log_sigmoid},
};

template <class H> void check_unary_exhaustive(const UnaryCase &c) {
  using T = typename H::type;
  std::vector<T> x(65536), y(65536), inplace(65536);
  for (uint32_t i = 0; i < 65536; ++i) x[i].bits = inplace[i].bits = uint16_t(i);
  std::vector<float> xf = widen_all<H>(x), yf(65536);
  REQUIRE(c.f32(xf.data(), yf.data(), 65536) == XENT_OK);
  const auto f = [&] {
    if constexpr (std::is_same_v<H, BF16>) return c.bf16;
    else return c.f16;
  }();
  REQUIRE(f(x.data(), y.data(), 65536) == XENT_OK);
  REQUIRE(f(inplace.data(), inplace.data(), 65536) == XENT_OK);
  const bool bf = std::is_same_v<H, BF16>;
  int64_t worst = 0, worst_at = 0, mismatches = 0;
  for (uint32_t i = 0; i < 65536; ++i) {
    if (y[i].bits != round_float<H>(yf[i]) && !(is_nan16(y[i].bits, bf) && std::isnan(yf[i]))) ++mismatches;
    if (inplace[i].bits != y[i].bits) ++mismatches;
    const double r = c.ref(double(xf[i]));
    const uint16_t want = H::round(r);
    if (std::isnan(r) || is_nan16(y[i].bits, bf)) {
      if (std::isnan(r) != is_nan16(y[i].bits, bf)) ++mismatches, worst_at = i;
      continue;
    }
    const int64_t d = ulp_distance(y[i].bits, want);
    if (d > worst) worst = d, worst_at = i;
  }
  INFO(c.name << "_" << H::name << " on " << xent_simd_isa() << ": worst " << worst << " ulp at input 0x" << std::hex
              << worst_at << std::dec << " (" << xf[size_t(worst_at)] << "), " << mismatches << " mismatches");
  CHECK(worst <= 1);
  CHECK(mismatches == 0);
}
}  // namespace

TEST_CASE("16-bit element-wise kernels: every input within 1 ulp, the rounding of the f32 kernel", "[half]") {
  for (const UnaryCase &c : kUnary) {
    check_unary_exhaustive<BF16>(c);
    check_unary_exhaustive<F16>(c);
  }
}

// ---- losses
namespace {

enum class Kind { dense_logits, sparse_logits, probs_dense, probs_sparse, elementwise_logits, elementwise_probs };

template <class H> struct LossFns {
  using T = typename H::type;
  using Dense16 = xent_status (*)(const T *, const T *, int64_t, int64_t, const xent_options *, float *, T *);
  using Sparse16 = xent_status (*)(const T *, const int64_t *, int64_t, int64_t, const xent_options *, float *, T *);
  using Dense32 = xent_status (*)(const float *, const float *, int64_t, int64_t, const xent_options *, float *, float *);
  using Sparse32 = xent_status (*)(const float *, const int64_t *, int64_t, int64_t, const xent_options *, float *,
                                   float *);
  using DenseB16 = xent_status (*)(const T *, const T *, int64_t, int64_t, const xent_options *, const float *,
                                   const float *, T *);
  using SparseB16 = xent_status (*)(const T *, const int64_t *, int64_t, int64_t, const xent_options *, const float *,
                                    const float *, T *);
  using DenseB32 = xent_status (*)(const float *, const float *, int64_t, int64_t, const xent_options *, const float *,
                                   const float *, float *);
  using SparseB32 = xent_status (*)(const float *, const int64_t *, int64_t, int64_t, const xent_options *,
                                    const float *, const float *, float *);
};

#define XT_DENSE(name, kind)                                                                            \
  {#name, kind, xent_##name##_bf16, xent_##name##_f16, xent_##name##_f32, nullptr, nullptr, nullptr,    \
   xent_##name##_backward_bf16, xent_##name##_backward_f16, xent_##name##_backward_f32, nullptr, nullptr, \
   nullptr}
#define XT_SPARSE(name, kind)                                                                             \
  {#name, kind, nullptr, nullptr, nullptr, xent_##name##_bf16, xent_##name##_f16, xent_##name##_f32,      \
   nullptr, nullptr, nullptr, xent_##name##_backward_bf16, xent_##name##_backward_f16,                    \
   xent_##name##_backward_f32}

struct LossCase {
  const char *name;
  Kind kind;
  LossFns<BF16>::Dense16 dense_bf16;
  LossFns<F16>::Dense16 dense_f16;
  LossFns<BF16>::Dense32 dense_f32;
  LossFns<BF16>::Sparse16 sparse_bf16;
  LossFns<F16>::Sparse16 sparse_f16;
  LossFns<BF16>::Sparse32 sparse_f32;
  LossFns<BF16>::DenseB16 dense_bw_bf16;
  LossFns<F16>::DenseB16 dense_bw_f16;
  LossFns<BF16>::DenseB32 dense_bw_f32;
  LossFns<BF16>::SparseB16 sparse_bw_bf16;
  LossFns<F16>::SparseB16 sparse_bw_f16;
  LossFns<BF16>::SparseB32 sparse_bw_f32;
};

const LossCase kLosses[] = {
    XT_DENSE(sigmoid_ce_with_logits, Kind::elementwise_logits),
    XT_DENSE(softmax_ce_with_logits, Kind::dense_logits),
    XT_SPARSE(sparse_softmax_ce_with_logits, Kind::sparse_logits),
    XT_DENSE(binary_ce, Kind::elementwise_probs),
    XT_DENSE(categorical_ce, Kind::probs_dense),
    XT_SPARSE(sparse_categorical_ce, Kind::probs_sparse),
    XT_SPARSE(nll_loss, Kind::sparse_logits),
};

bool is_sparse(Kind k) { return k == Kind::sparse_logits || k == Kind::probs_sparse; }
bool is_elementwise(Kind k) { return k == Kind::elementwise_logits || k == Kind::elementwise_probs; }
bool is_probs(Kind k) { return k == Kind::probs_dense || k == Kind::probs_sparse || k == Kind::elementwise_probs; }

// One call's data in 16 bits and its widened f32 twin.
template <class H> struct LossData {
  using T = typename H::type;
  int64_t B, C, K;
  std::vector<T> x, t;
  std::vector<float> xf, tf;
  std::vector<int64_t> labels;
  LossData(const LossCase &c, int64_t B_, int64_t C_, int64_t K_, uint64_t seed, bool edge_rows = false)
      : B(B_), C(C_), K(K_) {
    xt::Rng rng(seed);
    const size_t n = size_t(B * C * K);
    std::vector<float> xv(n + 1), tv(n + 1);  // + 1: non-NULL when empty
    for (size_t i = 0; i < n; ++i) {
      xv[i] = is_probs(c.kind) ? float(rng.uniform(0.0, 1.0)) : float(rng.uniform(-8, 8));
      tv[i] = float(rng.uniform(0, 1));
    }
    if (!is_probs(c.kind) && n > 3) xv[1] = -std::numeric_limits<float>::infinity(), xv[2] = 1e30f;
    // The non-finite rows' rules: a +inf logit (row 1), a row of -inf (2), a NaN (3).
    const size_t row = size_t(C_ * K_);
    if (edge_rows && !is_probs(c.kind) && B_ >= 4 && row >= 2) {
      xv[row] = std::numeric_limits<float>::infinity();
      for (size_t i = 2 * row; i < 3 * row; ++i) xv[i] = -std::numeric_limits<float>::infinity();
      xv[3 * row + row / 2] = std::numeric_limits<float>::quiet_NaN();
    }
    x = to16<H>(xv);
    t = to16<H>(tv);
    xf = widen_all<H>(x);
    tf = widen_all<H>(t);
    labels.resize(size_t(B * K) + 1);
    for (auto &l : labels) l = rng.below(C);
    if (labels.size() > 2) labels[2] = -100;  // ignored where the options say so
  }
};

template <class H> xent_status call16(const LossCase &c, const LossData<H> &d, const xent_options *o, float *loss,
                                      typename H::type *grad, const typename H::type *input = nullptr) {
  const auto *in = input ? input : d.x.data();
  if constexpr (std::is_same_v<H, BF16>)
    return is_sparse(c.kind) ? c.sparse_bf16(in, d.labels.data(), d.B, d.C, o, loss, grad)
                             : c.dense_bf16(in, d.t.data(), d.B, d.C, o, loss, grad);
  else
    return is_sparse(c.kind) ? c.sparse_f16(in, d.labels.data(), d.B, d.C, o, loss, grad)
                             : c.dense_f16(in, d.t.data(), d.B, d.C, o, loss, grad);
}
template <class H> xent_status call32(const LossCase &c, const LossData<H> &d, const xent_options *o, float *loss,
                                      float *grad) {
  return is_sparse(c.kind) ? c.sparse_f32(d.xf.data(), d.labels.data(), d.B, d.C, o, loss, grad)
                           : c.dense_f32(d.xf.data(), d.tf.data(), d.B, d.C, o, loss, grad);
}
template <class H> xent_status back16(const LossCase &c, const LossData<H> &d, const xent_options *o,
                                      const float *dloss, typename H::type *grad) {
  if constexpr (std::is_same_v<H, BF16>)
    return is_sparse(c.kind) ? c.sparse_bw_bf16(d.x.data(), d.labels.data(), d.B, d.C, o, dloss, nullptr, grad)
                             : c.dense_bw_bf16(d.x.data(), d.t.data(), d.B, d.C, o, dloss, nullptr, grad);
  else
    return is_sparse(c.kind) ? c.sparse_bw_f16(d.x.data(), d.labels.data(), d.B, d.C, o, dloss, nullptr, grad)
                             : c.dense_bw_f16(d.x.data(), d.t.data(), d.B, d.C, o, dloss, nullptr, grad);
}
template <class H> xent_status back32(const LossCase &c, const LossData<H> &d, const xent_options *o,
                                      const float *dloss, float *grad) {
  return is_sparse(c.kind) ? c.sparse_bw_f32(d.xf.data(), d.labels.data(), d.B, d.C, o, dloss, nullptr, grad)
                           : c.dense_bw_f32(d.xf.data(), d.tf.data(), d.B, d.C, o, dloss, nullptr, grad);
}

template <class H> void check_loss_matches_f32(const LossCase &c, int64_t B, int64_t C, int64_t K,
                                               xent_reduction red, int threads) {
  using T = typename H::type;
  LossData<H> d(c, B, C, K, uint64_t(B * 1000003 + C * 101 + K), true);
  xent_options o;
  xent_options_init(&o);
  o.reduction = red;
  o.inner = K;
  o.num_threads = threads;
  if (is_sparse(c.kind)) o.ignore_index = -100;
  const size_t n = size_t(B * C * K), nl = red != XENT_REDUCTION_NONE ? 1 : is_elementwise(c.kind) ? n : size_t(B * K);
  // One spare element each: an empty batch still passes non-NULL pointers.
  std::vector<float> l16(nl + 1, -7.0f), l32(nl + 1, -7.0f), g32(n + 1);
  std::vector<T> g16(n + 1);
  INFO(c.name << "_" << H::name << " (" << B << ", " << C << ", " << K << "), reduction " << int(red) << ", threads "
              << threads << ", " << xent_simd_isa());
  REQUIRE(call16<H>(c, d, &o, l16.data(), g16.data()) == XENT_OK);
  REQUIRE(call32<H>(c, d, &o, l32.data(), g32.data()) == XENT_OK);
  CHECK(same_bits<H>(g16, g32));
  if (red == XENT_REDUCTION_NONE) {
    CHECK(same_floats(l16, l32));
  } else {  // block sums may group differently from the f32 call's: f32 rounding apart
    const double a = l16[0], b = l32[0];
    INFO("reduced: 16-bit " << a << ", f32 " << b);
    const bool close = a == b || (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= 1e-6 * std::fabs(b) + 1e-30;
    CHECK(close);
  }
  // The loss alone (grad NULL; the plain sparse loss reads the 16-bit rows itself): the same.
  std::vector<float> l_only(nl + 1, -7.0f);
  REQUIRE(call16<H>(c, d, &o, l_only.data(), nullptr) == XENT_OK);
  CHECK(same_floats(l_only, red == XENT_REDUCTION_NONE ? l32 : l16));
  // In place: grad == input.
  std::vector<T> inplace = d.x;
  inplace.resize(n + 1);
  std::vector<float> l_in(nl + 1);
  REQUIRE(call16<H>(c, d, &o, l_in.data(), inplace.data(), inplace.data()) == XENT_OK);
  for (size_t i = 0; i < n; ++i)
    if (inplace[i].bits != g16[i].bits) FAIL_CHECK("in place differs at " << i);
  // Backward with an upstream gradient: the rounding of the f32 backward.
  xt::Rng rng(7);
  std::vector<float> dloss(nl + 1);
  for (auto &v : dloss) v = float(rng.uniform(-2, 2));
  std::vector<T> b16(n + 1);
  std::vector<float> b32(n + 1);
  REQUIRE(back16<H>(c, d, &o, dloss.data(), b16.data()) == XENT_OK);
  REQUIRE(back32<H>(c, d, &o, dloss.data(), b32.data()) == XENT_OK);
  CHECK(same_bits<H>(b16, b32));
}

}  // namespace

TEST_CASE("16-bit losses: the f32 loss of the widened inputs, the rounding of its gradient", "[half]") {
  for (const LossCase &c : kLosses)
    for (auto shape : {std::vector<int64_t>{37, 10, 1}, {5, 1000, 1}, {3, 9000, 1}, {2, 1, 1}, {0, 10, 1},
                       {3, 5, 700}, {4, 33, 3}})
      for (xent_reduction red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN})
        for (int threads : {1, 2}) {
          check_loss_matches_f32<BF16>(c, shape[0], shape[1], shape[2], red, threads);
          check_loss_matches_f32<F16>(c, shape[0], shape[1], shape[2], red, threads);
        }
}

TEST_CASE("16-bit sparse softmax CE against a long-double reference of the 16-bit inputs", "[half]") {
  const int64_t B = 64, C = 3000;
  LossData<BF16> d(kLosses[2], B, C, 1, 99);
  for (auto &l : d.labels) l = l < 0 ? 0 : l;
  std::vector<float> loss(B);
  REQUIRE(xent_sparse_softmax_ce_with_logits_bf16(d.x.data(), d.labels.data(), B, C, nullptr, loss.data(), nullptr) ==
          XENT_OK);
  for (int64_t b = 0; b < B; ++b) {
    long double m = -INFINITY, s = 0;
    for (int64_t c = 0; c < C; ++c) m = std::max<long double>(m, d.xf[size_t(b * C + c)]);
    for (int64_t c = 0; c < C; ++c) s += std::exp((long double)d.xf[size_t(b * C + c)] - m);
    const int64_t l = d.labels[size_t(b)];
    const long double want = m + std::log(s) - d.xf[size_t(b * C + l)];
    INFO("row " << b);
    CHECK(std::fabs(double(loss[size_t(b)] - want)) <= 1e-5 * std::max<double>(1.0, std::fabs(double(want))));
  }
}

TEST_CASE("16-bit losses are batch invariant: a row alone gives the bits it gets in a batch", "[half]") {
  const int64_t B = 50, C = 33;
  LossData<F16> d(kLosses[2], B, C, 1, 5);
  for (auto &l : d.labels) l = l < 0 ? 0 : l;
  std::vector<float> loss(B);
  std::vector<xent_f16> grad(size_t(B * C));
  REQUIRE(xent_sparse_softmax_ce_with_logits_f16(d.x.data(), d.labels.data(), B, C, nullptr, loss.data(), grad.data()) ==
          XENT_OK);
  for (int64_t b : {0, 17, 49}) {
    float l1;
    std::vector<xent_f16> g1(static_cast<size_t>(C));
    REQUIRE(xent_sparse_softmax_ce_with_logits_f16(d.x.data() + b * C, d.labels.data() + b, 1, C, nullptr, &l1,
                                                   g1.data()) == XENT_OK);
    CHECK(fbits(l1) == fbits(loss[size_t(b)]));
    for (int64_t c = 0; c < C; ++c) CHECK(g1[size_t(c)].bits == grad[size_t(b * C + c)].bits);
  }
}

// ---- softmax family
namespace {
// The 16-bit kernels by overload (xent_bf16 and xent_f16 are distinct types).
xent_status lse_16(const xent_bf16 *x, int64_t r, int64_t c, float *o) { return xent_logsumexp_bf16(x, r, c, o); }
xent_status lse_16(const xent_f16 *x, int64_t r, int64_t c, float *o) { return xent_logsumexp_f16(x, r, c, o); }
xent_status partial16(const xent_bf16 *x, int64_t r, int64_t c, float *m, float *s) {
  return xent_lse_partial_bf16(x, r, c, m, s);
}
xent_status partial16(const xent_f16 *x, int64_t r, int64_t c, float *m, float *s) {
  return xent_lse_partial_f16(x, r, c, m, s);
}
xent_status softmax16(const xent_bf16 *x, int64_t r, int64_t c, xent_bf16 *y, bool log_out) {
  return log_out ? xent_log_softmax_bf16(x, r, c, y) : xent_softmax_bf16(x, r, c, y);
}
xent_status softmax16(const xent_f16 *x, int64_t r, int64_t c, xent_f16 *y, bool log_out) {
  return log_out ? xent_log_softmax_f16(x, r, c, y) : xent_softmax_f16(x, r, c, y);
}

template <class H> void check_rows(int64_t rows, int64_t cols) {
  using T = typename H::type;
  xt::Rng rng(uint64_t(rows * 31 + cols));
  std::vector<float> v(size_t(rows * cols) + 1);  // + 1: non-NULL when empty
  for (auto &e : v) e = float(rng.uniform(-20, 20));
  if (v.size() > 5) v[3] = -std::numeric_limits<float>::infinity(), v[4] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<T> x = to16<H>(v);
  const std::vector<float> xf = widen_all<H>(x);
  INFO(H::name << " (" << rows << ", " << cols << ") on " << xent_simd_isa());
  const size_t nr = static_cast<size_t>(rows) + 1;
  std::vector<float> lse16(nr), lse32(nr), m16(nr), s16(nr), m32(nr), s32(nr), y32(v.size());
  std::vector<T> y16(v.size()), inplace = x;
  REQUIRE(lse_16(x.data(), rows, cols, lse16.data()) == XENT_OK);
  REQUIRE(xent_logsumexp_f32(xf.data(), rows, cols, lse32.data()) == XENT_OK);
  CHECK(same_floats(lse16, lse32));
  REQUIRE(partial16(x.data(), rows, cols, m16.data(), s16.data()) == XENT_OK);
  REQUIRE(xent_lse_partial_f32(xf.data(), rows, cols, m32.data(), s32.data()) == XENT_OK);
  CHECK(same_floats(m16, m32));
  CHECK(same_floats(s16, s32));
  for (bool log_out : {false, true}) {
    REQUIRE(softmax16(x.data(), rows, cols, y16.data(), log_out) == XENT_OK);
    REQUIRE((log_out ? xent_log_softmax_f32 : xent_softmax_f32)(xf.data(), rows, cols, y32.data()) == XENT_OK);
    CHECK(same_bits<H>(y16, y32));
    inplace = x;
    REQUIRE(softmax16(inplace.data(), rows, cols, inplace.data(), log_out) == XENT_OK);
    for (size_t i = 0; i < size_t(rows * cols); ++i)
      if (inplace[i].bits != y16[i].bits) FAIL_CHECK("in place differs at " << i);
  }
}
}  // namespace

TEST_CASE("16-bit softmax, log_softmax, logsumexp, lse_partial: the f32 kernels' results, rounded", "[half]") {
  for (auto shape : {std::pair<int64_t, int64_t>{1, 10}, {100, 33}, {7, 1000}, {3, 20000}, {600, 64}, {0, 5}}) {
    check_rows<BF16>(shape.first, shape.second);
    check_rows<F16>(shape.first, shape.second);
  }
}

TEST_CASE("16-bit errors name the argument, with 16-bit buffer sizes, and write nothing", "[half][errors]") {
  std::vector<xent_bf16> x(40);
  std::vector<int64_t> labels(4, 1);
  float loss[4] = {-1, -1, -1, -1};
  CHECK(xent_sparse_softmax_ce_with_logits_bf16(nullptr, labels.data(), 4, 10, nullptr, loss, nullptr) ==
        XENT_ERR_NULL_POINTER);
  CHECK(std::string(xent_last_error()).find("input") != std::string::npos);
  labels[3] = 10;
  CHECK(xent_sparse_softmax_ce_with_logits_bf16(x.data(), labels.data(), 4, 10, nullptr, loss, nullptr) ==
        XENT_ERR_LABEL_OUT_OF_RANGE);
  labels[3] = 1;
  // grad starting half-way into the input overlaps it (40 elements of 2 bytes).
  CHECK(xent_sparse_softmax_ce_with_logits_bf16(x.data(), labels.data(), 2, 10, nullptr, loss, x.data() + 10) ==
        XENT_ERR_INVALID_ARGUMENT);
  CHECK(std::string(xent_last_error()).find("grad") != std::string::npos);
  // ... while the next 20 elements are a separate buffer.
  CHECK(xent_sparse_softmax_ce_with_logits_bf16(x.data(), labels.data(), 2, 10, nullptr, loss, x.data() + 20) == XENT_OK);
  for (int i = 2; i < 4; ++i) CHECK(loss[i] == -1.0f);
  std::vector<xent_f16> y(8, xent_f16{0x1234});
  CHECK(xent_softmax_f16(nullptr, 2, 4, y.data()) == XENT_ERR_NULL_POINTER);
  CHECK(xent_softmax_f16(reinterpret_cast<const xent_f16 *>(x.data()), 2, 0, y.data()) == XENT_ERR_INVALID_SHAPE);
  CHECK(xent_exp_f16(reinterpret_cast<const xent_f16 *>(x.data()), y.data(), -1) == XENT_ERR_INVALID_SHAPE);
  for (const xent_f16 &v : y) CHECK(v.bits == 0x1234);
}
