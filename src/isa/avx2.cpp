// The avx2 kernels: every template of src/kernels/ instantiated for xsimd::fma3<xsimd::avx2>.
// Compiled with this ISA's flags (src/meson.build); used only where the CPU has it.
#include "kernels/make_tables.hpp"

XENT_DEFINE_ISA_TABLES(avx2, xsimd::fma3<xsimd::avx2>)
