// Per-row arithmetic of the vocabulary-parallel steps. The heavy parts run on the
// library's kernels (lse_rows = lse_partial, the 1-ulp exp); what is left here is the
// scalar algebra of docs/SEMANTICS.md ("Softmax with logits") rewritten for a row whose
// lse arrives from other processes. Where the single-process kernel
// (src/kernels/softmax_losses.hpp) has the same inputs, the expressions are the same, in
// the same order and precision, so one shard gives bitwise its result (f64, no smoothing).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace xent::vocab {

// The target coefficients of one row: t'_c * class_weight_c split, as in the sparse
// kernel, into the uniform smoothing part (smooth_unit * class_weight_c) and the label's.
template <class T> struct Coefs {
  const T *cw;          // class_weights [classes] or null
  double smooth;        // label_smoothing
  T smooth_unit;        // T(smooth / classes): the per-class smoothing target
  double smooth_total;  // sum over all classes of (smooth / classes) * class_weight_c

  Coefs(const xent_options &o, int64_t classes) : cw(static_cast<const T *>(o.class_weights)) {
    smooth = double(T(o.label_smoothing));  // the kernel's precision: LossCall<T>::smoothing
    smooth_unit = T(smooth / double(classes));
    double w = double(classes);
    if (cw && smooth != 0) {
      w = 0;
      for (int64_t c = 0; c < classes; ++c) w += double(cw[c]);
    }
    smooth_total = smooth / double(classes) * w;
  }
  double label(int64_t l) const { return (1 - smooth) * (cw ? double(cw[l]) : 1.0); }
};

// Forward, XENT_VP_LOGIT_SUM of one row: sum of class_weight_c * x_c over the shard, in
// double, weight-0 terms skipped (a masked class nobody targets must not give 0 * -inf).
// Four chains: the sum is latency-bound otherwise.
template <class T> double weighted_logit_sum(const T *x, const T *cw_shard, int64_t n) {
  double acc[4] = {0, 0, 0, 0};
  for (int64_t j = 0; j < n; ++j) {
    const double w = cw_shard ? double(cw_shard[j]) : 1.0;
    if (w != 0) acc[j & 3] += w * double(x[j]);
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// A combined row (after step 4) and what follows from it.
template <class T> struct CombinedRow {
  T max, sum;     // global max and sum of exp(x - max)
  double log_sum, lse;

  CombinedRow(const T *combined, int64_t batch, int64_t r)
      : max(combined[r]), sum(combined[batch + r]), log_sum(std::log(double(sum))),
        lse(double(max) + log_sum) {}
};

// loss = sw * (sum_c coef_c (lse - x_c) + z lse^2) with coef = smoothing + label parts:
// D = sum coef (max - x), A = sum coef, loss = D + A log_sum. The smoothing part of D is
// smooth_total * max - smooth_unit' * LOGIT_SUM (the shards could only send sums).
template <class T>
double row_loss(const CombinedRow<T> &row, T label_logit, T logit_sum, double label_coef, double A,
                const Coefs<T> &k, int64_t classes, double z, double sw) {
  double D = 0;
  if (k.smooth != 0) D = k.smooth_total * double(row.max) - k.smooth / double(classes) * double(logit_sum);
  if (label_coef != 0) D += label_coef * (double(row.max) - double(label_logit));
  double loss = D + (A != 0 ? A * row.log_sum : 0.0);
  if (z != 0) loss += z * row.lse * row.lse;
  if (std::isnan(row.lse)) loss = row.lse;  // NaN anywhere in the row, on any shard
  return loss * sw;
}

// One row's gradient slice: g_c = ((G / s) exp(x_c - shift) - coef_c - [c = label] label_coef)
// * scale, in the single-process kernel's order of operations (softmax_losses.hpp), so one
// shard gives its bits. label < 0: another shard owns it. g may be x (in place).
// Chunks keep the three passes (subtract, exp kernel, combine) inside L1.
template <class T> struct GradRow {
  const Coefs<T> &k;
  const T *cw_shard;  // class weights of the shard's classes, or null
  int64_t n;          // shard_classes

  void operator()(const T *x, T *g, const CombinedRow<T> &row, double A, double z, T scale, int64_t label,
                  T label_coef) const {
    constexpr int64_t kChunk = 1024;
    const auto exp_kernel = kernels<T>().unary[int(Unary::exp)];
    const T G = T(z != 0 ? A + 2 * z * row.lse : A);  // z = 0 with lse = inf must not be NaN
    const bool finite = std::isfinite(row.max);       // +inf or all -inf: shift by lse (NaN entries)
    const T shift = finite ? row.max : T(row.lse);
    const T pfac = T(double(G) * (finite ? 1.0 / double(row.sum) : 1.0));
    for (int64_t j0 = 0; j0 < n; j0 += kChunk) {
      const int64_t m = std::min(kChunk, n - j0);
      for (int64_t j = j0; j < j0 + m; ++j) g[j] = x[j] - shift;
      exp_kernel(g + j0, g + j0, m);
      for (int64_t j = j0; j < j0 + m; ++j) {
        T v = pfac * g[j];
        if (k.smooth != 0) v -= cw_shard ? k.smooth_unit * cw_shard[j] : k.smooth_unit;
        if (j == label) v -= label_coef;
        g[j] = v * scale;
      }
    }
  }
};

}  // namespace xent::vocab
