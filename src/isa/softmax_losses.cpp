// This ISA's part of the kernel table declared in parts.hpp, for f32 and f64.
#include "isa/parts.hpp"
#include "kernels/make_tables.hpp"

namespace xent::XENT_ISA_NS::kern {
void fill_softmax_losses(KernelTable<float> &t) { fill_softmax_losses<simd::vec<float, Arch>>(t); }
void fill_softmax_losses(KernelTable<double> &t) { fill_softmax_losses<simd::vec<double, Arch>>(t); }
}  // namespace xent::XENT_ISA_NS::kern
