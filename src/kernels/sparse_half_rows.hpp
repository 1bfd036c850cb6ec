// Sparse softmax CE with logits, the loss alone, straight from bf16 / f16 rows: each vector
// is widened as it is loaded, so the row is read once at 2 bytes per logit instead of being
// copied to an f32 tile first (the driver's route for every other 16-bit call).
//
// For contiguous rows (K = 1) of one chunk (C <= kSumChunk), reduction NONE, no weights,
// smoothing, z-loss, soft-cap, focal or Poly-1, no lse out: the f32 loss-only route's
// operations in its order (max carried ahead from the previous row's sum pass,
// sumexp_next_max_rows, finish_row_lse, (m - y) + log(sum)), so the loss has the bits of the
// f32 call on the widened inputs (tests/test_half.cpp). Rows whose max is not finite are
// widened into a buffer and take finish_row_lse's rules.
#pragma once

#include <limits>

#include "kernels/half_convert.hpp"
#include "kernels/row_stats.hpp"

namespace xent::XENT_ISA_NS::kern {

static_assert(kSumChunk == 4096, "plain_sparse_half_loss (kernels/loss_call.hpp) names the chunk length");

template <class V> struct arch_of { using type = typename V::arch_type; };
template <> struct arch_of<float> { using type = simd::scalar_arch; };

// A 16-bit row read as floats: whole vectors with the CPU's conversion where it has one
// (half::widen_vector), else (and for tails) through a buffer.
template <class V, half::Format F> struct HalfRow {
  using Arch = typename arch_of<V>::type;
  static constexpr int64_t W = int64_t(simd::width_v<V>);
  const uint16_t *p;
  static float widen(uint16_t h) { return half::widen<F>(h); }
  XENT_ALWAYS_INLINE V load(int64_t i) const {
    if constexpr (half::vector_widen_lanes<Arch>() == W) return half::widen_vector<Arch, F>(p + i);
    else return tail(i, i + W, 0.0f);
  }
  XENT_ALWAYS_INLINE V tail(int64_t i, int64_t n, float pad) const {
    alignas(64) float buf[W];
    for (int64_t j = 0; j < W; ++j) buf[j] = i + j < n ? widen(p[i + j]) : pad;
    return simd::load<V>(buf);
  }
  void prefetch(int64_t i) const { __builtin_prefetch(p + i); }
  float max(int64_t n) const {  // exact in any order
    V a(-std::numeric_limits<float>::infinity());
    int64_t i = 0;
    for (; i + W <= n; i += W) a = simd::vmax(a, load(i));
    if (i < n) a = simd::vmax(a, tail(i, n, -std::numeric_limits<float>::infinity()));
    return simd::hmax(a);
  }
};

// Samples [s0, s1) of a call that passes plain_sparse_half_loss (c.x unused: x is the
// 16-bit input); losses into c.loss.
template <class V, half::Format F>
void sparse_half_loss_rows(const uint16_t *x, const LossCall<float> &c, int64_t s0, int64_t s1) {
  using R = HalfRow<V, F>;
  const int64_t C = c.C;
  float carried_max = 0;
  bool carried_in_range = false;
  int64_t carried_for = -1;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t label = c.label(s);
    if (label == c.ignore_index) {
      c.loss[s] = 0.0f;
      continue;
    }
    const R row{x + s * C};
    const float m = carried_for == s ? carried_max : row.max(C);
    RowLse<float> st;
    float y;
    if (std::isfinite(m)) {
      double sum;
      const R next{s + 1 < s1 ? row.p + C : row.p};  // the last row reads itself as its next
      sumexp_next_max_rows<V>(row, next, C, m, carried_for == s && carried_in_range, sum, carried_max,
                              carried_in_range);
      carried_for = s + 1 < s1 ? s + 1 : -1;
      st = finish_row_lse<LossMath>(double(m), sum, static_cast<const float *>(nullptr), C, 1);
      y = R::widen(row.p[label]);
    } else {  // +inf, all -inf or NaN: the documented rules, on the widened row
      alignas(64) float wide[kSumChunk];
      for (int64_t j = 0; j < C; ++j) wide[j] = R::widen(row.p[j]);
      st = nonfinite_row_lse(double(m), wide, C, 1);
      y = wide[label];
      carried_for = -1;
    }
    // softmax_ce_block's loss with label_coef = 1, sw = 1, z = 0.
    double loss = (double(st.max) - double(y)) + st.log_sum;
    if (std::isnan(st.lse)) loss = st.lse;
    c.loss[s] = float(loss);
  }
}

}  // namespace xent::XENT_ISA_NS::kern
