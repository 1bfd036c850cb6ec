// Deterministic random inputs (fixed seeds) for the loss and kernel tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace xt {

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  double uniform(double lo, double hi) { return lo + (hi - lo) * std::generate_canonical<double, 53>(gen_); }
  int64_t below(int64_t n) { return static_cast<int64_t>(gen_() % static_cast<uint64_t>(n)); }
  bool chance(double p) { return uniform(0, 1) < p; }
  uint64_t bits() { return gen_(); }
  // |x| log-uniform in [2^lo_exp, 2^hi_exp], random sign.
  double log_uniform(double lo_exp, double hi_exp, bool signed_ = true) {
    double v = std::exp2(uniform(lo_exp, hi_exp));
    return signed_ && chance(0.5) ? -v : v;
  }

 private:
  std::mt19937_64 gen_;
};

template <class T> std::vector<T> uniform_vector(Rng &rng, size_t n, double lo, double hi) {
  std::vector<T> v(n);
  for (auto &x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

}  // namespace xt
