// Runs a validated loss call over its units (samples, or rows for element-wise variants)
// in deterministic blocks, and writes the reduced scalar for SUM / MEAN.
#pragma once

#include <cstdint>
#include <limits>

#include "driver/parallel_for.hpp"
#include "driver/scratch.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace xent {

// Block sums of `units` split across threads: the fixed blocks' sums, added in order.
// Returns false when their scratch could not be allocated (nothing written then).
template <class T>
[[gnu::noinline]] bool blocked_loss_sum(double (*kernel)(const LossCall<T> &, int64_t, int64_t),
                                        const LossCall<T> &call, int64_t units, int threads, double *total) {
  const int64_t blocks = block_count(units);
  // On the stack for small calls, else one small heap scratch.
  double stack_sums[64];
  double *sums = stack_sums;
  if (call.reduce && blocks > 64) {
    sums = static_cast<double *>(scratch_alloc(sizeof(double) * std::size_t(blocks)));
    if (!sums) return false;
  }
  parallel_blocks(units, threads, [&](int64_t k, int64_t u0, int64_t u1) {
    const double s = kernel(call, u0, u1);
    if (call.reduce) sums[k] = s;
  });
  if (call.reduce)
    for (int64_t k = 0; k < blocks; ++k) *total += sums[k];
  if (sums != stack_sums) scratch_free(sums);
  return true;
}

// denominator: what MEAN divides by. Returns XENT_OK or XENT_ERR_OUT_OF_MEMORY (then
// nothing has been written). Sets call's reduce, loss, grad_scale and row_threads. A
// backward call (call.dloss set, loss null) writes only the gradient. Inline: a small call
// is one kernel call, and a tiny one costs a few ns.
template <class T>
inline xent_status run_loss(Variant v, LossCall<T> &call, xent_reduction reduction, double denominator,
                            int requested_threads, T *loss) {
  const int64_t units = is_elementwise(v) ? call.B : call.B * call.K;
  call.reduce = reduction != XENT_REDUCTION_NONE && loss;
  call.loss = reduction == XENT_REDUCTION_NONE ? loss : nullptr;
  call.dloss_each = reduction == XENT_REDUCTION_NONE;
  if (reduction == XENT_REDUCTION_MEAN) call.grad_scale = T(1.0 / denominator);
  const auto kernel = kernels<T>().loss_block[int(v)];
  const ThreadPlan plan = plan_threads(units, threads_for(call.B * call.C * call.K, requested_threads));
  call.row_threads = plan.inside_rows;

  double total = 0;
  if (plan.across_rows <= 1 && (!call.reduce || block_count(units) <= 1)) {
    // Serial with no block sums to keep apart (none wanted, or one block): one call.
    // Added to 0 as a block sum is (a -0 loss sums to +0). An empty batch calls no kernel:
    // its other dimensions are unchecked (0 * C * K fits whatever C * K is).
    if (units > 0) total += kernel(call, 0, units);
  } else if (!blocked_loss_sum(kernel, call, units, plan.across_rows, &total)) {
    return XENT_ERR_OUT_OF_MEMORY;
  }
  if (call.reduce) {
    if (reduction == XENT_REDUCTION_MEAN)
      total = denominator > 0 || denominator < 0 ? total / denominator : std::numeric_limits<double>::quiet_NaN();
    *loss = T(total);
  }
  return XENT_OK;
}

}  // namespace xent
