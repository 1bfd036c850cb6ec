// Sparse softmax CE rows that fit in one or two vectors (C <= 2W), contiguous (K = 1),
// without the options that reweight or transform a row (smoothing, class or sample
// weights, z-loss, soft-cap): tiny calls and small classifiers, where the general route's
// loops and bookkeeping cost more than the arithmetic.
//
// The row stays in registers and this loop-free code repeats the general route's
// operations in its order, so the bits are the same (tests/test_fused_paths.cpp compares
// it with the strided route):
//   max   chunk_max's lanes (the tail padded with -inf); max is exact in any order
//   sum   row_reduce<V, 1>'s: 0 + e_0 + select(valid, e_1), then hsum
//   loss  softmax_ce_block's with label_coef = 1, sw = 1, z = 0: (m - y) + log(sum)
//   grad  the stored-exp route: e = exp_loss_from_sum_term, (pf e) scale, label redone
// Rows whose max is not finite (+-inf, NaN) take the general route.
#pragma once

#include <limits>

#include "kernels/softmax_losses.hpp"

namespace xent::XENT_ISA_NS::kern {

template <class V> inline bool fits_short_sparse_rows(const LossCall<simd::value_t<V>> &c) {
  return c.K == 1 && c.C <= 2 * int64_t(simd::width_v<V>) && c.smoothing == 0 && !c.class_weights &&
         !c.sample_weights && c.z_loss == 0 && c.softcap == 0;
}

// N vectors per row: C in ((N - 1) W, N W].
template <class V, int N>
double short_sparse_rows(const LossCall<simd::value_t<V>> &c, int64_t s0, int64_t s1) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  constexpr T ninf = -std::numeric_limits<T>::infinity();
  const int64_t C = c.C;
  const int64_t last = C - (N - 1) * W;  // valid lanes of the last vector, in [1, W]
  const auto last_valid = valid_lanes<V>((N - 1) * W, C);
  double total = 0;
  for (int64_t s = s0; s < s1; ++s) {
    const T *x = c.x + s * C;
    const int64_t label = c.label(s);
    if (c.skip_ignored(s, label, s * C)) continue;

    V v[N];
    for (int j = 0; j < N - 1; ++j) v[j] = simd::load<V>(x + j * W);
    v[N - 1] = simd::load_partial<V>(x + (N - 1) * W, last, ninf);
    V mx = v[0];
    for (int j = 1; j < N; ++j) mx = simd::vmax(mx, v[j]);
    const T m = simd::hmax(mx);
    if (!std::isfinite(m)) {
      total += softmax_ce_block<V>(c, s, s + 1, Identity<T>{}, true);
      continue;
    }
    const V mv(m);
    V d[N], term[N], a(T(0));
    for (int j = 0; j < N; ++j) {
      d[j] = v[j] - mv;
      term[j] = LossMath{}(d[j]);
      a += j < N - 1 ? term[j] : simd::select(last_valid, term[j], V(T(0)));
    }
    const T y = x[label];  // before any store: the gradient may be x
    const RowLse<T> st = finish_row_lse<LossMath, T>(double(m), double(simd::hsum(a)), x, C, 1);
    // NaN anywhere in the row makes the sum, so log_sum and the loss, NaN: no select.
    const double loss = (double(m) - double(y)) + st.log_sum;
    if (!c.reduce) c.loss[s] = T(loss);
    total += loss;

    if (c.grad) {
      T *g = c.grad + s * C;
      const T scale = T(double(c.grad_scale));
      const T pf = T(1.0 / st.sum);
      T e[N * W];  // unaligned stores: no stack realignment
      for (int j = 0; j < N; ++j) simd::store(e + j * W, math::exp_loss_from_sum_term(d[j], term[j]));
      const V pfac(pf), sc(scale);
      for (int j = 0; j < N - 1; ++j) simd::store(g + j * W, (pfac * simd::load<V>(e + j * W)) * sc);
      simd::store_partial(g + (N - 1) * W, last, (pfac * simd::load<V>(e + (N - 1) * W)) * sc);
      g[label] = (pf * e[label] - T(1)) * scale;
    }
  }
  return total;
}

}  // namespace xent::XENT_ISA_NS::kern
