// The function table of one ISA: what the C API and the parallel driver call.
// Each ISA library (src/isa/, compiled once per ISA) fills one; src/dispatch.cpp picks one on the first call.
#pragma once

#include <atomic>
#include <cstdint>

#include "kernels/loss_call.hpp"
#include "xent/xent.h"

namespace xent {

enum class Unary : int { exp = 0, log, log1p, sigmoid, softplus, log_sigmoid, count };

template <class T> struct KernelTable {
  void (*unary[int(Unary::count)])(const T *x, T *y, int64_t n);
  // Rows [r0, r1) of a (rows, cols) matrix: any of max/sum (lse_partial) and lse may be null.
  // row_threads > 1 splits each row between threads (same bits as 1).
  void (*lse_rows)(const T *x, int64_t r0, int64_t r1, int64_t cols, T *max_out, T *sum_out, T *lse_out,
                   int row_threads);
  void (*softmax_rows)(const T *x, int64_t r0, int64_t r1, int64_t cols, T *y, bool log_output, int row_threads);
  // The same over the middle axis of an (outer, cols, inner) array, inner > 1: units
  // [u0, u1), unit u = tile u % tiles of outer index u / tiles, tiles = ceil(inner /
  // axis_tile_lanes). max/sum/lse are (outer, inner) arrays, any of them may be null.
  int64_t axis_tile_lanes;
  void (*lse_axis)(const T *x, int64_t u0, int64_t u1, int64_t cols, int64_t inner, T *max_out, T *sum_out,
                   T *lse_out);
  void (*softmax_axis)(const T *x, int64_t u0, int64_t u1, int64_t cols, int64_t inner, T *y, bool log_output);
  // Units [u0, u1) of a loss (samples, or rows b for element-wise variants); returns the
  // sum of their losses in double.
  double (*loss_block[int(Variant::count)])(const LossCall<T> &call, int64_t u0, int64_t u1);
  // Sparse softmax CE with logits of a whole validated call with plain options (labels in
  // range, no weights) and contiguous rows of C <= short_sparse_classes: per-sample losses
  // or the reduced one into loss, gradients into grad (or null). The entry point's
  // arguments (the reduction for the options) and XENT_OK returned, for a tail call from
  // the C API: a tiny call is mostly fixed costs.
  int64_t short_sparse_classes;
  xent_status (*short_sparse64)(const T *x, const int64_t *labels, int64_t B, int64_t C, xent_reduction reduction,
                                T *loss, T *grad);
  xent_status (*short_sparse32)(const T *x, const int32_t *labels, int64_t B, int64_t C, xent_reduction reduction,
                                T *loss, T *grad);
  // The same for softmax CE with soft targets (targets t), rows of C <= short_dense_classes.
  int64_t short_dense_classes;
  xent_status (*short_dense)(const T *x, const T *t, int64_t B, int64_t C, xent_reduction reduction, T *loss,
                             T *grad);
};

// The 16-bit storage formats of the _bf16 / _f16 entry points (0: bfloat16, 1: binary16).
enum class HalfFormat : int { bf16 = 0, f16 = 1, count };

// Conversions of n values between a 16-bit format and float (src/kernels/half_convert.hpp),
// and the one loss kernel that reads 16-bit rows itself: the sparse softmax CE's loss alone
// for samples [s0, s1) of a call that passes plain_sparse_half_loss, x the 16-bit input
// (src/kernels/sparse_half_rows.hpp).
struct HalfConvert {
  void (*to_f32)(const uint16_t *h, float *f, int64_t n);
  void (*from_f32)(const float *f, uint16_t *h, int64_t n);  // round to nearest even
  void (*sparse_loss_rows)(const uint16_t *x, uint16_t *grad, const LossCall<float> &call, int64_t s0, int64_t s1,
                           void (*narrow)(const float *f, uint16_t *h, int64_t n));
};

struct KernelTables {
  const char *isa;
  KernelTable<float> f32;
  KernelTable<double> f64;
  HalfConvert half[int(HalfFormat::count)];
  template <class T> const KernelTable<T> &get() const {
    if constexpr (sizeof(T) == sizeof(float)) return f32;
    else return f64;
  }
};

// Built per ISA; each returns null when that ISA was not compiled in.
const KernelTables *tables_avx512();
const KernelTables *tables_avx2();
const KernelTables *tables_sse2();
const KernelTables *tables_neon();
const KernelTables *tables_scalar();

// The tables in use: chosen once from the CPU and XENT_ISA (src/dispatch.cpp), by the
// first call that needs them. chosen_tables() is null before that: a plain load, no call
// (the C API's short route then declines, and keeps no frame).
namespace detail {
inline std::atomic<const KernelTables *> g_chosen_tables{nullptr};  // set by choose_tables
}
const KernelTables &choose_tables();
inline const KernelTables *chosen_tables() { return detail::g_chosen_tables.load(std::memory_order_acquire); }
inline const KernelTables &active_tables() {
  if (const KernelTables *t = chosen_tables()) return *t;
  return choose_tables();
}
template <class T> inline const KernelTable<T> &kernels() { return active_tables().get<T>(); }

}  // namespace xent
