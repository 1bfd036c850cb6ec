// Self-checks of the long-double reference, before it judges the library: its gradients
// against central finite differences of its own loss, and its losses against the plain
// textbook formulas and against each other (one-hot = sparse, sigmoid = binary of sigmoid).
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "reference/ref_losses.hpp"
#include "support/loss_case.hpp"

using ref::LD;
using xt::LossSpec;
using xt::Variant;

namespace {

ref::Problem random_problem(LossSpec s) {
  return xt::to_problem(s, xt::make_data<double>(s));
}

LD scalar_loss(const ref::Problem &p) { return ref::evaluate(p).loss.at(0); }

// d(loss)/d(input_j) by central differences, against the reference gradient.
void check_fd(ref::Problem p) {
  const ref::Result r = ref::evaluate(p);
  LD largest = 0;
  for (LD g : r.grad) largest = fmaxl(largest, fabsl(g));
  REQUIRE(largest > 0);
  for (size_t j = 0; j < p.input.size(); ++j) {
    const LD x = p.input[j];
    // logits: a step relative to their size; probabilities: relative to the distance to 0 and 1
    const LD h = ref::takes_probabilities(p.variant) ? 1e-6L * fminl(x, 1 - x) : 1e-6L * fmaxl(1.0L, fabsl(x));
    p.input[j] = x + h;
    const LD up = scalar_loss(p);
    p.input[j] = x - h;
    const LD down = scalar_loss(p);
    p.input[j] = x;
    const LD fd = (up - down) / (2 * h);
    INFO("element " << j << ": fd " << xt::show(fd) << " vs reference gradient " << xt::show(r.grad[j]));
    CHECK(fabsl(fd - r.grad[j]) <= 1e-8L * largest);
  }
}

// All the options that apply to the variant, away from their defaults.
LossSpec with_all_options(LossSpec s) {
  s.smoothing = 0.1;
  s.class_weights = s.sample_weights = true;
  if (s.variant == Variant::SigmoidLogits) s.pos_weight = true;
  if (ref::is_sparse(s.variant)) {
    s.ignore = true;
    s.ignore_index = 1;
  }
  if (ref::is_softmax_logits(s.variant)) {
    s.z_loss = 0.01;
    s.softcap = 6;
  }
  if (ref::takes_probabilities(s.variant)) s.epsilon = 1e-3;
  return s;
}

}  // namespace

TEST_CASE("reference gradients match central finite differences of the reference loss", "[reference]") {
  uint64_t seed = 7;
  for (Variant v : xt::kAllVariants)
    for (int all : {0, 1})
      for (int reduction : {ref::SUM, ref::MEAN})
        for (int64_t K : {1, 3}) {
          LossSpec s = xt::make_spec(v, 4, 5, K);
          if (all) s = with_all_options(s);
          s.reduction = reduction;
          s.seed = ++seed;
          INFO(s.describe("long double"));
          check_fd(random_problem(s));
        }
}

TEST_CASE("reference: soft labels outside [0,1] and negative weights keep the gradient exact", "[reference]") {
  for (Variant v : {Variant::SigmoidLogits, Variant::SoftmaxLogits, Variant::Binary, Variant::Categorical}) {
    LossSpec s = with_all_options(xt::make_spec(v, 3, 4, 1));
    s.reduction = ref::SUM;
    ref::Problem p = random_problem(s);
    for (size_t i = 0; i < p.targets.size(); ++i) p.targets[i] = (i % 3 == 0) ? -1.0L : (i % 3 == 1 ? 1.5L : 0.25L);
    p.opt.sample_weights[1] = -0.5L;
    INFO(s.describe("long double"));
    check_fd(p);
  }
}

TEST_CASE("reference sigmoid CE equals SPEC's max(x,0) - x*t + log1p(exp(-|x|)) and the pos_weight form", "[reference]") {
  LossSpec s = xt::make_spec(Variant::SigmoidLogits, 5, 7, 1);
  ref::Problem p = random_problem(s);
  const ref::Result r = ref::evaluate(p);
  for (size_t i = 0; i < p.input.size(); ++i) {
    const LD x = p.input[i], t = p.targets[i];
    const LD spec_form = fmaxl(x, 0) - x * t + log1pl(expl(-fabsl(x)));
    CHECK(fabsl(r.loss[i] - spec_form) <= 1e-17L * (1 + fabsl(x)));
  }
  s.pos_weight = true;
  s.logit_range = 2;  // keeps 1 - sigmoid(x) of the naive form accurate
  p = random_problem(s);
  const ref::Result rw = ref::evaluate(p);
  for (size_t i = 0; i < p.input.size(); ++i) {
    const LD x = p.input[i], t = p.targets[i], pw = p.opt.pos_weight[i % 7];
    const LD sig = 1 / (1 + expl(-x));
    const LD naive = -(pw * t * logl(sig) + (1 - t) * logl(1 - sig));
    CHECK(fabsl(rw.loss[i] - naive) <= 1e-14L * (1 + fabsl(naive)));
  }
}

TEST_CASE("reference softmax CE equals -sum t log(exp(x_c) / sum exp(x)) computed naively", "[reference]") {
  LossSpec s = xt::make_spec(Variant::SoftmaxLogits, 6, 9, 1);
  const ref::Problem p = random_problem(s);
  const ref::Result r = ref::evaluate(p);
  for (int64_t b = 0; b < 6; ++b) {
    LD total = 0, naive = 0;
    for (int64_t c = 0; c < 9; ++c) total += expl(p.input[b * 9 + c]);
    for (int64_t c = 0; c < 9; ++c) naive -= p.targets[b * 9 + c] * logl(expl(p.input[b * 9 + c]) / total);
    CHECK(fabsl(r.loss[b] - naive) <= 1e-15L * (1 + fabsl(naive)));
  }
}

TEST_CASE("reference: sparse variants equal their dense twins on smoothed one-hot targets", "[reference]") {
  for (Variant v : {Variant::SparseSoftmaxLogits, Variant::SparseCategorical}) {
    LossSpec s = xt::make_spec(v, 4, 6, 2);
    s.smoothing = 0.2;
    s.class_weights = s.sample_weights = true;
    if (v == Variant::SparseSoftmaxLogits) s.z_loss = 0.05, s.softcap = 3;
    ref::Problem sparse = random_problem(s);
    ref::Problem dense = sparse;
    dense.variant = v == Variant::SparseSoftmaxLogits ? Variant::SoftmaxLogits : Variant::Categorical;
    dense.opt.smoothing = 0;
    dense.targets.assign(sparse.input.size(), 0.0L);
    for (int64_t b = 0; b < 4; ++b)
      for (int64_t c = 0; c < 6; ++c)
        for (int64_t k = 0; k < 2; ++k)
          dense.targets[(b * 6 + c) * 2 + k] = 0.8L * (sparse.labels[b * 2 + k] == c) + 0.2L / 6;
    const ref::Result a = ref::evaluate(sparse), d = ref::evaluate(dense);
    for (size_t i = 0; i < a.loss.size(); ++i) CHECK(fabsl(a.loss[i] - d.loss[i]) <= 1e-17L * (1 + fabsl(a.loss[i])));
    for (size_t i = 0; i < a.grad.size(); ++i) CHECK(fabsl(a.grad[i] - d.grad[i]) <= 1e-16L * (1 + fabsl(a.grad[i])));
  }
}

TEST_CASE("reference: probability variants of sigmoid / softmax equal the logits variants", "[reference]") {
  // binary CE of p = sigmoid(x) is sigmoid CE of x; categorical CE of c*softmax(x) is softmax CE of x.
  LossSpec s = xt::make_spec(Variant::SigmoidLogits, 4, 5, 1);
  s.logit_range = 3;  // |x| <= 12: sigmoid(x) stays inside [eps, 1 - eps]
  ref::Problem logits = random_problem(s);
  ref::Problem probs = logits;
  probs.variant = Variant::Binary;
  for (LD &x : probs.input) x = ref::sigmoid(x);
  ref::Result a = ref::evaluate(logits), b = ref::evaluate(probs);
  for (size_t i = 0; i < a.loss.size(); ++i) CHECK(fabsl(a.loss[i] - b.loss[i]) <= 1e-16L * (1 + fabsl(a.loss[i])));

  s.variant = Variant::SoftmaxLogits;
  s.logit_range = 1;  // no probability below epsilon: nothing is clipped
  logits = random_problem(s);
  probs = logits;
  probs.variant = Variant::Categorical;
  for (int64_t r = 0; r < 4; ++r) {
    const LD l = ref::lse(&logits.input[r * 5], 5);
    for (int64_t c = 0; c < 5; ++c) probs.input[r * 5 + c] = 3.5L * expl(logits.input[r * 5 + c] - l);
  }
  a = ref::evaluate(logits);
  b = ref::evaluate(probs);
  for (size_t i = 0; i < a.loss.size(); ++i) CHECK(fabsl(a.loss[i] - b.loss[i]) <= 1e-16L * (1 + fabsl(a.loss[i])));
}

TEST_CASE("reference: MEAN divides by the PyTorch divisor; z_loss and softcap do what they say", "[reference]") {
  LossSpec s = with_all_options(xt::make_spec(Variant::SparseSoftmaxLogits, 8, 5, 1));
  s.z_loss = 0;
  s.softcap = 0;
  ref::Problem p = random_problem(s);
  LD divisor = 0;
  for (int64_t i = 0; i < 8; ++i)
    if (p.labels[i] != s.ignore_index) divisor += p.opt.class_weights[p.labels[i]] * p.opt.sample_weights[i];
  p.opt.reduction = ref::SUM;
  const LD sum = scalar_loss(p);
  p.opt.reduction = ref::MEAN;
  CHECK(fabsl(scalar_loss(p) * divisor - sum) <= 1e-17L * fabsl(sum));

  p.opt.reduction = ref::NONE;
  const ref::Result plain = ref::evaluate(p);
  p.opt.z_loss = 0.25L;
  const ref::Result z = ref::evaluate(p);
  for (int64_t i = 0; i < 8; ++i) {
    if (p.labels[i] == s.ignore_index) continue;
    const LD l = ref::lse(&p.input[i * 5], 5);
    CHECK(fabsl(z.loss[i] - plain.loss[i] - p.opt.sample_weights[i] * 0.25L * l * l) <= 1e-16L * (1 + fabsl(z.loss[i])));
  }
  p.opt.z_loss = 0;
  p.opt.softcap = 2.5L;
  const ref::Result capped = ref::evaluate(p);
  ref::Problem pre = p;
  pre.opt.softcap = 0;
  for (LD &x : pre.input) x = 2.5L * tanhl(x / 2.5L);
  const ref::Result precapped = ref::evaluate(pre);
  for (size_t i = 0; i < capped.loss.size(); ++i) CHECK(fabsl(capped.loss[i] - precapped.loss[i]) <= 1e-17L);
}
