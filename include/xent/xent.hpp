/*
 * xent.hpp — header-only C++17 wrapper over the xent C API (xent.h).
 *
 * Every loss and kernel of xent.h has two overloads here, templated on the element type (float, double,
 * xent::bf16, xent::f16) and, for the sparse losses, on the label type (int32_t, int64_t):
 *   (a) pointers and sizes, as in C:  xent::sparse_softmax_ce_with_logits(x, labels, B, C, opts, loss, grad);
 *   (b) std::vector in, std::vector out: the shape is read from the sizes, the loss is returned
 *       (B*K values under NONE, B*C*K for the element-wise losses, one value under SUM / MEAN:
 *       xent::scalar() reads it) and, when `grad` is not null, *grad receives the gradient.
 * Any status other than XENT_OK throws xent::error, which carries the status and the text of
 * xent_last_error(). On error no output is touched (the vector overloads fill *grad only on success).
 * 16-bit element types: input, soft targets, grad and the element-wise / softmax outputs are
 * bf16 or f16; the loss, dloss, lse, logsumexp, partials and option weights are float
 * (xent::real_t<T>). The axis functions and lse_merge are float / double only (merge 16-bit
 * partials with lse_merge<float>).
 */
#ifndef XENT_XENT_HPP
#define XENT_XENT_HPP

#include <xent/xent.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace xent {

/* ------------------------------------------------------------------ errors */

class error : public std::runtime_error {
 public:
  error(xent_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
  xent_status status() const noexcept { return status_; }

 private:
  xent_status status_;
};

inline const char *status_string(xent_status s) noexcept { return xent_status_string(s); }

/* ------------------------------------------------------------ 16-bit types
 * The C storage types: distinct types, so overloads pick the _bf16 / _f16 functions
 * (std::vector<xent::bf16> calls xent_*_bf16). Values in and out through the explicit
 * conversions below, both rounding to nearest even (NaN stays NaN, overflow gives inf). */
using bf16 = xent_bf16;
using f16 = xent_f16;

inline float to_float(bf16 h) noexcept {
  const uint32_t u = uint32_t(h.bits) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline bf16 to_bf16(float f) noexcept {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return bf16{uint16_t((u >> 16) | 0x40u)};  // quiet NaN
  return bf16{uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16)};
}
inline float to_float(f16 h) noexcept {
  const uint32_t sign = uint32_t(h.bits & 0x8000u) << 16;
  uint32_t e = (h.bits >> 10) & 0x1fu, m = h.bits & 0x3ffu, u;
  if (e == 0x1f) {
    u = sign | 0x7f800000u | (m << 13);  // inf, NaN
  } else if (e != 0) {
    u = sign | ((e + 112) << 23) | (m << 13);
  } else if (m == 0) {
    u = sign;
  } else {  // subnormal: m * 2^-24, normalized
    e = 113;
    while (!(m & 0x400u)) m <<= 1, --e;
    u = sign | (e << 23) | ((m & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline f16 to_f16(float f) noexcept {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return f16{uint16_t(sign | 0x7e00u | ((a >> 13) & 0x3ffu))};  // quiet NaN
  if (a >= 0x477ff000u) return f16{uint16_t(sign | 0x7c00u)};  // >= 65520: inf
  if (a >= 0x38800000u) {                                        // normal: rebias, round
    const uint32_t r = a - (112u << 23);
    return f16{uint16_t(sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13))};
  }
  if (a <= 0x33000000u) return f16{sign};  // <= 2^-25: zero (2^-25 is a tie to even 0)
  const uint32_t m = (a & 0x7fffffu) | 0x800000u, shift = 126 - (a >> 23);  // units of 2^-24
  uint32_t q = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) ++q;
  return f16{uint16_t(sign | q)};
}
inline const char *last_error() noexcept { return xent_last_error(); }

namespace detail {

template <class T> struct type_identity { using type = T; };
/* Keeps a parameter out of template deduction, so that nullptr can be passed for it. */
template <class T> using nodeduce = typename type_identity<T>::type;

inline void check(xent_status s) {
  if (s == XENT_OK) return;
  const char *msg = xent_last_error();
  throw error(s, (msg != nullptr && *msg != '\0') ? msg : xent_status_string(s));
}

[[noreturn]] inline void fail(xent_status s, const char *where, const std::string &what) {
  throw error(s, std::string(where) + ": " + what);
}

/* The type of the float-valued arguments (loss, dloss, lse, weights) of a call on T. */
template <class T> struct real { using type = T; };
template <> struct real<xent_bf16> { using type = float; };
template <> struct real<xent_f16> { using type = float; };

enum class elem : unsigned char { none, f32, f64 };
template <class T> constexpr elem elem_of();
template <> constexpr elem elem_of<float>() { return elem::f32; }
template <> constexpr elem elem_of<double>() { return elem::f64; }
inline const char *elem_name(elem e) { return e == elem::f32 ? "float" : "double"; }

}  // namespace detail

template <class T> using real_t = typename detail::real<T>::type;

/* ----------------------------------------------------------------- options */

/* xent_options, initialized by xent_options_init, with chainable setters:
 *   xent::options().reduction(XENT_REDUCTION_MEAN).label_smoothing(0.1).class_weights(w.data())
 * The weight pointers are typed (float or double) and must match the element type of the
 * call, which checks it (XENT_ERR_INVALID_ARGUMENT otherwise). They are not owned. */
class options {
 public:
  options() noexcept { xent_options_init(&o_); }

  options &reduction(xent_reduction r) noexcept { o_.reduction = r; return *this; }
  options &label_smoothing(double s) noexcept { o_.label_smoothing = s; return *this; }
  options &epsilon(double e) noexcept { o_.epsilon = e; return *this; }
  options &ignore_index(int64_t i) noexcept { o_.ignore_index = i; return *this; }
  options &inner(int64_t k) noexcept { o_.inner = k; return *this; }
  options &z_loss(double z) noexcept { o_.z_loss = z; return *this; }
  options &logit_softcap(double cap) noexcept { o_.logit_softcap = cap; return *this; }
  options &num_threads(int n) noexcept { o_.num_threads = n; return *this; }
  options &focal_gamma(double g) noexcept { o_.focal_gamma = g; return *this; }
  options &focal_alpha(double a) noexcept { o_.focal_alpha = a; return *this; }
  options &poly_epsilon(double e) noexcept { o_.poly_epsilon = e; return *this; }
  /* Softmax-with-logits losses: each sample's lse is written there (for the backward). */
  template <class W> options &lse_out(W *lse) noexcept {
    static_assert(std::is_same<W, float>::value || std::is_same<W, double>::value, "xent::options: lse is float or double");
    o_.lse_out = lse;
    lo_ = lse != nullptr ? detail::elem_of<W>() : detail::elem::none;
    return *this;
  }
  options &lse_out(std::nullptr_t) noexcept {
    o_.lse_out = nullptr;
    lo_ = detail::elem::none;
    return *this;
  }

  template <class W> options &class_weights(const W *w) noexcept { return set(o_.class_weights, cw_, w); }
  template <class W> options &pos_weight(const W *w) noexcept { return set(o_.pos_weight, pw_, w); }
  template <class W> options &sample_weights(const W *w) noexcept { return set(o_.sample_weights, sw_, w); }
  options &class_weights(std::nullptr_t) noexcept { return unset(o_.class_weights, cw_); }
  options &pos_weight(std::nullptr_t) noexcept { return unset(o_.pos_weight, pw_); }
  options &sample_weights(std::nullptr_t) noexcept { return unset(o_.sample_weights, sw_); }

  xent_reduction reduction() const noexcept { return o_.reduction; }
  int64_t inner() const noexcept { return o_.inner; }
  /* The C struct, for calling xent.h directly. */
  const xent_options &c_options() const noexcept { return o_; }

  /* The C struct for a call on element type T (weights of real_t<T>); throws if a weight
   * pointer has another type. */
  template <class T> const xent_options *for_call(const char *where) const {
    constexpr detail::elem want = detail::elem_of<real_t<T>>();
    const std::pair<detail::elem, const char *> weights[] = {
        {cw_, "class_weights"}, {pw_, "pos_weight"}, {sw_, "sample_weights"}, {lo_, "lse_out"}};
    for (const auto &w : weights)
      if (w.first != detail::elem::none && w.first != want)
        detail::fail(XENT_ERR_INVALID_ARGUMENT, where,
                     std::string("options.") + w.second + " point to " + detail::elem_name(w.first) +
                         " but the call is on " + detail::elem_name(want));
    return &o_;
  }

 private:
  template <class W> options &set(const void *&field, detail::elem &type, const W *w) noexcept {
    static_assert(std::is_same<W, float>::value || std::is_same<W, double>::value,
                  "xent::options: weights are float or double");
    field = w;
    type = w != nullptr ? detail::elem_of<W>() : detail::elem::none;
    return *this;
  }
  options &unset(const void *&field, detail::elem &type) noexcept {
    field = nullptr;
    type = detail::elem::none;
    return *this;
  }

  xent_options o_;
  detail::elem cw_ = detail::elem::none, pw_ = detail::elem::none, sw_ = detail::elem::none, lo_ = detail::elem::none;
};

/* The value of a SUM / MEAN loss (a vector of exactly one element). */
template <class T> T scalar(const std::vector<T> &loss) {
  if (loss.size() != 1)
    detail::fail(XENT_ERR_INVALID_ARGUMENT, "xent::scalar",
                 "the loss has " + std::to_string(loss.size()) + " values, not one (reduction NONE?)");
  return loss[0];
}

/* ------------------------------------------------------ C function tables */

namespace detail {

template <class T, class R = real_t<T>> using dense_loss_fn = xent_status (*)(const T *, const T *, int64_t, int64_t,
                                                                             const xent_options *, R *, T *);
template <class T, class L, class R = real_t<T>>
using sparse_loss_fn = xent_status (*)(const T *, const L *, int64_t, int64_t, const xent_options *, R *, T *);
template <class T, class R = real_t<T>>
using dense_backward_fn = xent_status (*)(const T *, const T *, int64_t, int64_t, const xent_options *, const R *,
                                          const R *, T *);
template <class T, class L, class R = real_t<T>>
using sparse_backward_fn = xent_status (*)(const T *, const L *, int64_t, int64_t, const xent_options *, const R *,
                                           const R *, T *);
template <class T> using map_fn = xent_status (*)(const T *, T *, int64_t);
/* rows_fn<T, T>: softmax / log_softmax; rows_fn<T, real_t<T>>: logsumexp. */
template <class T, class Out> using rows_fn = xent_status (*)(const T *, int64_t, int64_t, Out *);

/* fn<T>: the C functions of element type T; axis_fn<T>: the axis functions and lse_merge
 * (float and double only); sparse<T, L>: the sparse losses with labels L. */
template <class T> struct fn;                // float, double, bf16, f16
template <class T> struct axis_fn;           // float, double
template <class T, class L> struct sparse;  // (float | double | bf16 | f16) x (int32_t | int64_t)
#define XENT_HPP_FN(T, S)                                                                                      \
  template <> struct fn<T> {                                                                                   \
    static constexpr dense_loss_fn<T> sigmoid_ce = xent_sigmoid_ce_with_logits_##S,                            \
                                      softmax_ce = xent_softmax_ce_with_logits_##S, binary_ce = xent_binary_ce_##S, \
                                      categorical_ce = xent_categorical_ce_##S;                                \
    static constexpr dense_backward_fn<T> sigmoid_ce_backward = xent_sigmoid_ce_with_logits_backward_##S,      \
                                          softmax_ce_backward = xent_softmax_ce_with_logits_backward_##S,      \
                                          binary_ce_backward = xent_binary_ce_backward_##S,                    \
                                          categorical_ce_backward = xent_categorical_ce_backward_##S;          \
    static constexpr map_fn<T> exp = xent_exp_##S, log = xent_log_##S, log1p = xent_log1p_##S,                 \
                               sigmoid = xent_sigmoid_##S, softplus = xent_softplus_##S,                       \
                               log_sigmoid = xent_log_sigmoid_##S;                                             \
    static constexpr rows_fn<T, real_t<T>> logsumexp = xent_logsumexp_##S;                                    \
    static constexpr rows_fn<T, T> softmax = xent_softmax_##S, log_softmax = xent_log_softmax_##S;             \
    static constexpr auto lse_partial = xent_lse_partial_##S;                                                  \
  };
#define XENT_HPP_AXIS_FN(T, S)                                                                                 \
  template <> struct axis_fn<T> {                                                                              \
    static constexpr auto logsumexp_axis = xent_logsumexp_axis_##S, softmax_axis = xent_softmax_axis_##S,      \
                          log_softmax_axis = xent_log_softmax_axis_##S;                                        \
    static constexpr auto lse_partial_axis = xent_lse_partial_axis_##S;                                        \
    static constexpr auto lse_merge = xent_lse_merge_##S;                                                      \
  };
#define XENT_HPP_SPARSE(T, L, S)                                                                        \
  template <> struct sparse<T, L> {                                                                     \
    static constexpr sparse_loss_fn<T, L> softmax_ce = xent_sparse_softmax_ce_with_logits_##S,          \
                                          categorical_ce = xent_sparse_categorical_ce_##S;              \
    static constexpr sparse_backward_fn<T, L> softmax_ce_backward =                                     \
                                              xent_sparse_softmax_ce_with_logits_backward_##S,          \
                                          categorical_ce_backward = xent_sparse_categorical_ce_backward_##S, \
                                          nll_loss_backward = xent_nll_loss_backward_##S;                \
    static constexpr sparse_loss_fn<T, L> nll_loss = xent_nll_loss_##S;                                 \
  };
XENT_HPP_FN(float, f32)
XENT_HPP_FN(double, f64)
XENT_HPP_FN(xent_bf16, bf16)
XENT_HPP_FN(xent_f16, f16)
XENT_HPP_AXIS_FN(float, f32)
XENT_HPP_AXIS_FN(double, f64)
XENT_HPP_SPARSE(float, int64_t, f32)
XENT_HPP_SPARSE(float, int32_t, f32_i32)
XENT_HPP_SPARSE(double, int64_t, f64)
XENT_HPP_SPARSE(double, int32_t, f64_i32)
XENT_HPP_SPARSE(xent_bf16, int64_t, bf16)
XENT_HPP_SPARSE(xent_bf16, int32_t, bf16_i32)
XENT_HPP_SPARSE(xent_f16, int64_t, f16)
XENT_HPP_SPARSE(xent_f16, int32_t, f16_i32)
#undef XENT_HPP_FN
#undef XENT_HPP_AXIS_FN
#undef XENT_HPP_SPARSE

inline int64_t isize(std::size_t n) { return static_cast<int64_t>(n); }

/* A vector's data, or a valid address when it is empty (the C API wants non-NULL pointers
 * even for B = 0). */
template <class T> const T *data_or(const std::vector<T> &v, const T &dummy) { return v.empty() ? &dummy : v.data(); }
template <class T> T *data_or(std::vector<T> &v, T &dummy) { return v.empty() ? &dummy : v.data(); }

/* batch = n / (classes * inner) when it divides, else throws; invalid classes / inner pass
 * through as batch 0 so that the C library reports them. */
inline int64_t batch_of(const char *where, std::size_t n, int64_t classes, int64_t inner) {
  if (classes < 1 || inner < 1) return 0;
  if (classes > INT64_MAX / inner) fail(XENT_ERR_INVALID_SHAPE, where, "classes * inner overflows int64_t");
  const int64_t per = classes * inner;
  if (isize(n) % per != 0)
    fail(XENT_ERR_INVALID_SHAPE, where,
         "input size " + std::to_string(n) + " is not a multiple of classes * inner = " + std::to_string(per));
  return isize(n) / per;
}

inline std::size_t loss_size(const options &o, std::size_t per_sample_count) {
  const xent_reduction r = o.reduction();
  return (r == XENT_REDUCTION_SUM || r == XENT_REDUCTION_MEAN) ? 1 : per_sample_count;
}

template <class T>
std::vector<real_t<T>> dense_loss(const char *where, dense_loss_fn<T> f, bool elementwise, const std::vector<T> &input,
                          const std::vector<T> &targets, int64_t classes, const options &o, std::vector<T> *grad) {
  if (targets.size() != input.size())
    fail(XENT_ERR_INVALID_SHAPE, where,
         "targets have " + std::to_string(targets.size()) + " values, input " + std::to_string(input.size()));
  const int64_t batch = batch_of(where, input.size(), classes, o.inner());
  const std::size_t per_sample = elementwise ? input.size() : input.size() / static_cast<std::size_t>(classes < 1 ? 1 : classes);
  std::vector<real_t<T>> loss(loss_size(o, per_sample));
  std::vector<T> g(grad != nullptr ? input.size() : 0);
  const T in0{}, t0{};
  real_t<T> l0{};
  check(f(data_or(input, in0), data_or(targets, t0), batch, classes, o.for_call<T>(where), data_or(loss, l0),
          g.empty() ? nullptr : g.data()));
  if (grad != nullptr) *grad = std::move(g);
  return loss;
}

template <class T, class L>
std::vector<real_t<T>> sparse_loss(const char *where, sparse_loss_fn<T, L> f, const std::vector<T> &input,
                           const std::vector<L> &labels, int64_t classes, const options &o, std::vector<T> *grad) {
  const int64_t batch = batch_of(where, input.size(), classes, o.inner());
  if (classes >= 1 && o.inner() >= 1 && isize(labels.size()) != batch * o.inner())
    fail(XENT_ERR_INVALID_SHAPE, where,
         "labels have " + std::to_string(labels.size()) + " values, expected batch * inner = " +
             std::to_string(batch * o.inner()));
  std::vector<real_t<T>> loss(loss_size(o, labels.size()));
  std::vector<T> g(grad != nullptr ? input.size() : 0);
  const T in0{};
  const L lab0{};
  real_t<T> l0{};
  check(f(data_or(input, in0), data_or(labels, lab0), batch, classes, o.for_call<T>(where), data_or(loss, l0),
          g.empty() ? nullptr : g.data()));
  if (grad != nullptr) *grad = std::move(g);
  return loss;
}

template <class T> std::vector<T> map(map_fn<T> f, const std::vector<T> &x) {
  std::vector<T> y(x.size());
  const T x0{};
  T y0{};
  check(f(data_or(x, x0), data_or(y, y0), isize(x.size())));
  return y;
}

inline int64_t rows_of(const char *where, std::size_t n, int64_t cols) { return batch_of(where, n, cols, 1); }

template <class T, class Out>
std::vector<Out> rows(const char *where, rows_fn<T, Out> f, const std::vector<T> &x, int64_t cols, bool one_per_row) {
  const int64_t r = rows_of(where, x.size(), cols);
  std::vector<Out> y(one_per_row ? static_cast<std::size_t>(r) : x.size());
  const T x0{};
  Out y0{};
  check(f(data_or(x, x0), r, cols, data_or(y, y0)));
  return y;
}

}  // namespace detail

/* ------------------------------------------------------------------ losses
 * Pointer overloads: (input, targets|labels, batch, classes, [opts,] loss, grad = nullptr).
 * Vector overloads:  (input, targets|labels, classes, opts = {}, grad = nullptr) -> loss.
 */
#define XENT_HPP_DENSE_LOSS(NAME, FN, ELEMENTWISE)                                                          \
  template <class T>                                                                                        \
  void NAME(const T *input, const detail::nodeduce<T> *targets, int64_t batch, int64_t classes,             \
            const options &opts, real_t<T> *loss, detail::nodeduce<T> *grad = nullptr) {                    \
    detail::check(detail::fn<T>::FN(input, targets, batch, classes, opts.for_call<T>("xent::" #NAME), loss, \
                                    grad));                                                                 \
  }                                                                                                         \
  template <class T>                                                                                        \
  void NAME(const T *input, const detail::nodeduce<T> *targets, int64_t batch, int64_t classes,             \
            real_t<T> *loss, detail::nodeduce<T> *grad = nullptr) {                                         \
    NAME<T>(input, targets, batch, classes, options(), loss, grad);                                         \
  }                                                                                                         \
  template <class T>                                                                                        \
  std::vector<real_t<T>> NAME(const std::vector<T> &input, const std::vector<T> &targets, int64_t classes,  \
                      const options &opts = options(), std::vector<T> *grad = nullptr) {                    \
    return detail::dense_loss<T>("xent::" #NAME, detail::fn<T>::FN, ELEMENTWISE, input, targets, classes,   \
                                 opts, grad);                                                               \
  }

#define XENT_HPP_SPARSE_LOSS(NAME, FN)                                                                          \
  template <class T, class L>                                                                                   \
  void NAME(const T *input, const L *labels, int64_t batch, int64_t classes, const options &opts,               \
            real_t<T> *loss, detail::nodeduce<T> *grad = nullptr) {                                             \
    detail::check(detail::sparse<T, L>::FN(input, labels, batch, classes, opts.for_call<T>("xent::" #NAME),     \
                                           loss, grad));                                                        \
  }                                                                                                             \
  template <class T, class L>                                                                                   \
  void NAME(const T *input, const L *labels, int64_t batch, int64_t classes, real_t<T> *loss,                   \
            detail::nodeduce<T> *grad = nullptr) {                                                              \
    NAME<T, L>(input, labels, batch, classes, options(), loss, grad);                                           \
  }                                                                                                             \
  template <class T, class L>                                                                                   \
  std::vector<real_t<T>> NAME(const std::vector<T> &input, const std::vector<L> &labels, int64_t classes,       \
                      const options &opts = options(), std::vector<T> *grad = nullptr) {                        \
    return detail::sparse_loss<T, L>("xent::" #NAME, detail::sparse<T, L>::FN, input, labels, classes, opts,    \
                                     grad);                                                                     \
  }

/* Backward with an upstream gradient: NAME_backward(input, targets|labels, batch, classes,
 * opts, dloss, lse, grad), lse NULL or the forward's (options::lse_out). */
#define XENT_HPP_DENSE_BACKWARD(NAME, FN)                                                                      \
  template <class T>                                                                                           \
  void NAME##_backward(const T *input, const detail::nodeduce<T> *targets, int64_t batch, int64_t classes,     \
                       const options &opts, const real_t<T> *dloss, const real_t<T> *lse,                     \
                       detail::nodeduce<T> *grad) {                                                            \
    detail::check(detail::fn<T>::FN##_backward(input, targets, batch, classes,                                 \
                                               opts.for_call<T>("xent::" #NAME "_backward"), dloss, lse, grad)); \
  }
#define XENT_HPP_SPARSE_BACKWARD(NAME, FN)                                                                   \
  template <class T, class L>                                                                                \
  void NAME##_backward(const T *input, const L *labels, int64_t batch, int64_t classes, const options &opts,  \
                       const real_t<T> *dloss, const real_t<T> *lse, detail::nodeduce<T> *grad) {           \
    detail::check(detail::sparse<T, L>::FN##_backward(input, labels, batch, classes,                         \
                                                      opts.for_call<T>("xent::" #NAME "_backward"), dloss, lse, \
                                                      grad));                                                \
  }
XENT_HPP_DENSE_BACKWARD(sigmoid_ce_with_logits, sigmoid_ce)
XENT_HPP_DENSE_BACKWARD(softmax_ce_with_logits, softmax_ce)
XENT_HPP_DENSE_BACKWARD(binary_ce, binary_ce)
XENT_HPP_DENSE_BACKWARD(categorical_ce, categorical_ce)
XENT_HPP_SPARSE_BACKWARD(sparse_softmax_ce_with_logits, softmax_ce)
XENT_HPP_SPARSE_BACKWARD(sparse_categorical_ce, categorical_ce)
XENT_HPP_SPARSE_BACKWARD(nll_loss, nll_loss)
#undef XENT_HPP_DENSE_BACKWARD
#undef XENT_HPP_SPARSE_BACKWARD

XENT_HPP_DENSE_LOSS(sigmoid_ce_with_logits, sigmoid_ce, true)
XENT_HPP_DENSE_LOSS(softmax_ce_with_logits, softmax_ce, false)
XENT_HPP_DENSE_LOSS(binary_ce, binary_ce, true)
XENT_HPP_DENSE_LOSS(categorical_ce, categorical_ce, false)
XENT_HPP_SPARSE_LOSS(sparse_softmax_ce_with_logits, softmax_ce)
XENT_HPP_SPARSE_LOSS(sparse_categorical_ce, categorical_ce)
XENT_HPP_SPARSE_LOSS(nll_loss, nll_loss)

#undef XENT_HPP_DENSE_LOSS
#undef XENT_HPP_SPARSE_LOSS

/* ----------------------------------------------------------------- kernels
 * Element-wise: NAME(x, y, n) and NAME(vector x) -> y. y may be exactly x. */
#define XENT_HPP_MAP(NAME)                                                                         \
  template <class T> void NAME(const T *x, detail::nodeduce<T> *y, int64_t n) {                    \
    detail::check(detail::fn<T>::NAME(x, y, n));                                                   \
  }                                                                                                \
  template <class T> std::vector<T> NAME(const std::vector<T> &x) { return detail::map<T>(detail::fn<T>::NAME, x); }

XENT_HPP_MAP(exp)
XENT_HPP_MAP(log)
XENT_HPP_MAP(log1p)
XENT_HPP_MAP(sigmoid)
XENT_HPP_MAP(softplus)
XENT_HPP_MAP(log_sigmoid)
#undef XENT_HPP_MAP

/* Row kernels on (rows, cols): NAME(x, rows, cols, out) and NAME(vector x, cols) -> out;
 * logsumexp gives one value per row, softmax / log_softmax a (rows, cols) array. */
#define XENT_HPP_ROWS(NAME, ONE_PER_ROW, OUT)                                                       \
  template <class T> void NAME(const T *x, int64_t rows, int64_t cols, OUT *out) {                  \
    detail::check(detail::fn<T>::NAME(x, rows, cols, out));                                         \
  }                                                                                                 \
  template <class T> std::vector<OUT> NAME(const std::vector<T> &x, int64_t cols) {                 \
    return detail::rows<T, OUT>("xent::" #NAME, detail::fn<T>::NAME, x, cols, ONE_PER_ROW);         \
  }

XENT_HPP_ROWS(logsumexp, true, real_t<T>)
XENT_HPP_ROWS(softmax, false, detail::nodeduce<T>)
XENT_HPP_ROWS(log_softmax, false, detail::nodeduce<T>)
#undef XENT_HPP_ROWS

/* The same over the middle axis of an (outer, cols, inner) array: logsumexp_axis and
 * lse_partial_axis write (outer, inner) arrays, softmax_axis / log_softmax_axis the input's shape. */
template <class T>
void logsumexp_axis(const T *x, int64_t outer, int64_t cols, int64_t inner, detail::nodeduce<T> *out) {
  detail::check(detail::axis_fn<T>::logsumexp_axis(x, outer, cols, inner, out));
}
template <class T> void softmax_axis(const T *x, int64_t outer, int64_t cols, int64_t inner, detail::nodeduce<T> *y) {
  detail::check(detail::axis_fn<T>::softmax_axis(x, outer, cols, inner, y));
}
template <class T>
void log_softmax_axis(const T *x, int64_t outer, int64_t cols, int64_t inner, detail::nodeduce<T> *y) {
  detail::check(detail::axis_fn<T>::log_softmax_axis(x, outer, cols, inner, y));
}
template <class T>
void lse_partial_axis(const T *x, int64_t outer, int64_t cols, int64_t inner, detail::nodeduce<T> *max_out,
                      detail::nodeduce<T> *sum_out) {
  detail::check(detail::axis_fn<T>::lse_partial_axis(x, outer, cols, inner, max_out, sum_out));
}

/* Sharded rows: per-row (max, sum of exp(x - max)) partials, and their merge over parts. */
template <class T>
void lse_partial(const T *x, int64_t rows, int64_t cols, real_t<T> *max_out, real_t<T> *sum_out) {
  detail::check(detail::fn<T>::lse_partial(x, rows, cols, max_out, sum_out));
}
template <class T>
void lse_merge(const T *max, const detail::nodeduce<T> *sum, int64_t parts, int64_t rows, detail::nodeduce<T> *lse) {
  detail::check(detail::axis_fn<T>::lse_merge(max, sum, parts, rows, lse));
}
template <class T>
std::pair<std::vector<real_t<T>>, std::vector<real_t<T>>> lse_partial(const std::vector<T> &x, int64_t cols) {
  const int64_t rows = detail::rows_of("xent::lse_partial", x.size(), cols);
  std::vector<real_t<T>> mx(static_cast<std::size_t>(rows)), sm(static_cast<std::size_t>(rows));
  const T x0{};
  real_t<T> m0{}, s0{};
  detail::check(detail::fn<T>::lse_partial(detail::data_or(x, x0), rows, cols, detail::data_or(mx, m0),
                                           detail::data_or(sm, s0)));
  return {std::move(mx), std::move(sm)};
}
/* max and sum are (parts, rows) arrays; returns the rows' lse. */
template <class T> std::vector<T> lse_merge(const std::vector<T> &max, const std::vector<T> &sum, int64_t parts) {
  if (sum.size() != max.size())
    detail::fail(XENT_ERR_INVALID_SHAPE, "xent::lse_merge",
                 "sum has " + std::to_string(sum.size()) + " values, max " + std::to_string(max.size()));
  const int64_t rows = detail::rows_of("xent::lse_merge", max.size(), parts);
  std::vector<T> lse(static_cast<std::size_t>(rows));
  const T m0{}, s0{};
  T l0{};
  detail::check(detail::axis_fn<T>::lse_merge(detail::data_or(max, m0), detail::data_or(sum, s0), parts, rows,
                                         detail::data_or(lse, l0)));
  return lse;
}

/* ------------------------------------------------------------ library-wide */

inline std::string version() { return xent_version(); }
inline std::string simd_isa() { return xent_simd_isa(); }
/* Threads for later calls; 0 (or negative) restores the default. */
inline void set_num_threads(int n) noexcept { xent_set_num_threads(n); }
inline int get_num_threads() noexcept { return xent_get_num_threads(); }

}  // namespace xent

#endif /* XENT_XENT_HPP */
