// Fills one element type's kernel table for one architecture. Included only by src/isa/*.cpp,
// each compiled once per ISA with that ISA's flags and its own XENT_ISA_NS.
#pragma once

#include "kernels/axis_softmax.hpp"
#include "kernels/categorical_losses.hpp"
#include "kernels/elementwise_losses.hpp"
#include "kernels/half_convert.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/nll_loss.hpp"
#include "kernels/short_dense_rows.hpp"
#include "kernels/short_sparse_rows.hpp"
#include "kernels/sparse_half_rows.hpp"
#include "kernels/softmax_losses.hpp"
#include "kernels/unary.hpp"

namespace xent::XENT_ISA_NS::kern {

template <class V> double loss_sigmoid(const LossCall<simd::value_t<V>> &c, int64_t u0, int64_t u1) {
  using T = simd::value_t<V>;
  const T s = c.smoothing;
  if (c.focal_or_poly())
    return elementwise_block<V>(
        c, u0, u1, SigmoidFocalElement<V>{T(1) - s, s / T(2), c.focal_gamma, c.focal_alpha, c.poly_epsilon});
  return elementwise_block<V>(c, u0, u1, SigmoidElement<V>{T(1) - s, s / T(2)});
}
template <class V> double loss_binary(const LossCall<simd::value_t<V>> &c, int64_t u0, int64_t u1) {
  using T = simd::value_t<V>;
  const T s = c.smoothing;
  return elementwise_block<V>(c, u0, u1, BinaryElement<V>{T(1) - s, s / T(2), c.epsilon});
}
template <class V, bool Sparse>
double loss_softmax(const LossCall<simd::value_t<V>> &c, int64_t u0, int64_t u1) {
  using T = simd::value_t<V>;
  if (c.softcap > 0) return softmax_ce_block<V>(c, u0, u1, SoftCap<T>(c.softcap), Sparse);
  if constexpr (Sparse) {
    if (fits_short_sparse_rows<V>(c))
      return c.C <= int64_t(simd::width_v<V>) ? short_sparse_rows<V, 1>(c, u0, u1) : short_sparse_rows<V, 2>(c, u0, u1);
  }
  return softmax_ce_block<V>(c, u0, u1, Identity<T>{}, Sparse);
}
template <class V, bool Sparse>
double loss_categorical(const LossCall<simd::value_t<V>> &c, int64_t u0, int64_t u1) {
  return categorical_ce_block<V>(c, u0, u1, Sparse);
}

// The table is filled in four parts, each instantiated in its own file of src/isa/.
template <class V> void fill_kernels(KernelTable<simd::value_t<V>> &t) {
  t.unary[int(Unary::exp)] = unary_kernel<V, Unary::exp>;
  t.unary[int(Unary::log)] = unary_kernel<V, Unary::log>;
  t.unary[int(Unary::log1p)] = unary_kernel<V, Unary::log1p>;
  t.unary[int(Unary::sigmoid)] = unary_kernel<V, Unary::sigmoid>;
  t.unary[int(Unary::softplus)] = unary_kernel<V, Unary::softplus>;
  t.unary[int(Unary::log_sigmoid)] = unary_kernel<V, Unary::log_sigmoid>;
  t.lse_rows = lse_rows<V>;
  t.softmax_rows = softmax_rows<V>;
  t.axis_tile_lanes = axis_tile_lanes<V>();
  t.lse_axis = lse_axis<V>;
  t.softmax_axis = softmax_axis<V>;
}
template <class V> void fill_softmax_losses(KernelTable<simd::value_t<V>> &t) {
  t.loss_block[int(Variant::softmax_ce_with_logits)] = loss_softmax<V, false>;
  t.loss_block[int(Variant::sparse_softmax_ce_with_logits)] = loss_softmax<V, true>;
  t.short_sparse_classes = 2 * int64_t(simd::width_v<V>);
  t.short_sparse64 = short_sparse_call<V, int64_t>;
  t.short_sparse32 = short_sparse_call<V, int32_t>;
  t.short_dense_classes = 2 * int64_t(simd::width_v<V>);
  t.short_dense = short_dense_call<V>;
}
template <class V> void fill_elementwise_losses(KernelTable<simd::value_t<V>> &t) {
  t.loss_block[int(Variant::sigmoid_ce_with_logits)] = loss_sigmoid<V>;
  t.loss_block[int(Variant::binary_ce)] = loss_binary<V>;
}
template <class V> void fill_categorical_losses(KernelTable<simd::value_t<V>> &t) {
  t.loss_block[int(Variant::categorical_ce)] = loss_categorical<V, false>;
  t.loss_block[int(Variant::sparse_categorical_ce)] = loss_categorical<V, true>;
  t.loss_block[int(Variant::nll_loss)] = nll_loss_block<V>;
}

}  // namespace xent::XENT_ISA_NS::kern
