// The sweep of tests/test_loss_exp.cpp: math::exp_loss_v over a set of inputs, on one
// vector type, scored against glibc's double exp. Included after math/exp.hpp by each
// translation unit that sweeps a path (the baseline vector type of the build, and AVX2+FMA
// in its own unit compiled with those flags).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace xt {

struct LossExpSweep {
  double worst = 0;  // largest relative error where exp(d) is a normal float
  float worst_d = 0;
  uint64_t mismatches = 0;  // d < -87.3 not giving 0, NaN not giving NaN
  void check(float d, float got) {
    if (std::isnan(d)) {
      mismatches += !std::isnan(got);
    } else if (d < -87.3f) {
      mismatches += got != 0;
    } else {
      const double e = std::fabs(double(got) / std::exp(double(d)) - 1);
      if (e > worst) worst = e, worst_d = d;
    }
  }
};

// d.size() must be a multiple of Batch::size.
template <class Batch, class Exp> LossExpSweep sweep_loss_exp(const std::vector<float> &d, Exp exp_loss) {
  LossExpSweep s;
  alignas(64) float out[Batch::size];
  for (std::size_t i = 0; i < d.size(); i += Batch::size) {
    exp_loss(Batch::load_unaligned(&d[i])).store_aligned(out);
    for (std::size_t j = 0; j < Batch::size; ++j) s.check(d[i + j], out[j]);
  }
  return s;
}

// The AVX2+FMA and AVX-512 sweeps (tests/loss_exp_avx2.cpp, loss_exp_avx512.cpp), and whether
// simd::fma rounds once there: call only where the CPU has the ISA.
LossExpSweep sweep_loss_exp_avx2(const std::vector<float> &d);
LossExpSweep sweep_loss_exp_avx512(const std::vector<float> &d);
bool fma_rounds_once_avx2();
bool fma_rounds_once_avx512();
// math::log_loss_v of each x on AVX-512 (its table form); x.size() a multiple of 16.
std::vector<float> loss_log_avx512(const std::vector<float> &x);
// The same on AVX2+FMA (its table form); x.size() a multiple of 8.
std::vector<float> loss_log_avx2(const std::vector<float> &x);
// The f64 loss log and loss log1p on [0, 1] of the AVX-512 path (math::log_loss_v and
// math::log1p_unit_loss_v on 8 doubles); sizes a multiple of 8.
std::vector<double> loss_log_avx512_f64(const std::vector<double> &x);
std::vector<double> loss_log1p_unit_avx512_f64(const std::vector<double> &e);

}  // namespace xt
