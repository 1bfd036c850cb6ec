// The 16-bit (bfloat16 / binary16) loss calls: f32 math on rows converted at load. Each
// deterministic block converts its rows, a tile at a time, into a per-thread f32 scratch,
// runs the f32 loss kernel on the tile and rounds the tile's gradient back to 16 bits. A
// sample's loss and gradient are therefore the f32 kernel's on the converted row (the f32
// kernels are batch invariant), so a row gives the same bits alone or in any batch, for
// any thread count; each 16-bit output is the round-to-nearest-even of the f32 result.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "driver/parallel_for.hpp"
#include "driver/scratch.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace xent {

// The 16-bit arrays of a loss call (the f32 LossCall carries everything else).
struct HalfLossBuffers {
  HalfFormat format;
  const uint16_t *x;
  const uint16_t *targets;  // dense variants, or null
  uint16_t *grad;           // or null
};

// A tile: about this many elements, and at least one whole batch row (C * K elements). Its
// f32 input and gradient (16 KB) stay in L1 between the conversion, the kernel and the
// rounding back (8192 spilled to L2: bf16 loss + gradient (128, 1024) 0.417 -> 0.337
// ns/elem, f16 0.396 -> 0.269, on a Xeon with AVX-512, 1 thread).
constexpr int64_t kHalfTileElements = 2048;

// The per-thread f32 scratch of the 16-bit calls: `threads` slots of `count` buffers of
// `floats` each, allocated before any output is written.
class HalfScratch {
 public:
  HalfScratch(int threads, int count, int64_t floats) : count_(count), floats_(floats) {
    p_ = static_cast<float *>(scratch_alloc(sizeof(float) * std::size_t(threads) * std::size_t(count) *
                                            std::size_t(floats)));
  }
  ~HalfScratch() { scratch_free(p_); }
  HalfScratch(const HalfScratch &) = delete;
  HalfScratch &operator=(const HalfScratch &) = delete;
  bool ok() const { return p_ != nullptr; }
  float *get(int thread, int which) const { return p_ + (int64_t(thread) * count_ + which) * floats_; }

 private:
  float *p_ = nullptr;
  int count_;
  int64_t floats_;
};

// Entries of samples [s0, s1) within rows [b0, b1) of a (B, C, K) array, as runs of
// contiguous elements: f(offset, length) relative to row b0. Whole rows are one run.
template <class F> inline void for_sample_runs(int64_t b0, int64_t b1, int64_t C, int64_t K, int64_t s0, int64_t s1,
                                               F f) {
  if (s0 == b0 * K && s1 == b1 * K) {
    f(int64_t(0), (b1 - b0) * C * K);
    return;
  }
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t k0 = std::max(s0, b * K) - b * K, k1 = std::min(s1, (b + 1) * K) - b * K;
    for (int64_t c = 0; c < C; ++c) f((b - b0) * C * K + c * K + k0, k1 - k0);
  }
}

// run_loss (driver/run_loss.hpp) for a call whose input, targets and grad are 16-bit:
// call holds everything else (x, targets and grad unset). Threads split the batch
// rows only (a long row is not split between threads here).
inline xent_status run_loss_half(Variant v, LossCall<float> call, const HalfLossBuffers &h, xent_reduction reduction,
                                 double denominator, int requested_threads, float *loss) {
  const bool elementwise = is_elementwise(v);
  const int64_t units = elementwise ? call.B : call.B * call.K, row = call.C * call.K;
  call.reduce = reduction != XENT_REDUCTION_NONE && loss;
  call.loss = reduction == XENT_REDUCTION_NONE ? loss : nullptr;
  call.dloss_each = reduction == XENT_REDUCTION_NONE;
  if (reduction == XENT_REDUCTION_MEAN) call.grad_scale = float(1.0 / denominator);
  call.row_threads = 1;
  const auto kernel = kernels<float>().loss_block[int(v)];
  const HalfConvert cv = active_tables().half[int(h.format)];
  const int threads = std::max(1, threads_for(call.B * row, requested_threads));
  if (v == Variant::sparse_softmax_ce_with_logits && plain_sparse_half_loss(call)) {
    // The loss (and the gradient), read straight from the 16-bit rows (no f32 tile); one
    // span per thread.
    parallel_blocks_tid(units, std::min<int64_t>(units, threads), threads, [&](int64_t, int64_t u0, int64_t u1, int) {
      cv.sparse_loss_rows(h.x, h.grad, call, u0, u1, cv.from_f32);
    });
    return XENT_OK;
  }
  // A reduced loss keeps the f32 call's blocks, and one kernel call per block, so that its
  // sum is added in the same order (a block is a tile). Per-sample outputs do not depend
  // on the blocks: one span per thread, tiles of kHalfTileElements, and each kernel call
  // carries a row's max ahead to the next row as the f32 call does.
  const int64_t blocks = call.reduce ? block_count(units) : std::min<int64_t>(units, threads);
  const int64_t per_row = elementwise ? 1 : call.K;  // units per batch row
  const int64_t tile_rows =
      call.reduce && units > 0 ? ((units + blocks - 1) / blocks + per_row - 1) / per_row + (per_row > 1 ? 1 : 0)
                               : std::max<int64_t>(1, kHalfTileElements / std::max<int64_t>(row, 1));
  const int buffers = 1 + (h.targets ? 1 : 0) + (h.grad ? 1 : 0);
  HalfScratch scratch(units > 0 ? threads : 0, buffers, tile_rows * row);
  if (units > 0 && !scratch.ok()) return XENT_ERR_OUT_OF_MEMORY;
  double stack_sums[64];
  double *sums = stack_sums;
  if (call.reduce && blocks > 64) {
    sums = static_cast<double *>(scratch_alloc(sizeof(double) * std::size_t(blocks)));
    if (!sums) return XENT_ERR_OUT_OF_MEMORY;
  }

  // Units [u0, u1) (samples, or rows for element-wise variants), tile by tile.
  parallel_blocks_tid(units, blocks, threads, [&](int64_t k, int64_t u0, int64_t u1, int tid) {
    float *xs = scratch.get(tid, 0), *ts = h.targets ? scratch.get(tid, 1) : nullptr;
    float *gs = h.grad ? scratch.get(tid, buffers - 1) : nullptr;
    const int64_t K = per_row;
    double sum = 0;
    for (int64_t b = u0 / K, b_end = (u1 - 1) / K + 1; b < b_end; b += tile_rows) {
      const int64_t b1 = std::min(b_end, b + tile_rows);
      const int64_t s0 = std::max(u0, b * K), s1 = std::min(u1, b1 * K);
      const int64_t base = b * row;  // of the tile's first row in the 16-bit arrays
      // Only the tile's own samples are read (another block may own the rest of a row,
      // and with grad == input may be writing it).
      for_sample_runs(b, b1, call.C, elementwise ? call.K : K, elementwise ? b * call.K : s0,
                      elementwise ? b1 * call.K : s1, [&](int64_t off, int64_t len) {
                        cv.to_f32(h.x + base + off, xs + off, len);
                        if (ts) cv.to_f32(h.targets + base + off, ts + off, len);
                      });
      LossCall<float> t = call;
      t.x = xs;
      t.targets = ts;
      t.grad = gs;
      t.B = b1 - b;
      const int64_t first = b * K, sample = b * call.K;  // the tile's first unit and (b, 0)
      if (t.labels64) t.labels64 += sample;
      if (t.labels32) t.labels32 += sample;
      if (t.sample_weights) t.sample_weights += sample;
      if (t.lse_in) t.lse_in += sample;
      if (t.lse_out) t.lse_out += sample;
      const int64_t loss_at = elementwise ? base : sample;  // loss elements before the tile
      if (t.loss) t.loss += loss_at;
      if (t.dloss && t.dloss_each) t.dloss += loss_at;
      sum += kernel(t, s0 - first, s1 - first);
      if (gs)
        for_sample_runs(b, b1, call.C, elementwise ? call.K : K, elementwise ? b * call.K : s0,
                        elementwise ? b1 * call.K : s1,
                        [&](int64_t off, int64_t len) { cv.from_f32(gs + off, h.grad + base + off, len); });
    }
    if (call.reduce) sums[k] = sum;
  });
  if (call.reduce) {
    double total = 0;
    for (int64_t k = 0; k < blocks; ++k) total += sums[k];
    if (reduction == XENT_REDUCTION_MEAN)
      total = denominator > 0 || denominator < 0 ? total / denominator : std::numeric_limits<double>::quiet_NaN();
    *loss = float(total);
  }
  if (sums != stack_sums) scratch_free(sums);
  return XENT_OK;
}

}  // namespace xent
