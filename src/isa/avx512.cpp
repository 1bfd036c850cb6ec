// The avx512 kernels: every template of src/kernels/ instantiated for xsimd::avx512bw.
// Compiled with this ISA's flags (src/meson.build); used only where the CPU has it.
#include "kernels/make_tables.hpp"

XENT_DEFINE_ISA_TABLES(avx512, xsimd::avx512bw)
