// The kernel entry points: element-wise math, logsumexp, softmax, log_softmax and the
// sharded lse pair. Validation, then the active ISA's kernels over deterministic blocks.
#include <algorithm>
#include <cmath>
#include <limits>

#include "capi/buffers.hpp"
#include "capi/error.hpp"
#include "capi/half.hpp"
#include "driver/run_half.hpp"
#include "driver/parallel_for.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"

namespace xent::capi {

namespace {

xent_status need(const char *fn, const void *p, const char *name) {
  return p ? XENT_OK : fail(XENT_ERR_NULL_POINTER, fn, "%s is NULL", name);
}

constexpr int64_t kUnaryGrain = 4096;

// S: the element type of x and y (float, double, or 16-bit computed in float).
template <class S> xent_status unary(const char *fn, Unary op, const S *x, S *y, int64_t n) {
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, x, "x")) return s;
    if (xent_status s = need(fn, y, "y")) return s;
    if (n < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "n = %lld is negative", (long long)n);
    int64_t count = 0;
    if (xent_status s = element_count(fn, "n", n, 1, 1, sizeof(S), &count)) return s;
    const std::size_t bytes = std::size_t(n) * sizeof(S);
    if (xent_status s = check_no_alias(fn, {{"y", y, bytes}}, {{"x", x, bytes}}, y)) return s;
    const auto kernel = kernels<math_t<S>>().unary[int(op)];
    const int64_t units = (n + kUnaryGrain - 1) / kUnaryGrain;
    parallel_blocks(units, threads_for(n, 0), [&](int64_t, int64_t u0, int64_t u1) {
      if constexpr (is_half_v<S>) {
        const HalfConvert &cv = half_convert<S>();
        alignas(64) float buf[kUnaryGrain];  // one unit, converted, computed, rounded back
        for (int64_t u = u0; u < u1; ++u) {
          const int64_t i0 = u * kUnaryGrain, len = std::min(n, i0 + kUnaryGrain) - i0;
          cv.to_f32(bits(x) + i0, buf, len);
          kernel(buf, buf, len);
          cv.from_f32(buf, bits(y) + i0, len);
        }
      } else {
        const int64_t i0 = u0 * kUnaryGrain, i1 = std::min(n, u1 * kUnaryGrain);
        kernel(x + i0, y + i0, i1 - i0);
      }
    });
    return XENT_OK;
  });
}

template <class S> xent_status matrix_shape(const char *fn, int64_t rows, int64_t cols, int64_t *count) {
  if (rows < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "rows = %lld is negative", (long long)rows);
  if (cols < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "cols = %lld must be at least 1", (long long)cols);
  return element_count(fn, "rows * cols", rows, cols, 1, sizeof(S), count);
}

// Runs rows_kernel(xf, r0, r1, row_threads) over every row of x: directly, or for 16-bit
// x on f32 copies of tiles of rows (xf then holds the tile's rows from r0, the tile's
// first row, and rows_kernel gets r1 - r0 rows). done(r0, r1, xf) follows each tile.
template <class S, class Rows, class Done>
xent_status for_row_tiles(const char *fn, const S *x, int64_t rows, int64_t cols, Rows rows_kernel, Done done) {
  if constexpr (!is_half_v<S>) {
    const ThreadPlan plan = plan_threads(rows, threads_for(rows * cols, 0));
    parallel_blocks(rows, plan.across_rows,
                    [&](int64_t, int64_t r0, int64_t r1) { rows_kernel(x, r0, r1, plan.inside_rows); });
    return XENT_OK;
  } else {
    const int threads = std::max(1, threads_for(rows * cols, 0));
    const int64_t tile = std::max<int64_t>(1, kHalfTileElements / cols);
    HalfScratch scratch(rows > 0 ? threads : 0, 1, tile * cols);
    if (rows > 0 && !scratch.ok())
      return fail(XENT_ERR_OUT_OF_MEMORY, fn, "could not allocate the f32 scratch of the 16-bit conversion");
    const HalfConvert &cv = half_convert<S>();
    // Rows are independent: one span of rows per thread, converted a tile at a time.
    parallel_blocks_tid(rows, std::min<int64_t>(rows, threads), threads, [&](int64_t, int64_t r0, int64_t r1, int tid) {
      float *xf = scratch.get(tid, 0);
      for (int64_t r = r0; r < r1; r += tile) {
        const int64_t e = std::min(r1, r + tile);
        cv.to_f32(bits(x) + r * cols, xf, (e - r) * cols);
        rows_kernel(static_cast<const float *>(xf), r, e, 1);
        done(r, e, xf);
      }
    });
    return XENT_OK;
  }
}

// max / sum / lse of every row (any of them null), T the output type.
template <class S, class T> xent_status lse_rows_all(const char *fn, const S *x, int64_t rows, int64_t cols, T *mx,
                                                     T *sm, T *lse) {
  const auto kernel = kernels<T>().lse_rows;
  return for_row_tiles(
      fn, x, rows, cols,
      [&](const T *xs, int64_t r0, int64_t r1, int row_threads) {
        if constexpr (is_half_v<S>)  // xs: the tile alone; outputs from row r0
          kernel(xs, 0, r1 - r0, cols, mx ? mx + r0 : nullptr, sm ? sm + r0 : nullptr, lse ? lse + r0 : nullptr, 1);
        else
          kernel(xs, r0, r1, cols, mx, sm, lse, row_threads);
      },
      [](int64_t, int64_t, float *) {});
}

template <class S> xent_status logsumexp(const char *fn, const S *x, int64_t rows, int64_t cols, math_t<S> *out) {
  using T = math_t<S>;
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, x, "x")) return s;
    if (xent_status s = need(fn, out, "out")) return s;
    int64_t n = 0;
    if (xent_status s = matrix_shape<S>(fn, rows, cols, &n)) return s;
    if (xent_status s = check_no_alias(fn, {{"out", out, std::size_t(rows) * sizeof(T)}},
                                       {{"x", x, std::size_t(n) * sizeof(S)}}))
      return s;
    return lse_rows_all<S, T>(fn, x, rows, cols, nullptr, nullptr, out);
  });
}

template <class S> xent_status softmax(const char *fn, const S *x, int64_t rows, int64_t cols, S *y, bool log_output) {
  using T = math_t<S>;
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, x, "x")) return s;
    if (xent_status s = need(fn, y, "y")) return s;
    int64_t n = 0;
    if (xent_status s = matrix_shape<S>(fn, rows, cols, &n)) return s;
    const std::size_t bytes = std::size_t(n) * sizeof(S);
    if (xent_status s = check_no_alias(fn, {{"y", y, bytes}}, {{"x", x, bytes}}, y)) return s;
    const auto kernel = kernels<T>().softmax_rows;
    return for_row_tiles(
        fn, x, rows, cols,
        [&](const T *xs, int64_t r0, int64_t r1, int row_threads) {
          if constexpr (is_half_v<S>)  // in place in the tile, rounded back by done()
            kernel(xs, 0, r1 - r0, cols, const_cast<T *>(xs), log_output, 1);
          else
            kernel(xs, r0, r1, cols, y, log_output, row_threads);
        },
        [&](int64_t r0, int64_t r1, float *ys) {
          if constexpr (is_half_v<S>) half_convert<S>().from_f32(ys, bits(y) + r0 * cols, (r1 - r0) * cols);
        });
  });
}

template <class S>
xent_status lse_partial(const char *fn, const S *x, int64_t rows, int64_t cols, math_t<S> *max_out,
                        math_t<S> *sum_out) {
  using T = math_t<S>;
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, x, "x")) return s;
    if (xent_status s = need(fn, max_out, "max_out")) return s;
    if (xent_status s = need(fn, sum_out, "sum_out")) return s;
    int64_t n = 0;
    if (xent_status s = matrix_shape<S>(fn, rows, cols, &n)) return s;
    const std::size_t rb = std::size_t(rows) * sizeof(T);
    if (xent_status s = check_no_alias(fn, {{"max_out", max_out, rb}, {"sum_out", sum_out, rb}},
                                       {{"x", x, std::size_t(n) * sizeof(S)}}))
      return s;
    return lse_rows_all<S, T>(fn, x, rows, cols, max_out, sum_out, nullptr);
  });
}

template <class T> double part_lse(const T *mx, const T *sm, int64_t rows, int64_t p, int64_t r) {
  const double m = double(mx[p * rows + r]), s = double(sm[p * rows + r]);
  if (std::isnan(m) || std::isnan(s)) return std::numeric_limits<double>::quiet_NaN();
  return s == 0 ? -std::numeric_limits<double>::infinity() : m + std::log(s);
}

template <class T> T merge_row(const T *mx, const T *sm, int64_t parts, int64_t rows, int64_t r) {
  double top = -std::numeric_limits<double>::infinity();
  for (int64_t p = 0; p < parts; ++p) {
    const double l = part_lse(mx, sm, rows, p, r);
    if (std::isnan(l)) return std::numeric_limits<T>::quiet_NaN();
    top = l > top ? l : top;
  }
  if (!std::isfinite(top)) return T(top);  // every part neutral (-inf), or a +inf logit
  double S = 0;
  for (int64_t p = 0; p < parts; ++p) S += std::exp(part_lse(mx, sm, rows, p, r) - top);
  return T(top + std::log(S));
}

template <class T>
xent_status lse_merge(const char *fn, const T *mx, const T *sm, int64_t parts, int64_t rows, T *lse) {
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, mx, "max")) return s;
    if (xent_status s = need(fn, sm, "sum")) return s;
    if (xent_status s = need(fn, lse, "lse")) return s;
    if (parts < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "parts = %lld must be at least 1", (long long)parts);
    if (rows < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "rows = %lld is negative", (long long)rows);
    int64_t n = 0;
    if (xent_status s = element_count(fn, "parts * rows", parts, rows, 1, sizeof(T), &n)) return s;
    const std::size_t bytes = std::size_t(n) * sizeof(T);
    if (xent_status s = check_no_alias(fn, {{"lse", lse, std::size_t(rows) * sizeof(T)}},
                                       {{"max", mx, bytes}, {"sum", sm, bytes}}))
      return s;
    parallel_blocks(rows, threads_for(n, 0), [&](int64_t, int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) lse[r] = merge_row(mx, sm, parts, rows, r);
    });
    return XENT_OK;
  });
}

}  // namespace

}  // namespace xent::capi

using xent::Unary;
namespace capi = xent::capi;

#define XENT_UNARY(name, op)                                                               \
  XENT_API xent_status xent_##name##_f32(const float *x, float *y, int64_t n) {           \
    return capi::unary("xent_" #name "_f32", op, x, y, n);                                 \
  }                                                                                        \
  XENT_API xent_status xent_##name##_f64(const double *x, double *y, int64_t n) {         \
    return capi::unary("xent_" #name "_f64", op, x, y, n);                                 \
  }

extern "C" {
XENT_UNARY(exp, Unary::exp)
XENT_UNARY(log, Unary::log)
XENT_UNARY(log1p, Unary::log1p)
XENT_UNARY(sigmoid, Unary::sigmoid)
XENT_UNARY(softplus, Unary::softplus)
XENT_UNARY(log_sigmoid, Unary::log_sigmoid)

XENT_API xent_status xent_logsumexp_f32(const float *x, int64_t rows, int64_t cols, float *out) {
  return capi::logsumexp("xent_logsumexp_f32", x, rows, cols, out);
}
XENT_API xent_status xent_logsumexp_f64(const double *x, int64_t rows, int64_t cols, double *out) {
  return capi::logsumexp("xent_logsumexp_f64", x, rows, cols, out);
}
XENT_API xent_status xent_softmax_f32(const float *x, int64_t rows, int64_t cols, float *y) {
  return capi::softmax("xent_softmax_f32", x, rows, cols, y, false);
}
XENT_API xent_status xent_softmax_f64(const double *x, int64_t rows, int64_t cols, double *y) {
  return capi::softmax("xent_softmax_f64", x, rows, cols, y, false);
}
XENT_API xent_status xent_log_softmax_f32(const float *x, int64_t rows, int64_t cols, float *y) {
  return capi::softmax("xent_log_softmax_f32", x, rows, cols, y, true);
}
XENT_API xent_status xent_log_softmax_f64(const double *x, int64_t rows, int64_t cols, double *y) {
  return capi::softmax("xent_log_softmax_f64", x, rows, cols, y, true);
}
XENT_API xent_status xent_lse_partial_f32(const float *x, int64_t rows, int64_t cols, float *max_out, float *sum_out) {
  return capi::lse_partial("xent_lse_partial_f32", x, rows, cols, max_out, sum_out);
}
XENT_API xent_status xent_lse_partial_f64(const double *x, int64_t rows, int64_t cols, double *max_out,
                                          double *sum_out) {
  return capi::lse_partial("xent_lse_partial_f64", x, rows, cols, max_out, sum_out);
}
XENT_API xent_status xent_lse_merge_f32(const float *max, const float *sum, int64_t parts, int64_t rows, float *lse) {
  return capi::lse_merge("xent_lse_merge_f32", max, sum, parts, rows, lse);
}
XENT_API xent_status xent_lse_merge_f64(const double *max, const double *sum, int64_t parts, int64_t rows,
                                        double *lse) {
  return capi::lse_merge("xent_lse_merge_f64", max, sum, parts, rows, lse);
}

// 16-bit storage, f32 math.
XENT_API xent_status xent_exp_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n) {
  return capi::unary("xent_exp_bf16", Unary::exp, x, y, n);
}
XENT_API xent_status xent_log_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n) {
  return capi::unary("xent_log_bf16", Unary::log, x, y, n);
}
XENT_API xent_status xent_log1p_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n) {
  return capi::unary("xent_log1p_bf16", Unary::log1p, x, y, n);
}
XENT_API xent_status xent_sigmoid_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n) {
  return capi::unary("xent_sigmoid_bf16", Unary::sigmoid, x, y, n);
}
XENT_API xent_status xent_softplus_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n) {
  return capi::unary("xent_softplus_bf16", Unary::softplus, x, y, n);
}
XENT_API xent_status xent_log_sigmoid_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n) {
  return capi::unary("xent_log_sigmoid_bf16", Unary::log_sigmoid, x, y, n);
}
XENT_API xent_status xent_logsumexp_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, float *out) {
  return capi::logsumexp("xent_logsumexp_bf16", x, rows, cols, out);
}
XENT_API xent_status xent_softmax_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, xent_bf16 *y) {
  return capi::softmax("xent_softmax_bf16", x, rows, cols, y, false);
}
XENT_API xent_status xent_log_softmax_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, xent_bf16 *y) {
  return capi::softmax("xent_log_softmax_bf16", x, rows, cols, y, true);
}
XENT_API xent_status xent_lse_partial_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, float *max_out, float *sum_out) {
  return capi::lse_partial("xent_lse_partial_bf16", x, rows, cols, max_out, sum_out);
}
XENT_API xent_status xent_exp_f16(const xent_f16 *x, xent_f16 *y, int64_t n) {
  return capi::unary("xent_exp_f16", Unary::exp, x, y, n);
}
XENT_API xent_status xent_log_f16(const xent_f16 *x, xent_f16 *y, int64_t n) {
  return capi::unary("xent_log_f16", Unary::log, x, y, n);
}
XENT_API xent_status xent_log1p_f16(const xent_f16 *x, xent_f16 *y, int64_t n) {
  return capi::unary("xent_log1p_f16", Unary::log1p, x, y, n);
}
XENT_API xent_status xent_sigmoid_f16(const xent_f16 *x, xent_f16 *y, int64_t n) {
  return capi::unary("xent_sigmoid_f16", Unary::sigmoid, x, y, n);
}
XENT_API xent_status xent_softplus_f16(const xent_f16 *x, xent_f16 *y, int64_t n) {
  return capi::unary("xent_softplus_f16", Unary::softplus, x, y, n);
}
XENT_API xent_status xent_log_sigmoid_f16(const xent_f16 *x, xent_f16 *y, int64_t n) {
  return capi::unary("xent_log_sigmoid_f16", Unary::log_sigmoid, x, y, n);
}
XENT_API xent_status xent_logsumexp_f16(const xent_f16 *x, int64_t rows, int64_t cols, float *out) {
  return capi::logsumexp("xent_logsumexp_f16", x, rows, cols, out);
}
XENT_API xent_status xent_softmax_f16(const xent_f16 *x, int64_t rows, int64_t cols, xent_f16 *y) {
  return capi::softmax("xent_softmax_f16", x, rows, cols, y, false);
}
XENT_API xent_status xent_log_softmax_f16(const xent_f16 *x, int64_t rows, int64_t cols, xent_f16 *y) {
  return capi::softmax("xent_log_softmax_f16", x, rows, cols, y, true);
}
XENT_API xent_status xent_lse_partial_f16(const xent_f16 *x, int64_t rows, int64_t cols, float *max_out, float *sum_out) {
  return capi::lse_partial("xent_lse_partial_f16", x, rows, cols, max_out, sum_out);
}
}
