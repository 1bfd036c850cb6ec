// The softmax-family entry points over the middle axis of an (outer, cols, inner) array:
// validation, then inner = 1 handed to the last-axis entry points (their bits, by
// construction) and inner > 1 to the active ISA's axis kernels over deterministic blocks
// of (outer index, tile of inner) units.
#include "capi/buffers.hpp"
#include "capi/error.hpp"
#include "driver/parallel_for.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"

namespace xent::capi {

namespace {

// The last-axis entry points of T, for inner = 1.
template <class T> struct LastAxis;
template <> struct LastAxis<float> {
  static constexpr auto logsumexp = xent_logsumexp_f32;
  static constexpr auto softmax = xent_softmax_f32;
  static constexpr auto log_softmax = xent_log_softmax_f32;
  static constexpr auto lse_partial = xent_lse_partial_f32;
};
template <> struct LastAxis<double> {
  static constexpr auto logsumexp = xent_logsumexp_f64;
  static constexpr auto softmax = xent_softmax_f64;
  static constexpr auto log_softmax = xent_log_softmax_f64;
  static constexpr auto lse_partial = xent_lse_partial_f64;
};

xent_status need(const char *fn, const void *p, const char *name) {
  return p ? XENT_OK : fail(XENT_ERR_NULL_POINTER, fn, "%s is NULL", name);
}

// outer >= 0, cols >= 1, inner >= 1, outer*cols*inner addressable: the element count.
template <class T>
xent_status axis_shape(const char *fn, int64_t outer, int64_t cols, int64_t inner, int64_t *count) {
  if (outer < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "outer = %lld is negative", (long long)outer);
  if (cols < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "cols = %lld must be at least 1", (long long)cols);
  if (inner < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "inner = %lld must be at least 1", (long long)inner);
  return element_count(fn, "outer * cols * inner", outer, cols, inner, sizeof(T), count);
}

// The units of the axis kernels on `threads` (blocks depend only on the shape).
template <class T, class Body> void for_axis_units(int64_t outer, int64_t inner, int64_t n, Body &&body) {
  const int64_t lanes = kernels<T>().axis_tile_lanes;
  const int64_t units = outer * ((inner + lanes - 1) / lanes);
  parallel_blocks(units, threads_for(n, 0), [&](int64_t, int64_t u0, int64_t u1) { body(u0, u1); });
}

// logsumexp (partial false: lse_out) or lse_partial (partial: max_out and sum_out).
template <class T>
xent_status lse_axis(const char *fn, bool partial, const T *x, int64_t outer, int64_t cols, int64_t inner,
                     T *max_out, T *sum_out, T *lse_out) {
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, x, "x")) return s;
    if (partial) {
      if (xent_status s = need(fn, max_out, "max_out")) return s;
      if (xent_status s = need(fn, sum_out, "sum_out")) return s;
    } else if (xent_status s = need(fn, lse_out, "out")) {
      return s;
    }
    int64_t n = 0;
    if (xent_status s = axis_shape<T>(fn, outer, cols, inner, &n)) return s;
    const std::size_t ob = std::size_t(outer) * std::size_t(inner) * sizeof(T), xb = std::size_t(n) * sizeof(T);
    if (partial) {
      if (xent_status s = check_no_alias(fn, {{"max_out", max_out, ob}, {"sum_out", sum_out, ob}}, {{"x", x, xb}}))
        return s;
      if (inner == 1) return LastAxis<T>::lse_partial(x, outer, cols, max_out, sum_out);
    } else {
      if (xent_status s = check_no_alias(fn, {{"out", lse_out, ob}}, {{"x", x, xb}})) return s;
      if (inner == 1) return LastAxis<T>::logsumexp(x, outer, cols, lse_out);
    }
    const auto kernel = kernels<T>().lse_axis;
    for_axis_units<T>(outer, inner, n,
                      [&](int64_t u0, int64_t u1) { kernel(x, u0, u1, cols, inner, max_out, sum_out, lse_out); });
    return XENT_OK;
  });
}

template <class T>
xent_status softmax_axis(const char *fn, const T *x, int64_t outer, int64_t cols, int64_t inner, T *y,
                         bool log_output) {
  return guarded(fn, [&]() -> xent_status {
    if (xent_status s = need(fn, x, "x")) return s;
    if (xent_status s = need(fn, y, "y")) return s;
    int64_t n = 0;
    if (xent_status s = axis_shape<T>(fn, outer, cols, inner, &n)) return s;
    const std::size_t bytes = std::size_t(n) * sizeof(T);
    if (xent_status s = check_no_alias(fn, {{"y", y, bytes}}, {{"x", x, bytes}}, y)) return s;
    if (inner == 1) return (log_output ? LastAxis<T>::log_softmax : LastAxis<T>::softmax)(x, outer, cols, y);
    const auto kernel = kernels<T>().softmax_axis;
    for_axis_units<T>(outer, inner, n, [&](int64_t u0, int64_t u1) { kernel(x, u0, u1, cols, inner, y, log_output); });
    return XENT_OK;
  });
}

}  // namespace

}  // namespace xent::capi

namespace capi = xent::capi;

extern "C" {
XENT_API xent_status xent_logsumexp_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner, float *out) {
  return capi::lse_axis<float>("xent_logsumexp_axis_f32", false, x, outer, cols, inner, nullptr, nullptr, out);
}
XENT_API xent_status xent_logsumexp_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner,
                                             double *out) {
  return capi::lse_axis<double>("xent_logsumexp_axis_f64", false, x, outer, cols, inner, nullptr, nullptr, out);
}
XENT_API xent_status xent_softmax_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner, float *y) {
  return capi::softmax_axis("xent_softmax_axis_f32", x, outer, cols, inner, y, false);
}
XENT_API xent_status xent_softmax_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner, double *y) {
  return capi::softmax_axis("xent_softmax_axis_f64", x, outer, cols, inner, y, false);
}
XENT_API xent_status xent_log_softmax_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner, float *y) {
  return capi::softmax_axis("xent_log_softmax_axis_f32", x, outer, cols, inner, y, true);
}
XENT_API xent_status xent_log_softmax_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner,
                                               double *y) {
  return capi::softmax_axis("xent_log_softmax_axis_f64", x, outer, cols, inner, y, true);
}
XENT_API xent_status xent_lse_partial_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner,
                                               float *max_out, float *sum_out) {
  return capi::lse_axis<float>("xent_lse_partial_axis_f32", true, x, outer, cols, inner, max_out, sum_out, nullptr);
}
XENT_API xent_status xent_lse_partial_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner,
                                               double *max_out, double *sum_out) {
  return capi::lse_axis<double>("xent_lse_partial_axis_f64", true, x, outer, cols, inner, max_out, sum_out, nullptr);
}
}
