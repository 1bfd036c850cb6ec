// sigmoid, softplus and log_sigmoid on top of exp_v / log1p_v (at most 3 ulp, tested).
//
// Each is computed on -|x| so that exp never overflows and the small side keeps its
// relative accuracy: sigmoid(x) = 1/(1+e) or e/(1+e) with e = exp(-|x|);
// softplus(x) = max(x,0) + log1p(exp(-|x|)); log_sigmoid(x) = -softplus(-x).
#pragma once

#include "math/exp.hpp"
#include "math/log.hpp"

namespace xent::XENT_ISA_NS::math {

template <class V> inline V sigmoid_v(const V &x) {
  using T = simd::value_t<V>;
  const V e = exp_v(-simd::vabs(x));
  const V d = V(T(1)) + e;
  return simd::select(x >= V(T(0)), V(T(1)) / d, e / d);
}

template <class V> inline V softplus_v(const V &x) {
  using T = simd::value_t<V>;
  return simd::vmax(x, V(T(0))) + log1p_v(exp_v(-simd::vabs(x)));
}

template <class V> inline V log_sigmoid_v(const V &x) { return -softplus_v(-x); }

}  // namespace xent::XENT_ISA_NS::math
