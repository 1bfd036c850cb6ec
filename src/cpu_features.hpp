// CPU features read from cpuid itself, where GCC's and clang's __builtin_cpu_supports
// differ or lack the name: used by the ISA choice (dispatch.cpp), by the per-ISA tables
// for instruction forms within an ISA (AVX-512 BF16, src/isa/half.cpp), and by the tests
// that run those forms only where the CPU has them.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

namespace xent::cpu {

// F16C (CPUID 1, ECX): clang 14's __builtin_cpu_supports has no "f16c" (the OS side is
// AVX's, which the AVX2 check covers).
inline bool has_f16c() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

// AVX-512 BF16 (CPUID 7, subleaf 1, EAX bit 5); its registers are AVX-512's, whose OS
// support the AVX-512 check asks.
inline bool has_avx512bf16() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5));
}

}  // namespace xent::cpu
#endif
