// The tests' own 16-bit arithmetic (bfloat16 by bit arithmetic, binary16 by exact double
// arithmetic), independent of the library's conversions; tests/test_half.cpp checks it
// against exhaustive round trips.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "xent/xent.h"

namespace xt::half16 {

inline uint32_t fbits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float from_fbits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

struct BF16 {
  using type = xent_bf16;
  static constexpr const char *name = "bf16";
  static float widen(uint16_t h) { return from_fbits(uint32_t(h) << 16); }
  // Nearest bf16 of a double, ties to even: chosen between the two neighbours by exact
  // comparison (no intermediate float rounding).
  static uint16_t round(double d) {
    if (std::isnan(d)) return 0x7fc0;
    const float f = float(d);  // within one float ulp: the answer is a neighbour of f's truncation
    const uint32_t u = fbits(f) & 0xffff0000u;
    uint16_t best = uint16_t(u >> 16);
    double best_err = std::fabs(double(widen(best)) - d);
    for (int delta : {-1, 1}) {
      const uint16_t c = uint16_t((u >> 16) + delta);
      if (((c >> 7) & 0xff) == 0xff && (c & 0x7f)) continue;  // NaN pattern
      const double e = std::fabs(double(widen(c)) - d);
      if (e < best_err || (e == best_err && !(c & 1) && (best & 1))) best = c, best_err = e;
    }
    // Overflow: above the largest finite bf16's rounding boundary the answer is inf.
    const double max_finite = double(widen(0x7f7f)), boundary = max_finite + std::ldexp(1.0, 127 - 8);
    if (std::fabs(d) >= boundary) return d > 0 ? 0x7f80 : 0xff80;
    return best;
  }
};
struct F16 {
  using type = xent_f16;
  static constexpr const char *name = "f16";
  // binary16 by exact double arithmetic (ldexp, nearbyint under the default round-to-nearest-
  // even mode), not through a compiler _Float16, which GCC 12 lacks in C++ on aarch64.
  static float widen(uint16_t h) {
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0x1f) return m ? from_fbits((h & 0x8000u) << 16 | 0x7f800000u | uint32_t(m) << 13)
                            : float(sign * std::numeric_limits<double>::infinity());
    return float(sign * (e ? std::ldexp(1024.0 + m, e - 25) : std::ldexp(double(m), -24)));
  }
  static uint16_t round(double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    const uint16_t sign = uint16_t((u >> 48) & 0x8000);
    if (std::isnan(d)) return uint16_t(sign | 0x7e00 | ((u >> 42) & 0x3ff));  // quiet, payload kept
    const double a = std::fabs(d);
    // The spacing of binary16 at a: 2^-24 below the normals, else 2^(exponent - 10).
    const int ex = a >= std::ldexp(1.0, -14) ? std::ilogb(a) : -14;
    const double v = std::nearbyint(std::ldexp(a, 10 - ex)) * std::ldexp(1.0, ex - 10);
    if (v >= 65520.0 || std::isinf(a)) return uint16_t(sign | 0x7c00);
    if (v < std::ldexp(1.0, -14)) return uint16_t(sign | uint16_t(std::ldexp(v, 24)));
    const int e = std::ilogb(v);  // rounding may have carried into the next binade
    return uint16_t(sign | (e + 15) << 10 | (uint16_t(std::ldexp(v, 10 - e)) - 1024));
  }
};

}  // namespace xt::half16
