// Every error status of the exp/log/softmax kernels, with outputs and inputs untouched.
#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "support/api.hpp"
#include "support/check.hpp"
#include "support/errors.hpp"
#include "support/random.hpp"
#include "support/report.hpp"

namespace {

// x holds 64 inputs (a (4, 16) matrix, or (parts, rows) partials); a and b are outputs.
template <class T> struct Buffers {
  std::vector<T> x, x2;
  xt::Guarded<T> a, b;
  Buffers() : a(64), b(64) {
    xt::Rng rng(5);
    x = xt::uniform_vector<T>(rng, 64, 0.5, 3);
    x2 = xt::uniform_vector<T>(rng, 64, 0.5, 3);
  }
};

template <class T> struct KernelCase {
  std::string function, what;
  std::function<xent_status(Buffers<T> &)> call;
  xent_status status;
  std::string needle;
};

template <class T> std::vector<KernelCase<T>> kernel_cases() {
  using A = xt::Api<T>;
  using B = Buffers<T>;
  const xent_status NUL = XENT_ERR_NULL_POINTER, SHAPE = XENT_ERR_INVALID_SHAPE, ARG = XENT_ERR_INVALID_ARGUMENT;
  const std::string s = A::suffix;
  std::vector<KernelCase<T>> c;
  const std::pair<const char *, xt::UnaryFn<T>> unary[] = {{"xent_exp", A::exp},         {"xent_log", A::log},
                                                           {"xent_log1p", A::log1p},     {"xent_sigmoid", A::sigmoid},
                                                           {"xent_softplus", A::softplus}, {"xent_log_sigmoid", A::log_sigmoid}};
  for (const auto &u : unary) {
    const auto f = u.second;
    const std::string name = u.first + s;
    c.push_back({name, "x NULL", [f](B &b) { return f(nullptr, b.a.data(), 4); }, NUL, ""});
    c.push_back({name, "y NULL", [f](B &b) { return f(b.x.data(), nullptr, 4); }, NUL, ""});
    c.push_back({name, "x NULL with n = 0", [f](B &b) { return f(nullptr, b.a.data(), 0); }, NUL, ""});
    c.push_back({name, "n = -5", [f](B &b) { return f(b.x.data(), b.a.data(), -5); }, SHAPE, "-5"});
    c.push_back({name, "n over INT64_MAX bytes", [f](B &b) { return f(b.x.data(), b.a.data(), INT64_MAX / 2); }, SHAPE, ""});
    c.push_back({name, "y = x + 1", [f](B &b) { return f(b.a.data(), b.a.data() + 1, 8); }, ARG, ""});
    c.push_back({name, "y = x - 1", [f](B &b) { return f(b.a.data() + 1, b.a.data(), 8); }, ARG, ""});
  }
  const std::pair<const char *, xt::RowFn<T>> rows[] = {
      {"xent_logsumexp", A::logsumexp}, {"xent_softmax", A::softmax}, {"xent_log_softmax", A::log_softmax}};
  for (const auto &r : rows) {
    const auto f = r.second;
    const std::string name = r.first + s;
    c.push_back({name, "x NULL", [f](B &b) { return f(nullptr, 4, 16, b.a.data()); }, NUL, ""});
    c.push_back({name, "out NULL", [f](B &b) { return f(b.x.data(), 4, 16, nullptr); }, NUL, ""});
    c.push_back({name, "rows -2", [f](B &b) { return f(b.x.data(), -2, 16, b.a.data()); }, SHAPE, "rows"});
    c.push_back({name, "cols 0", [f](B &b) { return f(b.x.data(), 4, 0, b.a.data()); }, SHAPE, "cols"});
    c.push_back({name, "cols 0 with rows 0", [f](B &b) { return f(b.x.data(), 0, 0, b.a.data()); }, SHAPE, "cols"});
    c.push_back({name, "cols -1", [f](B &b) { return f(b.x.data(), 4, -1, b.a.data()); }, SHAPE, "cols"});
    c.push_back({name, "rows*cols over INT64_MAX",
                 [f](B &b) { return f(b.x.data(), int64_t(1) << 40, int64_t(1) << 40, b.a.data()); }, SHAPE, ""});
    c.push_back({name, "out partly over x", [f](B &b) { return f(b.a.data(), 4, 16, b.a.data() + 3); }, ARG, ""});
  }
  c.push_back({"xent_logsumexp" + s, "out == x",
               [](B &b) { return A::logsumexp(b.a.data(), 4, 16, b.a.data()); }, ARG, ""});
  const std::string partial = "xent_lse_partial" + s, merge = "xent_lse_merge" + s;
  c.push_back({partial, "x NULL", [](B &b) { return A::lse_partial(nullptr, 4, 16, b.a.data(), b.b.data()); }, NUL, ""});
  c.push_back({partial, "max NULL", [](B &b) { return A::lse_partial(b.x.data(), 4, 16, nullptr, b.b.data()); }, NUL, ""});
  c.push_back({partial, "sum NULL", [](B &b) { return A::lse_partial(b.x.data(), 4, 16, b.a.data(), nullptr); }, NUL, ""});
  c.push_back({partial, "rows -1", [](B &b) { return A::lse_partial(b.x.data(), -1, 16, b.a.data(), b.b.data()); }, SHAPE, "rows"});
  c.push_back({partial, "cols 0", [](B &b) { return A::lse_partial(b.x.data(), 4, 0, b.a.data(), b.b.data()); }, SHAPE, "cols"});
  c.push_back({partial, "max_out == sum_out", [](B &b) { return A::lse_partial(b.x.data(), 4, 16, b.a.data(), b.a.data()); }, ARG, ""});
  c.push_back({partial, "sum_out over max_out", [](B &b) { return A::lse_partial(b.x.data(), 4, 16, b.a.data(), b.a.data() + 2); }, ARG, ""});
  c.push_back({partial, "max_out == x", [](B &b) { return A::lse_partial(b.a.data(), 4, 16, b.a.data(), b.b.data()); }, ARG, ""});
  c.push_back({partial, "sum_out inside x", [](B &b) { return A::lse_partial(b.b.data(), 4, 16, b.a.data(), b.b.data() + 20); }, ARG, ""});
  c.push_back({merge, "max NULL", [](B &b) { return A::lse_merge(nullptr, b.x2.data(), 4, 16, b.a.data()); }, NUL, ""});
  c.push_back({merge, "sum NULL", [](B &b) { return A::lse_merge(b.x.data(), nullptr, 4, 16, b.a.data()); }, NUL, ""});
  c.push_back({merge, "lse NULL", [](B &b) { return A::lse_merge(b.x.data(), b.x2.data(), 4, 16, nullptr); }, NUL, ""});
  c.push_back({merge, "parts 0", [](B &b) { return A::lse_merge(b.x.data(), b.x2.data(), 0, 16, b.a.data()); }, SHAPE, "parts"});
  c.push_back({merge, "parts -1", [](B &b) { return A::lse_merge(b.x.data(), b.x2.data(), -1, 16, b.a.data()); }, SHAPE, "parts"});
  c.push_back({merge, "rows -1", [](B &b) { return A::lse_merge(b.x.data(), b.x2.data(), 4, -1, b.a.data()); }, SHAPE, "rows"});
  c.push_back({merge, "lse inside max", [](B &b) { return A::lse_merge(b.a.data(), b.x2.data(), 4, 16, b.a.data() + 5); }, ARG, ""});
  c.push_back({merge, "lse == sum", [](B &b) { return A::lse_merge(b.x.data(), b.a.data(), 4, 16, b.a.data()); }, ARG, ""});
  return c;
}

}  // namespace

TEMPLATE_TEST_CASE("every kernel: each bad argument fails with its status, message, and outputs untouched",
                   "[errors][kernels]", float, double) {
  for (const KernelCase<TestType> &kc : kernel_cases<TestType>()) {
    Buffers<TestType> b;
    const Buffers<TestType> before = b;
    INFO(kc.function << ": " << kc.what);
    xt::prime_last_error();
    xt::check_failure(kc.call(b), kc.status, kc.function, kc.needle);
    CHECK(b.a.untouched());
    CHECK(b.b.untouched());
    CHECK(b.x == before.x);  // (bitwise: both hold finite values)
    CHECK(b.x2 == before.x2);
  }
}

TEMPLATE_TEST_CASE("kernels: n = 0 and rows = 0 are valid and write nothing; inputs may overlap each other",
                   "[errors][kernels]", float, double) {
  using A = xt::Api<TestType>;
  Buffers<TestType> b;
  for (auto f : {A::exp, A::log, A::log1p, A::sigmoid, A::softplus, A::log_sigmoid}) CHECK(f(b.x.data(), b.a.data(), 0) == XENT_OK);
  for (auto f : {A::logsumexp, A::softmax, A::log_softmax}) CHECK(f(b.x.data(), 0, 16, b.a.data()) == XENT_OK);
  CHECK(A::lse_partial(b.x.data(), 0, 16, b.a.data(), b.b.data()) == XENT_OK);
  CHECK(A::lse_merge(b.x.data(), b.x2.data(), 4, 0, b.a.data()) == XENT_OK);
  CHECK(b.a.untouched());
  CHECK(b.b.untouched());
  // max and sum are both inputs of lse_merge: the same array for both is allowed
  CHECK(A::lse_merge(b.x.data(), b.x.data(), 4, 16, b.a.data()) == XENT_OK);
}
