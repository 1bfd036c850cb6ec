// A fused linear loss problem (hidden, weight, bias, labels), its long-double reference
// (logits hidden @ weight^T + bias in long double, the reference loss of
// reference/ref_losses.hpp on them, and the gradient products in long double), and a call
// of the library's fused entry point with sentinel-guarded outputs.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "reference/ref_losses.hpp"
#include "support/check.hpp"
#include "support/random.hpp"
#include "xent/xent_linear.h"

namespace xt {

template <class T> struct LinearCase {
  int64_t n = 0, h = 1, v = 1;
  std::vector<T> hidden, weight, bias;  // bias empty: NULL
  std::vector<int64_t> labels;
  const T *bias_ptr() const { return bias.empty() ? nullptr : bias.data(); }
};

// hidden in [-1, 1], weight in [-w, w] (logits of a few units), bias in [-1, 1].
template <class T>
LinearCase<T> make_linear_case(uint64_t seed, int64_t n, int64_t h, int64_t v, bool with_bias = true,
                               double w = 0.5) {
  Rng rng(seed);
  LinearCase<T> c;
  c.n = n, c.h = h, c.v = v;
  c.hidden = uniform_vector<T>(rng, size_t(n * h), -1, 1);
  c.weight = uniform_vector<T>(rng, size_t(v * h), -w, w);
  if (with_bias) c.bias = uniform_vector<T>(rng, size_t(v), -1, 1);
  for (int64_t i = 0; i < n; ++i) c.labels.push_back(rng.below(v));
  return c;
}

struct LinearRef {
  ref::Result loss;  // loss, scale, grad (d loss / d logits), grad_terms
  std::vector<LD> logits, lse, d_hidden, d_weight, d_bias;
};

template <class T> LinearRef linear_reference(const LinearCase<T> &c, const ref::Options &o) {
  LinearRef r;
  const int64_t n = c.n, h = c.h, v = c.v;
  r.logits.assign(size_t(n * v), 0.0L);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < v; ++j) {
      LD s = c.bias.empty() ? 0.0L : LD(c.bias[size_t(j)]);
      for (int64_t k = 0; k < h; ++k) s += LD(c.hidden[size_t(i * h + k)]) * LD(c.weight[size_t(j * h + k)]);
      r.logits[size_t(i * v + j)] = s;
    }
  ref::Problem p;
  p.variant = ref::Variant::SparseSoftmaxLogits;
  p.batch = n;
  p.classes = v;
  p.opt = o;
  p.input = r.logits;
  p.labels = c.labels;
  r.loss = ref::evaluate(p);
  for (int64_t i = 0; i < n; ++i) {
    LD m = -INFINITY, s = 0;
    for (int64_t j = 0; j < v; ++j) {
      LD y = r.logits[size_t(i * v + j)];
      if (o.softcap > 0) y = o.softcap * tanhl(y / o.softcap);
      m = fmaxl(m, y);
    }
    for (int64_t j = 0; j < v; ++j) {
      LD y = r.logits[size_t(i * v + j)];
      if (o.softcap > 0) y = o.softcap * tanhl(y / o.softcap);
      s += expl(y - m);
    }
    r.lse.push_back(m + logl(s));
  }
  const std::vector<LD> &g = r.loss.grad;
  r.d_hidden.assign(size_t(n * h), 0.0L);
  r.d_weight.assign(size_t(v * h), 0.0L);
  r.d_bias.assign(size_t(v), 0.0L);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < v; ++j) {
      const LD gij = g[size_t(i * v + j)];
      r.d_bias[size_t(j)] += gij;
      for (int64_t k = 0; k < h; ++k) {
        r.d_hidden[size_t(i * h + k)] += gij * LD(c.weight[size_t(j * h + k)]);
        r.d_weight[size_t(j * h + k)] += gij * LD(c.hidden[size_t(i * h + k)]);
      }
    }
  return r;
}

// The outputs of one call, each guarded by sentinels (NULL where not asked for).
template <class T> struct LinearOut {
  Guarded<T> loss, d_hidden, d_weight, d_bias, lse;
  LinearOut(const LinearCase<T> &c, int reduction, bool grads = true, bool lse_out = false)
      : loss(reduction == 0 ? size_t(c.n) : 1), d_hidden(grads ? size_t(c.n * c.h) : 0),
        d_weight(grads ? size_t(c.v * c.h) : 0), d_bias(grads ? size_t(c.v) : 0), lse(lse_out ? size_t(c.n) : 0) {}
  T *ptr(Guarded<T> &g, bool want) { return want ? g.data() : nullptr; }
};

inline xent_status linear_call(const float *hd, const float *w, const float *b, const int64_t *l, int64_t n,
                               int64_t h, int64_t v, const xent_options *o, float *loss, float *dh, float *dw,
                               float *db) {
  return xent_linear_sparse_softmax_ce_f32(hd, w, b, l, n, h, v, o, loss, dh, dw, db);
}
inline xent_status linear_call(const double *hd, const double *w, const double *b, const int64_t *l, int64_t n,
                               int64_t h, int64_t v, const xent_options *o, double *loss, double *dh, double *dw,
                               double *db) {
  return xent_linear_sparse_softmax_ce_f64(hd, w, b, l, n, h, v, o, loss, dh, dw, db);
}
inline xent_status linear_backward(const float *hd, const float *w, const float *b, const int64_t *l, int64_t n,
                                   int64_t h, int64_t v, const xent_options *o, const float *dloss,
                                   const float *lse, float *dh, float *dw, float *db) {
  return xent_linear_sparse_softmax_ce_backward_f32(hd, w, b, l, n, h, v, o, dloss, lse, dh, dw, db);
}
inline xent_status linear_backward(const double *hd, const double *w, const double *b, const int64_t *l, int64_t n,
                                   int64_t h, int64_t v, const xent_options *o, const double *dloss,
                                   const double *lse, double *dh, double *dw, double *db) {
  return xent_linear_sparse_softmax_ce_backward_f64(hd, w, b, l, n, h, v, o, dloss, lse, dh, dw, db);
}

// The 16-bit forms: loss, dloss and lse are float.
#define XT_LINEAR_HALF_CALLS(S, suffix)                                                                             \
  inline xent_status linear_call(const S *hd, const S *w, const S *b, const int64_t *l, int64_t n, int64_t h,       \
                                 int64_t v, const xent_options *o, float *loss, S *dh, S *dw, S *db) {              \
    return xent_linear_sparse_softmax_ce_##suffix(hd, w, b, l, n, h, v, o, loss, dh, dw, db);                       \
  }                                                                                                                  \
  inline xent_status linear_call(const S *hd, const S *w, const S *b, const int32_t *l, int64_t n, int64_t h,       \
                                 int64_t v, const xent_options *o, float *loss, S *dh, S *dw, S *db) {              \
    return xent_linear_sparse_softmax_ce_##suffix##_i32(hd, w, b, l, n, h, v, o, loss, dh, dw, db);                 \
  }                                                                                                                  \
  inline xent_status linear_backward(const S *hd, const S *w, const S *b, const int64_t *l, int64_t n, int64_t h,   \
                                     int64_t v, const xent_options *o, const float *dloss, const float *lse, S *dh, \
                                     S *dw, S *db) {                                                                 \
    return xent_linear_sparse_softmax_ce_backward_##suffix(hd, w, b, l, n, h, v, o, dloss, lse, dh, dw, db);        \
  }                                                                                                                  \
  inline xent_status linear_backward(const S *hd, const S *w, const S *b, const int32_t *l, int64_t n, int64_t h,   \
                                     int64_t v, const xent_options *o, const float *dloss, const float *lse, S *dh, \
                                     S *dw, S *db) {                                                                 \
    return xent_linear_sparse_softmax_ce_backward_##suffix##_i32(hd, w, b, l, n, h, v, o, dloss, lse, dh, dw, db);  \
  }
XT_LINEAR_HALF_CALLS(xent_bf16, bf16)
XT_LINEAR_HALF_CALLS(xent_f16, f16)
#undef XT_LINEAR_HALF_CALLS

// got against want: SPEC section 4's rules, the worst value in the message.
template <class T> void check_largest(const char *name, const T *got, const std::vector<LD> &want, double tol) {
  const Report r = compare_to_largest(got, want, tol);
  INFO(r.summary(name));
  CHECK(r.ok);
}
template <class T>
void check_scaled(const char *name, const T *got, const std::vector<LD> &want, const std::vector<LD> &scale,
                  double tol) {
  const Report r = compare_scaled(got, want, scale, tol);
  INFO(r.summary(name));
  CHECK(r.ok);
}

// SPEC section 4's tolerance of T.
template <class T> constexpr double linear_tol() { return std::is_same_v<T, float> ? 1e-5 : 1e-11; }

}  // namespace xt
