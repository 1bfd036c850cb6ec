// Long-double reference for the scalar functions and the row reductions.
// Written from the textbook formulas; shares nothing with the library's kernels.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace ref {

using LD = long double;

inline LD inf() { return std::numeric_limits<LD>::infinity(); }
inline LD nan() { return std::numeric_limits<LD>::quiet_NaN(); }

inline LD exp(LD x) { return expl(x); }
inline LD log(LD x) { return logl(x); }
inline LD log1p(LD x) { return log1pl(x); }
inline LD sigmoid(LD x) { return 1.0L / (1.0L + expl(-x)); }
// softplus(x) = max(x, 0) + log1p(exp(-|x|))
inline LD softplus(LD x) {
  if (std::isnan(x)) return x;
  return (x > 0 ? x : 0.0L) + log1pl(expl(-fabsl(x)));
}
inline LD log_sigmoid(LD x) { return -softplus(-x); }

// A coefficient that is exactly 0 contributes exactly 0, even against an infinite value
// (SEMANTICS.md "Special values").
inline LD term(LD coef, LD value) { return coef == 0 ? 0.0L : coef * value; }

// Max and sum of exp(x - max) of n values at stride; an all -inf row gives (-inf, 0),
// NaN anywhere gives (NaN, NaN).
struct LseParts {
  LD max;
  LD sum;
};
inline LseParts lse_parts(const LD *x, int64_t n, int64_t stride = 1) {
  LD m = -inf();
  for (int64_t i = 0; i < n; ++i) {
    LD v = x[i * stride];
    if (std::isnan(v)) return {nan(), nan()};
    if (v > m) m = v;
  }
  if (std::isinf(m)) return {m, m > 0 ? nan() : 0.0L};
  LD s = 0;
  for (int64_t i = 0; i < n; ++i) s += expl(x[i * stride] - m);
  return {m, s};
}

// log(sum exp(x)); all -inf -> -inf, a +inf entry -> +inf, NaN -> NaN.
inline LD lse(const LD *x, int64_t n, int64_t stride = 1) {
  LseParts p = lse_parts(x, n, stride);
  if (std::isinf(p.max)) return p.max;
  return p.max + logl(p.sum);
}

// Merge of partials: lse of the whole row from (max_j, sum_j) pairs.
inline LD lse_merge(const std::vector<LD> &maxes, const std::vector<LD> &sums) {
  LD m = -inf();
  for (size_t j = 0; j < maxes.size(); ++j) {
    if (std::isnan(maxes[j]) || std::isnan(sums[j])) return nan();
    if (maxes[j] > m) m = maxes[j];
  }
  if (std::isinf(m)) return m;
  LD s = 0;
  for (size_t j = 0; j < maxes.size(); ++j) s += term(sums[j], expl(maxes[j] - m));
  return m + logl(s);
}

// Row-wise over a (rows, cols) matrix.
inline std::vector<LD> logsumexp_rows(const std::vector<LD> &x, int64_t rows, int64_t cols) {
  std::vector<LD> out(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) out[r] = lse(&x[r * cols], cols);
  return out;
}
// softmax_c = exp(x_c - lse): NaN for an all -inf row and at +inf entries, as IEEE says.
inline std::vector<LD> softmax_rows(const std::vector<LD> &x, int64_t rows, int64_t cols) {
  std::vector<LD> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    LD l = lse(&x[r * cols], cols);
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = expl(x[r * cols + c] - l);
  }
  return y;
}
inline std::vector<LD> log_softmax_rows(const std::vector<LD> &x, int64_t rows, int64_t cols) {
  std::vector<LD> y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    LD l = lse(&x[r * cols], cols);
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = x[r * cols + c] - l;
  }
  return y;
}

}  // namespace ref
