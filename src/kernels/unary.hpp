// The element-wise kernels of the public API: y[i] = f(x[i]), y may be x.
#pragma once

#include "kernels/block_io.hpp"
#include "kernels/kernel_table.hpp"
#include "math/sigmoid.hpp"

namespace xent::XENT_ISA_NS::kern {

using xent::Unary;

template <class V, Unary op> void unary_kernel(const simd::value_t<V> *x, simd::value_t<V> *y, int64_t n) {
  // Inlined into both of map_row's loops: outlined (GCC's choice for a body this size
  // used twice), every vector paid a call and reloaded its constants.
  map_row<V>(x, y, 0, n, [](const V &v) __attribute__((always_inline)) {
    if constexpr (op == Unary::exp) return math::exp_v(v);
    else if constexpr (op == Unary::log) return math::log_v(v);
    else if constexpr (op == Unary::log1p) return math::log1p_v(v);
    else if constexpr (op == Unary::sigmoid) return math::sigmoid_v(v);
    else if constexpr (op == Unary::softplus) return math::softplus_v(v);
    else return math::log_sigmoid_v(v);
  });
}

}  // namespace xent::XENT_ISA_NS::kern
