// The xsimd architecture of the ISA a kernel translation unit is compiled for. meson compiles
// each file of src/isa/ once per ISA, with that ISA's flags, -DXENT_ISA_NS=isa_<name> and
// -DXENT_ISA_<NAME> (src/meson.build).
#pragma once

#include "simd/isa_namespace.hpp"
#include "simd/vec.hpp"

namespace xent::XENT_ISA_NS {
#if defined(XENT_ISA_AVX512)
using Arch = xsimd::avx512bw;
#define XENT_ISA_NAME avx512
#elif defined(XENT_ISA_AVX2)
using Arch = xsimd::fma3<xsimd::avx2>;
#define XENT_ISA_NAME avx2
#elif defined(XENT_ISA_SSE2)
using Arch = xsimd::sse2;
#define XENT_ISA_NAME sse2
#elif defined(XENT_ISA_NEON)
using Arch = xsimd::neon64;
#define XENT_ISA_NAME neon
#elif defined(XENT_ISA_SCALAR)
using Arch = simd::scalar_arch;
#define XENT_ISA_NAME scalar
#else
#error "src/isa/ files are compiled with -DXENT_ISA_<NAME> (see src/meson.build)"
#endif
}  // namespace xent::XENT_ISA_NS
