// One call of the fused linear loss as the C API received it, and what its checks found.
#pragma once

#include <cstdint>

#include "capi/half.hpp"
#include "xent/xent.h"

namespace xent::linear {

// S: the element type of hidden, weight, bias and the gradients (float, double, or a 16-bit
// storage type); M = capi::math_t<S>: that of the math, the loss, dloss, lse and the options'
// weights (float for the 16-bit types, as for the library's other 16-bit functions).
template <class S, class L> struct Args {
  using M = capi::math_t<S>;
  const char *fn;
  const S *hidden, *weight, *bias;  // bias may be NULL
  const L *labels;
  int64_t n, h, v;
  const xent_options *opts;
  M *loss;          // forward: required
  const M *dloss;   // backward: required (then loss is NULL)
  const M *lse;     // backward: NULL or the forward's lse_out
  S *d_hidden, *d_weight, *d_bias;
  bool backward() const { return loss == nullptr; }
};

// After every check passed: the options to use and MEAN's divisor.
struct Checked {
  xent_options o;
  double denominator;  // sum over counted tokens of class weight * sample weight
};

}  // namespace xent::linear
