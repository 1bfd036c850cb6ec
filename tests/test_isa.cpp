// Every SIMD path: the suite runs once per XENT_ISA value; this checks that the library
// reports the path it was asked for when the CPU has it, and ignores the request otherwise.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>
#include <string>

#include "xent/xent.h"

namespace {

enum class Has { Yes, No, Unsure };

// Whether this CPU surely runs the path (x86: AVX-512 F/BW/DQ/VL, AVX2 with FMA).
Has cpu_has(const std::string &isa) {
  if (isa == "scalar") return Has::Yes;
#if defined(__x86_64__) || defined(_M_X64)
  if (isa == "sse2") return Has::Yes;
  if (isa == "neon") return Has::No;
  if (isa == "avx2") {
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Has::Yes;
    return __builtin_cpu_supports("avx2") ? Has::Unsure : Has::No;
  }
  if (isa == "avx512") {
    const bool f = __builtin_cpu_supports("avx512f");
    if (f && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
      return Has::Yes;
    return f ? Has::Unsure : Has::No;
  }
#elif defined(__aarch64__)
  if (isa == "neon") return Has::Yes;
  if (isa == "sse2" || isa == "avx2" || isa == "avx512") return Has::No;
#endif
  return Has::No;
}

// The best path this CPU surely has, as the library picks when nothing (usable) is forced.
std::string best_path() {
  for (const char *isa : {"avx512", "avx2", "sse2", "neon"})
    if (cpu_has(isa) == Has::Yes) return isa;
  return "scalar";
}

}  // namespace

TEST_CASE("xent_simd_isa reports the path XENT_ISA asks for, when the CPU has it", "[isa]") {
  const std::string isa = xent_simd_isa();
  const char *env = std::getenv("XENT_ISA");
  const std::string asked = env ? env : "";
  WARN("xent_simd_isa() = " << isa << "  (XENT_ISA = \"" << asked << "\", xent " << xent_version() << ")");
  const std::set<std::string> names = {"avx512", "avx2", "sse2", "neon", "scalar"};
  REQUIRE(names.count(isa) == 1);
  CHECK(std::string(xent_simd_isa()) == isa);  // chosen once

  const bool known = names.count(asked) == 1;
  const Has has = known ? cpu_has(asked) : Has::No;
  if (has == Has::Yes) {
    CHECK(isa == asked);
  } else if (has == Has::Unsure) {
    WARN("the CPU has only part of " << asked << "; not checked");
  } else {
    if (!asked.empty()) WARN("XENT_ISA = " << asked << ": not a path this CPU has; expecting it ignored, skipped");
    CHECK(isa == best_path());
  }
}
