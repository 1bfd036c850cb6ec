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

// denominator: what MEAN divides by. Returns XENT_OK or XENT_ERR_OUT_OF_MEMORY (then
// nothing has been written). Sets call's reduce, grad_scale and row_threads.
template <class T>
xent_status run_loss(Variant v, LossCall<T> &call, xent_reduction reduction, double denominator,
                     int requested_threads, T *loss) {
  const int64_t units = is_elementwise(v) ? call.B : call.B * call.K;
  call.reduce = reduction != XENT_REDUCTION_NONE;
  if (reduction == XENT_REDUCTION_MEAN) call.grad_scale = T(1.0 / denominator);
  const int64_t blocks = block_count(units);
  const auto kernel = kernels<T>().loss_block[int(v)];
  const ThreadPlan plan = plan_threads(units, threads_for(call.B * call.C * call.K, requested_threads));
  call.row_threads = plan.inside_rows;

  double total = 0;
  if (plan.across_rows <= 1 && (!call.reduce || blocks <= 1)) {
    // Serial with no block sums to keep apart (none wanted, or one block): one call.
    // Added to 0 as a block sum is (a -0 loss sums to +0). An empty batch calls no kernel:
    // its other dimensions are unchecked (0 * C * K fits whatever C * K is).
    if (units > 0) total += kernel(call, 0, units);
  } else {
    // Block sums: on the stack for small calls, else one small heap scratch.
    double stack_sums[64];
    double *sums = stack_sums;
    if (call.reduce && blocks > 64) {
      sums = static_cast<double *>(scratch_alloc(sizeof(double) * std::size_t(blocks)));
      if (!sums) return XENT_ERR_OUT_OF_MEMORY;
    }
    parallel_blocks(units, plan.across_rows, [&](int64_t k, int64_t u0, int64_t u1) {
      const double s = kernel(call, u0, u1);
      if (call.reduce) sums[k] = s;
    });
    if (call.reduce)
      for (int64_t k = 0; k < blocks; ++k) total += sums[k];
    if (sums != stack_sums) scratch_free(sums);
  }
  if (call.reduce) {
    if (reduction == XENT_REDUCTION_MEAN)
      total = denominator > 0 || denominator < 0 ? total / denominator : std::numeric_limits<double>::quiet_NaN();
    *loss = T(total);
  }
  return XENT_OK;
}

}  // namespace xent
