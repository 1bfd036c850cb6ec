// SLEEF expf with 1-ulp accuracy (u10) over the logits buffer, at the widest vector this CPU
// runs (chosen at run time): Sleef_expf16_u10avx512f, Sleef_expf8_u10avx2 or Sleef_expf4_u10sse2.
#include <immintrin.h>
#include <sleef.h>

#include <cstring>

#include "bench.h"

// sleef.h declares the AVX2 and AVX-512 entry points only when this translation unit is
// compiled for them; it is not (the binary runs anywhere), so declare the two used here.
extern "C" __m256 Sleef_expf8_u10avx2(__m256);
extern "C" __m512 Sleef_expf16_u10avx512f(__m512);

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

__attribute__((target("avx512f"))) void exp_avx512(const float *x, float *y, int64_t n) {
  exp_loop<16, Sleef_expf16_u10avx512f>(x, y, n);
}
__attribute__((target("avx2,fma"))) void exp_avx2(const float *x, float *y, int64_t n) {
  exp_loop<8, Sleef_expf8_u10avx2>(x, y, n);
}
void exp_sse2(const float *x, float *y, int64_t n) { exp_loop<4, Sleef_expf4_u10sse2>(x, y, n); }

}  // namespace

void register_sleef() {
  __builtin_cpu_init();
  const bool avx512 = __builtin_cpu_supports("avx512f"), avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  void (*const run)(const float *, float *, int64_t) = avx512 ? exp_avx512 : avx2 ? exp_avx2 : exp_sse2;
  const char *isa = avx512 ? "avx512f" : avx2 ? "avx2" : "sse2";
  benchmark::AddCustomContext("sleef_isa", isa);
  add({"sleef", "exp_u10", "f32", {1}, true}, [run, isa](benchmark::State &st, const Shape &s, int) {
    st.SetLabel(isa);
    const auto x = inputs<float>(s, Fill::logits);
    float *y = scratch<float>(s, 0);
    timed(st, s, sizeof(float), [&](const Rotation &r) -> const char * {
      run(r.pick(x), y, s.elements());
      return nullptr;
    });
  });
}

}  // namespace xbench
