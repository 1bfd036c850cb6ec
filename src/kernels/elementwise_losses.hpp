// Element-wise losses: sigmoid CE with logits and binary CE on probabilities.
// Each element (b, c, k) has its own loss, weighted by class_weight[c] * sample_weight[b*K+k].
// The kernel walks one sample b at a time as segments of contiguous elements: one segment
// of C classes when K = 1 (class weights vary along it), or C segments of K positions
// when K > 1 (sample weights vary along them).
#pragma once

#include <limits>

#include "kernels/loss_call.hpp"
#include "kernels/row_stats.hpp"
#include "math/sigmoid.hpp"

namespace xent::XENT_ISA_NS::kern {

// Per-element operands of one segment: pointer + stride (1 = varies, 0 = broadcast).
template <class T> struct Operand {
  const T *p;
  int64_t stride;
  template <class V> V at(int64_t i, int64_t n, T fallback) const {
    return p ? load_block<V>(p, i, n, stride, T(0)) : V(fallback);
  }
};

template <class T> struct Segment {
  const T *x, *t;
  T *loss, *grad;  // loss null when reduced
  int64_t n;
  Operand<T> cw, pw, sw;
  Operand<T> dl;  // a backward call's upstream gradient (p null in a forward call)
};

// e = exp(-|x|) and log1p(e), the parts of softplus(+-x): f32 at the loss tolerance (the loss
// exp, relative error < 3.5e-6, and math::log1p_unit_loss_v, relative error < 5e-7: no
// division, no exponent split, no rare-case branch); f64 with the 1-ulp exp (on AVX-512
// exp_le0_v: -|x| <= 0 needs no clamp, and e below 2^-1022 is flushed to 0, 1e-308 next to
// the loss scale >= 1) and log1p_unit_loss_v (on AVX-512 the table log of 1 + e without a
// division, relative error < 2e-13; elsewhere log1p_v). L2 f64 sigmoid CE 1.96 -> 1.20 ns/elem.
template <class V> XENT_ALWAYS_INLINE void softplus_parts(const V &x, V &e, V &l1p) {
  if constexpr (std::is_same_v<simd::value_t<V>, float>) {
    e = math::exp_loss_v(-simd::vabs(x));
    l1p = math::log1p_unit_loss_v(e);
  } else {
    e = simd::has_scalef<V>() ? math::exp_le0_v(-simd::vabs(x)) : math::exp_v(-simd::vabs(x));
    l1p = math::log1p_unit_loss_v(e);
  }
}

// loss = w ((1-t') softplus(x) + pw t' softplus(-x)), grad = w (l sigmoid(x) - pw t'),
// l = 1 + (pw - 1) t'. One exp and one log per element; the gradient (one division) only
// when asked for (Grad): the loss has the same bits either way.
template <class V> struct SigmoidElement {
  using T = simd::value_t<V>;
  T t_scale, t_add;
  template <bool Grad> XENT_ALWAYS_INLINE void eval(const Segment<T> &sg, int64_t i, V &loss, V &grad) const {
    const V x = load_block<V>(sg.x, i, sg.n, 1, T(0));
    const V t = V(t_scale) * load_block<V>(sg.t, i, sg.n, 1, T(0)) + V(t_add);
    const V pw = sg.pw.template at<V>(i, sg.n, T(1));
    V e, l1p;
    softplus_parts(x, e, l1p);
    const V pwt = pw * t;
    const auto nan = simd::isnan_v(x);  // vmax may drop a NaN logit
    // pos_weight 1, finite x: (1-t') softplus(x) + t' softplus(-x) = max(x, 0) - t' x + log1p(e).
    // Infinite and NaN lanes, and pos_weight, take the weighted form (a zero coefficient must
    // zero its infinite softplus), chosen lane by lane: an element's value never depends on
    // its neighbours (with targets outside [0, 1] the two forms overflow differently).
    const auto finite = simd::vabs(x) < V(std::numeric_limits<T>::infinity());
    if (!sg.pw.p) loss = simd::fma(-t, x, simd::vmax(x, V(T(0)))) + l1p;
    if (sg.pw.p || !simd::all(finite)) {
      const V sp_pos = simd::vmax(x, V(T(0))) + l1p;   // softplus(x)
      const V sp_neg = simd::vmax(-x, V(T(0))) + l1p;  // softplus(-x)
      const V weighted_form = simd::select(nan, x, weighted(V(T(1)) - t, sp_pos) + weighted(pwt, sp_neg));
      loss = sg.pw.p ? weighted_form : simd::select(finite, loss, weighted_form);
    }
    if constexpr (Grad) {
      const V d = V(T(1)) + e;
      const V sig = simd::select(x >= V(T(0)), V(T(1)) / d, e / d);
      grad = simd::select(nan, x, (V(T(1)) + (pw - V(T(1))) * t) * sig - pwt);
    }
  }
};

// Sigmoid CE with focal and Poly-1 terms (torchvision's sigmoid_focal_loss, Leng et al.),
// p = sigmoid(x), om = 1 - p_t = t' (1-p) + (1-t') p, a_t = alpha t' + (1-alpha)(1-t')
// (1 without alpha), ce = the plain element above:
//   loss = a_t om^gamma (ce + eps om)
//   grad = a_t om^gamma (dce + gamma (dom/om) ce + eps (gamma+1) dom), dom = (1-2t') p (1-p).
// 1 - p and p come from one exp(-|x|) each exactly (no 1 - p cancellation); om^gamma =
// exp(gamma log om), 0 at om = 0. dom/om is taken as 0 where om = 0 (there p(1-p) is 0 too,
// and the term vanishes in the limit), and its product with an infinite ce is 0.
template <class V> struct SigmoidFocalElement {
  using T = simd::value_t<V>;
  T t_scale, t_add, gamma, alpha, eps;
  template <bool Grad> void eval(const Segment<T> &sg, int64_t i, V &loss, V &grad) const {
    const V x = load_block<V>(sg.x, i, sg.n, 1, T(0));
    const V t = V(t_scale) * load_block<V>(sg.t, i, sg.n, 1, T(0)) + V(t_add);
    const V pw = sg.pw.template at<V>(i, sg.n, T(1));
    const V one(T(1)), zero(T(0));
    V e, l1p;
    softplus_parts(x, e, l1p);
    const V pwt = pw * t;
    const V ce = weighted(one - t, simd::vmax(x, zero) + l1p) + weighted(pwt, simd::vmax(-x, zero) + l1p);
    const V d = one + e;
    const auto nonneg = x >= zero;
    const V p = simd::select(nonneg, one / d, e / d), q = simd::select(nonneg, e / d, one / d);
    const V dce = (one + (pw - one) * t) * p - pwt;
    const V om = t * q + (one - t) * p;
    const V dom = (one - t - t) * (p * q);
    const V omg = gamma == 0 ? one : math::exp_v(V(gamma) * math::log_v(om));
    const V ratio = simd::select(om > zero, dom / om, zero);
    const V at = alpha >= 0 ? V(alpha) * t + V(T(1) - alpha) * (one - t) : one;
    const V w = at * omg;
    loss = weighted(w, ce + V(eps) * om);
    grad = w * (dce + weighted(V(gamma) * ratio, ce) + V(T(eps * (gamma + 1))) * dom);
    const auto nan = simd::isnan_v(x);
    loss = simd::select(nan, x, loss);
    grad = simd::select(nan, x, grad);
  }
};

// q = clip(p, eps, 1-eps) and r = clip(1-p, eps, 1-eps), with 1 - p exact for p >= 1/2 so
// f32 inputs near 1 clip like the f64 reference. loss = -(t' log q + (1-t') log r);
// grad = -(t'/q - (1-t')/r) where p is inside [eps, 1-eps], else 0.
template <class V> struct BinaryElement {
  using T = simd::value_t<V>;
  T t_scale, t_add, eps;
  template <bool Grad> XENT_ALWAYS_INLINE void eval(const Segment<T> &sg, int64_t i, V &loss, V &grad) const {
    const V p = load_block<V>(sg.x, i, sg.n, 1, T(0.5));
    const V t = V(t_scale) * load_block<V>(sg.t, i, sg.n, 1, T(0)) + V(t_add);
    const V e(eps), one(T(1));
    const V r0 = one - p;
    const auto low = p < e, high = r0 < e;
    const V one_minus_e(T(1 - double(eps)));
    const V q = simd::select(high, one_minus_e, simd::vmax(p, e));
    const V r = simd::select(low, one_minus_e, simd::vmax(r0, e));
    const V u = one - t;
    const auto nan = simd::isnan_v(p);
    // +0, not -0, for 0
    loss = simd::select(nan, p, weighted(t, -math::log_loss_v(q)) + weighted(u, -math::log_loss_v(r)));
    // The gradient passes on [eps, fl(1 - eps)], TensorFlow's clip_by_value bounds in T: at
    // p = fl(1 - eps) itself 1 - p may be below eps (the loss is the same either way).
    if constexpr (Grad)
      grad = simd::select(nan, p, simd::select(low | (p > one_minus_e), V(T(0)), weighted_ratio(u, r) - weighted_ratio(t, q)));
  }
};

// Weighted: class or sample weights given (without them w = 1, and weighting changes no bit).
template <class V, bool Grad, bool Weighted, class Element>
double elementwise_segment_as(const Segment<simd::value_t<V>> &sg, const Element &el, simd::value_t<V> gscale) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  double total = 0;
  for (int64_t c0 = 0; c0 < sg.n; c0 += kSumChunk) {
    const int64_t c1 = std::min(sg.n, c0 + kSumChunk);
    V acc(T(0));
    for (int64_t i = c0; i < c1; i += W) {
      V loss, grad;
      el.template eval<Grad>(sg, i, loss, grad);
      V w(T(1));
      if constexpr (Weighted) {
        w = sg.cw.template at<V>(i, sg.n, T(1)) * sg.sw.template at<V>(i, sg.n, T(1));
        loss = weighted(w, loss);
      }
      if (sg.loss) store_block(sg.loss, i, sg.n, 1, loss);
      acc += keep_valid(loss, i, c1);
      if constexpr (Grad) {
        const V g = grad * (Weighted ? w * V(gscale) : V(gscale));
        store_block(sg.grad, i, sg.n, 1, sg.dl.p ? g * sg.dl.template at<V>(i, sg.n, T(1)) : g);
      }
    }
    total += double(simd::hsum(acc));
  }
  return total;
}

// A segment's losses (and gradients when sg.grad is set), the gradient work compiled out
// when there is none.
template <class V, class Element>
double elementwise_segment(const Segment<simd::value_t<V>> &sg, const Element &el, simd::value_t<V> gscale) {
  if (sg.cw.p || sg.sw.p)
    return sg.grad ? elementwise_segment_as<V, true, true>(sg, el, gscale)
                   : elementwise_segment_as<V, false, true>(sg, el, gscale);
  return sg.grad ? elementwise_segment_as<V, true, false>(sg, el, gscale)
                 : elementwise_segment_as<V, false, false>(sg, el, gscale);
}

// Rows b in [b0, b1) of an element-wise variant.
template <class V, class Element>
double elementwise_block(const LossCall<simd::value_t<V>> &c, int64_t b0, int64_t b1, const Element &el) {
  using T = simd::value_t<V>;
  const int64_t C = c.C, K = c.K, CK = C * K;
  double total = 0;
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t base = b * CK;
    auto seg = [&](int64_t off, int64_t n, Operand<T> cw, Operand<T> pw, Operand<T> sw) {
      const Operand<T> dl{c.dloss ? c.dloss + (c.dloss_each ? base + off : 0) : nullptr, c.dloss_each ? 1 : 0};
      const Segment<T> sg{c.x + base + off, c.targets + base + off,
                          c.loss ? c.loss + base + off : nullptr,
                          c.grad ? c.grad + base + off : nullptr, n, cw, pw, sw, dl};
      total += elementwise_segment<V>(sg, el, c.grad_scale);
    };
    const T *sw_b = c.sample_weights ? c.sample_weights + b * K : nullptr;
    if (K == 1) {
      seg(0, C, {c.class_weights, 1}, {c.pos_weight, 1}, {sw_b, 0});
    } else {
      for (int64_t cc = 0; cc < C; ++cc)
        seg(cc * K, K, {c.class_weights ? c.class_weights + cc : nullptr, 0},
            {c.pos_weight ? c.pos_weight + cc : nullptr, 0}, {sw_b, 1});
    }
  }
  return total;
}

}  // namespace xent::XENT_ISA_NS::kern
