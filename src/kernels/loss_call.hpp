// One validated loss call, as the kernels see it. Built by capi/ after every check of
// docs/SEMANTICS.md has passed: labels are in range, options apply, buffers don't alias.
#pragma once

#include <cstdint>

namespace xent {

enum class Variant : int {
  sigmoid_ce_with_logits = 0,
  softmax_ce_with_logits,
  sparse_softmax_ce_with_logits,
  binary_ce,
  categorical_ce,
  sparse_categorical_ce,
  nll_loss,
  count
};

inline bool is_sparse(Variant v) {
  return v == Variant::sparse_softmax_ce_with_logits || v == Variant::sparse_categorical_ce || v == Variant::nll_loss;
}
// Element-wise variants give one loss per element and run over rows b; the others give
// one loss per sample (b, k) and run over samples.
inline bool is_elementwise(Variant v) {
  return v == Variant::sigmoid_ce_with_logits || v == Variant::binary_ce;
}

template <class T> struct LossCall {
  const T *x = nullptr;        // input (B, C, K)
  const T *targets = nullptr;  // dense soft labels (B, C, K), or null (sparse)
  const int64_t *labels64 = nullptr;
  const int32_t *labels32 = nullptr;
  int64_t B = 0, C = 1, K = 1;
  bool reduce = false;  // SUM or MEAN: no per-sample loss output
  T smoothing = 0;
  T epsilon = 0;
  const T *class_weights = nullptr;   // [C] or null
  const T *pos_weight = nullptr;      // [C] or null
  const T *sample_weights = nullptr;  // [B*K] or null
  int64_t ignore_index = INT64_MIN;
  T z_loss = 0;
  T softcap = 0;
  T focal_gamma = 0;   // 0: off
  T focal_alpha = -1;  // < 0: off (sigmoid CE only)
  T poly_epsilon = 0;  // 0: off
  T *loss = nullptr;  // [B*K] or [B*C*K] under NONE; null when reduced (and in a backward call)
  T *grad = nullptr;  // null or (B, C, K)
  T grad_scale = 1;   // 1, or 1/denominator under MEAN
  T *lse_out = nullptr;       // softmax with logits: null or [B*K], each sample's lse
  // A backward call: the upstream gradient, one value per loss element (dloss_each) or one
  // scalar; grad becomes dloss * d(loss)/d(input), multiplied last (the fused gradient's bits
  // times dloss). lse_in: null, or the forward's per-sample lse (softmax with logits).
  const T *dloss = nullptr;
  bool dloss_each = false;
  const T *lse_in = nullptr;
  int row_threads = 1;  // threads inside one row (few long rows); results do not depend on it

  bool focal_or_poly() const { return focal_gamma != 0 || focal_alpha >= 0 || poly_epsilon != 0; }
  // The upstream gradient of loss element u (a sample, or an element of the element-wise
  // variants); 1 in a forward call.
  T upstream(int64_t u) const { return dloss ? dloss[dloss_each ? u : 0] : T(1); }

  // Offset of sample s = (b, k) in the (B, C, K) input: b*C*K + k (no division when K = 1).
  int64_t sample_base(int64_t s) const { return K == 1 ? s * C : s / K * C * K + s % K; }

  int64_t label(int64_t sample) const {
    return labels64 ? labels64[sample] : int64_t(labels32[sample]);
  }

  // A sparse sample whose label is ignore_index: loss 0 and a zero gradient row (at base,
  // stride K). Returns whether the sample was ignored.
  bool skip_ignored(int64_t sample, int64_t label_value, int64_t base) const {
    if (label_value != ignore_index) return false;
    if (loss) loss[sample] = T(0);
    if (grad)
      for (int64_t j = 0; j < C; ++j) grad[base + j * K] = T(0);
    return true;
  }
};

// A sparse softmax CE call that kernels/sparse_half_rows.hpp computes straight from 16-bit
// rows: the loss (NONE) and, in a forward call, the 16-bit gradient (the driver holds its
// pointer: c.grad is unset), contiguous rows of one sum chunk (4096), plain options.
template <class T> inline bool plain_sparse_half_loss(const LossCall<T> &c) {
  return c.K == 1 && c.C <= 4096 && c.loss && !c.reduce && !c.grad && !c.dloss && !c.lse_in && !c.lse_out &&
         c.smoothing == 0 && !c.class_weights && !c.sample_weights && c.z_loss == 0 && c.softcap == 0 &&
         !c.focal_or_poly();
}

}  // namespace xent
