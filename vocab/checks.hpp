// Argument checks of the vocabulary-parallel entry points, in the order of
// docs/SEMANTICS.md (pointers, struct_size, shapes, option values, options that do not
// apply, overlap, labels), reusing the C API's own helpers so that messages and statuses
// are those of the single-process calls. Nothing is written before every check passed.
#pragma once

#include <cstdint>

#include "capi/buffers.hpp"
#include "capi/error.hpp"
#include "capi/labels.hpp"
#include "capi/options.hpp"
#include "xent/xent_vocab_parallel.h"

namespace xent::vocab {

using capi::fail;

enum class Step { forward, loss, grad };

// One call's arguments; pointers a step does not take are null. S: the element type of
// shard and grad; T: that of the math, partials, loss and options (float for 16-bit S).
template <class T, class L, class S = T> struct Args {
  const char *fn;
  Step step;
  const S *shard;
  const T *combined;
  const L *labels;
  int64_t batch, shard_classes, offset, classes;
  const xent_options *opts;
  T *partials, *loss;
  S *grad;
};

// What the checks found out: the options, and MEAN's divisor, the sum over counted rows
// of class_weight[label] * sample_weight (summed in row order, as the single-process call).
struct Checked {
  xent_options o;
  double denominator;
};

template <class T, class L, class S> xent_status check_pointers(const Args<T, L, S> &a) {
  const bool need_shard = a.step != Step::loss || a.grad;
  if (need_shard && !a.shard)
    return fail(XENT_ERR_NULL_POINTER, a.fn, "shard is NULL%s", a.step == Step::loss ? " (grad is not)" : "");
  if (a.step != Step::forward && !a.combined) return fail(XENT_ERR_NULL_POINTER, a.fn, "combined is NULL");
  if (!a.labels) return fail(XENT_ERR_NULL_POINTER, a.fn, "labels is NULL");
  if (a.step == Step::forward && !a.partials) return fail(XENT_ERR_NULL_POINTER, a.fn, "partials is NULL");
  if (a.step == Step::loss && !a.loss) return fail(XENT_ERR_NULL_POINTER, a.fn, "loss is NULL");
  if (a.step == Step::grad && !a.grad) return fail(XENT_ERR_NULL_POINTER, a.fn, "grad is NULL");
  return XENT_OK;
}

// The shard [class_offset, class_offset + shard_classes) must lie in [0, classes).
template <class T, class L, class S> xent_status check_shapes(const Args<T, L, S> &a, const xent_options &o) {
  if (a.batch < 0) return fail(XENT_ERR_INVALID_SHAPE, a.fn, "batch = %lld is negative", (long long)a.batch);
  if (a.classes < 1)
    return fail(XENT_ERR_INVALID_SHAPE, a.fn, "classes = %lld must be at least 1", (long long)a.classes);
  if (a.shard_classes < 1)
    return fail(XENT_ERR_INVALID_SHAPE, a.fn, "shard_classes = %lld must be at least 1", (long long)a.shard_classes);
  if (a.offset < 0 || a.offset > a.classes - a.shard_classes)
    return fail(XENT_ERR_INVALID_SHAPE, a.fn,
                "class_offset = %lld with shard_classes = %lld is not a shard of [0, classes = %lld)",
                (long long)a.offset, (long long)a.shard_classes, (long long)a.classes);
  if (o.inner < 1)
    return fail(XENT_ERR_INVALID_SHAPE, a.fn, "opts->inner = %lld must be at least 1", (long long)o.inner);
  int64_t n = 0;
  if (xent_status s = capi::element_count(a.fn, "batch * shard_classes", a.batch, a.shard_classes, 1, sizeof(S), &n))
    return s;
  return capi::element_count(a.fn, "XENT_VP_FIELDS * batch", XENT_VP_FIELDS, a.batch, 1, sizeof(T), &n);
}

// The options of xent_sparse_softmax_ce_with_logits, less those the shards cannot do:
// inner (the class axis must be last), logit_softcap (lse_partial has no transform), focal
// and Poly-1 (their row terms are not in the combined partials) and lse_out.
inline xent_status check_vocab_options(const char *fn, const xent_options &o) {
  if (xent_status s = capi::check_options(fn, o, Variant::sparse_softmax_ce_with_logits)) return s;
  if (o.inner != 1)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->inner = %lld: the vocabulary-parallel functions take the class axis last (set it to 1)",
                (long long)o.inner);
  if (o.logit_softcap != 0)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->logit_softcap = %g is not supported by the vocabulary-parallel functions (set it to 0)",
                o.logit_softcap);
  // Nor do the row terms of focal loss and Poly-1, nor an lse output (the lse of a row is
  // max + log(sumexp) of the combined partials, for a caller who needs it).
  if (o.focal_gamma != 0 || o.poly_epsilon != 0)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->%s = %g is not supported by the vocabulary-parallel functions (set it to 0)",
                o.focal_gamma != 0 ? "focal_gamma" : "poly_epsilon", o.focal_gamma != 0 ? o.focal_gamma : o.poly_epsilon);
  if (o.lse_out)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->lse_out is not supported by the vocabulary-parallel functions (set it to NULL)");
  return XENT_OK;
}

template <class T, class L, class S> xent_status check_overlap(const Args<T, L, S> &a, const xent_options &o) {
  const std::size_t z = sizeof(T), zs = sizeof(S), B = std::size_t(a.batch), n = B * std::size_t(a.shard_classes);
  const std::size_t n_loss = o.reduction == XENT_REDUCTION_NONE ? B : 1;
  return capi::check_no_alias(
      a.fn,
      {{"partials", a.partials, XENT_VP_FIELDS * B * z}, {"loss", a.loss, n_loss * z}, {"grad", a.grad, n * zs}},
      {{"shard", a.shard, n * zs},
       {"combined", a.combined, XENT_VP_FIELDS * B * z},
       {"labels", a.labels, B * sizeof(L)},
       {"opts->class_weights", o.class_weights, std::size_t(a.classes) * z},
       {"opts->sample_weights", o.sample_weights, B * z}},
      a.grad);
}

template <class T, class L, class S> xent_status check(const Args<T, L, S> &a, Checked *out) {
  if (xent_status s = check_pointers(a)) return s;
  const xent_options *o = nullptr;
  if (xent_status s = capi::read_options(a.fn, a.opts, &out->o, &o)) return s;
  if (o != &out->o) out->o = *o;  // kept in Checked
  if (xent_status s = check_shapes(a, out->o)) return s;
  if (xent_status s = check_vocab_options(a.fn, out->o)) return s;
  if (xent_status s = check_overlap(a, out->o)) return s;
  // Every label in [0, classes) or ignore_index; sums MEAN's divisor on the way.
  return capi::check_labels<T>(a.fn, a.labels, a.batch, a.classes, out->o, &out->denominator);
}

}  // namespace xent::vocab
