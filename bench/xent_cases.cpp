// xent through its C API: the seven loss variants (f32 and f64, loss only and loss+gradient),
// and the exp / log / softmax / log_softmax / logsumexp kernels, at 1 and 2 threads.
#include <xent/xent.h>

#include <type_traits>

#include "bench.h"

namespace xbench {
namespace {

template <class T, class Label>
using LossFn = xent_status (*)(const T *, const Label *, int64_t, int64_t, const xent_options *, T *, T *);
template <class T>
using BackwardFn = xent_status (*)(const T *, const int64_t *, int64_t, int64_t, const xent_options *, const T *,
                                   const T *, T *);
template <class T> using ElemFn = xent_status (*)(const T *, T *, int64_t);
template <class T> using RowFn = xent_status (*)(const T *, int64_t, int64_t, T *);

// Api<T>: the C entry points of element type T (suffix S = f32 or f64).
template <class T> struct Api;
#define XBENCH_API(T, S)                                                                                   \
  template <> struct Api<T> {                                                                              \
    static constexpr LossFn<T, T> sigmoid = xent_sigmoid_ce_with_logits_##S,                               \
                                  softmax = xent_softmax_ce_with_logits_##S, binary = xent_binary_ce_##S, \
                                  categorical = xent_categorical_ce_##S;                                   \
    static constexpr LossFn<T, int64_t> sparse_softmax = xent_sparse_softmax_ce_with_logits_##S,           \
                                        sparse_categorical = xent_sparse_categorical_ce_##S,               \
                                        nll = xent_nll_loss_##S;                                           \
    static constexpr BackwardFn<T> sparse_softmax_backward = xent_sparse_softmax_ce_with_logits_backward_##S;   \
    static constexpr ElemFn<T> exp = xent_exp_##S, log = xent_log_##S;                                     \
    static constexpr RowFn<T> softmax_rows = xent_softmax_##S, log_softmax_rows = xent_log_softmax_##S,    \
                              logsumexp = xent_logsumexp_##S;                                              \
  };
XBENCH_API(float, f32)
XBENCH_API(double, f64)
#undef XBENCH_API

const char *error_of(xent_status s) { return s == XENT_OK ? nullptr : xent_last_error(); }

template <class T> const char *dtype() { return sizeof(T) == 4 ? "f32" : "f64"; }

// Registers variant.<reduction>.loss and .loss_grad: input of the given fill, and soft
// targets (Label = T) or class indices (Label = int64_t).
template <class T, class Label>
void add_loss(const char *variant, LossFn<T, Label> fn, Fill in, xent_reduction red, bool key) {
  static const char *red_names[] = {"none", "sum", "mean"};
  for (bool grad : {false, true}) {
    const std::string name = std::string(variant) + "." + red_names[red] + (grad ? ".loss_grad" : ".loss");
    add({"xent", name, dtype<T>(), thread_sweep(), key}, [=](benchmark::State &st, const Shape &s, int threads) {
      xent_set_num_threads(threads);
      xent_options o;
      xent_options_init(&o);
      o.reduction = red;
      const auto x = inputs<T>(s, in);
      std::vector<const Label *> t;
      if constexpr (std::is_same_v<Label, int64_t>) t = {labels(s)};
      else t = inputs<T>(s, Fill::targets);
      T *loss = scratch<T>(s, 1), *g = grad ? scratch<T>(s, 0) : nullptr;
      timed(st, s, sizeof(T), [&](const Rotation &r) {
        return error_of(fn(r.pick(x), r.pick(t), s.rows, s.cols, &o, loss, g));
      });
    });
  }
}

// Registers sparse_softmax_ce_with_logits.none.backward (lse NULL: the row statistics
// again) and .backward_lse (the forward's lse, saved once): grad = dloss * d(loss)/d(logits),
// to set against .loss_grad, the fused forward + gradient.
template <class T> void add_sparse_backward() {
  for (bool saved : {false, true}) {
    const std::string name = std::string("sparse_softmax_ce_with_logits.none.") + (saved ? "backward_lse" : "backward");
    add({"xent", name, dtype<T>(), thread_sweep(), false}, [=](benchmark::State &st, const Shape &s, int threads) {
      xent_set_num_threads(threads);
      xent_options o;
      xent_options_init(&o);
      const auto x = inputs<T>(s, Fill::logits);
      const int64_t *l = labels(s);
      // The lse of the first copy (the copies differ only in their random values); every
      // shape has at least two elements per row, so lse and dloss fit one scratch.
      T *lse = scratch<T>(s, 1), *dloss = lse + s.rows, *g = scratch<T>(s, 0);
      for (int64_t r = 0; r < s.rows; ++r) dloss[r] = T(1);
      o.lse_out = lse;
      Api<T>::sparse_softmax(x[0], l, s.rows, s.cols, &o, g, nullptr);
      o.lse_out = nullptr;
      timed(st, s, sizeof(T), [&](const Rotation &r) {
        return error_of(Api<T>::sparse_softmax_backward(r.pick(x), l, s.rows, s.cols, &o, dloss, saved ? lse : nullptr, g));
      });
    });
  }
}

// Registers a kernel; call(x, y) runs it on the whole (rows, cols) buffer.
template <class T, class Call> void add_kernel(const char *name, Fill in, bool key, Call call) {
  add({"xent", name, dtype<T>(), thread_sweep(), key}, [=](benchmark::State &st, const Shape &s, int threads) {
    xent_set_num_threads(threads);
    const auto x = inputs<T>(s, in);
    T *y = scratch<T>(s, 0);
    timed(st, s, sizeof(T), [&](const Rotation &r) { return error_of(call(r.pick(x), s, y)); });
  });
}

template <class T> void register_type() {
  using A = Api<T>;
  const bool f32 = sizeof(T) == 4;
  add_loss<T, int64_t>("sparse_softmax_ce_with_logits", A::sparse_softmax, Fill::logits, XENT_REDUCTION_NONE, f32);
  if (f32) add_loss<T, int64_t>("sparse_softmax_ce_with_logits", A::sparse_softmax, Fill::logits, XENT_REDUCTION_MEAN, false);
  add_sparse_backward<T>();
  add_loss<T, T>("softmax_ce_with_logits", A::softmax, Fill::logits, XENT_REDUCTION_NONE, false);
  add_loss<T, T>("sigmoid_ce_with_logits", A::sigmoid, Fill::logits, XENT_REDUCTION_NONE, false);
  add_loss<T, T>("binary_ce", A::binary, Fill::probs, XENT_REDUCTION_NONE, false);
  add_loss<T, T>("categorical_ce", A::categorical, Fill::probs, XENT_REDUCTION_NONE, false);
  add_loss<T, int64_t>("sparse_categorical_ce", A::sparse_categorical, Fill::probs, XENT_REDUCTION_NONE, false);
  // nll_loss reads only the label's entry of each row, so the logits buffer serves as the
  // log-probabilities (the values do not change the work; libtorch's peer reads the same one).
  add_loss<T, int64_t>("nll_loss", A::nll, Fill::logits, XENT_REDUCTION_NONE, false);

  const auto elementwise = [](ElemFn<T> fn) { return [fn](const T *x, const Shape &s, T *y) { return fn(x, y, s.elements()); }; };
  const auto rowwise = [](RowFn<T> fn) { return [fn](const T *x, const Shape &s, T *y) { return fn(x, s.rows, s.cols, y); }; };
  add_kernel<T>("exp", Fill::logits, f32, elementwise(A::exp));
  add_kernel<T>("log", Fill::probs, false, elementwise(A::log));
  add_kernel<T>("softmax", Fill::logits, false, rowwise(A::softmax_rows));
  add_kernel<T>("log_softmax", Fill::logits, false, rowwise(A::log_softmax_rows));
  add_kernel<T>("logsumexp", Fill::logits, false, rowwise(A::logsumexp));
  // The same elements as (rows / 64, cols, 64): the classes on the middle axis, 64 lines
  // side by side (rows of fewer than 64 stay on the last axis).
  const auto middle = [](auto fn) {
    return [fn](const T *x, const Shape &s, T *y) {
      const int64_t inner = s.rows % 64 == 0 ? 64 : 1;
      return fn(x, s.rows / inner, s.cols, inner, y);
    };
  };
  if constexpr (std::is_same_v<T, float>) {
    add_kernel<T>("softmax_axis64", Fill::logits, false, middle(xent_softmax_axis_f32));
    add_kernel<T>("log_softmax_axis64", Fill::logits, false, middle(xent_log_softmax_axis_f32));
  }
}

}  // namespace

void register_xent() {
  register_type<float>();
  register_type<double>();
}

}  // namespace xbench
