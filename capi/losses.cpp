// The loss entry points: every check of docs/SEMANTICS.md in its order (pointers,
// struct_size, shapes, option values, options off their variant, aliasing, labels), then
// the kernels through the deterministic driver. Nothing is written before all checks pass.
#include <cmath>
#include <cstdint>

#include "capi/buffers.hpp"
#include "capi/error.hpp"
#include "capi/half.hpp"
#include "capi/labels.hpp"
#include "capi/options.hpp"
#include "capi/short_route.hpp"
#include "driver/run_half.hpp"
#include "driver/run_loss.hpp"

namespace xent::capi {

namespace {

// T: the element type of the math, the loss, the options and dloss / lse; S: that of
// input, targets and grad (T, or a 16-bit storage type computed in T = float).
template <class T, class L, class S = T> struct LossArgs {
  const char *fn;
  const S *input;
  const S *targets;  // dense variants
  const L *labels;   // sparse variants
  int64_t batch, classes;
  const xent_options *opts;
  T *loss;
  S *grad;
  // A backward call (xent_*_backward_*): loss is null, dloss required, lse optional.
  bool backward = false;
  const T *dloss = nullptr;
  const T *lse = nullptr;
};

constexpr bool softmax_with_logits(Variant v) {
  return v == Variant::softmax_ce_with_logits || v == Variant::sparse_softmax_ce_with_logits;
}

// The checks after the pointers and struct_size, then the kernels. Inlined twice into
// run: with the caller's options, and with plain ones whose fields are constants.
template <Variant v, class T, class L, class S>
inline __attribute__((always_inline)) xent_status checked_run(const LossArgs<T, L, S> &a, const xent_options &o,
                                                              bool options_checked) {
  if (a.batch < 0) return fail(XENT_ERR_INVALID_SHAPE, a.fn, "batch = %lld is negative", (long long)a.batch);
  if (a.classes < 1)
    return fail(XENT_ERR_INVALID_SHAPE, a.fn, "classes = %lld must be at least 1", (long long)a.classes);
  if (o.inner < 1)
    return fail(XENT_ERR_INVALID_SHAPE, a.fn, "opts->inner = %lld must be at least 1", (long long)o.inner);
  int64_t n_in = 0, n_samples = 0;
  if (xent_status s = element_count(a.fn, "batch * classes * inner", a.batch, a.classes, o.inner, sizeof(S), &n_in))
    return s;
  n_samples = a.batch * o.inner;  // <= n_in
  if (!options_checked)
    if (xent_status s = check_options(a.fn, o, v)) return s;
  const bool sparse = is_sparse(v), elementwise = is_elementwise(v);
  if (a.lse && !softmax_with_logits(v))
    return fail(XENT_ERR_INVALID_ARGUMENT, a.fn,
                "lse = %p applies only to the softmax-with-logits variants (pass NULL)", static_cast<const void *>(a.lse));
  const int64_t n_loss = o.reduction != XENT_REDUCTION_NONE ? 1 : elementwise ? n_in : n_samples;
  const std::size_t sz = sizeof(T), ssz = sizeof(S);
  // A backward call neither reads nor writes opts->lse_out (the options of its forward may be reused).
  T *const lse_out = a.backward ? nullptr : static_cast<T *>(o.lse_out);
  if (xent_status s = check_no_alias(
          a.fn,
          {{"loss", a.loss, std::size_t(n_loss) * sz},
           {"grad", a.grad, std::size_t(n_in) * ssz},
           {"opts->lse_out", lse_out, std::size_t(n_samples) * sz}},
          {{"input", a.input, std::size_t(n_in) * ssz},
           {"targets", a.targets, std::size_t(n_in) * ssz},
           {"labels", a.labels, std::size_t(n_samples) * sizeof(L)},
           {"opts->class_weights", o.class_weights, std::size_t(a.classes) * sz},
           // NULL after check_options unless sigmoid
           {"opts->pos_weight", v == Variant::sigmoid_ce_with_logits ? o.pos_weight : nullptr,
            std::size_t(a.classes) * sz},
           {"opts->sample_weights", o.sample_weights, std::size_t(n_samples) * sz},
           {"dloss", a.dloss, std::size_t(n_loss) * sz},
           {"lse", a.lse, std::size_t(n_samples) * sz}},
          a.grad))
    return s;

  double denominator = double(elementwise ? n_in : n_samples);
  if (sparse)
    if (xent_status s = check_labels<T>(a.fn, a.labels, n_samples, a.classes, o, &denominator)) return s;

  LossCall<T> call;
  if constexpr (std::is_same_v<S, T>) {
    call.x = a.input;
    call.targets = a.targets;
    call.grad = a.grad;
  }
  if constexpr (std::is_same_v<L, int64_t>) call.labels64 = a.labels;
  if constexpr (std::is_same_v<L, int32_t>) call.labels32 = a.labels;
  call.B = a.batch;
  call.C = a.classes;
  call.K = o.inner;
  call.smoothing = T(o.label_smoothing);
  call.epsilon = T(o.epsilon);
  call.class_weights = static_cast<const T *>(o.class_weights);
  call.pos_weight = static_cast<const T *>(o.pos_weight);
  call.sample_weights = static_cast<const T *>(o.sample_weights);
  call.ignore_index = o.ignore_index;
  call.z_loss = T(o.z_loss);
  call.softcap = T(o.logit_softcap);
  call.focal_gamma = T(o.focal_gamma);
  call.focal_alpha = T(o.focal_alpha);
  call.poly_epsilon = T(o.poly_epsilon);
  call.lse_out = lse_out;
  call.dloss = a.dloss;
  call.lse_in = a.lse;
  xent_status status;
  if constexpr (std::is_same_v<S, T>) {
    status = run_loss(v, call, o.reduction, denominator, o.num_threads, a.loss);
  } else {
    const HalfLossBuffers h{half_format<S>(), bits(a.input), bits(a.targets), bits(a.grad)};
    status = run_loss_half(v, call, h, o.reduction, denominator, o.num_threads, a.loss);
  }
  if (status != XENT_OK)
    return fail(XENT_ERR_OUT_OF_MEMORY, a.fn, "could not allocate the %s",
                std::is_same_v<S, T> ? "reduction scratch" : "f32 scratch of the 16-bit conversion");
  return XENT_OK;
}

// The variant is a template argument: each entry point compiles only its own checks and
// buffers (a tiny call costs a few ns, most of them here).
template <Variant v, class T, class L, class S> xent_status run(const LossArgs<T, L, S> &a) {
  const bool sparse = is_sparse(v);
  if (!a.input) return fail(XENT_ERR_NULL_POINTER, a.fn, "input is NULL");
  if (sparse && !a.labels) return fail(XENT_ERR_NULL_POINTER, a.fn, "labels is NULL");
  if (!sparse && !a.targets) return fail(XENT_ERR_NULL_POINTER, a.fn, "targets is NULL");
  if (a.backward) {
    if (!a.dloss) return fail(XENT_ERR_NULL_POINTER, a.fn, "dloss is NULL");
    if (!a.grad) return fail(XENT_ERR_NULL_POINTER, a.fn, "grad is NULL");
  } else if (!a.loss) {
    return fail(XENT_ERR_NULL_POINTER, a.fn, "loss is NULL");
  }

  xent_options copy;
  const xent_options *opts = nullptr;
  if (xent_status s = read_options(a.fn, a.opts, &copy, &opts)) return s;
  if (plain_options(*opts, v))  // NULL options too
    return checked_run<v>(a, default_options_with(opts->reduction, opts->num_threads), true);
  return checked_run<v>(a, *opts, false);
}

template <Variant v, class T, class L, class S> [[gnu::noinline]] xent_status entry(const LossArgs<T, L, S> &a) {
  return guarded(a.fn, [&] { return run<v>(a); });
}

// Small sparse softmax CE calls first, with their lean checks (capi/short_route.hpp);
// everything else, and every error, through the general route and its frame (LossArgs
// built only there).
template <Variant v, class T, class L, class S>
inline __attribute__((always_inline)) xent_status sparse_entry(const char *fn, const S *input, const L *labels,
                                                               int64_t batch, int64_t classes,
                                                               const xent_options *opts, T *loss, S *grad) {
  if constexpr (v == Variant::sparse_softmax_ce_with_logits && std::is_same_v<S, T>) {
    xent_reduction reduction;
    if (const auto kernel = short_sparse_route(input, labels, batch, classes, opts, loss, grad, &reduction))
      return kernel(input, labels, batch, classes, reduction, loss, grad);  // a tail call
  }
  return entry<v>(LossArgs<T, L, S>{fn, input, nullptr, labels, batch, classes, opts, loss, grad});
}

// The same for softmax CE with soft targets (capi/short_route.hpp).
template <Variant v, class T, class S>
inline __attribute__((always_inline)) xent_status dense_entry(const char *fn, const S *input, const S *targets,
                                                              int64_t batch, int64_t classes,
                                                              const xent_options *opts, T *loss, S *grad) {
  if constexpr (v == Variant::softmax_ce_with_logits && std::is_same_v<S, T>) {
    xent_reduction reduction;
    if (const auto kernel = short_dense_route(input, targets, batch, classes, opts, loss, grad, &reduction))
      return kernel(input, targets, batch, classes, reduction, loss, grad);  // a tail call
  }
  return entry<v>(LossArgs<T, int64_t, S>{fn, input, targets, nullptr, batch, classes, opts, loss, grad});
}

}  // namespace

}  // namespace xent::capi

using xent::Variant;
using xent::capi::dense_entry;
using xent::capi::entry;
using xent::capi::LossArgs;
using xent::capi::sparse_entry;

// T: the math, loss, dloss and lse type; S: input, targets and grad (T, or 16-bit).
#define XENT_DENSE_LOSS(name, variant, T, S, suffix)                                              \
  XENT_API xent_status name##_##suffix(const S *input, const S *targets, int64_t batch,          \
                                       int64_t classes, const xent_options *opts, T *loss,       \
                                       S *grad) {                                                \
    return dense_entry<variant>(#name "_" #suffix, input, targets, batch, classes, opts, loss,   \
                                grad);                                                           \
  }
#define XENT_SPARSE_LOSS(name, variant, T, S, suffix, L, lsuffix)                                 \
  XENT_API xent_status name##_##suffix##lsuffix(const S *input, const L *labels, int64_t batch,  \
                                                int64_t classes, const xent_options *opts,       \
                                                T *loss, S *grad) {                              \
    return sparse_entry<variant>(#name "_" #suffix #lsuffix, input, labels, batch, classes, opts, \
                                 loss, grad);                                                    \
  }
#define XENT_DENSE_BACKWARD(name, variant, T, S, suffix)                                         \
  XENT_API xent_status name##_backward_##suffix(const S *input, const S *targets, int64_t batch,   \
                                                int64_t classes, const xent_options *opts,         \
                                                const T *dloss, const T *lse, S *grad) {           \
    LossArgs<T, int64_t, S> a{#name "_backward_" #suffix, input, targets, nullptr, batch, classes, \
                              opts, nullptr, grad};                                               \
    a.backward = true;                                                                            \
    a.dloss = dloss;                                                                              \
    a.lse = lse;                                                                                  \
    return entry<variant>(a);                                                                     \
  }
#define XENT_SPARSE_BACKWARD(name, variant, T, S, suffix, L, lsuffix)                              \
  XENT_API xent_status name##_backward_##suffix##lsuffix(const S *input, const L *labels, int64_t batch, \
                                                         int64_t classes, const xent_options *opts, \
                                                         const T *dloss, const T *lse, S *grad) {   \
    LossArgs<T, L, S> a{#name "_backward_" #suffix #lsuffix, input, nullptr, labels, batch, classes, \
                        opts, nullptr, grad};                                                     \
    a.backward = true;                                                                            \
    a.dloss = dloss;                                                                              \
    a.lse = lse;                                                                                  \
    return entry<variant>(a);                                                                     \
  }
// Every element type of a variant: f32, f64, and the 16-bit types with f32 math.
#define XENT_DENSE_TYPE(name, variant, T, S, suffix) \
  XENT_DENSE_LOSS(name, variant, T, S, suffix) XENT_DENSE_BACKWARD(name, variant, T, S, suffix)
#define XENT_DENSE_BOTH(name, variant)                       \
  XENT_DENSE_TYPE(name, variant, float, float, f32)          \
  XENT_DENSE_TYPE(name, variant, double, double, f64)        \
  XENT_DENSE_TYPE(name, variant, float, xent_bf16, bf16)     \
  XENT_DENSE_TYPE(name, variant, float, xent_f16, f16)
#define XENT_SPARSE_TYPE(name, variant, T, S, suffix)                   \
  XENT_SPARSE_LOSS(name, variant, T, S, suffix, int64_t, )              \
  XENT_SPARSE_LOSS(name, variant, T, S, suffix, int32_t, _i32)          \
  XENT_SPARSE_BACKWARD(name, variant, T, S, suffix, int64_t, )          \
  XENT_SPARSE_BACKWARD(name, variant, T, S, suffix, int32_t, _i32)
#define XENT_SPARSE_ALL(name, variant)                     \
  XENT_SPARSE_TYPE(name, variant, float, float, f32)       \
  XENT_SPARSE_TYPE(name, variant, double, double, f64)     \
  XENT_SPARSE_TYPE(name, variant, float, xent_bf16, bf16)  \
  XENT_SPARSE_TYPE(name, variant, float, xent_f16, f16)

extern "C" {
XENT_DENSE_BOTH(xent_sigmoid_ce_with_logits, Variant::sigmoid_ce_with_logits)
XENT_DENSE_BOTH(xent_softmax_ce_with_logits, Variant::softmax_ce_with_logits)
XENT_SPARSE_ALL(xent_sparse_softmax_ce_with_logits, Variant::sparse_softmax_ce_with_logits)
XENT_DENSE_BOTH(xent_binary_ce, Variant::binary_ce)
XENT_DENSE_BOTH(xent_categorical_ce, Variant::categorical_ce)
XENT_SPARSE_ALL(xent_sparse_categorical_ce, Variant::sparse_categorical_ce)
XENT_SPARSE_ALL(xent_nll_loss, Variant::nll_loss)
}
