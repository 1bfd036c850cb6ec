// Softmax CE with soft targets (softmax_ce_with_logits), the direct call of small calls
// with plain options (capi/short_route.hpp): contiguous rows (K = 1) of C <= 2W classes,
// 1 .. kMaxBlocks samples. As short_sparse_rows.hpp does for the sparse variant: a tiny
// call is mostly fixed costs, and the general route's (LossCall, driver, the block's
// per-row cases and out-of-line statistics) were half of a (1, 10) call.
//
// The row stays in registers and this loop-free code repeats softmax_ce_block's routes for
// such rows (one_vector_dense_stats; chunk_max, the sum pass and linear_terms; the
// stored-exp gradient) with the plain options' constants (t' = 1 t + 0, sw = 1, z = 0), in
// their order, so the bits are the same (tests/test_short_route.cpp compares the routes):
//   max   over the valid lanes; exact in any order
//   stats row_reduce<V, 1>'s sum e_0 + select(valid, e_1), linear_terms' D = 0 + hsum(0 +
//         weighted(t', m - x) + ...) and A = 0 + hsum(0 + t' + ...)
//   loss  D + A log(sum) (0 when A = 0), NaN when the row's lse is
//   grad  ((T(T(A) / sum) e - t') * scale), e = exp_loss_from_sum_term
// Rows whose max is not finite (+-inf, NaN) take the general route.
#pragma once

#include <cmath>
#include <limits>

#include "kernels/short_calls.hpp"
#include "kernels/softmax_losses.hpp"

namespace xent::XENT_ISA_NS::kern {

// One row x[0, C), targets t[0, C), C in ((N - 1) W, N W], last_valid the valid lanes of
// its last vector: sets its loss and, when Grad, writes its gradient row g (g may be x)
// scaled by `scale`. False, having written nothing, when the max is not finite.
template <class V, int N, bool Grad>
XENT_ALWAYS_INLINE bool short_dense_row(const simd::value_t<V> *x, const simd::value_t<V> *t, int64_t C,
                                        const simd::mask_t<V> &last_valid, simd::value_t<V> *g,
                                        simd::value_t<V> scale, double &loss) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const int64_t last = C - (N - 1) * W;  // valid lanes of the last vector, in [1, W]
  const V ninf(-std::numeric_limits<T>::infinity()), zero(T(0));
  V xv[N], k[N];
  for (int j = 0; j < N; ++j) {
    const bool tail = j == N - 1;
    xv[j] = tail ? simd::load_partial<V>(x + j * W, last, T(0)) : simd::load<V>(x + j * W);
    // coef: 1 t + 0, +0 in the pad lanes as keep_valid has them
    k[j] = (tail ? simd::load_partial<V>(t + j * W, last, T(0)) : simd::load<V>(t + j * W)) + zero;
  }
  V mx = simd::select(last_valid, xv[N - 1], ninf);
  for (int j = 0; j < N - 1; ++j) mx = simd::vmax(mx, xv[j]);
  T m;
  const V mv = simd::broadcast_max(mx, m);
  if (!std::isfinite(m)) return false;
  V d[N], term[N];
  for (int j = 0; j < N; ++j) {
    d[j] = xv[j] - mv;
    term[j] = LossMath{}(d[j]);
  }
  // row_reduce's 0 + e_0 + ...: 0 + e_0 is e_0 (an exp is never -0); linear_terms' 0 + ...
  V a = N > 1 ? term[0] : simd::select(last_valid, term[0], zero), dv = zero + weighted(k[0], mv - xv[0]),
    av = zero + k[0];
  for (int j = 1; j < N; ++j) {
    a += j < N - 1 ? term[j] : simd::select(last_valid, term[j], zero);
    dv += weighted(k[j], mv - xv[j]);
    av += k[j];
  }
  const T sum = simd::hsum(a);
  const double D = 0.0 + double(simd::hsum(dv)), A = 0.0 + double(simd::hsum(av));
  const double log_sum = LossMath::log_sum<T>(sum), lse = double(m) + log_sum;
  loss = D + (A != 0 ? A * log_sum : 0.0);
  if (std::isnan(lse)) loss = lse;  // NaN anywhere in the row
  if constexpr (Grad) {
    const V pfac(T(double(T(A)) * (1.0 / double(sum)))), sc(scale);
    const auto out = [&](int j) __attribute__((always_inline)) {
      return (pfac * math::exp_loss_from_sum_term(d[j], term[j]) - k[j]) * sc;
    };
    for (int j = 0; j < N - 1; ++j) simd::store(g + j * W, out(j));
    simd::store_partial(g + (N - 1) * W, last, out(N - 1));
  }
  return true;
}

// The rest of a short_dense_call from the first row whose max is not finite on, through the
// general route (softmax_ce_block) one sample at a time, adding to total in sample order.
// Out of line and cold, reached by a tail call (see short_sparse_rest).
template <class V>
[[gnu::noinline, gnu::cold]] xent_status short_dense_rest(const simd::value_t<V> *x, const simd::value_t<V> *t,
                                                           int64_t B, int64_t C, simd::value_t<V> *loss,
                                                           simd::value_t<V> *grad, double total, double divisor) {
  LossCall<simd::value_t<V>> c = plain_loss_call(x, B, C, loss, grad, divisor);
  c.targets = t;
  for (int64_t s = 0; s < B; ++s) total += softmax_ce_block<V>(c, s, s + 1, Identity<simd::value_t<V>>{}, false);
  return write_reduced(loss, total, divisor);
}

// B samples of C in ((N - 1) W, N W] classes, plain options: per-sample losses (NONE) or the reduced
// one into loss, gradients into grad when Grad, as run_loss does it. One = 1: B = 1 as a
// constant (straight-line code, nothing held across an iteration).
template <class V, int N, bool Grad, int64_t One>
[[gnu::noinline]] xent_status short_dense_call_n(const simd::value_t<V> *x, const simd::value_t<V> *t, int64_t B,
                                                 int64_t C, xent_reduction reduction, simd::value_t<V> *loss,
                                                 simd::value_t<V> *grad) {
  using T = simd::value_t<V>;
  const int64_t n = One ? One : B;
  const auto last_valid = valid_lanes<V>((N - 1) * int64_t(simd::width_v<V>), C);
  return short_call_rows(
      n, reduction, loss,
      [&](int64_t s, T scale, double &l) {
        return short_dense_row<V, N, Grad>(x + s * C, t + s * C, C, last_valid, Grad ? grad + s * C : nullptr,
                                           scale, l);
      },
      [&](int64_t s, T *rest_loss, double total, double divisor) {
        return short_dense_rest<V>(x + s * C, t + s * C, n - s, C, rest_loss, Grad ? grad + s * C : nullptr, total,
                                   divisor);
      });
}

// The C API's direct call (KernelTable::short_dense): the entry point's arguments, the
// reduction in place of the options.
template <class V>
xent_status short_dense_call(const simd::value_t<V> *x, const simd::value_t<V> *t, int64_t B, int64_t C,
                             xent_reduction reduction, simd::value_t<V> *loss, simd::value_t<V> *grad) {
  using Fn = xent_status (*)(const simd::value_t<V> *, const simd::value_t<V> *, int64_t, int64_t, xent_reduction,
                             simd::value_t<V> *, simd::value_t<V> *);
  // [one row][gradient][two vectors]
  static constexpr Fn kCases[2][2][2] = {
      {{short_dense_call_n<V, 1, false, 0>, short_dense_call_n<V, 2, false, 0>},
       {short_dense_call_n<V, 1, true, 0>, short_dense_call_n<V, 2, true, 0>}},
      {{short_dense_call_n<V, 1, false, 1>, short_dense_call_n<V, 2, false, 1>},
       {short_dense_call_n<V, 1, true, 1>, short_dense_call_n<V, 2, true, 1>}}};
  return kCases[B == 1][grad != nullptr][C > int64_t(simd::width_v<V>)](x, t, B, C, reduction, loss, grad);
}

}  // namespace xent::XENT_ISA_NS::kern
