// The 16-bit overloads of include/xent/xent.hpp: xent::bf16 / xent::f16 vectors and pointers
// pick the _bf16 / _f16 C functions (checked at compile time by the return types and at run
// time bit for bit against the C functions called directly), float-valued outputs and
// weights, and the explicit float conversions against exhaustive round trips and _Float16.
#include <catch2/catch.hpp>

#include <xent/xent.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

namespace {

// Overload resolution, at compile time: a vector<bf16> gives bf16 outputs and float losses.
using VB = std::vector<xent::bf16>;
using VH = std::vector<xent::f16>;
static_assert(std::is_same<decltype(xent::exp(VB{})), VB>::value, "exp(vector<bf16>) is the bf16 kernel");
static_assert(std::is_same<decltype(xent::softmax(VH{}, 3)), VH>::value, "softmax(vector<f16>) is f16");
static_assert(std::is_same<decltype(xent::logsumexp(VB{}, 3)), std::vector<float>>::value, "lse is float");
static_assert(std::is_same<decltype(xent::sparse_softmax_ce_with_logits(VB{}, std::vector<int32_t>{}, 3)),
                           std::vector<float>>::value, "16-bit losses are float");
static_assert(std::is_same<decltype(xent::lse_partial(VH{}, 3).first), std::vector<float>>::value, "partials");
static_assert(std::is_same<xent::real_t<xent::bf16>, float>::value && std::is_same<xent::real_t<double>, double>::value,
              "real_t");
static_assert(!std::is_same<xent::bf16, xent::f16>::value, "distinct types");

// The C functions of each format, named here (not through the header's tables).
template <class H> struct C;
#define XENT_TEST_C(H, S)                                                                                    \
  template <> struct C<H> {                                                                                  \
    static constexpr auto sigmoid_ce = xent_sigmoid_ce_with_logits_##S;                                      \
    static constexpr auto softmax_ce = xent_softmax_ce_with_logits_##S;                                      \
    static constexpr auto binary_ce = xent_binary_ce_##S;                                                    \
    static constexpr auto categorical_ce = xent_categorical_ce_##S;                                          \
    static constexpr auto sparse_softmax_ce = xent_sparse_softmax_ce_with_logits_##S;                        \
    static constexpr auto sparse_softmax_ce_i32 = xent_sparse_softmax_ce_with_logits_##S##_i32;              \
    static constexpr auto sparse_categorical_ce = xent_sparse_categorical_ce_##S;                            \
    static constexpr auto nll = xent_nll_loss_##S;                                                           \
    static constexpr auto sigmoid_ce_backward = xent_sigmoid_ce_with_logits_backward_##S;                    \
    static constexpr auto sparse_softmax_ce_backward = xent_sparse_softmax_ce_with_logits_backward_##S;      \
    static constexpr auto nll_backward_i32 = xent_nll_loss_backward_##S##_i32;                               \
    static constexpr auto exp = xent_exp_##S;                                                                \
    static constexpr auto log_sigmoid = xent_log_sigmoid_##S;                                                \
    static constexpr auto logsumexp = xent_logsumexp_##S;                                                    \
    static constexpr auto softmax = xent_softmax_##S;                                                        \
    static constexpr auto log_softmax = xent_log_softmax_##S;                                                \
    static constexpr auto lse_partial = xent_lse_partial_##S;                                                \
    static constexpr const char *name = #S;                                                                  \
  };
XENT_TEST_C(xent_bf16, bf16)
XENT_TEST_C(xent_f16, f16)
#undef XENT_TEST_C

template <class H> H from_float(float f);
template <> xent::bf16 from_float<xent::bf16>(float f) { return xent::to_bf16(f); }
template <> xent::f16 from_float<xent::f16>(float f) { return xent::to_f16(f); }

template <class H> std::vector<H> values(std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<H> v(n);
  for (auto &h : v) h = from_float<H>(u(gen));
  return v;
}

template <class H> bool same_bits(const std::vector<H> &a, const std::vector<H> &b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].bits != b[i].bits) return false;
  return true;
}
bool same_bits(const std::vector<float> &a, const std::vector<float> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("xent::to_bf16 / to_f16 round every pattern trip and round to nearest even", "[half]") {
  for (uint32_t b = 0; b < 65536; ++b) {
    const xent::bf16 h{uint16_t(b)};
    const xent::f16 g{uint16_t(b)};
    const float fb = xent::to_float(h), fg = xent::to_float(g);
    if (std::isnan(fb)) CHECK(std::isnan(xent::to_float(xent::to_bf16(fb))));
    else REQUIRE(xent::to_bf16(fb).bits == b);
    if (std::isnan(fg)) CHECK(std::isnan(xent::to_float(xent::to_f16(fg))));
    else REQUIRE(xent::to_f16(fg).bits == b);
  }
  // ties: 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7 (to even: 1); 1 + 3 * 2^-8 up
  CHECK(xent::to_bf16(1.0f + std::ldexp(1.0f, -8)).bits == 0x3f80);
  CHECK(xent::to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)).bits == 0x3f82);
  CHECK(xent::to_bf16(3.4e38f).bits == 0x7f80);  // rounds past the largest finite bf16
  CHECK(xent::to_f16(65520.0f).bits == 0x7c00);
  CHECK(xent::to_f16(65519.0f).bits == 0x7bff);
  CHECK(xent::to_f16(std::ldexp(1.0f, -25)).bits == 0x0000);
  CHECK(xent::to_f16(std::ldexp(3.0f, -26)).bits == 0x0001);
  CHECK(xent::to_f16(-std::ldexp(1.0f, -24)).bits == 0x8001);
#if defined(__FLT16_MAX__) && (defined(__x86_64__) || defined(__i386__))  // GCC 12 lacks it in C++ on aarch64
  std::mt19937 gen(5);
  std::uniform_int_distribution<uint32_t> any;
  for (int i = 0; i < 200000; ++i) {
    uint32_t u = any(gen);
    u = (u & 0x80000000u) | ((u % 0x48000000u) & 0x7fffffffu);  // |f| below 2^17: all rounding cases
    float f;
    std::memcpy(&f, &u, 4);
    const _Float16 want = static_cast<_Float16>(f);
    uint16_t wb;
    std::memcpy(&wb, &want, 2);
    REQUIRE(xent::to_f16(f).bits == wb);
  }
#endif
}

TEMPLATE_TEST_CASE("16-bit losses: the vector and pointer overloads are the C functions, bit for bit", "[half]",
                   xent::bf16, xent::f16) {
  using H = TestType;
  using c = C<H>;
  const int64_t B = 6, Cl = 5;
  const auto x = values<H>(B * Cl, -4, 4, 1), t = values<H>(B * Cl, 0, 1, 2), p = values<H>(B * Cl, 0.05f, 0.95f, 3);
  const std::vector<int64_t> l64 = {0, 4, 2, 1, 3, 3};
  const std::vector<int32_t> l32(l64.begin(), l64.end());
  const std::vector<float> w = {0.5f, 1, 1.5f, 2, 0.25f};
  const xent::options o = xent::options().reduction(XENT_REDUCTION_MEAN).class_weights(w.data());
  const xent_options co = o.c_options();

  std::vector<float> want(1), want_none(B * Cl);
  std::vector<H> gwant(B * Cl), g;

  // sparse softmax CE, int64 and int32 labels, with float class weights
  REQUIRE(c::sparse_softmax_ce(x.data(), l64.data(), B, Cl, &co, want.data(), gwant.data()) == XENT_OK);
  auto got = xent::sparse_softmax_ce_with_logits(x, l64, Cl, o, &g);
  CHECK(same_bits(got, want));
  CHECK(same_bits(g, gwant));
  REQUIRE(c::sparse_softmax_ce_i32(x.data(), l32.data(), B, Cl, &co, want.data(), gwant.data()) == XENT_OK);
  got = xent::sparse_softmax_ce_with_logits(x, l32, Cl, o, &g);
  CHECK(same_bits(got, want));
  CHECK(same_bits(g, gwant));
  float loss = 0;
  std::vector<H> gp(B * Cl);
  xent::sparse_softmax_ce_with_logits(x.data(), l32.data(), B, Cl, o, &loss, gp.data());  // pointer overload
  CHECK(std::memcmp(&loss, want.data(), 4) == 0);
  CHECK(same_bits(gp, gwant));

  // the dense losses (reduction NONE, element-wise and per sample)
  struct Dense {
    xent_status (*cfn)(const H *, const H *, int64_t, int64_t, const xent_options *, float *, H *);
    std::vector<float> (*hpp)(const std::vector<H> &, const std::vector<H> &, int64_t, const xent::options &,
                              std::vector<H> *);
    bool prob, elementwise;
  };
  const Dense dense[] = {
      {c::sigmoid_ce, &xent::sigmoid_ce_with_logits<H>, false, true},
      {c::softmax_ce, &xent::softmax_ce_with_logits<H>, false, false},
      {c::binary_ce, &xent::binary_ce<H>, true, true},
      {c::categorical_ce, &xent::categorical_ce<H>, true, false},
  };
  for (const Dense &d : dense) {
    const auto &in = d.prob ? p : x;
    std::vector<float> ref(d.elementwise ? B * Cl : B);
    REQUIRE(d.cfn(in.data(), t.data(), B, Cl, nullptr, ref.data(), gwant.data()) == XENT_OK);
    CHECK(same_bits(d.hpp(in, t, Cl, xent::options(), &g), ref));
    CHECK(same_bits(g, gwant));
  }

  // sparse categorical CE and nll_loss
  std::vector<float> ref(B);
  REQUIRE(c::sparse_categorical_ce(p.data(), l64.data(), B, Cl, nullptr, ref.data(), gwant.data()) == XENT_OK);
  CHECK(same_bits(xent::sparse_categorical_ce(p, l64, Cl, xent::options(), &g), ref));
  CHECK(same_bits(g, gwant));
  REQUIRE(c::nll(x.data(), l64.data(), B, Cl, nullptr, ref.data(), gwant.data()) == XENT_OK);
  CHECK(same_bits(xent::nll_loss(x, l64, Cl, xent::options(), &g), ref));
  CHECK(same_bits(g, gwant));

  // backward, with the saved (float) lse
  std::vector<float> lse(B), dloss(B * Cl, 0.5f);
  REQUIRE(c::sparse_softmax_ce(x.data(), l64.data(), B, Cl, nullptr, ref.data(), nullptr) == XENT_OK);
  const xent::options ol = xent::options().lse_out(lse.data());
  xent::sparse_softmax_ce_with_logits(x.data(), l64.data(), B, Cl, ol, ref.data());
  REQUIRE(c::sparse_softmax_ce_backward(x.data(), l64.data(), B, Cl, nullptr, dloss.data(), lse.data(),
                                        gwant.data()) == XENT_OK);
  xent::sparse_softmax_ce_with_logits_backward(x.data(), l64.data(), B, Cl, xent::options(), dloss.data(), lse.data(),
                                               gp.data());
  CHECK(same_bits(gp, gwant));
  REQUIRE(c::sigmoid_ce_backward(x.data(), t.data(), B, Cl, nullptr, dloss.data(), nullptr, gwant.data()) == XENT_OK);
  xent::sigmoid_ce_with_logits_backward(x.data(), t.data(), B, Cl, xent::options(), dloss.data(), nullptr, gp.data());
  CHECK(same_bits(gp, gwant));
  REQUIRE(c::nll_backward_i32(x.data(), l32.data(), B, Cl, &co, dloss.data(), nullptr, gwant.data()) == XENT_OK);
  xent::nll_loss_backward(x.data(), l32.data(), B, Cl, o, dloss.data(), nullptr, gp.data());
  CHECK(same_bits(gp, gwant));

  // weights of the wrong type are refused before the call
  const std::vector<double> wd(Cl, 1.0);
  CHECK_THROWS_AS(xent::sparse_softmax_ce_with_logits(x, l64, Cl, xent::options().class_weights(wd.data())),
                  xent::error);
}

TEMPLATE_TEST_CASE("16-bit kernels: the overloads are the C functions, bit for bit", "[half]", xent::bf16, xent::f16) {
  using H = TestType;
  using c = C<H>;
  const int64_t rows = 3, cols = 70;
  const auto x = values<H>(rows * cols, -8, 8, 4);
  std::vector<H> want(x.size());
  REQUIRE(c::exp(x.data(), want.data(), rows * cols) == XENT_OK);
  CHECK(same_bits(xent::exp(x), want));
  REQUIRE(c::log_sigmoid(x.data(), want.data(), rows * cols) == XENT_OK);
  std::vector<H> y(x.size());
  xent::log_sigmoid(x.data(), y.data(), rows * cols);
  CHECK(same_bits(y, want));
  REQUIRE(c::softmax(x.data(), rows, cols, want.data()) == XENT_OK);
  CHECK(same_bits(xent::softmax(x, cols), want));
  REQUIRE(c::log_softmax(x.data(), rows, cols, want.data()) == XENT_OK);
  CHECK(same_bits(xent::log_softmax(x, cols), want));
  std::vector<float> lse(rows), mx(rows), sm(rows);
  REQUIRE(c::logsumexp(x.data(), rows, cols, lse.data()) == XENT_OK);
  CHECK(same_bits(xent::logsumexp(x, cols), lse));
  REQUIRE(c::lse_partial(x.data(), rows, cols, mx.data(), sm.data()) == XENT_OK);
  const auto parts = xent::lse_partial(x, cols);
  CHECK(same_bits(parts.first, mx));
  CHECK(same_bits(parts.second, sm));
  // 16-bit partials merge with the float merge, to the 16-bit logsumexp
  const auto merged = xent::lse_merge(parts.first, parts.second, 1);
  for (int64_t r = 0; r < rows; ++r) CHECK(std::fabs(merged[r] - lse[r]) <= 1e-5f * (1 + std::fabs(lse[r])));
  // values: softmax rows sum to one within the 16-bit rounding
  const auto s = xent::softmax(x, cols);
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t k = 0; k < cols; ++k) sum += xent::to_float(s[r * cols + k]);
    CHECK(std::fabs(sum - 1) <= (std::is_same<H, xent::bf16>::value ? 0.03 : 0.004));
  }
}
