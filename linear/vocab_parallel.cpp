// The vocabulary-parallel fused linear loss (include/xent/xent_linear.h, docs/LINEAR.md):
// weight sharded by rows over processes. Per chunk of tokens: this shard's logits tile,
// the protocol of xent_vocab_parallel.h on it through the caller's collective (the row
// maxima, then the row sums: O(chunk) values), the gradient over the tile, then this
// shard's products. d_hidden, a sum over the shards, is all-reduced once at the end.
#include <algorithm>
#include <limits>

#include "driver/scratch.hpp"
#include "driver/threads.hpp"
#include "linear/products.hpp"
#include "linear/vocab_parallel_checks.hpp"
#include "vocab/typed_steps.hpp"

namespace xent::linear {

namespace {

template <class T> constexpr xent_collective_type collective_type() {
  return sizeof(T) == sizeof(float) ? XENT_COLLECTIVE_F32 : XENT_COLLECTIVE_F64;
}

template <class T, class L> struct VocabRun {
  const VocabArgs<T, L> &a;
  const Checked &c;
  T *z;         // the chunk's logits tile, R x shard_classes; its gradient in place
  T *partials;  // (XENT_VP_FIELDS, R), then the global maxima [R], then the rows' losses [R]
  int threads;

  T *global_max(int64_t R) const { return partials + XENT_VP_FIELDS * R; }
  T *row_loss(int64_t R) const { return partials + (XENT_VP_FIELDS + 1) * R; }

  xent_status allreduce(void *buffer, int64_t count, xent_collective_type type, xent_collective_op op,
                        const char *what) const {
    if (count == 0) return XENT_OK;
    if (int rc = a.comm->allreduce(a.comm->context, buffer, count, type, op))
      return capi::fail(XENT_ERR_INTERNAL, a.fn, "comm->allreduce (%s, %lld values) returned %d", what,
                        (long long)count, rc);
    return XENT_OK;
  }

  // Every process learns that every other passed its checks and that the shapes agree,
  // before any data message (so one bad argument fails all processes, no deadlock).
  xent_status agree(xent_status local, int fields) const {
    double m[8] = {1, double(local != XENT_OK), double(a.shard_classes), double(a.n), double(a.classes),
                   double(a.d_hidden != nullptr), double(a.want_grad()), double(fields)};
    if (xent_status s = allreduce(m, 8, XENT_COLLECTIVE_F64, XENT_COLLECTIVE_SUM, "the agreement")) return s;
    if (local) return local;  // its message says why
    const double procs = m[0];
    if (m[1] > 0)
      return capi::fail(XENT_ERR_INVALID_ARGUMENT, a.fn,
                        "the call failed on %.0f of %.0f processes (see their xent_last_error())", m[1], procs);
    if (m[3] != procs * double(a.n) || m[4] != procs * double(a.classes))
      return capi::fail(XENT_ERR_INVALID_ARGUMENT, a.fn, "n = %lld or classes = %lld differs across the processes",
                        (long long)a.n, (long long)a.classes);
    if (m[2] != double(a.classes))
      return capi::fail(XENT_ERR_INVALID_SHAPE, a.fn, "the shards hold %.0f classes in all, not classes = %lld", m[2],
                        (long long)a.classes);
    if ((m[5] != 0 && m[5] != procs) || (m[6] != 0 && m[6] != procs) ||
        m[7] != procs * fields)
      return capi::fail(XENT_ERR_INVALID_ARGUMENT, a.fn,
                        "the processes differ in which gradients they ask for or in opts->label_smoothing");
    return XENT_OK;
  }

  // The scale of row i's gradient: MEAN's 1 / divisor and the backward's dloss.
  T row_scale(int64_t i) const {
    const xent_options &o = c.o;
    T s = o.reduction == XENT_REDUCTION_MEAN ? T(1.0 / c.denominator) : T(1);
    if (a.backward()) s *= o.reduction == XENT_REDUCTION_NONE ? a.dloss[i] : *a.dloss;
    return s;
  }

  xent_status chunk(int64_t c0, int64_t r, int64_t R, int fields, double *total) const {
    using S = vocab::Steps<T, L>;
    const int64_t h = a.h, vs = a.shard_classes;
    const T *hc = a.hidden + c0 * h;
    const L *labels = a.labels + c0;
    xent_options o = c.o;  // each row's own loss and gradient; the reduction is done here
    o.reduction = XENT_REDUCTION_NONE;
    if (o.sample_weights) o.sample_weights = static_cast<const T *>(o.sample_weights) + c0;

#if XENT_HAVE_OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
      blas_single_threaded();
      logits_products(hc, r, h, a.weight, a.bias, vs, z);
    }
    if (xent_status s = S::forward(z, labels, r, vs, a.offset, a.classes, &o, partials)) return s;
    // partials is (XENT_VP_FIELDS, r) for this chunk: the fields start at multiples of r.
    T *gmax = global_max(R);
    std::copy(partials, partials + r, gmax);
    if (xent_status s = allreduce(gmax, r, collective_type<T>(), XENT_COLLECTIVE_MAX, "the row maxima")) return s;
    if (xent_status s = S::rescale(partials, gmax, r)) return s;
    if (xent_status s = allreduce(partials + XENT_VP_SUMEXP * r, fields * r, collective_type<T>(),
                                  XENT_COLLECTIVE_SUM, "the row sums"))
      return s;

    T *grad = a.want_grad() ? z : nullptr;
    if (!a.backward()) {
      const bool none = c.o.reduction == XENT_REDUCTION_NONE;
      T *loss = none ? a.loss + c0 : row_loss(R);
      if (xent_status s = S::loss(z, partials, labels, r, vs, a.offset, a.classes, &o, loss, grad)) return s;
      if (!none)
        for (int64_t i = 0; i < r; ++i) *total += double(loss[i]);
    } else if (grad) {
      if (xent_status s = S::grad(z, partials, labels, r, vs, a.offset, a.classes, &o, grad)) return s;
    }
    if (!grad) return XENT_OK;

    const bool scaled = c.o.reduction == XENT_REDUCTION_MEAN || a.backward();
#if XENT_HAVE_OPENMP
#pragma omp parallel num_threads(threads)
#endif
    {
      blas_single_threaded();
      if (scaled) {
        for_tiles(r, [&](int64_t i) {
          const T s = row_scale(c0 + i);
          for (T *g = z + i * vs, *e = g + vs; g < e; ++g) *g *= s;
        });
        barrier();
      }
      if (a.d_hidden) d_hidden_products(z, r, vs, a.weight, h, a.d_hidden + c0 * h);
      if (a.d_weight || a.d_bias) d_weight_products(z, r, vs, hc, h, c0 == 0, a.d_weight, a.d_bias);
    }
    return XENT_OK;
  }
};

template <class T, class L> xent_status run(const VocabArgs<T, L> &a) {
  Checked c{};
  xent_status local = check(a, &c);
  if (!a.comm || !a.comm->allreduce) return local;  // no way to tell the others: their call fails the same way
  const int fields = local == XENT_OK && c.o.label_smoothing != 0 ? 3 : 2;
  const int64_t R = local == XENT_OK ? std::max<int64_t>(1, chunk_rows(a.n)) : 1;
  T *z = nullptr, *partials = nullptr;
  if (!local) {
    z = static_cast<T *>(scratch_alloc(sizeof(T) * std::size_t(R) * std::size_t(a.shard_classes)));
    partials = static_cast<T *>(scratch_alloc(sizeof(T) * std::size_t(R) * (XENT_VP_FIELDS + 2)));
    if (!z || !partials)
      local = capi::fail(XENT_ERR_OUT_OF_MEMORY, a.fn, "could not allocate the %lld x %lld logits tile",
                         (long long)R, (long long)a.shard_classes);
  }
  const int64_t elements = a.n > 0 && a.shard_classes > std::numeric_limits<int64_t>::max() / a.n
                               ? std::numeric_limits<int64_t>::max()
                               : a.n * a.shard_classes;
  const VocabRun<T, L> run{a, c, z, partials, local ? 1 : threads_for(elements, c.o.num_threads)};
  xent_status s = run.agree(local, fields);
  double total = 0;
  const bool work = !a.backward() || a.want_grad();  // a backward with no gradient: nothing
  for (int64_t c0 = 0; !s && work && c0 < a.n; c0 += R) s = run.chunk(c0, std::min(R, a.n - c0), R, fields, &total);
  if (!s && a.n == 0) {
    if (a.d_weight) std::memset(a.d_weight, 0, sizeof(T) * std::size_t(a.shard_classes * a.h));
    if (a.d_bias) std::memset(a.d_bias, 0, sizeof(T) * std::size_t(a.shard_classes));
  }
  if (!s && a.d_hidden)
    s = run.allreduce(a.d_hidden, a.n * a.h, collective_type<T>(), XENT_COLLECTIVE_SUM, "d_hidden");
  if (!s && !a.backward() && c.o.reduction != XENT_REDUCTION_NONE) {
    if (c.o.reduction == XENT_REDUCTION_MEAN)
      total = c.denominator > 0 || c.denominator < 0 ? total / c.denominator : std::numeric_limits<double>::quiet_NaN();
    *a.loss = T(total);
  }
  scratch_free(z);
  scratch_free(partials);
  return s;
}

template <class T, class L> xent_status entry(const VocabArgs<T, L> &a) {
  return capi::guarded(a.fn, [&]() -> xent_status {
    if (!XENT_HAVE_BLAS)
      return capi::fail(XENT_ERR_UNSUPPORTED, a.fn, "this build has no BLAS: rebuild with -Dblas=enabled");
    return run(a);
  });
}

}  // namespace

}  // namespace xent::linear

using xent::linear::VocabArgs;

#define XENT_LINEAR_VP(T, suffix, L, lsuffix)                                                                     \
  XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_##suffix##lsuffix(                           \
      const T *hidden, const T *weight, const T *bias, const L *labels, int64_t n, int64_t h,                    \
      int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,                    \
      const xent_collective *comm, T *loss, T *d_hidden, T *d_weight, T *d_bias) {                               \
    return xent::linear::entry(VocabArgs<T, L>{"xent_linear_vocab_parallel_sparse_softmax_ce_" #suffix #lsuffix, \
                                               hidden, weight, bias, labels, n, h, shard_classes, class_offset,  \
                                               classes, opts, comm, loss, nullptr, d_hidden, d_weight, d_bias}); \
  }                                                                                                               \
  XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_backward_##suffix##lsuffix(                  \
      const T *hidden, const T *weight, const T *bias, const L *labels, int64_t n, int64_t h,                    \
      int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,                    \
      const xent_collective *comm, const T *dloss, T *d_hidden, T *d_weight, T *d_bias) {                        \
    return xent::linear::entry(                                                                                   \
        VocabArgs<T, L>{"xent_linear_vocab_parallel_sparse_softmax_ce_backward_" #suffix #lsuffix, hidden,        \
                        weight, bias, labels, n, h, shard_classes, class_offset, classes, opts, comm, nullptr,    \
                        dloss, d_hidden, d_weight, d_bias});                                                      \
  }

extern "C" {
XENT_LINEAR_VP(float, f32, int64_t, )
XENT_LINEAR_VP(float, f32, int32_t, _i32)
XENT_LINEAR_VP(double, f64, int64_t, )
XENT_LINEAR_VP(double, f64, int32_t, _i32)
}
