// NLL on log-probabilities (PyTorch nll_loss, ONNX NegativeLogLikelihoodLoss), per sample
// (b, k) with coef_c = class_weight_c * t'_c (t' the one-hot label, smoothed):
//   loss = -sw * sum_c coef_c x_c,   grad_c = -sw * scale * coef_c   (times dl in a backward)
// Without smoothing only the label's entry is read (a NaN elsewhere in the row does not
// reach the loss, as in PyTorch); with it the row is summed, so log_softmax + nll_loss is
// sparse_softmax_ce_with_logits with smoothing too.
#pragma once

#include <algorithm>

#include "kernels/block_io.hpp"
#include "kernels/loss_call.hpp"

namespace xent::XENT_ISA_NS::kern {

template <class V> double nll_loss_block(const LossCall<simd::value_t<V>> &c, int64_t s0, int64_t s1) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const int64_t C = c.C, K = c.K;
  const double smooth = double(c.smoothing), uniform = smooth / double(C);
  double total = 0;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t base = c.sample_base(s);
    const int64_t label = c.label(s);
    if (c.skip_ignored(s, label, base)) continue;
    const T *x = c.x + base;
    const double label_coef = (1 - smooth) * (c.class_weights ? double(c.class_weights[label]) : 1.0);
    double dot = label_coef != 0 ? label_coef * double(x[label * K]) : 0.0;
    if (smooth != 0) {  // the uniform part: sum_c cw_c x_c, per chunk in T then in double
      double row = 0;
      for (int64_t c0 = 0; c0 < C; c0 += kSumChunk) {
        const int64_t c1 = std::min(C, c0 + kSumChunk);
        V acc(T(0));
        for (int64_t i = c0; i < c1; i += W) {
          const V w = c.class_weights ? load_block<V>(c.class_weights, i, c1, 1, T(0)) : V(T(1));
          acc += weighted(keep_valid(w, i, c1), load_block<V>(x, i, c1, K, T(0)));
        }
        row += double(simd::hsum(acc));
      }
      dot += uniform * row;
    }
    const double sw = c.sample_weights ? double(c.sample_weights[s]) : 1.0;
    const double loss = -sw * dot;
    if (c.loss) c.loss[s] = T(loss);
    total += loss;
    if (T *g = c.grad ? c.grad + base : nullptr) {
      const T scale = T(sw * double(c.grad_scale)), dl = c.upstream(s);
      const bool has_dl = c.dloss != nullptr;
      const auto out = [&](T v) { return has_dl ? v * dl : v; };  // dl times the fused value
      if (!c.class_weights && smooth == 0) {  // one non-zero entry: a fill (the same bits)
        const T zero = out(T(0));
        if (K == 1) std::fill(g, g + C, zero);
        else for (int64_t j = 0; j < C; ++j) g[j * K] = zero;
        g[label * K] = out(T(-label_coef) * scale);
        continue;
      }
      for (int64_t j = 0; j < C; ++j) {
        const double cw = c.class_weights ? double(c.class_weights[j]) : 1.0;
        const double coef = smooth != 0 ? uniform * cw + (j == label ? label_coef : 0.0) : j == label ? label_coef : 0.0;
        g[j * K] = out(coef != 0 || smooth != 0 ? T(-coef) * scale : T(0));
      }
    }
  }
  return total;
}

}  // namespace xent::XENT_ISA_NS::kern
