// SPEC section 4: results are bitwise identical for any thread count (fixed blocking, fixed
// reduction order), whether set per call (options.num_threads) or library-wide; and calls
// from several threads at once give the sequential results.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

namespace {

template <class T> void check_same(const xt::LibOut<T> &got, const xt::LibOut<T> &want) {
  REQUIRE(got.status == XENT_OK);
  XT_CHECK_REPORT(xt::compare_bitwise(got.loss.data(), want.loss.data(), want.loss.size()), "loss");
  XT_CHECK_REPORT(xt::compare_bitwise(got.grad.data(), want.grad.data(), want.grad.size()), "grad");
}

}  // namespace

TEMPLATE_TEST_CASE("losses are bitwise the same for 1, 2, 3 and 4 threads", "[threads]", float, double) {
  using T = TestType;
  for (Variant v : xt::kAllVariants)
    for (xt::Shape shape : {xt::Shape{2, 50000, 1}, xt::Shape{1000, 37, 1}, xt::Shape{3, 7, 300}, xt::Shape{1, 70001, 1}})
      for (int reduction : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
        LossSpec s = xt::make_spec(v, shape.batch, shape.classes, shape.inner);
        s.reduction = reduction;
        s.sample_weights = true;
        s.num_threads = 1;
        const xt::LossData<T> d = xt::make_data<T>(s);
        const xt::LibOut<T> one = xt::run_lib(s, d);
        REQUIRE(one.status == XENT_OK);
        for (int n : {2, 3, 4}) {
          s.num_threads = n;
          INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64"));
          check_same(xt::run_lib(s, d), one);
        }
        s.num_threads = 0;
        xent_set_num_threads(2);
        INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64") << " via xent_set_num_threads(2)");
        check_same(xt::run_lib(s, d), one);
        xent_set_num_threads(0);
      }
}

TEMPLATE_TEST_CASE("row kernels are bitwise the same for 1 and 2 threads", "[threads][kernels]", float, double) {
  using T = TestType;
  using A = xt::Api<T>;
  xt::Rng rng(77);
  for (xt::Shape shape : {xt::Shape{2, 50000, 1}, xt::Shape{1000, 37, 1}}) {
    const size_t n = static_cast<size_t>(shape.batch * shape.classes);
    const std::vector<T> x = xt::uniform_vector<T>(rng, n, -20, 20);
    std::vector<std::vector<T>> out;
    for (int threads : {1, 2}) {
      xent_set_num_threads(threads);
      std::vector<T> lse(static_cast<size_t>(shape.batch)), sm(n), lsm(n), y(n);
      REQUIRE(A::logsumexp(x.data(), shape.batch, shape.classes, lse.data()) == XENT_OK);
      REQUIRE(A::softmax(x.data(), shape.batch, shape.classes, sm.data()) == XENT_OK);
      REQUIRE(A::log_softmax(x.data(), shape.batch, shape.classes, lsm.data()) == XENT_OK);
      REQUIRE(A::exp(x.data(), y.data(), static_cast<int64_t>(n)) == XENT_OK);
      lse.insert(lse.end(), sm.begin(), sm.end());
      lse.insert(lse.end(), lsm.begin(), lsm.end());
      lse.insert(lse.end(), y.begin(), y.end());
      out.push_back(lse);
    }
    xent_set_num_threads(0);
    XT_CHECK_REPORT(xt::compare_bitwise(out[1].data(), out[0].data(), out[0].size()), "lse | softmax | log_softmax | exp");
  }
}

TEMPLATE_TEST_CASE("concurrent calls from several threads give the sequential results", "[threads]", float, double) {
  using T = TestType;
  std::vector<LossSpec> specs;
  for (Variant v : xt::kAllVariants) {
    LossSpec s = xt::make_spec(v, 64, 129);
    s.reduction = XENT_REDUCTION_MEAN;
    specs.push_back(s);
  }
  std::vector<xt::LossData<T>> data;
  std::vector<xt::LibOut<T>> sequential;
  for (const LossSpec &s : specs) {
    data.push_back(xt::make_data<T>(s));
    sequential.push_back(xt::run_lib(s, data.back()));
  }
  std::vector<xt::LibOut<T>> concurrent(specs.size());
  std::vector<std::thread> pool;
  for (size_t i = 0; i < specs.size(); ++i)
    pool.emplace_back([&, i] {
      for (int rep = 0; rep < 20; ++rep) concurrent[i] = xt::run_lib(specs[i], data[i]);
    });
  for (auto &t : pool) t.join();
  for (size_t i = 0; i < specs.size(); ++i) {
    INFO(specs[i].describe(""));
    check_same(concurrent[i], sequential[i]);
  }
}
