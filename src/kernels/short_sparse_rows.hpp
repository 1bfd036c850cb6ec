// Sparse softmax CE rows that fit in one or two vectors (C <= 2W), contiguous (K = 1),
// without the options that reweight or transform a row (smoothing, class or sample
// weights, z-loss, soft-cap): tiny calls and small classifiers, where the general route's
// loops and bookkeeping cost more than the arithmetic.
//
// The row stays in registers and this loop-free code repeats the general route's
// operations in its order, so the bits are the same (tests/test_fused_paths.cpp compares
// it with the strided route):
//   max   chunk_max's lanes (the tail padded with -inf); max is exact in any order
//   sum   row_reduce<V, 1>'s: 0 + e_0 + select(valid, e_1), then hsum
//   loss  softmax_ce_block's with label_coef = 1, sw = 1, z = 0: (m - y) + log(sum)
//   grad  the stored-exp route: e = exp_loss_from_sum_term, (pf e) scale, label redone
// Rows whose max is not finite (+-inf, NaN) take the general route.
//
// Two ways in: short_sparse_rows, a loss_block of the table (any call the driver runs),
// and short_sparse_call, which the C API calls directly with its arguments in registers
// for plain options (capi/short_route.hpp): a tiny call is mostly fixed costs.
#pragma once

#include <limits>

#include "kernels/short_calls.hpp"
#include "kernels/softmax_losses.hpp"
#include "xent/xent.h"

namespace xent::XENT_ISA_NS::kern {

template <class V> inline bool fits_short_sparse_rows(const LossCall<simd::value_t<V>> &c) {
  return c.K == 1 && c.C <= 2 * int64_t(simd::width_v<V>) && c.smoothing == 0 && !c.class_weights &&
         !c.sample_weights && c.z_loss == 0 && c.softcap == 0 && !c.lse_in && !c.lse_out && !c.focal_or_poly();
}

// One row x[0, C), C in ((N - 1) W, N W], label in [0, C), last_valid the valid lanes of
// its last vector: sets its loss and, when Grad, writes its gradient row g (g may be x)
// scaled by `scale` (and, when Dl, by the upstream gradient dl of a backward call, last,
// as SoftmaxRow::gradient does). Returns false, having written nothing, when the row's max
// is not finite (the general route's rules apply). Grad is a template argument: without
// it, the loop keeps no value for a gradient and spills nothing.
template <class V, int N, bool Grad, bool Dl = false>
XENT_ALWAYS_INLINE bool short_sparse_row(const simd::value_t<V> *x, int64_t C, const simd::mask_t<V> &last_valid,
                                         int64_t label, simd::value_t<V> *g, simd::value_t<V> scale, double &loss,
                                         simd::value_t<V> dl = 1) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const int64_t last = C - (N - 1) * W;  // valid lanes of the last vector, in [1, W]
  V v[N];
  for (int j = 0; j < N - 1; ++j) v[j] = simd::load<V>(x + j * W);
  v[N - 1] = simd::load_partial<V>(x + (N - 1) * W, last, -std::numeric_limits<T>::infinity());
  V mx = v[0];
  for (int j = 1; j < N; ++j) mx = simd::vmax(mx, v[j]);
  T m;
  const V mv = simd::broadcast_max(mx, m);
  if (!std::isfinite(m)) return false;
  V d[N], term[N];
  for (int j = 0; j < N; ++j) {
    d[j] = v[j] - mv;
    term[j] = LossMath{}(d[j]);
  }
  // row_reduce's 0 + e_0 + ...: 0 + e_0 is e_0 (an exp is never -0).
  V a = N > 1 ? term[0] : simd::select(last_valid, term[0], V(T(0)));
  for (int j = 1; j < N; ++j) a += j < N - 1 ? term[j] : simd::select(last_valid, term[j], V(T(0)));
  const T y = x[label];  // before any store: the gradient may be x
  // finish_row_lse of a finite max; NaN anywhere in the row makes the sum, so log_sum and
  // the loss, NaN: no select.
  const T sum = simd::hsum(a);
  loss = (double(m) - double(y)) + LossMath::log_sum<T>(sum);
  if constexpr (Grad) {  // the stored-exp route: e = exp_loss_from_sum_term, (pf e) scale, label redone
    const T pf = T(1.0 / double(sum));
    T e[N * W];  // unaligned stores: no stack realignment
    for (int j = 0; j < N; ++j) simd::store(e + j * W, math::exp_loss_from_sum_term(d[j], term[j]));
    const V pfac(pf), sc(scale), dlv(dl);
    const auto out = [&](int j) __attribute__((always_inline)) {
      const V o = (pfac * simd::load<V>(e + j * W)) * sc;
      return Dl ? o * dlv : o;
    };
    for (int j = 0; j < N - 1; ++j) simd::store(g + j * W, out(j));
    simd::store_partial(g + (N - 1) * W, last, out(N - 1));
    const T gl = (pf * e[label] - T(1)) * scale;
    g[label] = Dl ? gl * dl : gl;
  }
  return true;
}

// N vectors per row: C in ((N - 1) W, N W].
template <class V, int N>
double short_sparse_rows(const LossCall<simd::value_t<V>> &c, int64_t s0, int64_t s1) {
  using T = simd::value_t<V>;
  const int64_t C = c.C;
  const auto last_valid = valid_lanes<V>((N - 1) * int64_t(simd::width_v<V>), C);
  double total = 0;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t label = c.label(s);
    if (c.skip_ignored(s, label, s * C)) continue;
    double loss;
    T *const g = c.grad ? c.grad + s * C : nullptr;
    const bool done = g && c.dloss ? short_sparse_row<V, N, true, true>(c.x + s * C, C, last_valid, label, g,
                                                                    c.grad_scale, loss, c.upstream(s))
                      : g      ? short_sparse_row<V, N, true>(c.x + s * C, C, last_valid, label, g, c.grad_scale, loss)
                               : short_sparse_row<V, N, false>(c.x + s * C, C, last_valid, label, nullptr, 0, loss);
    if (!done) {
      total += softmax_ce_block<V>(c, s, s + 1, Identity<simd::value_t<V>>{}, true);
      continue;
    }
    if (c.loss) c.loss[s] = simd::value_t<V>(loss);
    total += loss;
  }
  return total;
}

// The rest of a short_sparse_call from the first row whose max is not finite on, as a call
// of its own: x, labels, loss (per sample, when divisor is 0) and grad advanced to that
// row, B the rows left, total the sum so far. Through a LossCall and short_sparse_rows
// (which sends such rows to the general route), adding to total in sample order. Out of
// line, cold, and every argument in a register: the direct loop reaches it by a tail call,
// so it keeps no value across a call (no saved registers, no spilled vectors).
template <class V, int N, class L>
[[gnu::noinline, gnu::cold]] xent_status short_sparse_rest(const simd::value_t<V> *x, const L *labels, int64_t B,
                                                            int64_t C, simd::value_t<V> *loss,
                                                            simd::value_t<V> *grad, double total, double divisor) {
  LossCall<simd::value_t<V>> c = plain_loss_call(x, B, C, loss, grad, divisor);
  if constexpr (std::is_same_v<L, int64_t>) c.labels64 = labels;
  else c.labels32 = labels;
  for (int64_t s = 0; s < B; ++s) total += short_sparse_rows<V, N>(c, s, s + 1);  // each 0 + its loss
  return write_reduced(loss, total, divisor);
}

// B samples of C in ((N - 1) W, N W] classes, labels in [0, C), plain options: per-sample
// losses (NONE) or the reduced one into loss, gradients into grad when Grad, as run_loss
// does it: the sum of the losses in sample order is the double the driver adds up for up
// to kMaxBlocks samples. One = 1 is the case B = 1 with B a constant: straight-line code
// that holds no value across an iteration, so nothing spills (a tiny call). One function
// per case, out of line: merged, their constants and loop values would not fit the
// registers.
template <class V, int N, bool Grad, int64_t One, class L>
[[gnu::noinline]] xent_status short_sparse_call_n(const simd::value_t<V> *x, const L *labels, int64_t B, int64_t C,
                                                  xent_reduction reduction, simd::value_t<V> *loss,
                                                  simd::value_t<V> *grad) {
  using T = simd::value_t<V>;
  const int64_t n = One ? One : B;
  const auto last_valid = valid_lanes<V>((N - 1) * int64_t(simd::width_v<V>), C);
  return short_call_rows(
      n, reduction, loss,
      [&](int64_t s, T scale, double &l) {
        return short_sparse_row<V, N, Grad>(x + s * C, C, last_valid, int64_t(labels[s]),
                                            Grad ? grad + s * C : nullptr, scale, l);
      },
      [&](int64_t s, T *rest_loss, double total, double divisor) {
        return short_sparse_rest<V, N>(x + s * C, labels + s, n - s, C, rest_loss, Grad ? grad + s * C : nullptr,
                                       total, divisor);
      });
}

// The C API's direct call (KernelTable::short_sparse64 / 32): its arguments where the
// entry point has them (the reduction in place of the options) and XENT_OK returned, so
// that the C API ends in a tail call that moves one register, and this one in another.
template <class V, class L>
xent_status short_sparse_call(const simd::value_t<V> *x, const L *labels, int64_t B, int64_t C,
                              xent_reduction reduction, simd::value_t<V> *loss, simd::value_t<V> *grad) {
  using Fn = xent_status (*)(const simd::value_t<V> *, const L *, int64_t, int64_t, xent_reduction,
                             simd::value_t<V> *, simd::value_t<V> *);
  // [one row][gradient][two vectors]
  static constexpr Fn kCases[2][2][2] = {
      {{short_sparse_call_n<V, 1, false, 0, L>, short_sparse_call_n<V, 2, false, 0, L>},
       {short_sparse_call_n<V, 1, true, 0, L>, short_sparse_call_n<V, 2, true, 0, L>}},
      {{short_sparse_call_n<V, 1, false, 1, L>, short_sparse_call_n<V, 2, false, 1, L>},
       {short_sparse_call_n<V, 1, true, 1, L>, short_sparse_call_n<V, 2, true, 1, L>}}};
  return kCases[B == 1][grad != nullptr][C > int64_t(simd::width_v<V>)](x, labels, B, C, reduction, loss, grad);
}

}  // namespace xent::XENT_ISA_NS::kern
