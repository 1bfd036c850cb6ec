// Instantiates every kernel for one architecture. Included only by src/isa/*.cpp, each
// compiled with its ISA's flags and its own XENT_ISA_NS.
#pragma once

#include "kernels/axis_softmax.hpp"
#include "kernels/categorical_losses.hpp"
#include "kernels/elementwise_losses.hpp"
#include "kernels/half_convert.hpp"
#include "kernels/kernel_table.hpp"
#include "kernels/nll_loss.hpp"
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

template <class V> KernelTable<simd::value_t<V>> make_table() {
  KernelTable<simd::value_t<V>> t{};
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
  t.loss_block[int(Variant::sigmoid_ce_with_logits)] = loss_sigmoid<V>;
  t.loss_block[int(Variant::softmax_ce_with_logits)] = loss_softmax<V, false>;
  t.loss_block[int(Variant::sparse_softmax_ce_with_logits)] = loss_softmax<V, true>;
  t.loss_block[int(Variant::binary_ce)] = loss_binary<V>;
  t.loss_block[int(Variant::categorical_ce)] = loss_categorical<V, false>;
  t.loss_block[int(Variant::sparse_categorical_ce)] = loss_categorical<V, true>;
  t.loss_block[int(Variant::nll_loss)] = nll_loss_block<V>;
  t.short_sparse_classes = 2 * int64_t(simd::width_v<V>);
  t.short_sparse64 = short_sparse_call<V, int64_t>;
  t.short_sparse32 = short_sparse_call<V, int32_t>;
  return t;
}

template <class Arch> KernelTables make_tables(const char *isa) {
  using half::Format;
  return KernelTables{isa,
                      make_table<simd::vec<float, Arch>>(),
                      make_table<simd::vec<double, Arch>>(),
                      {{half::to_f32<Arch, Format::bf16>, half::from_f32<Arch, Format::bf16>,
                        sparse_half_loss_rows<simd::vec<float, Arch>, Format::bf16>},
                       {half::to_f32<Arch, Format::f16>, half::from_f32<Arch, Format::f16>,
                        sparse_half_loss_rows<simd::vec<float, Arch>, Format::f16>}}};
}

}  // namespace xent::XENT_ISA_NS::kern

// Defines xent::tables_<name>() for one ISA translation unit.
#define XENT_DEFINE_ISA_TABLES(name, Arch)                                                   \
  namespace xent {                                                                           \
  const KernelTables *tables_##name() {                                                      \
    static const KernelTables tables = XENT_ISA_NS::kern::make_tables<Arch>(#name);          \
    return &tables;                                                                          \
  }                                                                                          \
  }
