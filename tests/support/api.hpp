// Typed access to the public C API: Api<float> / Api<double> name every entry point, and
// call_loss() invokes any of the six loss variants with either label width.
#pragma once

#include <cstdint>
#include <string>

#include "reference/ref_losses.hpp"
#include "xent/xent.h"

namespace xt {

using ref::Variant;

template <class T> using LossFn = xent_status (*)(const T *, const T *, int64_t, int64_t, const xent_options *, T *, T *);
template <class T, class L>
using SparseFn = xent_status (*)(const T *, const L *, int64_t, int64_t, const xent_options *, T *, T *);
template <class T> using UnaryFn = xent_status (*)(const T *, T *, int64_t);
template <class T> using RowFn = xent_status (*)(const T *, int64_t, int64_t, T *);

template <class T> struct Api;

// Api<float> and Api<double>: every entry point of one element type, by its C name.
#define XT_DEFINE_API(T, SFX, TOL)                                                                    \
  template <> struct Api<T> {                                                                         \
    static constexpr const char *suffix = "_" #SFX;                                                   \
    static constexpr double tol = TOL;                                                                \
    static constexpr LossFn<T> sigmoid_ce = xent_sigmoid_ce_with_logits_##SFX;                        \
    static constexpr LossFn<T> softmax_ce = xent_softmax_ce_with_logits_##SFX;                        \
    static constexpr LossFn<T> binary_ce = xent_binary_ce_##SFX;                                      \
    static constexpr LossFn<T> categorical_ce = xent_categorical_ce_##SFX;                            \
    static constexpr SparseFn<T, int64_t> sparse_softmax_ce = xent_sparse_softmax_ce_with_logits_##SFX; \
    static constexpr SparseFn<T, int32_t> sparse_softmax_ce_i32 = xent_sparse_softmax_ce_with_logits_##SFX##_i32; \
    static constexpr SparseFn<T, int64_t> sparse_categorical_ce = xent_sparse_categorical_ce_##SFX;   \
    static constexpr SparseFn<T, int32_t> sparse_categorical_ce_i32 = xent_sparse_categorical_ce_##SFX##_i32; \
    static constexpr UnaryFn<T> exp = xent_exp_##SFX, log = xent_log_##SFX, log1p = xent_log1p_##SFX,  \
                                sigmoid = xent_sigmoid_##SFX, softplus = xent_softplus_##SFX,          \
                                log_sigmoid = xent_log_sigmoid_##SFX;                                  \
    static constexpr RowFn<T> logsumexp = xent_logsumexp_##SFX, softmax = xent_softmax_##SFX,          \
                              log_softmax = xent_log_softmax_##SFX;                                    \
    static constexpr auto lse_partial = xent_lse_partial_##SFX;                                       \
    static constexpr auto lse_merge = xent_lse_merge_##SFX;                                           \
  };

// Tolerances of SPEC section 4.
XT_DEFINE_API(float, f32, 1e-5)
XT_DEFINE_API(double, f64, 1e-11)
#undef XT_DEFINE_API

inline const char *variant_name(Variant v) {
  switch (v) {
    case Variant::SigmoidLogits: return "xent_sigmoid_ce_with_logits";
    case Variant::SoftmaxLogits: return "xent_softmax_ce_with_logits";
    case Variant::SparseSoftmaxLogits: return "xent_sparse_softmax_ce_with_logits";
    case Variant::Binary: return "xent_binary_ce";
    case Variant::Categorical: return "xent_categorical_ce";
    case Variant::SparseCategorical: return "xent_sparse_categorical_ce";
  }
  return "?";
}

// The C function name of one entry point, e.g. "xent_sparse_categorical_ce_f32_i32".
template <class T> std::string function_name(Variant v, bool int32_labels) {
  std::string name = std::string(variant_name(v)) + Api<T>::suffix;
  if (ref::is_sparse(v) && int32_labels) name += "_i32";
  return name;
}

constexpr Variant kAllVariants[] = {Variant::SigmoidLogits, Variant::SoftmaxLogits, Variant::SparseSoftmaxLogits,
                                    Variant::Binary,        Variant::Categorical,   Variant::SparseCategorical};

// The arguments of one loss call; pointers may be NULL or alias, as the test wants.
template <class T> struct LossArgs {
  Variant variant = Variant::SparseSoftmaxLogits;
  bool int32_labels = false;
  const T *input = nullptr;
  const T *targets = nullptr;     // dense variants
  const int64_t *labels64 = nullptr;  // sparse, int64
  const int32_t *labels32 = nullptr;  // sparse, int32
  int64_t batch = 0, classes = 1;
  const xent_options *opts = nullptr;
  T *loss = nullptr;
  T *grad = nullptr;
};

template <class T> xent_status call_loss(const LossArgs<T> &a) {
  using A = Api<T>;
  switch (a.variant) {
    case Variant::SigmoidLogits: return A::sigmoid_ce(a.input, a.targets, a.batch, a.classes, a.opts, a.loss, a.grad);
    case Variant::SoftmaxLogits: return A::softmax_ce(a.input, a.targets, a.batch, a.classes, a.opts, a.loss, a.grad);
    case Variant::Binary: return A::binary_ce(a.input, a.targets, a.batch, a.classes, a.opts, a.loss, a.grad);
    case Variant::Categorical: return A::categorical_ce(a.input, a.targets, a.batch, a.classes, a.opts, a.loss, a.grad);
    case Variant::SparseSoftmaxLogits:
      return a.int32_labels
                 ? A::sparse_softmax_ce_i32(a.input, a.labels32, a.batch, a.classes, a.opts, a.loss, a.grad)
                 : A::sparse_softmax_ce(a.input, a.labels64, a.batch, a.classes, a.opts, a.loss, a.grad);
    case Variant::SparseCategorical:
      return a.int32_labels
                 ? A::sparse_categorical_ce_i32(a.input, a.labels32, a.batch, a.classes, a.opts, a.loss, a.grad)
                 : A::sparse_categorical_ce(a.input, a.labels64, a.batch, a.classes, a.opts, a.loss, a.grad);
  }
  return XENT_ERR_INTERNAL;
}

}  // namespace xt
