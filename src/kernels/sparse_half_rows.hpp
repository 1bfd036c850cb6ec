// Sparse softmax CE with logits straight from bf16 / f16 rows, the loss alone or with its
// gradient: each vector is widened as it is loaded, once, into an L1 row of floats, so the
// row is read once at 2 bytes per logit instead of being copied to an f32 tile first (the
// driver's route for every other 16-bit call).
//
// For contiguous rows (K = 1) of one chunk (C <= kSumChunk), reduction NONE, no weights,
// smoothing, z-loss, soft-cap, focal or Poly-1, no lse out, no upstream gradient. The loss
// alone: the f32 loss-only route's operations in its order (max carried ahead from the
// previous row's sum pass, sumexp_next_max_rows, finish_row_lse, (m - y) + log(sum)). With
// the gradient: the f32 store-exp route's (sparse_half_grad_row). So the loss and the
// gradient have the bits of the f32 call on the widened inputs, rounded (tests/test_half.cpp).
// Rows whose max is not finite take finish_row_lse's rules on the widened row.
#pragma once

#include <limits>

#include "kernels/half_convert.hpp"
#include "kernels/row_stats.hpp"
#include "kernels/softmax_losses.hpp"

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
#if defined(__x86_64__) || defined(__i386__)
    if constexpr (half::is_avx512<Arch>()) {  // a masked load: no element past n is read
      const __mmask16 k = __mmask16((1u << (n - i)) - 1);  // n - i < 16
      const __m256i h = _mm256_maskz_loadu_epi16(k, p + i);
      const __m512 v = F == half::Format::f16 ? _mm512_cvtph_ps(h)
                                              : _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
      return V(_mm512_mask_blend_ps(k, _mm512_set1_ps(pad), v));
    }
#endif
    alignas(64) float buf[W];
    for (int64_t j = 0; j < W; ++j) buf[j] = i + j < n ? widen(p[i + j]) : pad;
    return simd::load<V>(buf);
  }
  void prefetch(int64_t i) const { __builtin_prefetch(p + i); }
};

// A 16-bit row that keeps the floats it widens in `wide`: the row's own sum pass then reads
// them back instead of widening each vector a second time (one conversion per logit).
template <class V, half::Format F> struct StashingHalfRow : HalfRow<V, F> {
  float *wide;
  StashingHalfRow(const uint16_t *p, float *w) : HalfRow<V, F>{p}, wide(w) {}
  XENT_ALWAYS_INLINE V load(int64_t i) const {
    const V v = HalfRow<V, F>::load(i);
    simd::store(wide + i, v);
    return v;
  }
  XENT_ALWAYS_INLINE V tail(int64_t i, int64_t n, float pad) const {
    const V v = HalfRow<V, F>::tail(i, n, pad);
    store_block(wide, i, n, 1, v);  // lanes below n only
    return v;
  }
  float max(int64_t n) const {  // exact in any order (four chains hide vmax's latency), storing
    constexpr int64_t W = HalfRow<V, F>::W;
    const V ninf(-std::numeric_limits<float>::infinity());
    V a = ninf, b = ninf, c = ninf, d = ninf;
    int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {
      a = simd::vmax(a, load(i));
      b = simd::vmax(b, load(i + W));
      c = simd::vmax(c, load(i + 2 * W));
      d = simd::vmax(d, load(i + 3 * W));
    }
    for (; i + W <= n; i += W) a = simd::vmax(a, load(i));
    if (i < n) a = simd::vmax(a, tail(i, n, -std::numeric_limits<float>::infinity()));
    return simd::hmax(simd::vmax(simd::vmax(a, b), simd::vmax(c, d)));
  }
};

// The loss and gradient of one contiguous 16-bit row with a finite max m (K = 1, plain
// options, the loss not reduced): softmax_ce_block's store-exp route on the widened row, in
// its order. e holds the widened row (stored by the max pass); the sum pass replaces each
// y by exp(y - m) and sums the terms with one accumulator (sum_storing_exp); the gradient is
// (pf e) scale, the label's entry (pf e_label - 1) scale (gradient<true>'s tight loop),
// rounded to 16 bits by narrow. The same bits as the f32 call on the widened inputs, with one
// L1 row of floats instead of an f32 tile of x and one of the gradient.
template <class V>
void sparse_half_grad_row(int64_t C, int64_t label, float m, float scale, float *e, uint16_t *grad,
                          void (*narrow)(const float *, uint16_t *, int64_t), float &loss) {
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const float y = e[label];
  const V mv(m);
  V a(0.0f);
  int64_t i = 0;
  for (; i + W <= C; i += W) {
    const V d = simd::load<V>(e + i) - mv, term = LossMath{}(d);
    simd::store(e + i, math::exp_loss_from_sum_term(d, term));
    a += term;
  }
  if (i < C) {
    const V d = load_block<V>(e, i, C, 1, 0.0f) - mv, term = LossMath{}(d);
    store_block(e, i, C, 1, math::exp_loss_from_sum_term(d, term));
    a += simd::select(valid_lanes<V>(i, C), term, V(0.0f));
  }
  const RowLse<float> st = finish_row_lse<LossMath>(double(m), double(simd::hsum(a)), static_cast<const float *>(nullptr), C, 1);
  loss = float(plain_sparse_loss(st, y));
  const float pf = float(1.0 / st.sum);
  const V pfac(pf), sc(scale);
  const float e_label = e[label];
  map_row<V>(e, e, 0, C, [=](const V &v) { return (pfac * v) * sc; });
  e[label] = (pf * e_label - 1.0f) * scale;
  narrow(e, grad, C);
}

// sparse_half_loss_rows with a gradient: each row by sparse_half_grad_row, and a row whose
// max is not finite (+inf, all -inf, or NaN) widened and given to softmax_ce_block alone
// (the f32 kernel's bits for that row, in any batch), then rounded.
template <class V, half::Format F>
void sparse_half_loss_grad_rows(const uint16_t *x, uint16_t *grad, const LossCall<float> &c, int64_t s0, int64_t s1,
                                void (*narrow)(const float *, uint16_t *, int64_t)) {
  const int64_t C = c.C;
  alignas(64) float e[kSumChunk];
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t label = c.label(s);
    uint16_t *g = grad + s * C;
    if (label == c.ignore_index) {  // skip_ignored: loss 0, gradient +0
      c.loss[s] = 0.0f;
      std::fill(g, g + C, uint16_t(0));
      continue;
    }
    const float m = StashingHalfRow<V, F>(x + s * C, e).max(C);  // e: the widened row
    if (std::isfinite(m)) {
      sparse_half_grad_row<V>(C, label, m, c.grad_scale, e, g, narrow, c.loss[s]);
      continue;
    }
    LossCall<float> one = c;
    one.x = e;
    one.grad = e;  // in place
    one.B = 1;
    one.loss = c.loss + s;
    if (one.labels64) one.labels64 += s;
    if (one.labels32) one.labels32 += s;
    softmax_ce_block<V>(one, 0, 1, Identity<float>{}, true);
    narrow(e, g, C);
  }
}

// The loss alone: each row is widened once, by the previous row's sum pass (which finds its
// max, sumexp_next_max_rows) or by its own max pass, into one of two L1 buffers.
template <class V, half::Format F>
void sparse_half_loss_only_rows(const uint16_t *x, const LossCall<float> &c, int64_t s0, int64_t s1) {
  using S = StashingHalfRow<V, F>;
  const int64_t C = c.C;
  alignas(64) float wide[2][kSumChunk];
  int cur = 0;  // wide[cur] holds the row being computed
  const Identity<float> id;
  float carried_max = 0;
  bool carried_in_range = false;
  int64_t carried_for = -1;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t label = c.label(s);
    if (label == c.ignore_index) {
      c.loss[s] = 0.0f;
      continue;
    }
    const uint16_t *row = x + s * C;
    const float m = carried_for == s ? carried_max : S(row, wide[cur]).max(C);
    RowLse<float> st;
    const float y = wide[cur][label];
    if (std::isfinite(m)) {
      double sum;
      const S next(s + 1 < s1 ? row + C : row, wide[cur ^ 1]);  // the last row reads itself as its next
      sumexp_next_max_rows<V>(FloatRow<V, Identity<float>>{wide[cur], id}, next, C, m,
                              carried_for == s && carried_in_range, sum, carried_max, carried_in_range);
      carried_for = s + 1 < s1 ? s + 1 : -1;
      st = finish_row_lse<LossMath>(double(m), sum, static_cast<const float *>(nullptr), C, 1);
      cur ^= 1;
    } else {  // +inf, all -inf or NaN: the documented rules, on the widened row
      st = nonfinite_row_lse(double(m), wide[cur], C, 1);
      carried_for = -1;
    }
    c.loss[s] = float(plain_sparse_loss(st, y));
  }
}

// Samples [s0, s1) of a call that passes plain_sparse_half_loss (c.x unused: x is the
// 16-bit input); losses into c.loss, and with grad (16-bit, may be x) the gradient, rounded
// by narrow (the table's from_f32).
template <class V, half::Format F>
void sparse_half_loss_rows(const uint16_t *x, uint16_t *grad, const LossCall<float> &c, int64_t s0, int64_t s1,
                           void (*narrow)(const float *, uint16_t *, int64_t)) {
  if (grad) sparse_half_loss_grad_rows<V, F>(x, grad, c, s0, s1, narrow);
  else sparse_half_loss_only_rows<V, F>(x, c, s0, s1);
}

}  // namespace xent::XENT_ISA_NS::kern
