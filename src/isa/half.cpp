// This ISA's 16-bit conversions and sparse loss on 16-bit logits (parts.hpp).
#include "isa/parts.hpp"
#include "kernels/half_convert.hpp"
#include "kernels/sparse_half_rows.hpp"

namespace xent::XENT_ISA_NS::kern {
template <half::Format F> HalfConvert half_convert() {
  return {half::to_f32<Arch, F>, half::from_f32<Arch, F>, sparse_half_loss_rows<simd::vec<float, Arch>, F>};
}
HalfConvert half_convert_bf16() { return half_convert<half::Format::bf16>(); }
HalfConvert half_convert_f16() { return half_convert<half::Format::f16>(); }
}  // namespace xent::XENT_ISA_NS::kern
