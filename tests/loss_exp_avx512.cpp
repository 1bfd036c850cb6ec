// The loss exp (and the loss log, which has a table form there) on AVX-512, where its reduction is one fused multiply-add (SSE2 and the
// scalar path take two steps): compiled with the AVX-512 flags of src/meson.build, and called by
// tests/test_loss_exp.cpp only where the CPU has AVX-512 BW and DQ. No static initializers here.
#define XENT_ISA_NS isa_test_loss_exp_avx512
#include "math/exp.hpp"
#include "math/log.hpp"
#include "support/loss_exp_sweep.hpp"

namespace xt {

LossExpSweep sweep_loss_exp_avx512(const std::vector<float> &d) {
  using Batch = xsimd::batch<float, xsimd::avx512bw>;
  static_assert(xent::isa_test_loss_exp_avx512::simd::fused_fma<Batch>(), "the one-step reduction");
  return sweep_loss_exp<Batch>(d, [](const Batch &v) { return xent::isa_test_loss_exp_avx512::math::exp_loss_v(v); });
}

// simd::fma on this ISA rounds once: (1 + 2^-12)^2 - (1 + 2^-11) is 2^-24 fused, 0 when the
// product is rounded first (xsimd 8.1's avx512f has no fma: its generic form did that).
bool fma_rounds_once_avx512() {
  using Batch = xsimd::batch<float, xsimd::avx512bw>;
  const Batch a(1.0f + 0x1p-12f), c(-(1.0f + 0x1p-11f));
  return xsimd::all(xent::isa_test_loss_exp_avx512::simd::fma(a, a, c) == Batch(0x1p-24f));
}

std::vector<float> loss_log_avx512(const std::vector<float> &x) {
  using Batch = xsimd::batch<float, xsimd::avx512bw>;
  std::vector<float> y(x.size());
  for (std::size_t i = 0; i < x.size(); i += Batch::size)
    xent::isa_test_loss_exp_avx512::math::log_loss_v(Batch::load_unaligned(&x[i])).store_unaligned(&y[i]);
  return y;
}

template <class F> std::vector<double> map_avx512_f64(const std::vector<double> &x, F f) {
  using Batch = xsimd::batch<double, xsimd::avx512bw>;
  std::vector<double> y(x.size());
  for (std::size_t i = 0; i < x.size(); i += Batch::size) f(Batch::load_unaligned(&x[i])).store_unaligned(&y[i]);
  return y;
}
std::vector<double> loss_log_avx512_f64(const std::vector<double> &x) {
  return map_avx512_f64(x, [](const auto &v) { return xent::isa_test_loss_exp_avx512::math::log_loss_v(v); });
}
std::vector<double> loss_log1p_unit_avx512_f64(const std::vector<double> &e) {
  return map_avx512_f64(e, [](const auto &v) { return xent::isa_test_loss_exp_avx512::math::log1p_unit_loss_v(v); });
}

}  // namespace xt
