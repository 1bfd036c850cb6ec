// The vocabulary-parallel entry points (include/xent/xent_vocab_parallel.h): the checks of
// vocab/checks.hpp, then the steps over deterministic row blocks (driver/parallel_for.hpp),
// so every result has the same bits for any thread count.
#include <algorithm>
#include <cmath>
#include <limits>

#include "driver/parallel_for.hpp"
#include "driver/threads.hpp"
#include "vocab/checks.hpp"
#include "vocab/rows.hpp"
#include "vocab/shard_rows.hpp"

namespace xent::vocab {

namespace {

// Field f of the (XENT_VP_FIELDS, batch) partials.
template <class T> T *field(T *p, int f, int64_t batch) { return p + int64_t(f) * batch; }

template <class T, class L, class S> bool owns(const Args<T, L, S> &a, int64_t label) {
  return label >= a.offset && label < a.offset + a.shard_classes;
}

xent_status fail_scratch(const char *fn) {
  return fail(XENT_ERR_OUT_OF_MEMORY, fn, "could not allocate the f32 scratch of the 16-bit conversion");
}

// Step 1: (max, sumexp) by the lse_partial kernel, then the label logit and the weighted
// logit sum of each row (16-bit shards: of the rows widened, a tile at a time).
template <class T, class L, class S> xent_status forward(const Args<T, L, S> &a) {
  return capi::guarded(a.fn, [&]() -> xent_status {
    Checked c;
    if (xent_status s = check(a, &c)) return s;
    const int64_t B = a.batch, n = a.shard_classes;
    const T *cw = static_cast<const T *>(c.o.class_weights);
    const bool smoothing = c.o.label_smoothing != 0;
    T *p = a.partials;
    const auto lse_rows = kernels<T>().lse_rows;
    const int threads = std::max(1, threads_for(B * n, c.o.num_threads));
    const ShardRows<S> rows(a.shard, nullptr, B, n, threads);
    if (!rows.ok()) return fail_scratch(a.fn);
    parallel_blocks_tid(B, block_count(B), threads, [&](int64_t, int64_t r0, int64_t r1, int tid) {
      rows.read(tid, r0, r1, [&](int64_t t0, int64_t t1, const T *xt) {
        lse_rows(xt, 0, t1 - t0, n, field(p, XENT_VP_MAX, B) + t0, field(p, XENT_VP_SUMEXP, B) + t0, nullptr, 1);
        for (int64_t r = t0; r < t1; ++r) {
          const T *x = xt + (r - t0) * n;
          const int64_t l = int64_t(a.labels[r]);
          const bool mine = l != c.o.ignore_index && owns(a, l);
          field(p, XENT_VP_LABEL_LOGIT, B)[r] = mine ? x[l - a.offset] : T(0);
          field(p, XENT_VP_LOGIT_SUM, B)[r] =
              smoothing ? T(weighted_logit_sum(x, cw ? cw + a.offset : nullptr, n)) : T(0);
        }
      });
    });
    return XENT_OK;
  });
}

// Step 3: sumexp *= exp(local max - global max), by the exp kernel over the max field
// (which then takes the global max). Equal maxima give exactly 1, so (-inf, 0) and
// (+inf, 1) partials stay as they are instead of becoming inf - inf = NaN; a NaN max on
// either side makes the sum NaN.
template <class T> xent_status rescale(const char *fn, T *p, const T *global_max, int64_t B) {
  return capi::guarded(fn, [&]() -> xent_status {
    if (!p) return fail(XENT_ERR_NULL_POINTER, fn, "partials is NULL");
    if (!global_max) return fail(XENT_ERR_NULL_POINTER, fn, "global_max is NULL");
    if (B < 0) return fail(XENT_ERR_INVALID_SHAPE, fn, "batch = %lld is negative", (long long)B);
    int64_t n = 0;
    if (xent_status s = capi::element_count(fn, "XENT_VP_FIELDS * batch", XENT_VP_FIELDS, B, 1, sizeof(T), &n))
      return s;
    if (xent_status s = capi::check_no_alias(fn, {{"partials", p, std::size_t(n) * sizeof(T)}},
                                             {{"global_max", global_max, std::size_t(B) * sizeof(T)}}))
      return s;
    T *mx = field(p, XENT_VP_MAX, B), *sum = field(p, XENT_VP_SUMEXP, B);
    for (int64_t r = 0; r < B; ++r) mx[r] = mx[r] == global_max[r] ? T(0) : mx[r] - global_max[r];
    kernels<T>().unary[int(Unary::exp)](mx, mx, B);
    for (int64_t r = 0; r < B; ++r) {
      sum[r] *= mx[r];
      mx[r] = global_max[r];
    }
    return XENT_OK;
  });
}

// Step 5: loss (serially: O(batch), summed in the blocks of driver/run_loss.hpp so SUM and
// MEAN have the single-process bits) and the gradient slice (parallel over rows).
template <class T, class L, class S> xent_status finish(const Args<T, L, S> &a) {
  return capi::guarded(a.fn, [&]() -> xent_status {
    Checked c;
    if (xent_status s = check(a, &c)) return s;
    const xent_options &o = c.o;
    const int64_t B = a.batch, n = a.shard_classes;
    const Coefs<T> k(o, a.classes);
    const T *sw = static_cast<const T *>(o.sample_weights);
    const T *comb = a.combined;
    const bool reduce = o.reduction != XENT_REDUCTION_NONE;
    const double z = double(T(o.z_loss));
    auto ignored = [&](int64_t r) { return int64_t(a.labels[r]) == o.ignore_index; };
    auto row_A = [&](int64_t r) { return k.smooth_total + k.label(int64_t(a.labels[r])); };
    auto weight = [&](int64_t r) { return sw ? double(sw[r]) : 1.0; };
    // Allocated before anything is written.
    const int threads = std::max(1, threads_for(B * n, o.num_threads));
    const ShardRows<S> rows(a.shard, a.grad, B, n, a.grad ? threads : 0);
    if (!rows.ok()) return fail_scratch(a.fn);

    if (a.loss) {
      double total = 0;
      const int64_t blocks = block_count(B);
      for (int64_t b = 0; b < blocks; ++b) {
        double block_sum = 0;
        for (int64_t r = block_begin(b, blocks, B); r < block_begin(b + 1, blocks, B); ++r) {
          if (ignored(r)) {
            if (!reduce) a.loss[r] = T(0);
            continue;
          }
          const double l = row_loss(CombinedRow<T>(comb, B, r), field(comb, XENT_VP_LABEL_LOGIT, B)[r],
                                    field(comb, XENT_VP_LOGIT_SUM, B)[r], k.label(int64_t(a.labels[r])),
                                    row_A(r), k, a.classes, z, weight(r));
          if (!reduce) a.loss[r] = T(l);
          block_sum += l;
        }
        total += block_sum;
      }
      if (o.reduction == XENT_REDUCTION_MEAN)
        total = c.denominator > 0 || c.denominator < 0 ? total / c.denominator
                                                       : std::numeric_limits<double>::quiet_NaN();
      if (reduce) *a.loss = T(total);
    }
    if (!a.grad) return XENT_OK;

    const T grad_scale = o.reduction == XENT_REDUCTION_MEAN ? T(1.0 / c.denominator) : T(1);
    const GradRow<T> grad_row{k, k.cw ? k.cw + a.offset : nullptr, n};
    parallel_blocks_tid(B, block_count(B), threads, [&](int64_t, int64_t r0, int64_t r1, int tid) {
      rows.write(tid, r0, r1, [&](int64_t t0, int64_t t1, const T *xt, T *gt) {
        for (int64_t r = t0; r < t1; ++r) {
          T *g = gt + (r - t0) * n;
          if (ignored(r)) {
            std::fill(g, g + n, T(0));
            continue;
          }
          const T scale = T(weight(r) * double(grad_scale));
          const int64_t l = int64_t(a.labels[r]);
          grad_row(xt + (r - t0) * n, g, CombinedRow<T>(comb, B, r), row_A(r), z, scale,
                   owns(a, l) ? l - a.offset : -1, T(k.label(l)));
        }
      });
    });
    return XENT_OK;
  });
}

}  // namespace

}  // namespace xent::vocab

using xent::vocab::Args;
using xent::vocab::Step;

// S: shard and grad; T: partials, combined and loss (float for the 16-bit S).
#define XENT_VP_ENTRIES(S, T, suffix, L, lsuffix)                                                              \
  XENT_API xent_status xent_vocab_parallel_forward_##suffix##lsuffix(                                         \
      const S *shard, const L *labels, int64_t batch, int64_t shard_classes, int64_t class_offset,             \
      int64_t classes, const xent_options *opts, T *partials) {                                               \
    return xent::vocab::forward(Args<T, L, S>{"xent_vocab_parallel_forward_" #suffix #lsuffix, Step::forward, \
                                              shard, nullptr, labels, batch, shard_classes, class_offset,     \
                                              classes, opts, partials, nullptr, nullptr});                    \
  }                                                                                                            \
  XENT_API xent_status xent_vocab_parallel_loss_##suffix##lsuffix(                                            \
      const S *shard, const T *combined, const L *labels, int64_t batch, int64_t shard_classes,               \
      int64_t class_offset, int64_t classes, const xent_options *opts, T *loss, S *grad) {                    \
    return xent::vocab::finish(Args<T, L, S>{"xent_vocab_parallel_loss_" #suffix #lsuffix, Step::loss, shard, \
                                             combined, labels, batch, shard_classes, class_offset, classes,   \
                                             opts, nullptr, loss, grad});                                     \
  }                                                                                                            \
  XENT_API xent_status xent_vocab_parallel_grad_##suffix##lsuffix(                                            \
      const S *shard, const T *combined, const L *labels, int64_t batch, int64_t shard_classes,               \
      int64_t class_offset, int64_t classes, const xent_options *opts, S *grad) {                             \
    return xent::vocab::finish(Args<T, L, S>{"xent_vocab_parallel_grad_" #suffix #lsuffix, Step::grad, shard, \
                                             combined, labels, batch, shard_classes, class_offset, classes,   \
                                             opts, nullptr, nullptr, grad});                                  \
  }

extern "C" {
XENT_VP_ENTRIES(float, float, f32, int64_t, )
XENT_VP_ENTRIES(float, float, f32, int32_t, _i32)
XENT_VP_ENTRIES(double, double, f64, int64_t, )
XENT_VP_ENTRIES(double, double, f64, int32_t, _i32)
XENT_VP_ENTRIES(xent_bf16, float, bf16, int64_t, )
XENT_VP_ENTRIES(xent_bf16, float, bf16, int32_t, _i32)
XENT_VP_ENTRIES(xent_f16, float, f16, int64_t, )
XENT_VP_ENTRIES(xent_f16, float, f16, int32_t, _i32)

XENT_API xent_status xent_vocab_parallel_rescale_f32(float *partials, const float *global_max, int64_t batch) {
  return xent::vocab::rescale("xent_vocab_parallel_rescale_f32", partials, global_max, batch);
}
XENT_API xent_status xent_vocab_parallel_rescale_f64(double *partials, const double *global_max, int64_t batch) {
  return xent::vocab::rescale("xent_vocab_parallel_rescale_f64", partials, global_max, batch);
}

XENT_API xent_status xent_vocab_parallel_shard(int64_t classes, int64_t parts, int64_t part, int64_t *class_offset,
                                               int64_t *shard_classes) {
  const char *fn = "xent_vocab_parallel_shard";
  if (!class_offset) return xent::capi::fail(XENT_ERR_NULL_POINTER, fn, "class_offset is NULL");
  if (!shard_classes) return xent::capi::fail(XENT_ERR_NULL_POINTER, fn, "shard_classes is NULL");
  if (parts < 1 || parts > classes)
    return xent::capi::fail(XENT_ERR_INVALID_SHAPE, fn, "parts = %lld is outside [1, classes = %lld]",
                            (long long)parts, (long long)classes);
  if (part < 0 || part >= parts)
    return xent::capi::fail(XENT_ERR_INVALID_SHAPE, fn, "part = %lld is outside [0, parts = %lld)", (long long)part,
                            (long long)parts);
  // The blocking of driver/parallel_for.hpp: sizes differ by at most one, larger first.
  *class_offset = xent::block_begin(part, parts, classes);
  *shard_classes = xent::block_begin(part + 1, parts, classes) - *class_offset;
  return XENT_OK;
}

XENT_API xent_status xent_vocab_parallel_set_error(xent_status status, const char *fn, const char *message) {
  return xent::capi::fail(status, fn ? fn : "xent_vocab_parallel", "%s", message ? message : "");
}
}
