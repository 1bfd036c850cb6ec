// The element-wise kernels of the public API: y[i] = f(x[i]), y may be x.
#pragma once

#include "kernels/block_io.hpp"
#include "kernels/kernel_table.hpp"
#include "math/sigmoid.hpp"

namespace xent::XENT_ISA_NS::kern {

using xent::Unary;

template <class V, class F> inline void map_unary(const simd::value_t<V> *x, simd::value_t<V> *y, int64_t n, F f) {
  constexpr int64_t W = int64_t(simd::width_v<V>);
  int64_t i = 0;
  for (; i + W <= n; i += W) simd::store(y + i, f(simd::load<V>(x + i)));
  if (i < n) store_block(y, i, n, 1, f(load_block<V>(x, i, n, 1, simd::value_t<V>(0))));
}

template <class V, Unary op> void unary_kernel(const simd::value_t<V> *x, simd::value_t<V> *y, int64_t n) {
  map_unary<V>(x, y, n, [](const V &v) {
    if constexpr (op == Unary::exp) return math::exp_v(v);
    else if constexpr (op == Unary::log) return math::log_v(v);
    else if constexpr (op == Unary::log1p) return math::log1p_v(v);
    else if constexpr (op == Unary::sigmoid) return math::sigmoid_v(v);
    else if constexpr (op == Unary::softplus) return math::softplus_v(v);
    else return math::log_sigmoid_v(v);
  });
}

}  // namespace xent::XENT_ISA_NS::kern
