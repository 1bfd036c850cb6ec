// One call of the fused linear loss as the C API received it, and what its checks found.
#pragma once

#include <cstdint>

#include "xent/xent.h"

namespace xent::linear {

template <class T, class L> struct Args {
  const char *fn;
  const T *hidden, *weight, *bias;  // bias may be NULL
  const L *labels;
  int64_t n, h, v;
  const xent_options *opts;
  T *loss;          // forward: required
  const T *dloss;   // backward: required (then loss is NULL)
  const T *lse;     // backward: NULL or the forward's lse_out
  T *d_hidden, *d_weight, *d_bias;
  bool backward() const { return loss == nullptr; }
};

// After every check passed: the options to use and MEAN's divisor.
struct Checked {
  xent_options o;
  double denominator;  // sum over counted tokens of class weight * sample weight
};

}  // namespace xent::linear
