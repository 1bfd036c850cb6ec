// Batch invariance: a row's loss, gradient, softmax or lse has the same bits whether it is
// computed alone, at any position of a batch, or with the batch's rows in another order,
// and with any thread count. Routes chosen by shape (the short-row route, max-ahead, the
// fused softmax, a row split between threads) must agree, so each width below sits on a
// different one: C = 10 and 33 (short rows), 1000 and 5000 (one and two sum chunks),
// 70000 (a row longer than the fused softmax's limit, split into parts). Also: a loss
// computed without its gradient has the bits of the one computed with it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <vector>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

namespace {

std::vector<int64_t> reversed_rows(int64_t B) {
  std::vector<int64_t> r(static_cast<size_t>(B));
  std::iota(r.rbegin(), r.rend(), int64_t(0));
  return r;
}

template <class T> const char *type_name() { return sizeof(T) == 4 ? "f32" : "f64"; }

// Rows `order` of d (the whole batch of s), as the data of a batch of order.size() rows.
template <class T> xt::LossData<T> pick_rows(const LossSpec &s, const xt::LossData<T> &d, const std::vector<int64_t> &order) {
  const size_t C = size_t(s.classes);
  xt::LossData<T> r;
  for (int64_t b : order) {
    r.input.insert(r.input.end(), d.input.begin() + b * C, d.input.begin() + (b + 1) * C);
    if (!d.targets.empty()) r.targets.insert(r.targets.end(), d.targets.begin() + b * C, d.targets.begin() + (b + 1) * C);
    if (!d.labels64.empty()) {
      r.labels64.push_back(d.labels64[size_t(b)]);
      r.labels32.push_back(d.labels32[size_t(b)]);
    }
  }
  return r;
}

// Row `at` of a result with `per_row` values per row equals row `b` of want.
template <class T>
bool same_row(const T *got, int64_t at, const T *want, int64_t b, int64_t per_row) {
  return xt::compare_bitwise(got + at * per_row, want + b * per_row, size_t(per_row)).ok;
}

template <class T> void check_loss_rows(Variant v, int64_t B, int64_t C) {
  LossSpec s = xt::make_spec(v, B, C);
  s.num_threads = 1;
  const xt::LossData<T> d = xt::make_data<T>(s);
  const xt::LibOut<T> batch = xt::run_lib(s, d);
  REQUIRE(batch.status == XENT_OK);
  const int64_t per_row_loss = int64_t(s.loss_count()) / B;
  INFO(s.describe(type_name<T>()));

  // The loss without the gradient: the same bits.
  const xt::LibOut<T> loss_only = xt::run_lib(s, d, xt::GradMode::None);
  REQUIRE(loss_only.status == XENT_OK);
  XT_CHECK_REPORT(xt::compare_bitwise(loss_only.loss.data(), batch.loss.data(), s.loss_count()), "loss without grad");

  // Two threads.
  LossSpec s2 = s;
  s2.num_threads = 2;
  const xt::LibOut<T> two = xt::run_lib(s2, d);
  XT_CHECK_REPORT(xt::compare_bitwise(two.loss.data(), batch.loss.data(), s.loss_count()), "loss, 2 threads");
  XT_CHECK_REPORT(xt::compare_bitwise(two.grad.data(), batch.grad.data(), size_t(s.elements())), "grad, 2 threads");

  // Each row alone, and the batch reversed.
  const std::vector<int64_t> reversed = reversed_rows(B);
  LossSpec sr = s;
  const xt::LibOut<T> rev = xt::run_lib(sr, pick_rows(s, d, reversed));
  REQUIRE(rev.status == XENT_OK);
  LossSpec one = s;
  one.batch = 1;
  for (int64_t b = 0; b < B; ++b) {
    INFO("row " << b);
    const xt::LibOut<T> alone = xt::run_lib(one, pick_rows(s, d, {b}));
    REQUIRE(alone.status == XENT_OK);
    CHECK(same_row(alone.loss.data(), 0, batch.loss.data(), b, per_row_loss));
    CHECK(same_row(alone.grad.data(), 0, batch.grad.data(), b, C));
    CHECK(same_row(rev.loss.data(), B - 1 - b, batch.loss.data(), b, per_row_loss));
    CHECK(same_row(rev.grad.data(), B - 1 - b, batch.grad.data(), b, C));
  }
}

// Random rows with the edge rows among them (a +inf, an all -inf, a NaN row, 1e30).
template <class T> std::vector<T> kernel_rows(int64_t B, int64_t C) {
  xt::Rng rng(uint64_t(B * 131 + C));
  std::vector<T> x(size_t(B * C));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c) x[size_t(b * C + c)] = T(rng.uniform(-30.0, 30.0) * (b % 3 == 1 ? 0.01 : 1.0));
  const T inf = std::numeric_limits<T>::infinity();
  x[size_t(1 * C + C / 2)] = inf;
  std::fill(x.begin() + 2 * C, x.begin() + 3 * C, -inf);
  x[size_t(3 * C)] = std::numeric_limits<T>::quiet_NaN();
  x[size_t(4 * C + C - 1)] = T(1e30);
  return x;
}

template <class T> void check_kernel_rows(int64_t B, int64_t C) {
  using A = xt::Api<T>;
  const std::vector<T> x = kernel_rows<T>(B, C);
  const std::vector<int64_t> reversed = reversed_rows(B);
  std::vector<T> xr;
  for (int64_t b : reversed) xr.insert(xr.end(), x.begin() + b * C, x.begin() + (b + 1) * C);
  struct Kernel {
    const char *name;
    xt::RowFn<T> f;
    int64_t per_row;
  };
  for (const Kernel &k : {Kernel{"softmax", A::softmax, C}, Kernel{"log_softmax", A::log_softmax, C},
                          Kernel{"logsumexp", A::logsumexp, 1}}) {
    INFO(k.name << " " << type_name<T>() << " B=" << B << " C=" << C);
    std::vector<T> whole(size_t(B * k.per_row)), two(whole.size()), rev(whole.size()), alone(size_t(k.per_row));
    xent_set_num_threads(1);
    REQUIRE(k.f(x.data(), B, C, whole.data()) == XENT_OK);
    REQUIRE(k.f(xr.data(), B, C, rev.data()) == XENT_OK);
    xent_set_num_threads(2);
    REQUIRE(k.f(x.data(), B, C, two.data()) == XENT_OK);
    xent_set_num_threads(0);
    XT_CHECK_REPORT(xt::compare_bitwise(two.data(), whole.data(), whole.size()), "2 threads");
    for (int64_t b = 0; b < B; ++b) {
      INFO("row " << b);
      REQUIRE(k.f(x.data() + b * C, 1, C, alone.data()) == XENT_OK);
      CHECK(same_row(alone.data(), 0, whole.data(), b, k.per_row));
      CHECK(same_row(rev.data(), B - 1 - b, whole.data(), b, k.per_row));
    }
  }
}

}  // namespace

TEMPLATE_TEST_CASE("losses are batch invariant: alone, anywhere in a batch, any thread count, with or without grad",
                   "[batch-invariance]", float, double) {
  for (Variant v : xt::kAllVariants)
    for (int64_t C : {10, 33, 1000, 5000}) check_loss_rows<TestType>(v, C >= 1000 ? 6 : 40, C);
}

TEMPLATE_TEST_CASE("softmax, log_softmax, logsumexp are batch invariant on every route", "[batch-invariance]",
                   float, double) {
  for (int64_t C : {10, 33, 1000, 5000, 70000}) check_kernel_rows<TestType>(C >= 70000 ? 5 : 8, C);
}
