// The neon kernels: every template of src/kernels/ instantiated for xsimd::neon64.
// Compiled with this ISA's flags (src/meson.build); used only where the CPU has it.
#include "kernels/make_tables.hpp"

XENT_DEFINE_ISA_TABLES(neon, xsimd::neon64)
