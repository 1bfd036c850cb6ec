// Choose the ISA once: the best one the CPU (and OS) supports, or the one named by the
// environment variable XENT_ISA when that one is available (tests force each path).
#include <cstdlib>
#include <cstring>
#include "cpu_features.hpp"
#include "kernels/kernel_table.hpp"

namespace xent {

namespace {

struct Candidate {
  const char *name;
  const KernelTables *(*tables)();
  bool (*cpu_has)();
};

#if defined(__x86_64__) || defined(__i386__)
// GCC's checks also ask the OS (XCR0) whether it saves the wide registers; xsimd 8.1's
// cpuid does not.
bool has_avx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
}
bool has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu::has_f16c(); }
bool has_sse2() { return __builtin_cpu_supports("sse2"); }
#endif
bool always() { return true; }

const Candidate kCandidates[] = {  // best first
#if defined(XENT_BUILD_AVX512)
    {"avx512", tables_avx512, has_avx512},
#endif
#if defined(XENT_BUILD_AVX2)
    {"avx2", tables_avx2, has_avx2},
#endif
#if defined(XENT_BUILD_SSE2)
    {"sse2", tables_sse2, has_sse2},
#endif
#if defined(XENT_BUILD_NEON)
    {"neon", tables_neon, always},
#endif
    {"scalar", tables_scalar, always},
};

const KernelTables *choose() {
  const char *forced = std::getenv("XENT_ISA");
  if (forced && *forced) {
    for (const Candidate &c : kCandidates)
      if (std::strcmp(c.name, forced) == 0 && c.cpu_has()) return c.tables();
  }
  for (const Candidate &c : kCandidates)
    if (c.cpu_has()) return c.tables();
  return tables_scalar();
}

}  // namespace

const KernelTables &choose_tables() {
  static const KernelTables &chosen = *choose();  // once, whichever thread comes first
  detail::g_chosen_tables.store(&chosen, std::memory_order_release);
  return chosen;
}

}  // namespace xent
