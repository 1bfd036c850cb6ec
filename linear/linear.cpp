// The entry points of include/xent/xent_linear.h: the checks (checks.hpp), then the chunked
// driver (fused.hpp). A build without a BLAS keeps the symbols and returns
// XENT_ERR_UNSUPPORTED.
#include "xent/xent_linear.h"

#include "capi/error.hpp"
#include "linear/checks.hpp"
#include "linear/fused.hpp"

namespace xent::linear {

namespace {

template <class S, class L> xent_status entry(const Args<S, L> &a) {
  return capi::guarded(a.fn, [&]() -> xent_status {
    if (!XENT_HAVE_BLAS)
      return capi::fail(XENT_ERR_UNSUPPORTED, a.fn, "this build has no BLAS: rebuild with -Dblas=enabled");
    Checked c;
    if (xent_status s = check(a, &c)) return s;
    if (!run_fused(a, c))
      return capi::fail(XENT_ERR_OUT_OF_MEMORY, a.fn, "could not allocate the %lld x %lld logits tile%s",
                        (long long)chunk_rows(a.n), (long long)a.v,
                        capi::is_half_v<S> ? " and the f32 scratch of the 16-bit operands" : "");
    return XENT_OK;
  });
}

}  // namespace

}  // namespace xent::linear

using xent::linear::Args;
using xent::linear::entry;

// S: hidden, weight, bias and the gradients; M: loss, dloss, lse (args.hpp).
#define XENT_LINEAR(S, M, suffix, L, lsuffix)                                                                    \
  XENT_API xent_status xent_linear_sparse_softmax_ce_##suffix##lsuffix(                                         \
      const S *hidden, const S *weight, const S *bias, const L *labels, int64_t n, int64_t h, int64_t v,        \
      const xent_options *opts, M *loss, S *d_hidden, S *d_weight, S *d_bias) {                                  \
    return entry(Args<S, L>{"xent_linear_sparse_softmax_ce_" #suffix #lsuffix, hidden, weight, bias, labels, n, \
                            h, v, opts, loss, nullptr, nullptr, d_hidden, d_weight, d_bias});                    \
  }                                                                                                              \
  XENT_API xent_status xent_linear_sparse_softmax_ce_backward_##suffix##lsuffix(                                \
      const S *hidden, const S *weight, const S *bias, const L *labels, int64_t n, int64_t h, int64_t v,        \
      const xent_options *opts, const M *dloss, const M *lse, S *d_hidden, S *d_weight, S *d_bias) {             \
    return entry(Args<S, L>{"xent_linear_sparse_softmax_ce_backward_" #suffix #lsuffix, hidden, weight, bias,    \
                            labels, n, h, v, opts, nullptr, dloss, lse, d_hidden, d_weight, d_bias});            \
  }

extern "C" {
XENT_API int xent_linear_available(void) { return XENT_HAVE_BLAS; }
XENT_LINEAR(float, float, f32, int64_t, )
XENT_LINEAR(float, float, f32, int32_t, _i32)
XENT_LINEAR(double, double, f64, int64_t, )
XENT_LINEAR(double, double, f64, int32_t, _i32)
XENT_LINEAR(xent_bf16, float, bf16, int64_t, )
XENT_LINEAR(xent_bf16, float, bf16, int32_t, _i32)
XENT_LINEAR(xent_f16, float, f16, int64_t, )
XENT_LINEAR(xent_f16, float, f16, int32_t, _i32)
}
