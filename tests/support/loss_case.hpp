// One loss call, described by a LossSpec: random inputs from a fixed seed, the library's
// result in guarded buffers, and the comparison with the long-double reference.
#pragma once

#include "support/report.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "reference/ref_losses.hpp"
#include "support/api.hpp"
#include "support/check.hpp"
#include "support/random.hpp"

namespace xt {

struct LossSpec {
  Variant variant = Variant::SparseSoftmaxLogits;
  int64_t batch = 3, classes = 5, inner = 1;
  int reduction = XENT_REDUCTION_NONE;
  double smoothing = 0, epsilon = 1e-7, z_loss = 0, softcap = 0;
  bool class_weights = false, pos_weight = false, sample_weights = false;
  bool ignore = false;
  int64_t ignore_index = -100;
  bool int32_labels = false;
  int num_threads = 0;
  double logit_range = 8;
  uint64_t seed = 1;

  std::string describe(const char *type) const {
    static const char *reductions[] = {"NONE", "SUM", "MEAN"};
    std::ostringstream s;
    s << variant_name(variant) << " " << type << (ref::is_sparse(variant) ? (int32_labels ? " i32" : " i64") : "")
      << " B=" << batch << " C=" << classes << " K=" << inner << " " << reductions[reduction];
    if (smoothing != 0) s << " smoothing=" << smoothing;
    if (epsilon != 1e-7) s << " epsilon=" << epsilon;
    if (class_weights) s << " class_weights";
    if (pos_weight) s << " pos_weight";
    if (sample_weights) s << " sample_weights";
    if (ignore) s << " ignore_index=" << ignore_index;
    if (z_loss != 0) s << " z_loss=" << z_loss;
    if (softcap != 0) s << " softcap=" << softcap;
    if (num_threads != 0) s << " threads=" << num_threads;
    s << " seed=" << seed;
    return s.str();
  }
  int64_t elements() const { return batch * classes * inner; }
  int64_t samples() const { return batch * inner; }
  size_t loss_count() const {
    if (reduction != XENT_REDUCTION_NONE) return 1;
    return static_cast<size_t>(ref::is_elementwise(variant) ? elements() : samples());
  }
};

// A spec of variant v and shape (B, C, K), every option at its default.
inline LossSpec make_spec(Variant v, int64_t batch, int64_t classes, int64_t inner = 1) {
  LossSpec s;
  s.variant = v;
  s.batch = batch;
  s.classes = classes;
  s.inner = inner;
  return s;
}

template <class T> struct LossData {
  std::vector<T> input, targets, class_weights, pos_weight, sample_weights;
  std::vector<int64_t> labels64;
  std::vector<int32_t> labels32;
};

template <class T> LossData<T> make_data(const LossSpec &s) {
  Rng rng(s.seed);
  LossData<T> d;
  const int64_t B = s.batch, C = s.classes, K = s.inner;
  d.input.resize(static_cast<size_t>(s.elements()));
  static const double row_scales[] = {1.0, 0.125, 4.0};
  for (int64_t b = 0; b < B; ++b) {
    const double R = s.logit_range * row_scales[b % 3];
    for (int64_t i = b * C * K; i < (b + 1) * C * K; ++i) {
      double v = 0;
      switch (s.variant) {
        case Variant::Binary: v = rng.uniform(0.002, 0.998); break;
        case Variant::Categorical:
        case Variant::SparseCategorical: v = rng.uniform(0.05, 1.0); break;
        default: v = rng.uniform(-R, R);
      }
      d.input[static_cast<size_t>(i)] = static_cast<T>(v);
    }
  }
  if (ref::is_elementwise(s.variant)) {
    d.targets.resize(d.input.size());
    for (auto &t : d.targets) {
      const double u = rng.uniform(0, 1);
      t = static_cast<T>(u < 0.25 ? 0.0 : u < 0.5 ? 1.0 : rng.uniform(0, 1));
    }
  } else if (!ref::is_sparse(s.variant)) {
    d.targets.assign(d.input.size(), T(0));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k) {
        if ((b * K + k) % 3 == 0) {
          d.targets[static_cast<size_t>((b * C + rng.below(C)) * K + k)] = T(1);
          continue;
        }
        std::vector<double> w(static_cast<size_t>(C));
        double total = 0;
        for (auto &x : w) total += (x = rng.uniform(0, 1));
        for (int64_t c = 0; c < C; ++c) d.targets[static_cast<size_t>((b * C + c) * K + k)] = static_cast<T>(w[c] / total);
      }
  } else {
    for (int64_t i = 0; i < s.samples(); ++i) {
      int64_t label = rng.below(C);
      if (s.ignore && rng.chance(0.3)) label = s.ignore_index;
      d.labels64.push_back(label);
      d.labels32.push_back(static_cast<int32_t>(label));
    }
  }
  if (s.class_weights) d.class_weights = uniform_vector<T>(rng, static_cast<size_t>(C), 0.25, 2.0);
  if (s.pos_weight) d.pos_weight = uniform_vector<T>(rng, static_cast<size_t>(C), 0.5, 3.0);
  if (s.sample_weights) d.sample_weights = uniform_vector<T>(rng, static_cast<size_t>(s.samples()), 0.0, 2.0);
  return d;
}

template <class T> xent_options make_options(const LossSpec &s, const LossData<T> &d) {
  xent_options o;
  xent_options_init(&o);
  o.reduction = static_cast<xent_reduction>(s.reduction);
  o.label_smoothing = s.smoothing;
  o.epsilon = s.epsilon;
  o.class_weights = d.class_weights.empty() ? nullptr : d.class_weights.data();
  o.pos_weight = d.pos_weight.empty() ? nullptr : d.pos_weight.data();
  o.sample_weights = d.sample_weights.empty() ? nullptr : d.sample_weights.data();
  o.ignore_index = s.ignore ? s.ignore_index : XENT_NO_IGNORE;
  o.inner = s.inner;
  o.z_loss = s.z_loss;
  o.logit_softcap = s.softcap;
  o.num_threads = s.num_threads;
  return o;
}

template <class T> std::vector<LD> widen(const std::vector<T> &v) { return std::vector<LD>(v.begin(), v.end()); }

template <class T> ref::Problem to_problem(const LossSpec &s, const LossData<T> &d) {
  ref::Problem p;
  p.variant = s.variant;
  p.batch = s.batch;
  p.classes = s.classes;
  p.input = widen(d.input);
  p.targets = widen(d.targets);
  p.labels = d.labels64;
  p.opt.reduction = s.reduction;
  p.opt.smoothing = s.smoothing;
  p.opt.epsilon = s.epsilon;
  p.opt.class_weights = widen(d.class_weights);
  p.opt.pos_weight = widen(d.pos_weight);
  p.opt.sample_weights = widen(d.sample_weights);
  p.opt.has_ignore = s.ignore;
  p.opt.ignore_index = s.ignore_index;
  p.opt.inner = s.inner;
  p.opt.z_loss = s.z_loss;
  p.opt.softcap = s.softcap;
  return p;
}

template <class T> struct LibOut {
  xent_status status = XENT_OK;
  std::string error;
  Guarded<T> loss, grad;
};

enum class GradMode { Separate, InPlace, None };

// Runs the library on the data; the outputs sit in sentinel-guarded buffers.
template <class T> LibOut<T> run_lib(const LossSpec &s, const LossData<T> &d, GradMode mode = GradMode::Separate) {
  LibOut<T> out;
  out.loss = Guarded<T>(s.loss_count());
  out.grad = Guarded<T>(static_cast<size_t>(s.elements()));
  const xent_options o = make_options(s, d);
  LossArgs<T> a;
  a.variant = s.variant;
  a.int32_labels = s.int32_labels;
  a.input = nonnull(d.input);
  a.targets = nonnull(d.targets);
  a.labels64 = nonnull(d.labels64);
  a.labels32 = nonnull(d.labels32);
  a.batch = s.batch;
  a.classes = s.classes;
  a.opts = &o;
  a.loss = out.loss.data();
  if (mode == GradMode::InPlace) {
    std::copy(d.input.begin(), d.input.end(), out.grad.data());
    a.input = out.grad.data();
  }
  a.grad = mode == GradMode::None ? nullptr : out.grad.data();
  out.status = call_loss(a);
  if (out.status != XENT_OK) out.error = xent_last_error();
  return out;
}

// The library's loss (and gradient, unless mode is None) against the reference.
template <class T>
void check_lib_against(const LossSpec &s, const LossData<T> &d, const ref::Result &want, GradMode mode) {
  const double tol = Api<T>::tol;
  LibOut<T> got = run_lib(s, d, mode);
  INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64") << (mode == GradMode::InPlace ? " grad in place" : "")
                                                 << (mode == GradMode::None ? " grad NULL" : ""));
  INFO("xent_last_error: " << got.error);
  REQUIRE(got.status == XENT_OK);
  CHECK(got.loss.guards_intact());
  const Report loss = compare_scaled(got.loss.data(), want.loss, want.scale, tol);
  XT_CHECK_REPORT(loss, "loss");
  if (mode == GradMode::None) {
    CHECK(got.grad.untouched());
    return;
  }
  CHECK(got.grad.guards_intact());
  const Report grad = compare_to_largest(got.grad.data(), want.grad, tol, want.grad_terms);
  XT_CHECK_REPORT(grad, "grad");
}

template <class T> void check_data(const LossSpec &s, const LossData<T> &d, GradMode mode = GradMode::Separate) {
  check_lib_against(s, d, ref::evaluate(to_problem(s, d)), mode);
}

// Random inputs for s, checked with a gradient and with grad = NULL.
template <class T> void check_random(const LossSpec &s) {
  const LossData<T> d = make_data<T>(s);
  const ref::Result want = ref::evaluate(to_problem(s, d));
  check_lib_against(s, d, want, GradMode::Separate);
  check_lib_against(s, d, want, GradMode::None);
}

struct Shape {
  int64_t batch, classes, inner;
};
// Around the vector widths and tiles: single values, odd sizes, (B, C, K) layouts, a long
// row (large vocabulary) and many short rows.
inline std::vector<Shape> standard_shapes() {
  return {{1, 1, 1}, {3, 5, 1}, {7, 17, 1}, {4, 3, 5}, {2, 1000, 1}, {5, 33, 1}, {300, 7, 1}, {2, 1, 3}, {2, 20000, 1}};
}

// The options every variant takes: none, smoothing, class and sample weights, all three.
inline std::vector<LossSpec> common_profiles() {
  std::vector<LossSpec> p(5);
  p[1].smoothing = 0.1;
  p[2].class_weights = true;
  p[3].sample_weights = true;
  p[4].smoothing = 0.25;
  p[4].class_weights = p[4].sample_weights = true;
  return p;
}

// Every profile of options x shape x reduction (x label width for the sparse variants).
template <class T> void sweep(Variant v, const std::vector<LossSpec> &profiles) {
  uint64_t seed = 1000;
  for (const LossSpec &profile : profiles)
    for (const Shape &shape : standard_shapes())
      for (int reduction = 0; reduction < 3; ++reduction)
        for (int width = 0; width < (ref::is_sparse(v) ? 2 : 1); ++width) {
          LossSpec s = profile;
          s.variant = v;
          s.batch = shape.batch, s.classes = shape.classes, s.inner = shape.inner;
          s.reduction = reduction;
          s.int32_labels = width == 1;
          s.seed = ++seed;
          check_random<T>(s);
        }
}

}  // namespace xt
