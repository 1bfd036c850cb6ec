// SLEEF's 1-ulp (u10) expf over the logits and logf / log1pf over the probabilities buffer
// (the inputs of xent's exp and log cases), at the widest vector this CPU runs (chosen at
// run time): Sleef_expf16_u10avx512f, Sleef_expf8_u10avx2, Sleef_expf4_u10sse2 and the same
// for logf and log1pf.
#include <immintrin.h>
#include <sleef.h>

#include <cstring>

#include "bench.h"

// sleef.h declares the AVX2 and AVX-512 entry points only when this translation unit is
// compiled for them; it is not (the binary runs anywhere), so declare the two used here.
extern "C" __m256 Sleef_expf8_u10avx2(__m256);
extern "C" __m512 Sleef_expf16_u10avx512f(__m512);
extern "C" __m256 Sleef_logf8_u10avx2(__m256);
extern "C" __m512 Sleef_logf16_u10avx512f(__m512);
extern "C" __m256 Sleef_log1pf8_u10avx2(__m256);
extern "C" __m512 Sleef_log1pf16_u10avx512f(__m512);

namespace xbench {
namespace {

// Full vectors, then the tail through a zero-padded vector. Loads and stores are memcpy
// (no intrinsics), so the loop inlines into each ISA's function below; it is never compiled
// on its own, hence no -Wpsabi note about passing vectors without the ISA enabled.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
template <int W> struct VecOf;
template <> struct VecOf<4> { using type = __m128; };
template <> struct VecOf<8> { using type = __m256; };
template <> struct VecOf<16> { using type = __m512; };

template <int W, auto Exp> __attribute__((always_inline)) inline void exp_loop(const float *x, float *y, int64_t n) {
  constexpr int64_t w = W;
  typename VecOf<W>::type v;
  int64_t i = 0;
  for (; i + w <= n; i += w) {
    std::memcpy(&v, x + i, sizeof v);
    v = Exp(v);
    std::memcpy(y + i, &v, sizeof v);
  }
  if (i < n) {
    float t[w] = {};
    std::memcpy(t, x + i, size_t(n - i) * sizeof(float));
    std::memcpy(&v, t, sizeof v);
    v = Exp(v);
    std::memcpy(y + i, &v, size_t(n - i) * sizeof(float));
  }
}
#pragma GCC diagnostic pop

using Fn = void (*)(const float *, float *, int64_t);
struct Variants {
  Fn avx512, avx2, sse2;
};
template <auto F16, auto F8, auto F4> constexpr Variants variants() {
  return {[](const float *x, float *y, int64_t n) __attribute__((target("avx512f"))) { exp_loop<16, F16>(x, y, n); },
          [](const float *x, float *y, int64_t n) __attribute__((target("avx2,fma"))) { exp_loop<8, F8>(x, y, n); },
          [](const float *x, float *y, int64_t n) { exp_loop<4, F4>(x, y, n); }};
}

}  // namespace

void register_sleef() {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f"), avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const char *isa = avx512 ? "avx512f" : avx2 ? "avx2" : "sse2";
  benchmark::AddCustomContext("sleef_isa", isa);
  struct Case {
    const char *name;
    Variants v;
    Fill fill;
  };
  for (const Case &c : {Case{"exp_u10", variants<Sleef_expf16_u10avx512f, Sleef_expf8_u10avx2, Sleef_expf4_u10sse2>(), Fill::logits},
                        Case{"log_u10", variants<Sleef_logf16_u10avx512f, Sleef_logf8_u10avx2, Sleef_logf4_u10sse2>(), Fill::probs},
                        Case{"log1p_u10", variants<Sleef_log1pf16_u10avx512f, Sleef_log1pf8_u10avx2, Sleef_log1pf4_u10sse2>(),
                             Fill::probs}}) {
    const Fn run = avx512 ? c.v.avx512 : avx2 ? c.v.avx2 : c.v.sse2;
    const Fill fill = c.fill;
    add({"sleef", c.name, "f32", {1}, true}, [run, isa, fill](benchmark::State &st, const Shape &s, int) {
      st.SetLabel(isa);
      const auto x = inputs<float>(s, fill);
      float *y = scratch<float>(s, 0);
      timed(st, s, sizeof(float), [&](const Rotation &r) -> const char * {
        run(r.pick(x), y, s.elements());
        return nullptr;
      });
    });
  }
}

}  // namespace xbench
