// Library-wide API: status names, the thread-local last error, xent_options_init and
// struct_size growth, NULL options, the version string and the thread-count setting.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/errors.hpp"
#include "support/loss_case.hpp"

TEST_CASE("xent_status_string names every status", "[api]") {
  const std::pair<xent_status, const char *> names[] = {
      {XENT_OK, "XENT_OK"},
      {XENT_ERR_NULL_POINTER, "XENT_ERR_NULL_POINTER"},
      {XENT_ERR_INVALID_SHAPE, "XENT_ERR_INVALID_SHAPE"},
      {XENT_ERR_INVALID_ARGUMENT, "XENT_ERR_INVALID_ARGUMENT"},
      {XENT_ERR_LABEL_OUT_OF_RANGE, "XENT_ERR_LABEL_OUT_OF_RANGE"},
      {XENT_ERR_OUT_OF_MEMORY, "XENT_ERR_OUT_OF_MEMORY"},
      {XENT_ERR_INTERNAL, "XENT_ERR_INTERNAL"},
      {XENT_ERR_UNSUPPORTED, "XENT_ERR_UNSUPPORTED"},
      // No unknown value: C++ may form only [0, 7] from this enum, all named now. The
      // library reads the argument as an int, so C callers' other values give
      // "XENT_ERR_UNKNOWN" (the switch's default).
  };
  for (const auto &n : names) {
    const char *got = xent_status_string(n.first);
    REQUIRE(got != nullptr);
    CHECK(std::string(got) == n.second);
  }
}

TEST_CASE("xent_last_error is per thread and empty before any failure", "[api]") {
  std::string fresh, after, other_after;
  std::thread([&] { fresh = xent_last_error(); }).join();
  CHECK(fresh.empty());
  xt::prime_last_error();  // fails on this thread
  after = xent_last_error();
  std::thread([&] { other_after = xent_last_error(); }).join();
  CHECK(!after.empty());
  CHECK(other_after.empty());
  std::string mine;
  std::thread([&] {
    (void)xent_exp_f32(nullptr, nullptr, 1);
    mine = xent_last_error();
  }).join();
  CHECK(mine.rfind("xent_exp_f32", 0) == 0);
  CHECK(std::string(xent_last_error()) == after);  // this thread's message did not change
}

TEST_CASE("xent_options_init sets the documented defaults", "[api]") {
  xent_options o;
  std::memset(&o, 0xA5, sizeof o);
  xent_options_init(&o);
  CHECK(o.struct_size == sizeof(xent_options));
  CHECK(o.reduction == XENT_REDUCTION_NONE);
  CHECK(o.label_smoothing == 0.0);
  CHECK(o.epsilon == 1e-7);
  CHECK(o.class_weights == nullptr);
  CHECK(o.pos_weight == nullptr);
  CHECK(o.sample_weights == nullptr);
  CHECK(o.ignore_index == XENT_NO_IGNORE);
  CHECK(XENT_NO_IGNORE == INT64_MIN);
  CHECK(o.inner == 1);
  CHECK(o.z_loss == 0.0);
  CHECK(o.logit_softcap == 0.0);
  CHECK(o.num_threads == 0);
  CHECK(XENT_OPTIONS_V1_SIZE <= sizeof(xent_options));
}

TEMPLATE_TEST_CASE("NULL options, V1 struct_size and a larger struct_size give the defaults' result", "[api]", float,
                   double) {
  using T = TestType;
  for (xt::Variant v : xt::kAllVariants) {
    const xt::LossSpec s = xt::make_spec(v, 6, 9);
    const xt::LossData<T> d = xt::make_data<T>(s);
    const xt::LibOut<T> want = xt::run_lib(s, d);
    REQUIRE(want.status == XENT_OK);
    // a newer caller's options: the struct followed by fields this library does not know (zeros)
    std::vector<unsigned char> bigger(sizeof(xent_options) + 64, 0);
    xent_options *grown = reinterpret_cast<xent_options *>(bigger.data());
    xent_options_init(grown);
    grown->struct_size = bigger.size();
    std::vector<const xent_options *> variants = {nullptr, grown};
    xent_options v1;
    xent_options_init(&v1);
    v1.struct_size = XENT_OPTIONS_V1_SIZE;
    variants.push_back(&v1);
    for (size_t k = 0; k < variants.size(); ++k) {
      xt::Guarded<T> loss(s.loss_count()), grad(static_cast<size_t>(s.elements()));
      xt::LossArgs<T> a;
      a.variant = v;
      a.input = d.input.data();
      a.targets = d.targets.data();
      a.labels64 = d.labels64.data();
      a.batch = s.batch;
      a.classes = s.classes;
      a.opts = variants[k];
      a.loss = loss.data();
      a.grad = grad.data();
      INFO(xt::function_name<T>(v, false) << " options #" << k);
      REQUIRE(xt::call_loss(a) == XENT_OK);
      XT_CHECK_REPORT(xt::compare_bitwise(loss.data(), want.loss.data(), loss.size()), "loss");
      XT_CHECK_REPORT(xt::compare_bitwise(grad.data(), want.grad.data(), grad.size()), "grad");
    }
  }
}

TEST_CASE("xent_version is MAJOR.MINOR.PATCH", "[api]") {
  const std::string v = xent_version();
  int dots = 0;
  bool digits = !v.empty() && std::isdigit(static_cast<unsigned char>(v.front())) &&
                std::isdigit(static_cast<unsigned char>(v.back()));
  for (char c : v) {
    if (c == '.') ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c))) digits = false;
  }
  INFO("xent_version() = " << v);
  CHECK(dots == 2);
  CHECK(digits);
  CHECK(v.find("..") == std::string::npos);
}

TEST_CASE("xent_set_num_threads: a count sticks, 0 and negatives restore the default", "[api][threads]") {
  xent_set_num_threads(0);
  const int standard = xent_get_num_threads();
  CHECK(standard >= 1);
  xent_set_num_threads(1);
  CHECK(xent_get_num_threads() == 1);
  xent_set_num_threads(-3);
  CHECK(xent_get_num_threads() == standard);
  xent_set_num_threads(0);
  CHECK(xent_get_num_threads() == standard);
}
