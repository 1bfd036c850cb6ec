// The function table of one ISA: what the C API and the parallel driver call.
// Each ISA library (src/isa/*.cpp) fills one; src/dispatch.cpp picks one on the first call.
#pragma once

#include <cstdint>

#include "kernels/loss_call.hpp"

namespace xent {

enum class Unary : int { exp = 0, log, log1p, sigmoid, softplus, log_sigmoid, count };

template <class T> struct KernelTable {
  void (*unary[int(Unary::count)])(const T *x, T *y, int64_t n);
  // Rows [r0, r1) of a (rows, cols) matrix: any of max/sum (lse_partial) and lse may be null.
  // row_threads > 1 splits each row between threads (same bits as 1).
  void (*lse_rows)(const T *x, int64_t r0, int64_t r1, int64_t cols, T *max_out, T *sum_out, T *lse_out,
                   int row_threads);
  void (*softmax_rows)(const T *x, int64_t r0, int64_t r1, int64_t cols, T *y, bool log_output, int row_threads);
  // Units [u0, u1) of a loss (samples, or rows b for element-wise variants); returns the
  // sum of their losses in double.
  double (*loss_block[int(Variant::count)])(const LossCall<T> &call, int64_t u0, int64_t u1);
};

struct KernelTables {
  const char *isa;
  KernelTable<float> f32;
  KernelTable<double> f64;
};

// Built per ISA; each returns null when that ISA was not compiled in.
const KernelTables *tables_avx512();
const KernelTables *tables_avx2();
const KernelTables *tables_sse2();
const KernelTables *tables_neon();
const KernelTables *tables_scalar();

// The tables in use: chosen once from the CPU and XENT_ISA (src/dispatch.cpp); inline
// after the first call (every call of the API goes through here).
const KernelTables &choose_tables();
inline const KernelTables &active_tables() {
  static const KernelTables &chosen = choose_tables();
  return chosen;
}
template <class T> inline const KernelTable<T> &kernels();
template <> inline const KernelTable<float> &kernels<float>() { return active_tables().f32; }
template <> inline const KernelTable<double> &kernels<double>() { return active_tables().f64; }

}  // namespace xent
