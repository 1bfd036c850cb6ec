// The scalar kernels: every template of src/kernels/ instantiated for xent::XENT_ISA_NS::simd::scalar_arch.
// Compiled with this ISA's flags (src/meson.build); used only where the CPU has it.
#include "kernels/make_tables.hpp"

XENT_DEFINE_ISA_TABLES(scalar, xent::XENT_ISA_NS::simd::scalar_arch)
