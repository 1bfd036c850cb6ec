// Every error status of the loss functions, in SEMANTICS.md's order of checks, with every
// output (and every input an output was aimed at) left untouched.
#include <catch2/catch.hpp>

#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "support/errors.hpp"
#include "support/loss_case.hpp"

using xt::LossSpec;
using xt::Variant;

namespace {

// A valid call (B = 4, C = 5) in buffers the mutations of a case may aim anywhere.
template <class T> struct Fixture {
  LossSpec spec;
  xt::LossData<T> data;
  xent_options opts;
  xt::Guarded<T> loss, grad;
  xt::LossArgs<T> args;

  Fixture(Variant v, bool int32_labels, int64_t inner) {
    spec = xt::make_spec(v, 4, 5, inner);
    spec.int32_labels = int32_labels;
    data = xt::make_data<T>(spec);
    opts = xt::make_options(spec, data);
    loss = xt::Guarded<T>(spec.loss_count());
    grad = xt::Guarded<T>(static_cast<size_t>(spec.elements()));
    args.variant = v;
    args.int32_labels = int32_labels;
    args.input = data.input.data();
    args.targets = data.targets.data();
    args.labels64 = data.labels64.data();
    args.labels32 = data.labels32.data();
    args.batch = spec.batch;
    args.classes = spec.classes;
    args.opts = &opts;
    args.loss = loss.data();
    args.grad = grad.data();
  }
  Fixture(const Fixture &) = delete;
  T *input() { return data.input.data(); }
  void set_label(size_t i, int64_t value) {
    data.labels64[i] = value;
    data.labels32[i] = static_cast<int32_t>(value);
  }
};

template <class T> struct ErrorCase {
  std::string what;
  std::function<void(Fixture<T> &)> mutate;
  xent_status status;
  std::string needle;  // a piece of the message, "" for none
};

template <class T> std::vector<ErrorCase<T>> cases_for(Variant v) {
  using F = Fixture<T>;
  const xent_status NUL = XENT_ERR_NULL_POINTER, SHAPE = XENT_ERR_INVALID_SHAPE, ARG = XENT_ERR_INVALID_ARGUMENT;
  const double qnan = std::numeric_limits<double>::quiet_NaN();
  const bool sparse = ref::is_sparse(v), probs = ref::takes_probabilities(v), softmax = ref::is_softmax_logits(v);
  std::vector<ErrorCase<T>> c = {
      {"input NULL", [](F &f) { f.args.input = nullptr; }, NUL, "input"},
      {"loss NULL", [](F &f) { f.args.loss = nullptr; }, NUL, "loss"},
      {"NULL before a bad shape", [](F &f) { f.args.loss = nullptr, f.args.batch = -1; }, NUL, "loss"},
      {"batch -7", [](F &f) { f.args.batch = -7; }, SHAPE, "batch"},
      {"classes 0", [](F &f) { f.args.classes = 0; }, SHAPE, "classes"},
      {"classes -3", [](F &f) { f.args.classes = -3; }, SHAPE, "classes"},
      {"inner 0", [](F &f) { f.opts.inner = 0; }, SHAPE, "inner"},
      {"inner -2", [](F &f) { f.opts.inner = -2; }, SHAPE, "inner"},
      {"B*C over INT64_MAX", [](F &f) { f.args.batch = f.args.classes = int64_t(1) << 40; }, SHAPE, ""},
      {"B*C*K over INT64_MAX", [](F &f) { f.opts.inner = int64_t(1) << 62; }, SHAPE, ""},
      {"B*C*sizeof over INT64_MAX", [](F &f) { f.args.batch = f.args.classes = int64_t(1) << 31; }, SHAPE, ""},
      {"shape before option", [](F &f) { f.args.batch = -1, f.opts.reduction = xent_reduction(9); }, SHAPE, "batch"},
      {"reduction 3", [](F &f) { f.opts.reduction = xent_reduction(3); }, ARG, "reduction"},
      {"reduction -1", [](F &f) { f.opts.reduction = xent_reduction(-1); }, ARG, "reduction"},
      {"smoothing -0.1", [](F &f) { f.opts.label_smoothing = -0.1; }, ARG, "label_smoothing"},
      {"smoothing 1.5", [](F &f) { f.opts.label_smoothing = 1.5; }, ARG, "label_smoothing"},
      {"smoothing NaN", [=](F &f) { f.opts.label_smoothing = qnan; }, ARG, "label_smoothing"},
      {"num_threads -1", [](F &f) { f.opts.num_threads = -1; }, ARG, "num_threads"},
      {"struct_size 0", [](F &f) { f.opts.struct_size = 0; }, ARG, "struct_size"},
      {"struct_size V1 - 1", [](F &f) { f.opts.struct_size = XENT_OPTIONS_V1_SIZE - 1; }, ARG, "struct_size"},
      {"z_loss -1", [](F &f) { f.opts.z_loss = -1; }, ARG, "z_loss"},
      {"z_loss NaN", [=](F &f) { f.opts.z_loss = qnan; }, ARG, "z_loss"},
      {"logit_softcap -1", [](F &f) { f.opts.logit_softcap = -1; }, ARG, "logit_softcap"},
      {"logit_softcap NaN", [=](F &f) { f.opts.logit_softcap = qnan; }, ARG, "logit_softcap"},
      {"epsilon -1e-3", [](F &f) { f.opts.epsilon = -1e-3; }, ARG, "epsilon"},
      {"epsilon 0.5", [](F &f) { f.opts.epsilon = 0.5; }, ARG, "epsilon"},
      {"epsilon NaN", [=](F &f) { f.opts.epsilon = qnan; }, ARG, "epsilon"},
      {"loss == input", [](F &f) { f.args.loss = f.input(); }, ARG, ""},
      {"loss inside input", [](F &f) { f.args.loss = f.input() + 3; }, ARG, ""},
      {"grad partly over input", [](F &f) { f.args.grad = f.input() + 1; }, ARG, ""},
      {"input partly over grad", [](F &f) { f.args.input = f.grad.data() + 2; }, ARG, ""},
      {"loss inside grad", [](F &f) { f.args.loss = f.grad.data() + 2; }, ARG, ""},
      {"class_weights inside grad", [](F &f) { f.opts.class_weights = f.grad.data() + 1; }, ARG, ""},
      {"sample_weights == loss", [](F &f) { f.opts.sample_weights = f.loss.data(); }, ARG, ""},
      // Found by the fuzzer: with one row, class_weights at the input's address has the
      // in-place gradient's exact start and size, and must still count as an overlap.
      {"grad in place, class_weights at the input's address, batch 1",
       [](F &f) { f.args.batch = 1, f.args.grad = f.input(), f.opts.class_weights = f.input(); }, ARG, "class_weights"},
  };
  if (probs) {
    c.push_back({"value before variant: epsilon NaN and z_loss", [=](F &f) { f.opts.epsilon = qnan, f.opts.z_loss = 1; },
                 ARG, "epsilon"});
  } else {
    c.push_back({"epsilon 1e-3 off the probability variants", [](F &f) { f.opts.epsilon = 1e-3; }, ARG, "epsilon"});
    c.push_back({"epsilon 0 off the probability variants", [](F &f) { f.opts.epsilon = 0; }, ARG, "epsilon"});
  }
  if (!softmax) {
    c.push_back({"z_loss 0.1 off the softmax-with-logits variants", [](F &f) { f.opts.z_loss = 0.1; }, ARG, "z_loss"});
    c.push_back({"logit_softcap 5 off the softmax-with-logits variants", [](F &f) { f.opts.logit_softcap = 5; }, ARG,
                 "logit_softcap"});
  }
  if (v != Variant::SigmoidLogits)
    c.push_back({"pos_weight off sigmoid CE", [](F &f) { f.opts.pos_weight = f.data.input.data(); }, ARG, "pos_weight"});
  c.push_back({"value before variant: smoothing 1.5 and ignore_index / pos_weight",
               [=](F &f) {
                 f.opts.label_smoothing = 1.5;
                 if (sparse) f.opts.pos_weight = f.data.input.data(); else f.opts.ignore_index = -100;
               },
               ARG, "label_smoothing"});
  if (sparse) {
    c.push_back({"labels NULL", [](F &f) { f.args.labels64 = nullptr, f.args.labels32 = nullptr; }, NUL, "labels"});
    c.push_back({"label = C", [](F &f) { f.set_label(3, 5); }, XENT_ERR_LABEL_OUT_OF_RANGE, "labels[3]"});
    c.push_back({"label = -1", [](F &f) { f.set_label(1, -1); }, XENT_ERR_LABEL_OUT_OF_RANGE, "labels[1]"});
    c.push_back({"first bad label named", [](F &f) { f.set_label(2, -1), f.set_label(3, 99); },
                 XENT_ERR_LABEL_OUT_OF_RANGE, "labels[2]"});
    c.push_back({"label = C beside an ignore_index that is not it", [](F &f) { f.opts.ignore_index = -100, f.set_label(0, 5); },
                 XENT_ERR_LABEL_OUT_OF_RANGE, "labels[0]"});
    c.push_back({"overlap before labels", [](F &f) { f.args.grad = f.input() + 1, f.set_label(0, 7); }, ARG, ""});
    c.push_back({"loss over the labels", [](F &f) { f.args.loss = reinterpret_cast<T *>(f.data.labels64.data() + 1),
                                                    f.args.int32_labels = false; }, ARG, ""});
  } else {
    c.push_back({"targets NULL", [](F &f) { f.args.targets = nullptr; }, NUL, "targets"});
    c.push_back({"ignore_index off the sparse variants", [](F &f) { f.opts.ignore_index = -100; }, ARG, "ignore_index"});
    c.push_back({"ignore_index 0 off the sparse variants", [](F &f) { f.opts.ignore_index = 0; }, ARG, "ignore_index"});
    c.push_back({"loss inside targets", [](F &f) { f.args.loss = f.data.targets.data() + 1; }, ARG, ""});
    c.push_back({"grad == targets", [](F &f) { f.args.grad = f.data.targets.data(); }, ARG, ""});
  }
  return c;
}

template <class T> void run_cases(Variant v, bool int32_labels, int64_t inner) {
  for (const ErrorCase<T> &ec : cases_for<T>(v)) {
    Fixture<T> f(v, int32_labels, inner);
    INFO(xt::function_name<T>(v, int32_labels) << " K=" << inner << ": " << ec.what);
    REQUIRE(xt::call_loss(f.args) == XENT_OK);  // the unmutated call is valid
    f.loss = xt::Guarded<T>(f.loss.size());
    f.grad = xt::Guarded<T>(f.grad.size());
    f.args.loss = f.loss.data();
    f.args.grad = f.grad.data();
    ec.mutate(f);
    const xt::LossData<T> before = f.data;
    xt::prime_last_error();
    const xent_status got = xt::call_loss(f.args);
    xt::check_failure(got, ec.status, xt::function_name<T>(v, f.args.int32_labels), ec.needle);
    CHECK(f.loss.untouched());
    CHECK(f.grad.untouched());
    XT_CHECK_REPORT(xt::compare_bitwise(f.data.input.data(), before.input.data(), before.input.size()), "input kept");
    XT_CHECK_REPORT(xt::compare_bitwise(f.data.targets.data(), before.targets.data(), before.targets.size()), "targets kept");
    CHECK(f.data.labels64 == before.labels64);
    CHECK(f.data.labels32 == before.labels32);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("every loss function: each bad argument fails with its status, message, and outputs untouched",
                   "[errors]", float, double) {
  for (Variant v : xt::kAllVariants)
    for (int width = 0; width < (ref::is_sparse(v) ? 2 : 1); ++width)
      for (int64_t inner : {1, 2}) run_cases<TestType>(v, width == 1, inner);
}

TEMPLATE_TEST_CASE("int32 labels out of range and ignore_index", "[errors]", float, double) {
  using T = TestType;
  for (Variant v : {Variant::SparseSoftmaxLogits, Variant::SparseCategorical}) {
    const std::string name = xt::function_name<T>(v, true);
    for (int32_t bad : {INT32_MAX, INT32_MIN, 5}) {
      Fixture<T> f(v, true, 1);
      f.data.labels32[3] = bad;
      xt::prime_last_error();
      xt::check_failure(xt::call_loss(f.args), XENT_ERR_LABEL_OUT_OF_RANGE, name, "labels[3]");
      CHECK(std::string(xent_last_error()).find(std::to_string(bad)) != std::string::npos);
      CHECK(f.loss.untouched());
      CHECK(f.grad.untouched());
    }
    for (bool narrow : {false, true})
      for (int64_t ignore : {int64_t(-100), int64_t(5), int64_t(2), int64_t(INT32_MIN)}) {
        // a label equal to ignore_index is accepted, inside [0, C) or not
        Fixture<T> f(v, narrow, 2);
        f.opts.ignore_index = ignore;
        f.set_label(1, ignore);
        INFO(xt::function_name<T>(v, narrow) << " ignore_index " << ignore);
        CHECK(xt::call_loss(f.args) == XENT_OK);
      }
    Fixture<T> f(v, false, 3);  // (B, K) labels: the flat index is named
    f.set_label(7, 5);
    xt::prime_last_error();
    xt::check_failure(xt::call_loss(f.args), XENT_ERR_LABEL_OUT_OF_RANGE, xt::function_name<T>(v, false), "labels[7]");
  }
}
