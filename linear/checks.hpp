// The checks of the fused linear loss, in the C API's order (docs/SEMANTICS.md): NULL
// pointers, struct_size, shapes, option values, options off the sparse softmax loss,
// aliasing, labels. The sparse loss's own checks (capi/) are reused for the options,
// buffers and labels, so the two reject the same calls with the same messages.
#pragma once

#include <climits>
#include <cstddef>

#include "capi/buffers.hpp"
#include "capi/error.hpp"
#include "capi/labels.hpp"
#include "capi/options.hpp"
#include "linear/args.hpp"

namespace xent::linear {


// S: the storage type of hidden, weight, bias and the gradients; M: that of the loss, lse,
// dloss and the options' weights (args.hpp).
template <class S, class L> xent_status check(const Args<S, L> &a, Checked *out) {
  using M = typename Args<S, L>::M;
  using capi::fail;
  const char *fn = a.fn;
  if (!a.hidden) return fail(XENT_ERR_NULL_POINTER, fn, "hidden is NULL");
  if (!a.weight) return fail(XENT_ERR_NULL_POINTER, fn, "weight is NULL");
  if (!a.labels) return fail(XENT_ERR_NULL_POINTER, fn, "labels is NULL");
  if (!a.backward() && !a.loss) return fail(XENT_ERR_NULL_POINTER, fn, "loss is NULL");
  if (a.backward() && !a.dloss) return fail(XENT_ERR_NULL_POINTER, fn, "dloss is NULL");

  xent_options copy;
  const xent_options *opts = nullptr;
  if (xent_status s = capi::read_options(fn, a.opts, &copy, &opts)) return s;
  const xent_options &o = *opts;

  if (a.n < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "n = %lld is negative", (long long)a.n);
  if (a.h < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "h = %lld must be at least 1", (long long)a.h);
  if (a.v < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "v = %lld must be at least 1", (long long)a.v);
  // The BLAS takes int dimensions and leading dimensions.
  if (a.h > INT_MAX || a.v > INT_MAX)
    return fail(XENT_ERR_INVALID_SHAPE, fn, "%s = %lld exceeds the BLAS's int range (%d)", a.h > INT_MAX ? "h" : "v",
                (long long)(a.h > INT_MAX ? a.h : a.v), INT_MAX);
  int64_t n_hidden = 0, n_weight = 0;
  if (xent_status s = capi::element_count(fn, "n * h", a.n, a.h, 1, sizeof(S), &n_hidden)) return s;
  if (xent_status s = capi::element_count(fn, "v * h", a.v, a.h, 1, sizeof(S), &n_weight)) return s;

  if (xent_status s = capi::check_options(fn, o, Variant::sparse_softmax_ce_with_logits)) return s;
  if (o.inner != 1)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->inner = %lld must be 1: tokens are the rows of hidden",
                (long long)o.inner);

  const std::size_t sz = sizeof(S), msz = sizeof(M), n = std::size_t(a.n), v = std::size_t(a.v);
  const std::size_t n_loss = o.reduction == XENT_REDUCTION_NONE ? n : 1;
  // As the sparse loss's backward: opts->lse_out is neither read nor written there (the
  // forward's options may be reused).
  M *const lse_out = a.backward() ? nullptr : static_cast<M *>(o.lse_out);
  if (xent_status s = capi::check_no_alias(fn,
                                           {{"loss", a.loss, n_loss * msz},
                                            {"opts->lse_out", lse_out, n * msz},
                                            {"d_hidden", a.d_hidden, std::size_t(n_hidden) * sz},
                                            {"d_weight", a.d_weight, std::size_t(n_weight) * sz},
                                            {"d_bias", a.d_bias, v * sz}},
                                           {{"hidden", a.hidden, std::size_t(n_hidden) * sz},
                                            {"weight", a.weight, std::size_t(n_weight) * sz},
                                            {"bias", a.bias, v * sz},
                                            {"labels", a.labels, n * sizeof(L)},
                                            {"opts->class_weights", o.class_weights, v * msz},
                                            {"opts->sample_weights", o.sample_weights, n * msz},
                                            {"dloss", a.dloss, n_loss * msz},
                                            {"lse", a.lse, n * msz}}))
    return s;

  if (xent_status s = capi::check_labels<M>(fn, a.labels, a.n, a.v, o, &out->denominator)) return s;
  out->o = o;
  out->o.lse_out = lse_out;
  return XENT_OK;
}

}  // namespace xent::linear
