// Categorical CE on probabilities (Keras), dense soft labels and sparse class indices.
//
// Per sample: S = sum p, u = p / S, q = clip(u, eps, 1-eps), coef_c = class_weight_c * t'_c,
//   loss = sw * sum coef (-log q)
//   g_c = -coef_c / q_c where u_c is inside [eps, 1-eps] (else 0: clip passes no gradient)
//   grad_j = sw * scale * (g_j - sum_c g_c u_c) / S   (through the normalization)
// As for the logits variants, a sparse label's own term is one scalar and the uniform
// smoothing part is a vector pass only when smoothing is on.
#pragma once

#include "kernels/loss_call.hpp"
#include "kernels/row_stats.hpp"
#include "math/log.hpp"

namespace xent::XENT_ISA_NS::kern {

template <class V> struct CategoricalRow {
  using T = simd::value_t<V>;
  static constexpr int64_t W = int64_t(simd::width_v<V>);
  const LossCall<T> &c;
  const T *p, *t;  // row start (stride K); targets row or null
  T t_scale, t_add, inv_sum;

  // The coefficients of the vector at i, their operands read by load(pointer, stride).
  template <class Load> V coef_with(Load load) const {
    V tc = !t ? V(t_add)
           : t_scale == T(1) && t_add == T(0) ? load(t, c.K)  // no smoothing: t itself
                                             : V(t_scale) * load(t, c.K) + V(t_add);
    if (c.class_weights) tc *= load(c.class_weights, int64_t(1));
    return tc;
  }
  V coef(int64_t i) const {
    return coef_with([&](const T *q, int64_t stride) { return load_block<V>(q, i, c.C, stride, T(0)); });
  }
  // u, q, and (Clipped) whether u was clipped, for the vector at i. NaN stays NaN.
  template <bool Clipped = true> void clip(const V &pv, V &u, V &q, simd::mask_t<V> &clipped) const {
    const T eps = c.epsilon;
    u = pv * V(inv_sum);
    const V top(T(1 - double(eps)));  // the upper bound rounded to T, as clip_by_value has it
    if constexpr (Clipped) clipped = (u < V(eps)) | (u > top);
    q = simd::vmin_keep_nan(top, simd::vmax_keep_nan(V(eps), u));
  }
  V g_of(const V &k, const V &q, const simd::mask_t<V> &clipped) const {
    return simd::select(clipped, V(T(0)), -weighted_ratio(k, q));
  }

  double sum_p() const {
    double total = 0;
    for (int64_t c0 = 0; c0 < c.C; c0 += kSumChunk) {
      const int64_t c1 = std::min(c.C, c0 + kSumChunk);
      V acc(T(0));
      for (int64_t i = c0; i < c1; i += W) acc += load_block<V>(p, i, c1, c.K, T(0));
      total += double(simd::hsum(acc));
    }
    return total;
  }

  // loss and (Grad) sum_c g_c u_c over the vector part of coef: the loss alone has no
  // division and no gradient term, and the same bits.
  template <bool Grad> void terms(double &loss, double &gu) const {
    for (int64_t c0 = 0; c0 < c.C; c0 += kSumChunk) {
      const int64_t c1 = std::min(c.C, c0 + kSumChunk);
      V l(T(0)), a(T(0));
      auto step = [&](const V &pv, const V &k) __attribute__((always_inline)) {
        V u, q;
        simd::mask_t<V> clipped;
        clip<Grad>(pv, u, q, clipped);
        // l - k log q, unchanged where k is 0 (its log may be infinite): one multiply-add.
        l = simd::select(k == V(T(0)), l, simd::fnma(k, math::log_loss_v(q), l));
        if constexpr (Grad) a += g_of(k, q, clipped) * u;
      };
      int64_t i = c0;
      if (c.K == 1)  // contiguous classes: whole vectors by plain loads, the same terms
        for (; i + W <= c1; i += W)
          step(simd::load<V>(p + i), coef_with([&](const T *q, int64_t) { return simd::load<V>(q + i); }));
      for (; i < c1; i += W) step(load_block<V>(p, i, c1, c.K, T(1)), keep_valid(coef(i), i, c1));
      loss += double(simd::hsum(l));
      if constexpr (Grad) gu += double(simd::hsum(a));
    }
  }

  // Rows of one vector (K = 1, C <= W: tiny calls, small classifiers): the row loaded once
  // (pv, padded with 0), S as sum_p has it, and terms' loss and gu with the vector part of
  // the gradient (gvec, when Grad) kept for one_vector_gradient. The same bits: the pad
  // lanes' coefficients are 0, so they add +0 to every sum here as in terms.
  // sum_p's S is 0 + double(h), which is double(h): h is never -0 (each lane is +0 + p_j,
  // and a sum of such values is not -0 under round-to-nearest). So T(S) is h itself.
  T one_vector_sum(const V &pv) const { return simd::hsum(V(T(0)) + pv); }
  template <bool Grad> void one_vector_terms(const V &pv, double &loss, double &gu, V &gvec) const {
    const V k = keep_valid(coef(0), 0, c.C);
    V u, q;
    simd::mask_t<V> clipped;
    clip<Grad>(pv, u, q, clipped);
    const V l = simd::select(k == V(T(0)), V(T(0)), simd::fnma(k, math::log_loss_v(q), V(T(0))));
    loss += double(simd::hsum(l));
    if constexpr (Grad) {
      gvec = g_of(k, q, clipped);
      gu += double(simd::hsum(V(T(0)) + gvec * u));
    }
  }
  // gradient() of a one-vector row from its vector part gvec (or none).
  void one_vector_gradient(T *g, T scale, T gu, const V *gvec, int64_t label, T label_g, bool has_dl, T dl) const {
    V gv(-gu);
    if (gvec) gv += *gvec;
    if (label >= 0) gv += at_lane<V>(0, label, label_g);
    const V out = (gv * V(inv_sum)) * V(scale);
    simd::store_partial(g, c.C, has_dl ? out * V(dl) : out);
  }

  // grad_j = scale * (g_j - gu) / S, with g_j the vector part (when vector_coef) plus
  // label_g at the label (label >= 0); the scale comes last (see SoftmaxRow::gradient).
  void gradient(T *g, T scale, T gu, bool vector_coef, int64_t label, T label_g, bool has_dl, T dl) const {
    const V inv_s(inv_sum), sc(scale), dlv(dl);
    for (int64_t i = 0; i < c.C; i += W) {
      V gv(-gu);
      if (vector_coef) {
        V u, q;
        simd::mask_t<V> clipped;
        clip(load_block<V>(p, i, c.C, c.K, T(1)), u, q, clipped);
        gv += g_of(coef(i), q, clipped);
      }
      if (label >= 0) gv += at_lane<V>(i, label, label_g);
      const V out = (gv * inv_s) * sc;
      store_block(g, i, c.C, c.K, has_dl ? out * dlv : out);
    }
  }
};

template <class V>
double categorical_ce_block(const LossCall<simd::value_t<V>> &c, int64_t s0, int64_t s1, bool sparse) {
  using T = simd::value_t<V>;
  const int64_t C = c.C, K = c.K;
  const double smooth = double(c.smoothing);
  const bool vector_coef = !sparse || smooth != 0;
  double total = 0;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t base = c.sample_base(s);
    T *g = c.grad ? c.grad + base : nullptr;
    const int64_t label = sparse ? c.label(s) : -1;
    if (sparse && c.skip_ignored(s, label, base)) continue;
    CategoricalRow<V> row{c, c.x + base, sparse ? nullptr : c.targets + base,
                          T(1 - smooth), T(smooth / double(C)), T(0)};
    const bool one_vector = K == 1 && C <= CategoricalRow<V>::W;
    const V pv = one_vector ? simd::load_partial<V>(row.p, C, T(0)) : V(T(0));
    const T S1 = one_vector ? row.one_vector_sum(pv) : T(0);
    const double S = one_vector ? double(S1) : row.sum_p();
    // One chunk's S is a T, and T(1 / S) in double is then T(1) / T(S) (a double holds more
    // than 2p + 2 bits, so its rounding to T is the correct one): the shorter division.
    row.inv_sum = one_vector ? T(1) / S1 : C <= kSumChunk ? T(1) / T(S) : T(1.0 / S);
    double loss = 0, gu = 0;
    V gvec(T(0));
    if (vector_coef) {
      if (one_vector) {
        if (g) row.template one_vector_terms<true>(pv, loss, gu, gvec);
        else row.template one_vector_terms<false>(pv, loss, gu, gvec);
      } else if (g) {
        row.template terms<true>(loss, gu);
      } else {
        row.template terms<false>(loss, gu);
      }
    }
    T g_label = 0;
    if (sparse) {  // the label's own term, in lane 0 of a broadcast (the ISA's vector log)
      V u, q;
      simd::mask_t<V> clipped;
      row.clip(V(row.p[label * K]), u, q, clipped);
      const T k = T((1 - smooth) * (c.class_weights ? double(c.class_weights[label]) : 1.0));
      if (k != 0) loss += double(k) * -double(simd::first(math::log_loss_v(q)));
      if (g) {
        g_label = simd::first(row.g_of(V(k), q, clipped));
        gu += double(g_label) * double(simd::first(u));
      }
    }
    const double sw = c.sample_weights ? double(c.sample_weights[s]) : 1.0;
    if (std::isnan(S)) loss = S;
    if (c.sample_weights) loss *= sw;  // x * 1.0 is x: no multiply on the chain without weights
    if (c.loss) c.loss[s] = T(loss);
    total += loss;
    if (g) {
      const T scale = T(sw * double(c.grad_scale));
      if (one_vector)
        row.one_vector_gradient(g, scale, T(gu), vector_coef ? &gvec : nullptr, label, g_label, c.dloss != nullptr,
                                c.upstream(s));
      else
        row.gradient(g, scale, T(gu), vector_coef, label, g_label, c.dloss != nullptr, c.upstream(s));
    }
  }
  return total;
}

}  // namespace xent::XENT_ISA_NS::kern
