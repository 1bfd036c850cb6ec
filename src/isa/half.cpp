// This ISA's 16-bit conversions and sparse loss on 16-bit logits (parts.hpp).
#include "cpu_features.hpp"
#include "isa/parts.hpp"
#include "kernels/half_convert.hpp"
#include "kernels/sparse_half_rows.hpp"

namespace xent::XENT_ISA_NS::kern {
template <half::Format F> HalfConvert half_convert() {
  HalfConvert h{half::to_f32<Arch, F>, half::from_f32<Arch, F>, sparse_half_loss_rows<simd::vec<float, Arch>, F>};
#if defined(__x86_64__) || defined(__i386__)
  if constexpr (F == half::Format::bf16 && half::is_avx512<Arch>())
    if (cpu::has_avx512bf16()) h.from_f32 = half::from_f32_bf16_native<Arch>;
#endif
  return h;
}
HalfConvert half_convert_bf16() { return half_convert<half::Format::bf16>(); }
HalfConvert half_convert_f16() { return half_convert<half::Format::f16>(); }
}  // namespace xent::XENT_ISA_NS::kern
