// XLA FFI handlers for xent.jax: one handler per op and dtype over libxent's C ABI.
//
// Built lazily by bindings/python/xent/jax.py (g++ -O2 -shared -fPIC -std=c++17
// -I<jax.ffi.include_dir()> -I<xent include/> this.cc <libxent.so>); see docs/JAX.md.
//
// Shapes: every handler gets its logits as any-rank buffers and the attributes `classes` and
// `inner` (K); the batch is element_count / (classes * inner), so the leading dimensions that
// vmap's "broadcast_all" adds simply become more batch rows. All calls use reduction NONE:
// one loss per (row, k) for the softmax variants, one per element for sigmoid CE.
#include <cstdint>
#include <string>

#include "xla/ffi/api/ffi.h"
#include "xent/xent.h"

namespace ffi = xla::ffi;

namespace {

ffi::Error XentFail(xent_status st, const char *what) {
  std::string msg = std::string("xent.jax: ") + what + ": " + xent_status_string(st) + ": " +
                    xent_last_error();
  if (st == XENT_ERR_INVALID_ARGUMENT || st == XENT_ERR_INVALID_SHAPE ||
      st == XENT_ERR_LABEL_OUT_OF_RANGE || st == XENT_ERR_NULL_POINTER)
    return ffi::Error::InvalidArgument(msg);
  return ffi::Error::Internal(msg);
}

// The batch of a call whose logits hold `count` elements: count / (classes * inner).
ffi::Error Batch(size_t count, int64_t classes, int64_t inner, int64_t *batch) {
  if (classes < 1 || inner < 1)
    return ffi::Error::InvalidArgument("xent.jax: classes and inner must be >= 1");
  int64_t per_row = classes * inner;
  if (static_cast<int64_t>(count) % per_row != 0)
    return ffi::Error::InvalidArgument("xent.jax: logits size is not a multiple of classes * inner");
  *batch = static_cast<int64_t>(count) / per_row;
  return ffi::Error::Success();
}

bool SameCount(size_t a, size_t b) { return a == b; }

// ---- C ABI by element type -------------------------------------------------------------
template <ffi::DataType T> struct Api;

template <> struct Api<ffi::F32> {
  using V = float;
  static constexpr auto softmax = xent_softmax_ce_with_logits_f32;
  static constexpr auto softmax_bwd = xent_softmax_ce_with_logits_backward_f32;
  static constexpr auto sigmoid = xent_sigmoid_ce_with_logits_f32;
  static constexpr auto sigmoid_bwd = xent_sigmoid_ce_with_logits_backward_f32;
  static xent_status sparse(const V *x, const int32_t *l, int64_t b, int64_t c, const xent_options *o, V *loss) {
    return xent_sparse_softmax_ce_with_logits_f32_i32(x, l, b, c, o, loss, nullptr);
  }
  static xent_status sparse(const V *x, const int64_t *l, int64_t b, int64_t c, const xent_options *o, V *loss) {
    return xent_sparse_softmax_ce_with_logits_f32(x, l, b, c, o, loss, nullptr);
  }
  static xent_status sparse_bwd(const V *x, const int32_t *l, int64_t b, int64_t c, const xent_options *o,
                                const V *dl, const V *lse, V *g) {
    return xent_sparse_softmax_ce_with_logits_backward_f32_i32(x, l, b, c, o, dl, lse, g);
  }
  static xent_status sparse_bwd(const V *x, const int64_t *l, int64_t b, int64_t c, const xent_options *o,
                                const V *dl, const V *lse, V *g) {
    return xent_sparse_softmax_ce_with_logits_backward_f32(x, l, b, c, o, dl, lse, g);
  }
};

template <> struct Api<ffi::F64> {
  using V = double;
  static constexpr auto softmax = xent_softmax_ce_with_logits_f64;
  static constexpr auto softmax_bwd = xent_softmax_ce_with_logits_backward_f64;
  static constexpr auto sigmoid = xent_sigmoid_ce_with_logits_f64;
  static constexpr auto sigmoid_bwd = xent_sigmoid_ce_with_logits_backward_f64;
  static xent_status sparse(const V *x, const int32_t *l, int64_t b, int64_t c, const xent_options *o, V *loss) {
    return xent_sparse_softmax_ce_with_logits_f64_i32(x, l, b, c, o, loss, nullptr);
  }
  static xent_status sparse(const V *x, const int64_t *l, int64_t b, int64_t c, const xent_options *o, V *loss) {
    return xent_sparse_softmax_ce_with_logits_f64(x, l, b, c, o, loss, nullptr);
  }
  static xent_status sparse_bwd(const V *x, const int32_t *l, int64_t b, int64_t c, const xent_options *o,
                                const V *dl, const V *lse, V *g) {
    return xent_sparse_softmax_ce_with_logits_backward_f64_i32(x, l, b, c, o, dl, lse, g);
  }
  static xent_status sparse_bwd(const V *x, const int64_t *l, int64_t b, int64_t c, const xent_options *o,
                                const V *dl, const V *lse, V *g) {
    return xent_sparse_softmax_ce_with_logits_backward_f64(x, l, b, c, o, dl, lse, g);
  }
};

// ---- sparse softmax CE (integer labels) -------------------------------------------------
template <ffi::DataType T, ffi::DataType L>
ffi::Error SparseFwd(ffi::Buffer<T> x, ffi::Buffer<L> labels, int64_t classes, int64_t inner,
                     int64_t ignore_index, ffi::ResultBuffer<T> loss, ffi::ResultBuffer<T> lse) {
  int64_t batch;
  if (auto e = Batch(x.element_count(), classes, inner, &batch); e.failure()) return e;
  if (!SameCount(labels.element_count(), batch * inner) || !SameCount(loss->element_count(), batch * inner) ||
      !SameCount(lse->element_count(), batch * inner))
    return ffi::Error::InvalidArgument("xent.jax: labels / loss / lse must hold batch * inner elements");
  xent_options o;
  xent_options_init(&o);
  o.inner = inner;
  o.ignore_index = ignore_index;
  o.lse_out = lse->typed_data();
  xent_status st = Api<T>::sparse(x.typed_data(), labels.typed_data(), batch, classes, &o, loss->typed_data());
  if (st != XENT_OK) return XentFail(st, "softmax_cross_entropy_with_integer_labels");
  return ffi::Error::Success();
}

template <ffi::DataType T, ffi::DataType L>
ffi::Error SparseBwd(ffi::Buffer<T> x, ffi::Buffer<L> labels, ffi::Buffer<T> dloss, ffi::Buffer<T> lse,
                     int64_t classes, int64_t inner, int64_t ignore_index, ffi::ResultBuffer<T> grad) {
  int64_t batch;
  if (auto e = Batch(x.element_count(), classes, inner, &batch); e.failure()) return e;
  if (!SameCount(labels.element_count(), batch * inner) || !SameCount(dloss.element_count(), batch * inner) ||
      !SameCount(lse.element_count(), batch * inner) || !SameCount(grad->element_count(), x.element_count()))
    return ffi::Error::InvalidArgument("xent.jax: backward buffers do not match the logits");
  xent_options o;
  xent_options_init(&o);
  o.inner = inner;
  o.ignore_index = ignore_index;
  xent_status st = Api<T>::sparse_bwd(x.typed_data(), labels.typed_data(), batch, classes, &o,
                                      dloss.typed_data(), lse.typed_data(), grad->typed_data());
  if (st != XENT_OK) return XentFail(st, "softmax_cross_entropy_with_integer_labels backward");
  return ffi::Error::Success();
}

// ---- softmax CE with probability targets (and Poly-1) -----------------------------------
template <ffi::DataType T>
ffi::Error SoftFwd(ffi::Buffer<T> x, ffi::Buffer<T> targets, int64_t classes, int64_t inner, double poly_epsilon,
                   ffi::ResultBuffer<T> loss, ffi::ResultBuffer<T> lse) {
  int64_t batch;
  if (auto e = Batch(x.element_count(), classes, inner, &batch); e.failure()) return e;
  if (!SameCount(targets.element_count(), x.element_count()) || !SameCount(loss->element_count(), batch * inner) ||
      !SameCount(lse->element_count(), batch * inner))
    return ffi::Error::InvalidArgument("xent.jax: targets must match the logits, loss / lse hold batch * inner");
  xent_options o;
  xent_options_init(&o);
  o.inner = inner;
  o.poly_epsilon = poly_epsilon;
  o.lse_out = lse->typed_data();
  xent_status st = Api<T>::softmax(x.typed_data(), targets.typed_data(), batch, classes, &o, loss->typed_data(),
                                   nullptr);
  if (st != XENT_OK) return XentFail(st, "softmax_cross_entropy");
  return ffi::Error::Success();
}

template <ffi::DataType T>
ffi::Error SoftBwd(ffi::Buffer<T> x, ffi::Buffer<T> targets, ffi::Buffer<T> dloss, ffi::Buffer<T> lse,
                   int64_t classes, int64_t inner, double poly_epsilon, ffi::ResultBuffer<T> grad) {
  int64_t batch;
  if (auto e = Batch(x.element_count(), classes, inner, &batch); e.failure()) return e;
  if (!SameCount(targets.element_count(), x.element_count()) || !SameCount(dloss.element_count(), batch * inner) ||
      !SameCount(lse.element_count(), batch * inner) || !SameCount(grad->element_count(), x.element_count()))
    return ffi::Error::InvalidArgument("xent.jax: backward buffers do not match the logits");
  xent_options o;
  xent_options_init(&o);
  o.inner = inner;
  o.poly_epsilon = poly_epsilon;
  xent_status st = Api<T>::softmax_bwd(x.typed_data(), targets.typed_data(), batch, classes, &o,
                                       dloss.typed_data(), lse.typed_data(), grad->typed_data());
  if (st != XENT_OK) return XentFail(st, "softmax_cross_entropy backward");
  return ffi::Error::Success();
}

// ---- sigmoid CE with logits (and focal) -------------------------------------------------
// Element-wise: the buffers are read as (count / classes, classes).
template <ffi::DataType T>
ffi::Error SigmoidFwd(ffi::Buffer<T> x, ffi::Buffer<T> targets, int64_t classes, double focal_gamma,
                      double focal_alpha, ffi::ResultBuffer<T> loss) {
  int64_t batch;
  if (auto e = Batch(x.element_count(), classes, 1, &batch); e.failure()) return e;
  if (!SameCount(targets.element_count(), x.element_count()) || !SameCount(loss->element_count(), x.element_count()))
    return ffi::Error::InvalidArgument("xent.jax: targets and loss must match the logits");
  xent_options o;
  xent_options_init(&o);
  o.focal_gamma = focal_gamma;
  o.focal_alpha = focal_alpha;
  xent_status st = Api<T>::sigmoid(x.typed_data(), targets.typed_data(), batch, classes, &o, loss->typed_data(),
                                   nullptr);
  if (st != XENT_OK) return XentFail(st, "sigmoid cross entropy");
  return ffi::Error::Success();
}

template <ffi::DataType T>
ffi::Error SigmoidBwd(ffi::Buffer<T> x, ffi::Buffer<T> targets, ffi::Buffer<T> dloss, int64_t classes,
                      double focal_gamma, double focal_alpha, ffi::ResultBuffer<T> grad) {
  int64_t batch;
  if (auto e = Batch(x.element_count(), classes, 1, &batch); e.failure()) return e;
  if (!SameCount(targets.element_count(), x.element_count()) || !SameCount(dloss.element_count(), x.element_count()) ||
      !SameCount(grad->element_count(), x.element_count()))
    return ffi::Error::InvalidArgument("xent.jax: backward buffers do not match the logits");
  xent_options o;
  xent_options_init(&o);
  o.focal_gamma = focal_gamma;
  o.focal_alpha = focal_alpha;
  xent_status st = Api<T>::sigmoid_bwd(x.typed_data(), targets.typed_data(), batch, classes, &o,
                                       dloss.typed_data(), nullptr, grad->typed_data());
  if (st != XENT_OK) return XentFail(st, "sigmoid cross entropy backward");
  return ffi::Error::Success();
}

}  // namespace

// ---- handler symbols: xent_jax_<op>_<dtype>[_<label dtype>] -----------------------------
#define XENT_SPARSE(NAME, T, L)                                                                    \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(xent_jax_sparse_fwd_##NAME, (SparseFwd<T, L>),                    \
                                ffi::Ffi::Bind()                                                   \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<L>>()                                         \
                                    .Attr<int64_t>("classes")                                      \
                                    .Attr<int64_t>("inner")                                        \
                                    .Attr<int64_t>("ignore_index")                                 \
                                    .Ret<ffi::Buffer<T>>()                                         \
                                    .Ret<ffi::Buffer<T>>());                                       \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(xent_jax_sparse_bwd_##NAME, (SparseBwd<T, L>),                    \
                                ffi::Ffi::Bind()                                                   \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<L>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Attr<int64_t>("classes")                                      \
                                    .Attr<int64_t>("inner")                                        \
                                    .Attr<int64_t>("ignore_index")                                 \
                                    .Ret<ffi::Buffer<T>>());

XENT_SPARSE(f32_i32, ffi::F32, ffi::S32)
XENT_SPARSE(f32_i64, ffi::F32, ffi::S64)
XENT_SPARSE(f64_i32, ffi::F64, ffi::S32)
XENT_SPARSE(f64_i64, ffi::F64, ffi::S64)

#define XENT_SOFT(NAME, T)                                                                         \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(xent_jax_soft_fwd_##NAME, SoftFwd<T>,                             \
                                ffi::Ffi::Bind()                                                   \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Attr<int64_t>("classes")                                      \
                                    .Attr<int64_t>("inner")                                        \
                                    .Attr<double>("poly_epsilon")                                  \
                                    .Ret<ffi::Buffer<T>>()                                         \
                                    .Ret<ffi::Buffer<T>>());                                       \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(xent_jax_soft_bwd_##NAME, SoftBwd<T>,                             \
                                ffi::Ffi::Bind()                                                   \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Attr<int64_t>("classes")                                      \
                                    .Attr<int64_t>("inner")                                        \
                                    .Attr<double>("poly_epsilon")                                  \
                                    .Ret<ffi::Buffer<T>>());                                       \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(xent_jax_sigmoid_fwd_##NAME, SigmoidFwd<T>,                       \
                                ffi::Ffi::Bind()                                                   \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Attr<int64_t>("classes")                                      \
                                    .Attr<double>("focal_gamma")                                   \
                                    .Attr<double>("focal_alpha")                                   \
                                    .Ret<ffi::Buffer<T>>());                                       \
  XLA_FFI_DEFINE_HANDLER_SYMBOL(xent_jax_sigmoid_bwd_##NAME, SigmoidBwd<T>,                       \
                                ffi::Ffi::Bind()                                                   \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Arg<ffi::Buffer<T>>()                                         \
                                    .Attr<int64_t>("classes")                                      \
                                    .Attr<double>("focal_gamma")                                   \
                                    .Attr<double>("focal_alpha")                                   \
                                    .Ret<ffi::Buffer<T>>());

XENT_SOFT(f32, ffi::F32)
XENT_SOFT(f64, ffi::F64)
