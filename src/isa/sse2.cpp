// The sse2 kernels: every template of src/kernels/ instantiated for xsimd::sse2.
// Compiled with this ISA's flags (src/meson.build); used only where the CPU has it.
#include "kernels/make_tables.hpp"

XENT_DEFINE_ISA_TABLES(sse2, xsimd::sse2)
