// The entry points of include/xent/xent_linear.h: the checks (checks.hpp), then the chunked
// driver (fused.hpp). A build without a BLAS keeps the symbols and returns
// XENT_ERR_UNSUPPORTED.
#include "xent/xent_linear.h"

#include "capi/error.hpp"
#include "linear/checks.hpp"
#include "linear/fused.hpp"

namespace xent::linear {

namespace {

template <class T, class L> xent_status entry(const Args<T, L> &a) {
  return capi::guarded(a.fn, [&]() -> xent_status {
    if (!XENT_HAVE_BLAS)
      return capi::fail(XENT_ERR_UNSUPPORTED, a.fn, "this build has no BLAS: rebuild with -Dblas=enabled");
    Checked c;
    if (xent_status s = check(a, &c)) return s;
    if (!run_fused(a, c))
      return capi::fail(XENT_ERR_OUT_OF_MEMORY, a.fn, "could not allocate the %lld x %lld logits tile",
                        (long long)chunk_rows(a.n), (long long)a.v);
    return XENT_OK;
  });
}

}  // namespace

}  // namespace xent::linear

using xent::linear::Args;
using xent::linear::entry;

#define XENT_LINEAR(T, suffix, L, lsuffix)                                                                       \
  XENT_API xent_status xent_linear_sparse_softmax_ce_##suffix##lsuffix(                                         \
      const T *hidden, const T *weight, const T *bias, const L *labels, int64_t n, int64_t h, int64_t v,        \
      const xent_options *opts, T *loss, T *d_hidden, T *d_weight, T *d_bias) {                                  \
    return entry(Args<T, L>{"xent_linear_sparse_softmax_ce_" #suffix #lsuffix, hidden, weight, bias, labels, n, \
                            h, v, opts, loss, nullptr, nullptr, d_hidden, d_weight, d_bias});                    \
  }                                                                                                              \
  XENT_API xent_status xent_linear_sparse_softmax_ce_backward_##suffix##lsuffix(                                \
      const T *hidden, const T *weight, const T *bias, const L *labels, int64_t n, int64_t h, int64_t v,        \
      const xent_options *opts, const T *dloss, const T *lse, T *d_hidden, T *d_weight, T *d_bias) {             \
    return entry(Args<T, L>{"xent_linear_sparse_softmax_ce_backward_" #suffix #lsuffix, hidden, weight, bias,    \
                            labels, n, h, v, opts, nullptr, dloss, lse, d_hidden, d_weight, d_bias});            \
  }

extern "C" {
XENT_API int xent_linear_available(void) { return XENT_HAVE_BLAS; }
XENT_LINEAR(float, f32, int64_t, )
XENT_LINEAR(float, f32, int32_t, _i32)
XENT_LINEAR(double, f64, int64_t, )
XENT_LINEAR(double, f64, int32_t, _i32)
}
