// What the direct calls of small losses with plain options share (short_sparse_rows.hpp,
// short_dense_rows.hpp): run_loss's reduction, denominator and gradient scale for calls in
// which every sample counts with weight 1, their row loop, and the LossCall of the rest of
// such a call once a row needs the general route.
#pragma once

#include <cstdint>

#include "kernels/loss_call.hpp"
#include "xent/xent.h"

namespace xent::XENT_ISA_NS::kern {

// What MEAN divides by, 1 for SUM, 0 for NONE: run_loss's denominator (every sample counts
// with weight 1), and its gradient scale T(1 / divisor).
inline double reduction_divisor(xent_reduction reduction, int64_t B) {
  return reduction == XENT_REDUCTION_NONE ? 0.0 : reduction == XENT_REDUCTION_MEAN ? double(B) : 1.0;
}
template <class T> XENT_ALWAYS_INLINE xent_status write_reduced(T *loss, double total, double divisor) {
  if (divisor != 0) *loss = T(total / divisor);  // SUM: total / 1
  return XENT_OK;
}

// The LossCall of B contiguous rows of C classes with plain options, as run_loss makes it:
// per-sample losses into loss when divisor is 0, else reduced (loss not written by it).
template <class T>
LossCall<T> plain_loss_call(const T *x, int64_t B, int64_t C, T *loss, T *grad, double divisor) {
  LossCall<T> c;
  c.x = x;
  c.B = B;
  c.C = C;
  c.reduce = divisor != 0;
  c.loss = divisor != 0 ? nullptr : loss;
  c.grad = grad;
  if (divisor != 0) c.grad_scale = T(1.0 / divisor);
  return c;
}

// The loop of a direct call of n rows: row(s, scale, l) computes row s's loss l (gradient
// scaled by scale) or returns false when the row needs the general route; from that row on,
// rest(s, loss, total, divisor) finishes the call (loss advanced to row s under NONE, total
// the sum so far), by a tail call. Losses per sample (NONE) or reduced, as run_loss writes them.
template <class T, class Row, class Rest>
XENT_ALWAYS_INLINE xent_status short_call_rows(int64_t n, xent_reduction reduction, T *loss, const Row &row,
                                               const Rest &rest) {
  const double divisor = reduction_divisor(reduction, n);
  const T scale = divisor != 0 ? T(1.0 / divisor) : T(1);
  double total = 0;
  for (int64_t s = 0; s < n; ++s) {
    double l;
    if (!row(s, scale, l)) return rest(s, divisor != 0 ? loss : loss + s, total, divisor);
    if (divisor == 0) loss[s] = T(l);
    total += l;
  }
  return write_reduced(loss, total, divisor);
}

}  // namespace xent::XENT_ISA_NS::kern
