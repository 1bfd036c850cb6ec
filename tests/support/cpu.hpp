// Tests of one ISA's internal kernels (compiled with that ISA's flags beside the test) run
// only where the CPU has it; elsewhere they pass, saying why: the same suite runs on
// AVX-512 Xeons and AVX2-only EPYCs.
#pragma once

#include <catch2/catch.hpp>

namespace xt {
#if defined(__x86_64__) || defined(__i386__)
inline bool cpu_has_avx512bw_dq() { return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"); }
inline bool cpu_has_avx2_fma() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
#endif
}  // namespace xt

// Ends the test, passed with `why`, unless `has`.
#define XT_SKIP_UNLESS(has, why) \
  do {                           \
    if (!(has)) {                \
      SUCCEED(why);              \
      return;                    \
    }                            \
  } while (0)
