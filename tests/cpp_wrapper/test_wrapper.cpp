// Tests of the C++17 wrapper include/xent/xent.hpp over the real library.
// References are computed here from std::exp / std::log formulas, never copied from a text.
#include <catch2/catch.hpp>

#include <xent/xent.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

// SPEC section 4: error scale 1e-5 (f32) / 1e-11 (f64) times max(|ref|, 1 + largest |logit|).
template <class T> double tol(double ref, double max_abs_logit) {
  const double rel = std::is_same<T, float>::value ? 1e-5 : 1e-11;
  return rel * std::max(std::fabs(ref), 1.0 + max_abs_logit);
}

// The seed example: three rows of logits [1, 2, 3], label 2 in each row.
template <class T> std::vector<T> seed_logits() { return {1, 2, 3, 1, 2, 3, 1, 2, 3}; }
double seed_lse() { return std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)); }
double seed_row_loss() { return seed_lse() - 3.0; }
double seed_grad(int c) { return std::exp(c + 1.0 - seed_lse()) - (c == 2 ? 1.0 : 0.0); }

template <class T> T *ptr(std::vector<T> &v) { return v.data(); }

}  // namespace

TEMPLATE_TEST_CASE("seed: sparse softmax CE of [1,2,3] rows, class 2, per row and summed", "[seed]", float, double) {
  using T = TestType;
  const std::vector<T> x = seed_logits<T>();
  const std::vector<int64_t> labels = {2, 2, 2};

  std::vector<T> grad;
  const std::vector<T> none = xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options(), &grad);
  REQUIRE(none.size() == 3);
  for (T v : none) CHECK(std::fabs(v - seed_row_loss()) <= tol<T>(seed_row_loss(), 3));
  REQUIRE(grad.size() == 9);
  for (int i = 0; i < 9; ++i) CHECK(std::fabs(grad[i] - seed_grad(i % 3)) <= tol<T>(1.0, 0));

  const auto sum = xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options().reduction(XENT_REDUCTION_SUM));
  CHECK(std::fabs(xent::scalar(sum) - 3 * seed_row_loss()) <= tol<T>(3 * seed_row_loss(), 3));

  const auto mean = xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options().reduction(XENT_REDUCTION_MEAN));
  CHECK(std::fabs(xent::scalar(mean) - seed_row_loss()) <= tol<T>(seed_row_loss(), 3));
}

TEMPLATE_TEST_CASE("int32 labels give the same result as int64 labels", "[labels]", float, double) {
  using T = TestType;
  const std::vector<T> x = {0.5, -1, 2, 3, 0, -2, 1, 1, 1};
  const std::vector<int64_t> l64 = {0, 2, 1};
  const std::vector<int32_t> l32 = {0, 2, 1};
  std::vector<T> g64, g32;
  const auto a = xent::sparse_softmax_ce_with_logits(x, l64, 3, xent::options(), &g64);
  const auto b = xent::sparse_softmax_ce_with_logits(x, l32, 3, xent::options(), &g32);
  CHECK(a == b);
  CHECK(g64 == g32);
  // Reference for each row: lse(x) - x_label.
  for (int r = 0; r < 3; ++r) {
    double lse = 0;
    for (int c = 0; c < 3; ++c) lse += std::exp(double(x[3 * r + c]));
    const double ref = std::log(lse) - double(x[3 * r + l64[r]]);
    CHECK(std::fabs(b[r] - ref) <= tol<T>(ref, 3));
  }
}

TEMPLATE_TEST_CASE("vector and pointer overloads agree", "[overloads]", float, double) {
  using T = TestType;
  std::vector<T> x = {0.5, -1, 2, 3, 0, -2, 1, 1, 1, -4, 4, 0};  // (4, 3)
  const std::vector<int64_t> labels = {0, 2, 1, 1};
  const std::vector<T> soft = {0.2, 0.3, 0.5, 1, 0, 0, 0, 0, 1, 0.25, 0.25, 0.5};
  const xent::options sum = xent::options().reduction(XENT_REDUCTION_SUM);

  SECTION("sparse softmax CE, NONE and SUM") {
    std::vector<T> vg, pl(4), pg(12);
    const auto vl = xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options(), &vg);
    xent::sparse_softmax_ce_with_logits(x.data(), labels.data(), 4, 3, ptr(pl), ptr(pg));
    CHECK(vl == pl);
    CHECK(vg == pg);
    T s = 0;
    xent::sparse_softmax_ce_with_logits(x.data(), labels.data(), 4, 3, sum, &s);
    CHECK(xent::scalar(xent::sparse_softmax_ce_with_logits(x, labels, 3, sum)) == s);
  }
  SECTION("dense variants") {
    std::vector<T> p = soft;
    for (T &v : p) v = T(0.1) + T(0.8) * v;  // probabilities away from the clip
    // The vector overload's loss and grad equal the pointer overload's, bitwise.
    auto same = [](auto vec_fn, auto ptr_fn, const std::vector<T> &in, const std::vector<T> &t, std::size_t n_loss) {
      std::vector<T> vg, pl(n_loss), pg(in.size());
      const std::vector<T> vl = vec_fn(in, t, 3, xent::options(), &vg);
      ptr_fn(in.data(), t.data(), 4, 3, pl.data(), pg.data());
      CHECK(vl == pl);
      CHECK(vg == pg);
    };
    same([](auto &&...a) { return xent::softmax_ce_with_logits(a...); },
         [](auto &&...a) { xent::softmax_ce_with_logits(a...); }, x, soft, 4);
    same([](auto &&...a) { return xent::sigmoid_ce_with_logits(a...); },
         [](auto &&...a) { xent::sigmoid_ce_with_logits(a...); }, x, soft, 12);
    same([](auto &&...a) { return xent::binary_ce(a...); }, [](auto &&...a) { xent::binary_ce(a...); }, p, soft, 12);
    same([](auto &&...a) { return xent::categorical_ce(a...); }, [](auto &&...a) { xent::categorical_ce(a...); }, p,
         soft, 4);
  }
  SECTION("in place gradient through the pointer overload") {
    std::vector<T> vg, pl(4);
    const auto vl = xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options(), &vg);
    xent::sparse_softmax_ce_with_logits(x.data(), labels.data(), 4, 3, ptr(pl), ptr(x));
    CHECK(vl == pl);
    CHECK(x == vg);
  }
}

TEMPLATE_TEST_CASE("sigmoid CE follows its formula, soft labels outside [0,1] too", "[sigmoid]", float, double) {
  using T = TestType;
  const std::vector<T> x = {5, 5, 5, -2};
  const std::vector<T> t = {1, 0, -1, 0.3};
  const auto loss = xent::sigmoid_ce_with_logits(x, t, 1);
  REQUIRE(loss.size() == 4);
  for (int i = 0; i < 4; ++i) {
    const double xi = x[i], ti = t[i];
    const double ref = std::max(xi, 0.0) - xi * ti + std::log1p(std::exp(-std::fabs(xi)));
    CHECK(std::fabs(loss[i] - ref) <= tol<T>(ref, std::fabs(xi)));
  }
}

TEMPLATE_TEST_CASE("a bad label throws xent::error with status and message", "[errors]", float, double) {
  using T = TestType;
  const std::vector<T> x = seed_logits<T>();
  const std::vector<int64_t> labels = {2, 3, 0};  // labels[1] = 3 is outside [0, 3)
  std::vector<T> grad = {42};
  try {
    xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options(), &grad);
    FAIL("no exception");
  } catch (const xent::error &e) {
    CHECK(e.status() == XENT_ERR_LABEL_OUT_OF_RANGE);
    const std::string msg = e.what();
    INFO("message: " << msg);
    CHECK(msg == xent::last_error());
    CHECK(msg.find("labels[1] = 3") != std::string::npos);
  }
  CHECK(grad == std::vector<T>{42});  // untouched on error

  std::vector<T> loss(3, T(7));
  const std::vector<int32_t> l32 = {0, -1, 0};
  CHECK_THROWS_MATCHES(xent::sparse_softmax_ce_with_logits(x.data(), l32.data(), 3, 3, ptr(loss)), xent::error,
                       Catch::Predicate<xent::error>([](const xent::error &e) {
                         return e.status() == XENT_ERR_LABEL_OUT_OF_RANGE &&
                                std::string(e.what()).find("labels[1] = -1") != std::string::npos;
                       }));
  CHECK(loss == std::vector<T>(3, T(7)));
  // xent::error is a std::runtime_error.
  CHECK_THROWS_AS(xent::sparse_categorical_ce(x, labels, 3), std::runtime_error);
}

TEMPLATE_TEST_CASE("NULL pointers and negative shapes throw with their status", "[errors]", float, double) {
  using T = TestType;
  const std::vector<T> x = seed_logits<T>();
  const std::vector<int64_t> labels = {2, 2, 2};
  std::vector<T> loss(3);
  auto status_of = [](auto &&call) {
    try {
      call();
    } catch (const xent::error &e) {
      INFO("message: " << e.what());
      CHECK(std::strlen(e.what()) > 0);
      return e.status();
    }
    return XENT_OK;
  };
  CHECK(status_of([&] { xent::sparse_softmax_ce_with_logits<T, int64_t>(nullptr, labels.data(), 3, 3, ptr(loss)); }) ==
        XENT_ERR_NULL_POINTER);
  CHECK(status_of([&] { xent::sparse_softmax_ce_with_logits<T, int64_t>(x.data(), nullptr, 3, 3, ptr(loss)); }) ==
        XENT_ERR_NULL_POINTER);
  CHECK(status_of([&] { xent::softmax_ce_with_logits<T>(x.data(), x.data(), 3, 3, nullptr); }) ==
        XENT_ERR_NULL_POINTER);
  CHECK(status_of([&] { xent::sparse_softmax_ce_with_logits(x.data(), labels.data(), -1, 3, ptr(loss)); }) ==
        XENT_ERR_INVALID_SHAPE);
  CHECK(status_of([&] { xent::sparse_softmax_ce_with_logits(x.data(), labels.data(), 3, 0, ptr(loss)); }) ==
        XENT_ERR_INVALID_SHAPE);
  CHECK(status_of([&] { xent::exp<T>(x.data(), ptr(loss), -1); }) == XENT_ERR_INVALID_SHAPE);
  CHECK(status_of([&] { xent::logsumexp(x, 0); }) == XENT_ERR_INVALID_SHAPE);
  // Shapes the wrapper itself rejects before calling C.
  CHECK(status_of([&] { xent::sparse_softmax_ce_with_logits(x, std::vector<int64_t>{1, 2}, 3); }) ==
        XENT_ERR_INVALID_SHAPE);
  CHECK(status_of([&] { xent::softmax_ce_with_logits(x, std::vector<T>(8), 3); }) == XENT_ERR_INVALID_SHAPE);
  CHECK(status_of([&] { xent::softmax(x, 4); }) == XENT_ERR_INVALID_SHAPE);
  CHECK(status_of([&] { xent::scalar(loss); }) == XENT_ERR_INVALID_ARGUMENT);
}

TEST_CASE("options: typed weights, checked against the call", "[options]") {
  const std::vector<double> x = {1, 2, 3, 3, 2, 1};
  const std::vector<int64_t> labels = {2, 0};
  const std::vector<double> cw = {2.0, 1.0, 0.5};
  const std::vector<float> cwf = {2.0f, 1.0f, 0.5f};

  xent::options o;
  CHECK(o.c_options().struct_size >= XENT_OPTIONS_V1_SIZE);
  CHECK(o.c_options().epsilon == 1e-7);
  CHECK(o.c_options().ignore_index == XENT_NO_IGNORE);
  CHECK(o.inner() == 1);
  CHECK(o.reduction() == XENT_REDUCTION_NONE);

  // PyTorch's weighted mean: sum_i cw[l_i] * loss_i / sum_i cw[l_i].
  const double row = seed_row_loss();
  const double ref = (cw[2] * row + cw[0] * row) / (cw[2] + cw[0]);
  const auto mean =
      xent::sparse_softmax_ce_with_logits(x, labels, 3, o.reduction(XENT_REDUCTION_MEAN).class_weights(cw.data()));
  CHECK(std::fabs(xent::scalar(mean) - ref) <= tol<double>(ref, 3));

  try {
    xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options().class_weights(cwf.data()));
    FAIL("no exception");
  } catch (const xent::error &e) {
    CHECK(e.status() == XENT_ERR_INVALID_ARGUMENT);
    CHECK(std::string(e.what()).find("class_weights") != std::string::npos);
  }
  CHECK_NOTHROW(xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options().class_weights(cwf.data()).class_weights(nullptr)));
  // An option off its variant is the library's INVALID_ARGUMENT.
  CHECK_THROWS_MATCHES(xent::softmax_ce_with_logits(x, x, 3, xent::options().ignore_index(0)), xent::error,
                       Catch::Predicate<xent::error>([](const xent::error &e) { return e.status() == XENT_ERR_INVALID_ARGUMENT; }));
  // ignore_index: that sample gives 0.
  const auto ign = xent::sparse_softmax_ce_with_logits(x, labels, 3, xent::options().ignore_index(0));
  REQUIRE(ign.size() == 2);
  CHECK(ign[1] == 0.0);
}

TEST_CASE("batch 0 with empty vectors", "[shapes]") {
  const std::vector<float> none;
  const std::vector<int64_t> nolabels;
  std::vector<float> grad = {1};
  CHECK(xent::sparse_softmax_ce_with_logits(none, nolabels, 5, xent::options(), &grad).empty());
  CHECK(grad.empty());
  CHECK(xent::scalar(xent::sparse_softmax_ce_with_logits(none, nolabels, 5, xent::options().reduction(XENT_REDUCTION_SUM))) == 0.0f);
  CHECK(std::isnan(xent::scalar(xent::softmax_ce_with_logits(none, none, 5, xent::options().reduction(XENT_REDUCTION_MEAN)))));
  CHECK(xent::exp(none).empty());
}

TEMPLATE_TEST_CASE("kernels through the wrapper", "[kernels]", float, double) {
  using T = TestType;
  const std::vector<T> x = seed_logits<T>();
  const auto e = xent::exp(x);
  const auto l = xent::log(e);
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(std::fabs(e[i] - std::exp(double(x[i]))) <= tol<T>(std::exp(double(x[i])), 0));
    CHECK(std::fabs(l[i] - x[i]) <= tol<T>(x[i], 0));
  }
  const auto lse = xent::logsumexp(x, 3);
  REQUIRE(lse.size() == 3);
  for (T v : lse) CHECK(std::fabs(v - seed_lse()) <= tol<T>(seed_lse(), 3));
  const auto sm = xent::softmax(x, 3);
  const auto lsm = xent::log_softmax(x, 3);
  for (int i = 0; i < 9; ++i) {
    const double ref = std::exp((i % 3) + 1.0 - seed_lse());
    CHECK(std::fabs(sm[i] - ref) <= tol<T>(1.0, 0));
    CHECK(std::fabs(lsm[i] - std::log(ref)) <= tol<T>(std::log(ref), 3));
  }
  // Shards: columns [1,2] and [3] of each row, merged.
  const auto a = xent::lse_partial(std::vector<T>{1, 2, 1, 2, 1, 2}, 2);
  const auto b = xent::lse_partial(std::vector<T>{3, 3, 3}, 1);
  std::vector<T> mx = a.first, sm2 = a.second;
  mx.insert(mx.end(), b.first.begin(), b.first.end());
  sm2.insert(sm2.end(), b.second.begin(), b.second.end());
  const auto merged = xent::lse_merge(mx, sm2, 2);
  REQUIRE(merged.size() == 3);
  for (T v : merged) CHECK(std::fabs(v - seed_lse()) <= tol<T>(seed_lse(), 3));
}

TEST_CASE("library-wide: version, ISA, threads", "[library]") {
  const std::string v = xent::version();
  CHECK(std::count(v.begin(), v.end(), '.') == 2);
  const std::string isa = xent::simd_isa();
  const std::vector<std::string> known = {"avx512", "avx2", "sse2", "neon", "scalar"};
  CHECK(std::find(known.begin(), known.end(), isa) != known.end());
  const int before = xent::get_num_threads();
  CHECK(before >= 1);
  xent::set_num_threads(1);
  CHECK(xent::get_num_threads() == 1);
  xent::set_num_threads(0);
  CHECK(xent::get_num_threads() == before);
  CHECK(std::string(xent::status_string(XENT_ERR_LABEL_OUT_OF_RANGE)) == "XENT_ERR_LABEL_OUT_OF_RANGE");
}

TEMPLATE_TEST_CASE("backward with the saved lse: the seed's gradient times dloss", "[backward]", float, double) {
  using T = TestType;
  std::vector<T> x = seed_logits<T>(), lse(3), loss(3), grad(9);
  const std::vector<int64_t> labels = {2, 2, 2};
  const std::vector<T> dloss = {T(1), T(-2), T(0.5)};
  xent::options o;
  o.lse_out(lse.data());
  xent::sparse_softmax_ce_with_logits(x.data(), labels.data(), 3, 3, o, loss.data());
  for (T v : lse) CHECK(std::fabs(double(v) - seed_lse()) <= tol<T>(seed_lse(), 3));
  xent::sparse_softmax_ce_with_logits_backward(x.data(), labels.data(), 3, 3, o, dloss.data(), lse.data(), grad.data());
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c)
      CHECK(std::fabs(double(grad[size_t(r * 3 + c)]) - double(dloss[size_t(r)]) * seed_grad(c)) <= tol<T>(0, 3) * 2);
  // An lse pointer of the other element type is refused before the call.
  std::vector<double> wrong(3);
  xent::options bad;
  bad.lse_out(wrong.data());
  std::vector<float> xf = seed_logits<float>(), lf(3);
  CHECK_THROWS_AS(xent::sparse_softmax_ce_with_logits(xf.data(), labels.data(), 3, 3, bad, lf.data()), xent::error);
}

TEST_CASE("focal options through the wrapper: gamma 0 and alpha off is the plain loss", "[focal]") {
  const std::vector<double> x = {-2, 0.5, 3}, t = {0, 1, 1};
  const std::vector<double> plain = xent::sigmoid_ce_with_logits(x, t, 3);
  const std::vector<double> same = xent::sigmoid_ce_with_logits(x, t, 3, xent::options().focal_gamma(0).focal_alpha(-1));
  CHECK(plain == same);
  const std::vector<double> focal = xent::sigmoid_ce_with_logits(x, t, 3, xent::options().focal_gamma(2).focal_alpha(0.25));
  for (int i = 0; i < 3; ++i) {
    const double p = 1 / (1 + std::exp(-x[size_t(i)])), pt = t[size_t(i)] == 1 ? p : 1 - p;
    const double at = t[size_t(i)] == 1 ? 0.25 : 0.75;
    CHECK(std::fabs(focal[size_t(i)] - at * (1 - pt) * (1 - pt) * plain[size_t(i)]) <= 1e-11 * (1 + std::fabs(plain[size_t(i)])));
  }
  CHECK_THROWS_AS(xent::binary_ce(std::vector<double>{0.5}, std::vector<double>{1}, 1, xent::options().poly_epsilon(1)),
                  xent::error);
}

TEST_CASE("nll_loss and the axis kernels through the wrapper", "[nll][axis]") {
  // log_softmax of the seed rows, then nll_loss: the seed's sparse CE.
  std::vector<double> x = seed_logits<double>(), lp(9), loss(3), grad(9), back(9);
  xent::log_softmax(x.data(), 3, 3, lp.data());
  const std::vector<int64_t> labels = {2, 2, 2};
  xent::nll_loss(lp.data(), labels.data(), 3, 3, loss.data(), grad.data());
  for (double l : loss) CHECK(std::fabs(l - seed_row_loss()) <= tol<double>(seed_row_loss(), 3));
  CHECK(xent::nll_loss(lp, labels, 3) == loss);
  const std::vector<double> dl = {1, 2, 3};
  xent::nll_loss_backward(lp.data(), labels.data(), 3, 3, xent::options(), dl.data(), nullptr, back.data());
  for (int i = 0; i < 9; ++i) CHECK(back[size_t(i)] == dl[size_t(i / 3)] * grad[size_t(i)]);
  // (1, 3, 3): the classes on the middle axis, one line per column of the seed rows.
  std::vector<double> y(9), want(9);
  xent::softmax_axis(x.data(), 1, 3, 3, y.data());
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 3; ++i) CHECK(std::fabs(y[size_t(c * 3 + i)] - 1.0 / 3) < 1e-15);  // equal columns
  CHECK_THROWS_AS(xent::softmax_axis(x.data(), 1, 3, 0, y.data()), xent::error);
}
