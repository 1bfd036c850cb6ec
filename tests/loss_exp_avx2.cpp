// The loss exp (and the loss log, which has a table form there) on AVX2+FMA, where its reduction is one fused multiply-add (SSE2 and the
// scalar path take two steps): compiled with -mavx2 -mfma, and called by
// tests/test_loss_exp.cpp only where the CPU has both. No static initializers here.
#define XENT_ISA_NS isa_test_loss_exp_avx2
#include "math/exp.hpp"
#include "math/log.hpp"
#include "support/loss_exp_sweep.hpp"

namespace xt {

LossExpSweep sweep_loss_exp_avx2(const std::vector<float> &d) {
  using Batch = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
  static_assert(xent::isa_test_loss_exp_avx2::simd::fused_fma<Batch>(), "the one-step reduction");
  return sweep_loss_exp<Batch>(d, [](const Batch &v) { return xent::isa_test_loss_exp_avx2::math::exp_loss_v(v); });
}

// simd::fma on this ISA rounds once: (1 + 2^-12)^2 - (1 + 2^-11) is 2^-24 fused, 0 when the
// product is rounded first (xsimd 8.1's avx512f has no fma: its generic form did that).
bool fma_rounds_once_avx2() {
  using Batch = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
  const Batch a(1.0f + 0x1p-12f), c(-(1.0f + 0x1p-11f));
  return xsimd::all(xent::isa_test_loss_exp_avx2::simd::fma(a, a, c) == Batch(0x1p-24f));
}

std::vector<float> loss_log_avx2(const std::vector<float> &x) {
  using Batch = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size(); i += Batch::size)
    xent::isa_test_loss_exp_avx2::math::log_loss_v(Batch::load_unaligned(&x[i])).store_unaligned(&y[i]);
  return y;
}

}  // namespace xt
