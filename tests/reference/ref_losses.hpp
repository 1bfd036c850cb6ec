// Long-double reference for the six cross-entropy variants with every option of SPEC
// section 2, written directly from the per-sample formulas of docs/SEMANTICS.md.
// Returns the loss (reduced as asked), d(loss)/d(input), and the error scale that SPEC
// section 4 measures each loss value against.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "reference/ref_math.hpp"

namespace ref {

enum class Variant { SigmoidLogits, SoftmaxLogits, SparseSoftmaxLogits, Binary, Categorical, SparseCategorical };

inline bool is_sparse(Variant v) { return v == Variant::SparseSoftmaxLogits || v == Variant::SparseCategorical; }
inline bool is_elementwise(Variant v) { return v == Variant::SigmoidLogits || v == Variant::Binary; }
inline bool is_softmax_logits(Variant v) { return v == Variant::SoftmaxLogits || v == Variant::SparseSoftmaxLogits; }
inline bool takes_probabilities(Variant v) {
  return v == Variant::Binary || v == Variant::Categorical || v == Variant::SparseCategorical;
}

enum Reduction { NONE = 0, SUM = 1, MEAN = 2 };

struct Options {
  int reduction = NONE;
  LD smoothing = 0;
  LD epsilon = static_cast<LD>(1e-7);  // the double 1e-7, as the C API receives it
  std::vector<LD> class_weights;       // empty: none
  std::vector<LD> pos_weight;          // empty: none
  std::vector<LD> sample_weights;      // empty: none
  bool has_ignore = false;
  int64_t ignore_index = 0;
  int64_t inner = 1;
  LD z_loss = 0;
  LD softcap = 0;
};

struct Problem {
  Variant variant = Variant::SparseSoftmaxLogits;
  int64_t batch = 0, classes = 1;
  Options opt;
  std::vector<LD> input;        // (B, C, K)
  std::vector<LD> targets;      // (B, C, K), dense variants
  std::vector<int64_t> labels;  // (B, K), sparse variants
};

struct Result {
  std::vector<LD> loss;   // NONE: B*K (B*C*K element-wise); SUM/MEAN: one value
  std::vector<LD> grad;   // (B, C, K)
  std::vector<LD> scale;  // per loss value: the error scale of SPEC section 4
  // The largest magnitude of the terms that cancel in a gradient element (softmax vs target,
  // sigmoid vs target, the normalization of probabilities): the gradient's honest scale when
  // the gradients themselves cancel to (nearly) 0, as with one class.
  LD grad_terms = 0;
  LD divisor = 0;         // MEAN divisor
};

namespace detail {

inline LD weight_or_one(const std::vector<LD> &w, int64_t i) { return w.empty() ? 1.0L : w[static_cast<size_t>(i)]; }
inline LD clip(LD v, LD lo, LD hi) { return v < lo ? lo : (v > hi ? hi : v); }
// NaN counts as unclipped, so that it reaches the gradient.
inline bool unclipped(LD v, LD lo, LD hi) { return !(v < lo || v > hi); }
inline LD ratio(LD coef, LD den) { return coef == 0 ? 0.0L : coef / den; }

// One sample (b, k) of a C-class variant, gathered from the strided layout.
struct Sample {
  std::vector<LD> x;   // input of the C classes
  std::vector<LD> a;   // cw_c * t'_c
  LD sw = 1;           // sample weight
  LD max_abs = 0;      // largest |input|
};

// Per-sample loss / gradient (w.r.t. the C inputs) / scale, before reduction.
struct SampleOut {
  LD loss = 0, scale = 0;
  std::vector<LD> grad;
  LD grad_terms = 0;  // largest |term| summed into one gradient element
};

inline SampleOut softmax_logits_sample(const Sample &s, const Options &o) {
  const size_t C = s.x.size();
  std::vector<LD> y(C), dy(C, 1.0L);
  for (size_t c = 0; c < C; ++c) {
    if (o.softcap > 0) {
      y[c] = o.softcap * tanhl(s.x[c] / o.softcap);
      dy[c] = 1 - (y[c] / o.softcap) * (y[c] / o.softcap);
    } else {
      y[c] = s.x[c];
    }
  }
  const LD l = lse(y.data(), static_cast<int64_t>(C));
  LD A = 0, W = 0, sum = 0;
  for (size_t c = 0; c < C; ++c) {
    A += s.a[c];
    W += fabsl(s.a[c]);
    sum += term(s.a[c], l - y[c]);
  }
  SampleOut out;
  out.loss = s.sw * (sum + term(o.z_loss, l * l));
  const LD coef = A + term(2 * o.z_loss, l);
  out.grad.resize(C);
  for (size_t c = 0; c < C; ++c) {
    const LD p = expl(y[c] - l);
    out.grad[c] = s.sw * (coef * p - s.a[c]) * dy[c];
    out.grad_terms = fmaxl(out.grad_terms, fabsl(s.sw * dy[c]) * (fabsl(coef * p) + fabsl(s.a[c])));
  }
  const LD cancel = fabsl(s.sw) * (W + fabsl(term(2 * o.z_loss, l))) * (1 + s.max_abs);
  out.scale = fmaxl(fabsl(out.loss), cancel);
  return out;
}

inline SampleOut categorical_sample(const Sample &s, const Options &o) {
  const size_t C = s.x.size();
  const LD eps = o.epsilon;
  LD S = 0;
  for (LD p : s.x) S += p;
  std::vector<LD> u(C), g(C);
  LD sum = 0, W = 0, G = 0;
  for (size_t c = 0; c < C; ++c) {
    u[c] = s.x[c] / S;
    const LD q = clip(u[c], eps, 1 - eps);
    sum += term(s.a[c], -logl(q));
    W += term(fabsl(s.a[c]), 1 + fabsl(logl(q)));
    g[c] = unclipped(u[c], eps, 1 - eps) ? -ratio(s.a[c], q) : 0.0L;
    G += term(g[c], u[c]);
  }
  SampleOut out;
  out.loss = s.sw * sum;
  out.grad.resize(C);
  LD G_abs = 0;
  for (size_t c = 0; c < C; ++c) G_abs += fabsl(term(g[c], u[c]));
  for (size_t c = 0; c < C; ++c) {
    out.grad[c] = s.sw * (g[c] - G) / S;
    out.grad_terms = fmaxl(out.grad_terms, fabsl(s.sw / S) * (fabsl(g[c]) + G_abs));
  }
  out.scale = fmaxl(fabsl(out.loss), fabsl(s.sw) * W);
  return out;
}

// Element-wise variants: one element with weight w = cw_c * sw, smoothed target t,
// pos_weight pw (sigmoid only), and the largest |logit| of its row.
inline SampleOut sigmoid_element(LD x, LD t, LD pw, LD w, LD row_max_abs) {
  const LD a0 = 1 - t, a1 = pw * t;
  SampleOut out;
  out.loss = w * (term(a0, softplus(x)) + term(a1, softplus(-x)));
  out.grad = {w * ((a0 + a1) * sigmoid(x) - a1)};
  out.grad_terms = fabsl(w) * (fabsl((a0 + a1) * sigmoid(x)) + fabsl(a1));
  out.scale = fmaxl(fabsl(out.loss), fabsl(w) * (fabsl(a0) + fabsl(a1)) * (1 + row_max_abs));
  return out;
}

inline SampleOut binary_element(LD p, LD t, LD w, LD eps) {
  const LD q = clip(p, eps, 1 - eps), r = clip(1 - p, eps, 1 - eps);
  SampleOut out;
  out.loss = -w * (term(t, logl(q)) + term(1 - t, logl(r)));
  const LD g = unclipped(p, eps, 1 - eps) ? -w * (ratio(t, q) - ratio(1 - t, r)) : 0.0L;
  out.grad = {g};
  out.grad_terms = g == 0 ? 0.0L : fabsl(w) * (fabsl(ratio(t, q)) + fabsl(ratio(1 - t, r)));
  out.scale = fmaxl(fabsl(out.loss), fabsl(w) * (term(fabsl(t), 1 + fabsl(logl(q))) + term(fabsl(1 - t), 1 + fabsl(logl(r)))));
  return out;
}

}  // namespace detail

// Evaluates one call of a variant.
inline Result evaluate(const Problem &p) {
  using namespace detail;
  const Options &o = p.opt;
  const int64_t B = p.batch, C = p.classes, K = o.inner;
  const bool elementwise = is_elementwise(p.variant);
  const int64_t n_loss = elementwise ? B * C * K : B * K;
  auto elem = [&](int64_t b, int64_t c, int64_t k) { return static_cast<size_t>((b * C + c) * K + k); };

  std::vector<LD> per(static_cast<size_t>(n_loss), 0.0L), scale(per.size(), 0.0L);
  std::vector<char> ignored(static_cast<size_t>(B * K), 0);
  Result res;
  res.grad.assign(static_cast<size_t>(B * C * K), 0.0L);
  LD divisor = static_cast<LD>(n_loss);
  if (is_sparse(p.variant)) divisor = 0;

  for (int64_t b = 0; b < B; ++b) {
    for (int64_t k = 0; k < K; ++k) {
      const size_t si = static_cast<size_t>(b * K + k);
      const LD sw = weight_or_one(o.sample_weights, static_cast<int64_t>(si));
      LD max_abs = 0;
      for (int64_t c = 0; c < C; ++c) {
        const LD v = fabsl(p.input[elem(b, c, k)]);
        if (std::isfinite(v)) max_abs = fmaxl(max_abs, v);  // a masked (-inf) class sets no scale
      }
      if (elementwise) {
        for (int64_t c = 0; c < C; ++c) {
          const size_t e = elem(b, c, k);
          const LD t = (1 - o.smoothing) * p.targets[e] + o.smoothing / 2;
          const LD w = weight_or_one(o.class_weights, c) * sw;
          SampleOut out = p.variant == Variant::SigmoidLogits
                              ? sigmoid_element(p.input[e], t, weight_or_one(o.pos_weight, c), w, max_abs)
                              : binary_element(p.input[e], t, w, o.epsilon);
          per[e] = out.loss;
          scale[e] = out.scale;
          res.grad[e] = out.grad[0];
          if (std::isfinite(out.grad_terms)) res.grad_terms = fmaxl(res.grad_terms, out.grad_terms);
        }
        continue;
      }
      int64_t label = -1;
      if (is_sparse(p.variant)) {
        label = p.labels[si];
        if (o.has_ignore && label == o.ignore_index) {
          ignored[si] = 1;
          continue;
        }
        if (label < 0 || label >= C) throw std::invalid_argument("reference: label out of range");
        divisor += weight_or_one(o.class_weights, label) * sw;
      }
      Sample s;
      s.sw = sw;
      s.max_abs = max_abs;
      for (int64_t c = 0; c < C; ++c) {
        const LD t = is_sparse(p.variant) ? (c == label ? 1.0L : 0.0L) : p.targets[elem(b, c, k)];
        const LD ts = (1 - o.smoothing) * t + o.smoothing / static_cast<LD>(C);
        s.x.push_back(p.input[elem(b, c, k)]);
        s.a.push_back(weight_or_one(o.class_weights, c) * ts);
      }
      SampleOut out = is_softmax_logits(p.variant) ? softmax_logits_sample(s, o) : categorical_sample(s, o);
      per[si] = out.loss;
      scale[si] = out.scale;
      if (std::isfinite(out.grad_terms)) res.grad_terms = fmaxl(res.grad_terms, out.grad_terms);
      for (int64_t c = 0; c < C; ++c) res.grad[elem(b, c, k)] = out.grad[static_cast<size_t>(c)];
    }
  }

  res.divisor = divisor;
  if (o.reduction == NONE) {
    res.loss = per;
    res.scale = scale;
    return res;
  }
  LD total = 0, total_scale = 0;
  for (size_t i = 0; i < per.size(); ++i) {
    total += per[i];
    total_scale += scale[i];
  }
  if (o.reduction == SUM) {
    res.loss = {total};
    res.scale = {total_scale};
    return res;
  }
  res.loss = {divisor == 0 ? nan() : total / divisor};
  res.scale = {total_scale / fabsl(divisor)};
  res.grad_terms /= fabsl(divisor);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t k = 0; k < K; ++k)
        if (!ignored[static_cast<size_t>(b * K + k)]) res.grad[elem(b, c, k)] /= divisor;
  return res;
}

}  // namespace ref
