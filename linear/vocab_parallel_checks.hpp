// One call of the vocabulary-parallel fused linear loss and its checks, in the C API's
// order (pointers, struct_size, shapes, option values, options off the variant, overlap,
// labels), through the helpers of the single-process forms so that the messages match.
#pragma once

#include <climits>
#include <cstddef>

#include "capi/buffers.hpp"
#include "capi/error.hpp"
#include "capi/labels.hpp"
#include "capi/options.hpp"
#include "linear/args.hpp"
#include "vocab/checks.hpp"
#include "xent/xent_linear.h"

namespace xent::linear {

template <class T, class L> struct VocabArgs {
  const char *fn;
  const T *hidden, *weight, *bias;  // weight and bias: this process's shard
  const L *labels;
  int64_t n, h, shard_classes, offset, classes;
  const xent_options *opts;
  const xent_collective *comm;
  T *loss;         // forward: required
  const T *dloss;  // backward: required (then loss is NULL)
  T *d_hidden, *d_weight, *d_bias;
  bool backward() const { return loss == nullptr; }
  bool want_grad() const { return d_hidden || d_weight || d_bias; }
};

template <class T, class L> xent_status check(const VocabArgs<T, L> &a, Checked *out) {
  using capi::fail;
  const char *fn = a.fn;
  if (!a.hidden) return fail(XENT_ERR_NULL_POINTER, fn, "hidden is NULL");
  if (!a.weight) return fail(XENT_ERR_NULL_POINTER, fn, "weight is NULL");
  if (!a.labels) return fail(XENT_ERR_NULL_POINTER, fn, "labels is NULL");
  if (!a.comm) return fail(XENT_ERR_NULL_POINTER, fn, "comm is NULL");
  if (!a.comm->allreduce) return fail(XENT_ERR_NULL_POINTER, fn, "comm->allreduce is NULL");
  if (!a.backward() && !a.loss) return fail(XENT_ERR_NULL_POINTER, fn, "loss is NULL");
  if (a.backward() && !a.dloss) return fail(XENT_ERR_NULL_POINTER, fn, "dloss is NULL");

  const xent_options *opts = nullptr;
  if (xent_status s = capi::read_options(fn, a.opts, &out->o, &opts)) return s;
  if (opts != &out->o) out->o = *opts;
  const xent_options &o = out->o;

  if (a.n < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "n = %lld is negative", (long long)a.n);
  if (a.h < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "h = %lld must be at least 1", (long long)a.h);
  if (a.classes < 1) return fail(XENT_ERR_INVALID_SHAPE, fn, "classes = %lld must be at least 1", (long long)a.classes);
  if (a.shard_classes < 1)
    return fail(XENT_ERR_INVALID_SHAPE, fn, "shard_classes = %lld must be at least 1", (long long)a.shard_classes);
  if (a.offset < 0 || a.offset > a.classes - a.shard_classes)
    return fail(XENT_ERR_INVALID_SHAPE, fn,
                "class_offset = %lld with shard_classes = %lld is not a shard of [0, classes = %lld)",
                (long long)a.offset, (long long)a.shard_classes, (long long)a.classes);
  if (a.h > INT_MAX || a.shard_classes > INT_MAX)  // the BLAS's int dimensions
    return fail(XENT_ERR_INVALID_SHAPE, fn, "%s = %lld exceeds the BLAS's int range (%d)",
                a.h > INT_MAX ? "h" : "shard_classes", (long long)(a.h > INT_MAX ? a.h : a.shard_classes), INT_MAX);
  int64_t n_hidden = 0, n_weight = 0;
  if (xent_status s = capi::element_count(fn, "n * h", a.n, a.h, 1, sizeof(T), &n_hidden)) return s;
  if (xent_status s = capi::element_count(fn, "shard_classes * h", a.shard_classes, a.h, 1, sizeof(T), &n_weight))
    return s;

  if (xent_status s = vocab::check_vocab_options(fn, o)) return s;

  const std::size_t sz = sizeof(T), n = std::size_t(a.n), vs = std::size_t(a.shard_classes);
  const std::size_t n_loss = o.reduction == XENT_REDUCTION_NONE ? n : 1;
  if (xent_status s = capi::check_no_alias(fn,
                                           {{"loss", a.loss, n_loss * sz},
                                            {"d_hidden", a.d_hidden, std::size_t(n_hidden) * sz},
                                            {"d_weight", a.d_weight, std::size_t(n_weight) * sz},
                                            {"d_bias", a.d_bias, vs * sz}},
                                           {{"hidden", a.hidden, std::size_t(n_hidden) * sz},
                                            {"weight", a.weight, std::size_t(n_weight) * sz},
                                            {"bias", a.bias, vs * sz},
                                            {"labels", a.labels, n * sizeof(L)},
                                            {"opts->class_weights", o.class_weights, std::size_t(a.classes) * sz},
                                            {"opts->sample_weights", o.sample_weights, n * sz},
                                            {"dloss", a.dloss, n_loss * sz}}))
    return s;
  return capi::check_labels<T>(fn, a.labels, a.n, a.classes, o, &out->denominator);
}

}  // namespace xent::linear
