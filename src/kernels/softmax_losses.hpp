// Softmax cross-entropy with logits, dense soft labels and sparse class indices.
//
// Per sample (b, k), with y = transform(x) and coef_c = class_weight_c * t'_c:
//   pass 1  m = max y, s = sum exp(y - m)                  (row_lse: chunked, one read)
//   pass 2  D = sum coef (m - y), A = sum coef             (dense, or smoothing on)
//           loss = sw * (D + A log s + z lse^2)           (= sw * sum coef (lse - y) + ...)
//   pass 3  grad_c = sw * scale * ((A + 2 z lse) softmax_c - coef_c) * dy/dx (at x)
// Sparse labels split coef into a uniform smoothing part (s/C * w_c, a vector pass only
// when smoothing is on) and the label's own part, handled as one scalar term.
#pragma once

#include <type_traits>

#include "kernels/loss_call.hpp"
#include "kernels/row_stats.hpp"

namespace xent::XENT_ISA_NS::kern {

template <class V> using T_of = simd::value_t<V>;

template <class V, class Xf> struct SoftmaxRow {
  using T = simd::value_t<V>;
  static constexpr int64_t W = int64_t(simd::width_v<V>);

  const LossCall<T> &c;
  const Xf &xf;
  const T *x;        // row start, stride K
  const T *t;        // dense targets row or null
  T t_scale, t_add;  // t'_c = t_scale * t_c + t_add (dense); sparse: t_add only

  V coef(int64_t i) const {
    const int64_t n = c.C, K = c.K;
    V tc = t ? V(t_scale) * load_block<V>(t, i, n, K, T(0)) + V(t_add) : V(t_add);
    if (c.class_weights) tc *= load_block<V>(c.class_weights, i, n, 1, T(0));
    return tc;
  }

  // D and A over the vector part of coef (dense, or sparse with smoothing); chunked and
  // split like row_lse. With poly, also E = sum coef exp(y - m) (Poly-1's sum coef p, times s).
  void linear_terms(T m, double &D, double &A, double *E, int threads) const {
    const int64_t n = c.C, K = c.K;
    const RowSplit split = row_split(n);
    double part_d[kMaxRowParts], part_a[kMaxRowParts], part_e[kMaxRowParts];
    for_each_part(split, n, threads, [&](int64_t p, int64_t p0, int64_t p1) {
      double dsum = 0, asum = 0, esum = 0;
      for (int64_t c0 = p0; c0 < p1; c0 += kSumChunk) {
        const int64_t c1 = std::min(p1, c0 + kSumChunk);
        V d(T(0)), a(T(0)), e(T(0));
        for (int64_t i = c0; i < c1; i += W) {
          const V y = xf.apply(load_block<V>(x, i, c1, K, T(0)));
          const V k = keep_valid(coef(i), i, c1);
          d += weighted(k, V(m) - y);
          a += k;
          if (E) e += weighted(k, math::exp_loss_v(y - V(m)));
        }
        dsum += double(simd::hsum(d));
        asum += double(simd::hsum(a));
        esum += double(simd::hsum(e));
      }
      part_d[p] = dsum;
      part_a[p] = asum;
      part_e[p] = esum;
    });
    for (int64_t p = 0; p < split.parts; ++p) {
      D += part_d[p];
      A += part_a[p];
      if (E) *E += part_e[p];
    }
  }

  // sum of exp(y - m) over a contiguous row (K = 1), storing e = exp_loss_v(y - m) into g
  // (g may be x): the terms, order and bits of row_lse's sum pass (row_reduce with one
  // accumulator), and the e of the general gradient route.
  double sum_storing_exp(T *g, T m) const {
    const int64_t n = c.C;
    const V mv(m);
    V a(T(0));
    int64_t i = 0;
    for (; i + W <= n; i += W) {
      __builtin_prefetch(x + i + n);  // the next row, as in row_reduce
      const V d = xf.apply(simd::load<V>(x + i)) - mv, term = LossMath{}(d);
      simd::store(g + i, math::exp_loss_from_sum_term(d, term));
      a += term;
    }
    if (i < n) {
      const V d = xf.apply(load_block<V>(x, i, n, 1, T(0))) - mv, term = LossMath{}(d);
      store_block(g, i, n, 1, math::exp_loss_from_sum_term(d, term));
      a += simd::select(valid_lanes<V>(i, n), term, V(T(0)));
    }
    return double(simd::hsum(a));
  }

  // grad_c = scale * (G * softmax_c - coef_c (1 + poly softmax_c)) * dy_c/dx_c, where
  // coef_c is the vector part (when vector_coef) plus label_coef at the label (label >= 0;
  // the caller folds Poly-1's factor into label_coef). The scale comes last, so a MEAN over
  // a zero denominator gives g / 0 (+-inf or NaN) as the formula does; in a backward call
  // (has_dl) the upstream gradient dl multiplies that result.
  // ExpStored: g already holds exp(y - max) (sum_storing_exp; identity transform only).
  template <bool ExpStored>
  void gradient(T *g, const RowLse<T> &st, T scale, T G, bool vector_coef, int64_t label, T label_coef, T poly,
                bool has_dl, T dl, int threads) const {
    const int64_t n = c.C, K = c.K;
    const bool finite = std::isfinite(st.max);
    const V shift(finite ? st.max : T(st.lse));
    const double inv_sum = finite ? 1.0 / st.sum : 1.0;
    const T pf = T(double(G) * inv_sum);
    const V pfac(pf), poly_s(T(double(poly) * inv_sum)), dlv(dl);
    if constexpr (ExpStored) {
      if (!vector_coef) {
        // The common case as a tight loop: g = (pfac e) * scale, then the label's entry
        // redone with its term; the same operations, so the same bits, as below.
        const T e_label = label >= 0 ? g[label] : T(0);
        const V sc(scale);
        if (has_dl) map_row<V>(g, g, 0, n, [=](const V &e) { return ((pfac * e) * sc) * dlv; });
        else map_row<V>(g, g, 0, n, [=](const V &e) { return (pfac * e) * sc; });
        if (label >= 0) {
          const T gl = (pf * e_label - label_coef) * scale;
          g[label] = has_dl ? gl * dl : gl;
        }
        return;
      }
    }
    for_each_part(row_split(n), n, threads, [&](int64_t, int64_t c0, int64_t c1) {
      for (int64_t i = c0; i < c1; i += W) {
        const V xv = ExpStored ? V(T(0)) : load_block<V>(x, i, c1, K, T(0));
        const V e = ExpStored ? load_block<V>(g, i, c1, K, T(0)) : math::exp_loss_v(xf.apply(xv) - shift);
        V gv = pfac * e;
        if (vector_coef) gv -= poly != 0 ? coef(i) * (V(T(1)) + poly_s * e) : coef(i);
        if (label >= 0) gv -= at_lane<V>(i, label, label_coef);
        const V out = (gv * xf.deriv(xv)) * V(scale);
        store_block(g, i, c1, K, has_dl ? out * dlv : out);
      }
    });
  }
};

// A sparse row's loss with plain options (label_coef = 1, A = 1, sw = 1, z = 0) from its
// statistics and the label's logit y: softmax_ce_block's D + A log_sum with those values,
// so its bits; NaN anywhere in the row gives NaN.
template <class T> XENT_ALWAYS_INLINE double plain_sparse_loss(const RowLse<T> &st, T y) {
  const double loss = (double(st.max) - double(y)) + st.log_sum;
  return std::isnan(st.lse) ? st.lse : loss;
}

// The gradient of the backward with the forward's lse for a contiguous row whose targets
// are its label alone (K = 1, no transform): one pass, g = ((G exp(y - lse) - label term) *
// scale) [* dl]. The operations of gradient<false> for such a row, so the same bits, in a
// loop without its per-vector layout cases (g may be x).
template <class V, class Xf>
void gradient_from_lse(const SoftmaxRow<V, Xf> &row, T_of<V> *g, T_of<V> lse, T_of<V> scale, T_of<V> G,
                       int64_t label, T_of<V> label_coef, bool has_dl, T_of<V> dl) {
  using T = simd::value_t<V>;
  constexpr int64_t W = int64_t(simd::width_v<V>);
  const int64_t n = row.c.C;
  const V shift(lse), pfac(G), sc(scale), dlv(dl);
  const int64_t label_vec = label - label % W;  // where the label's vector starts
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    V gv = pfac * math::exp_loss_v(simd::load<V>(row.x + i) - shift);
    if (i == label_vec) gv -= at_lane<V>(i, label, label_coef);
    const V out = gv * sc;
    simd::store(g + i, has_dl ? out * dlv : out);
  }
  if (i < n) {
    V gv = pfac * math::exp_loss_v(load_block<V>(row.x, i, n, 1, T(0)) - shift);
    gv -= at_lane<V>(i, label, label_coef);
    const V out = gv * sc;
    store_block(g, i, n, 1, has_dl ? out * dlv : out);
  }
}

// The statistics of a dense row (soft targets) that fits one vector (K = 1, C <= W, no
// transform) from the row in a register: its max, sum of exp(y - max) and linear terms D
// and A, with the operations and order of chunk_max, the sum passes (row_reduce<V, 1>'s
// 0 + select(valid, e)) and linear_terms, so the general route's bits; with g, e =
// exp(y - max) stored into it as sum_storing_exp does. A tiny call's chain without the
// passes' loops and per-part bookkeeping. False, having written nothing, when the max is
// not finite (the general route's rules apply).
template <class V>
bool one_vector_dense_stats(const SoftmaxRow<V, Identity<T_of<V>>> &row, T_of<V> *g, RowLse<T_of<V>> &st,
                            double &D, double &A) {
  using T = T_of<V>;
  const int64_t n = row.c.C;
  const auto valid = valid_lanes<V>(0, n);
  const V xv = load_block<V>(row.x, 0, n, 1, T(0));
  T m;
  const V mv = simd::broadcast_max(simd::select(valid, xv, V(-std::numeric_limits<T>::infinity())), m);
  if (!std::isfinite(m)) return false;
  const V d = xv - mv, term = LossMath{}(d);
  if (g) store_block(g, 0, n, 1, math::exp_loss_from_sum_term(d, term));
  const V sum = V(T(0)) + simd::select(valid, term, V(T(0)));
  st = finish_row_lse<LossMath, T>(double(m), double(simd::hsum(sum)), row.x, n, 1);
  const V k = keep_valid(row.coef(0), 0, n);
  const V dv = V(T(0)) + weighted(k, mv - xv), av = V(T(0)) + k;
  double dsum = 0, asum = 0;
  dsum += double(simd::hsum(dv));
  asum += double(simd::hsum(av));
  D += dsum;
  A += asum;
  return true;
}

// The sparse label-only focal / Poly-1 terms of one sample, from lp = log p_t = y_label - lse
// (lp <= 0): with om = 1 - p_t = -expm1(lp) (exact near p_t = 1),
//   loss / label weight = om^gamma * ((lse - y_label) + eps * om)
//   phi = -d(loss / label weight)/d(lp)
//       = om^gamma - gamma om^gamma p_t lp / om + eps (gamma + 1) om^gamma p_t,
// the factor of the CE gradient: grad_j = weight * phi * (p_j - [j = label]). lp / om tends
// to -1 as om -> 0 (and is exactly that there).
struct FocalTerms {
  double factor;  // om^gamma, multiplies the CE
  double poly;    // eps * om^(gamma + 1), added
  double phi;
};
inline FocalTerms focal_terms(double lp, double gamma, double eps) {
  const double om = -std::expm1(lp), p = std::exp(lp);
  const double omg = gamma == 0 ? 1.0 : std::pow(om, gamma);
  const double ratio = om > 0 ? lp / om : -1.0;
  const double focal = gamma != 0 && p > 0 ? gamma * omg * p * ratio : 0.0;  // p lp -> 0 as p -> 0
  return {omg, eps * omg * om, omg - focal + eps * (gamma + 1) * omg * p};
}

// |lse| up to which a saved lse is used: its rounding (half an ulp of |lse|) then costs at
// most 3.8e-6 relative in f32 (with the loss exp's 3.5e-6, within SPEC's 1e-5) and 1.1e-13
// in f64.
template <class T> constexpr double saved_lse_limit() { return sizeof(T) == 4 ? 128.0 : 1024.0; }

template <class V, class Xf>
double softmax_ce_block(const LossCall<simd::value_t<V>> &c, int64_t s0, int64_t s1, const Xf &xf,
                        bool sparse) {
  using T = simd::value_t<V>;
  const int64_t C = c.C, K = c.K;
  const double smooth = double(c.smoothing);
  const bool vector_coef = !sparse || smooth != 0;
  const double gamma = double(c.focal_gamma), eps = double(c.poly_epsilon);
  const bool focal_poly = gamma != 0 || eps != 0;  // vector_coef: eps only (capi rejects the rest)
  // A backward call with the forward's lse: no max or sum pass (the row's softmax is
  // exp(y - lse)).
  const bool lse_given = c.lse_in != nullptr;
  // Rows of one chunk with a contiguous gradient (the training case): the sum pass stores
  // exp(y - max) into the gradient row and the gradient pass scales it instead of computing
  // exp again. In place too: the label's logit and the linear terms are read first, and x
  // is not read after the sum pass. Same bits as the general route.
  const bool store_exp = c.grad && !lse_given && K == 1 && C <= kSumChunk && std::is_same_v<Xf, Identity<T>>;
  // Other contiguous rows of one chunk (the loss alone): each row's sum pass also finds the
  // next row's max (chunk_sumexp_next_max), carried to it here.
  const bool max_ahead = !store_exp && !lse_given && K == 1 && C <= kSumChunk;
  T carried_max = 0;
  bool carried_in_range = false;
  int64_t carried_for = -1;  // the sample whose max (and range) is carried
  double total = 0;
  for (int64_t s = s0; s < s1; ++s) {
    const int64_t base = c.sample_base(s);
    T *g = c.grad ? c.grad + base : nullptr;
    const int64_t label = sparse ? c.label(s) : -1;
    if (sparse && label == c.ignore_index) {
      if (c.lse_out) c.lse_out[s] = T(row_lse<V, LossMath>(c.x + base, C, K, xf, c.row_threads).lse);
      c.skip_ignored(s, label, base);
      continue;
    }
    const SoftmaxRow<V, Xf> row{c, xf, c.x + base, sparse ? nullptr : c.targets + base,
                                T(1 - smooth), T(smooth / double(C))};

    double D = 0, A = 0, E = 0;  // E: Poly-1's sum of coef exp(y - max), vector part
    double *const E_wanted = vector_coef && eps != 0 ? &E : nullptr;
    T y_label = 0;
    RowLse<T> st;
    bool one_vector = false;
    if constexpr (std::is_same_v<Xf, Identity<T>>)
      one_vector = !sparse && K == 1 && C <= int64_t(simd::width_v<V>) && !lse_given && eps == 0 &&
                   one_vector_dense_stats(row, store_exp ? g : nullptr, st, D, A);
    const T max_first = store_exp && !one_vector ? chunk_max<V>(row.x, C, 1, xf) : T(0);
    const bool stored = store_exp && (one_vector || std::isfinite(max_first));  // else the non-finite rules
    // A saved lse gives p = exp(y - lse) to |lse| ulps of T: beyond saved_lse_limit (or NaN,
    // or an all -inf row) that exceeds the loss tolerance, and the row is recomputed as
    // without lse (logits of 1e4 in f32 would lose 1e-4 relative, 1e200 in f64 everything).
    const bool use_saved = lse_given && std::fabs(double(c.lse_in[s])) <= saved_lse_limit<T>();
    if (one_vector) {
      // done above
    } else if (use_saved) {
      const T lse = c.lse_in[s];  // the row's softmax is exp(y - lse): max lse, sum 1
      st = RowLse<T>{lse, 1.0, double(lse), 0.0};
      if (vector_coef) row.linear_terms(lse, D, A, E_wanted, c.row_threads);
      if (sparse) y_label = xf.apply(row.x[label * K]);
    } else if (stored) {
      if (vector_coef) row.linear_terms(max_first, D, A, E_wanted, 1);
      if (sparse) y_label = row.x[label];
      st = finish_row_lse<LossMath, T>(double(max_first), row.sum_storing_exp(g, max_first), row.x, C, 1);
    } else if (max_ahead) {
      const bool carried = carried_for == s;
      const T m = carried ? carried_max : chunk_max<V>(row.x, C, 1, xf);
      double sum;
      chunk_sumexp_next_max<V>(row.x, s + 1 < s1 ? row.x + C : nullptr, C, xf, m, carried && carried_in_range, sum,
                               carried_max, carried_in_range);
      carried_for = s + 1;
      st = finish_row_lse<LossMath>(double(m), sum, row.x, C, 1);
      if (vector_coef) row.linear_terms(st.max, D, A, E_wanted, 1);
      if (sparse) y_label = xf.apply(row.x[label]);
    } else {
      st = row_lse<V, LossMath>(row.x, C, K, xf, c.row_threads);
      if (vector_coef) row.linear_terms(st.max, D, A, E_wanted, c.row_threads);
      if (sparse) y_label = xf.apply(row.x[label * K]);
    }
    if (c.lse_out) c.lse_out[s] = T(st.lse);
    const double m = double(st.max);
    const bool finite = std::isfinite(m);
    const double inv_sum = finite ? 1.0 / st.sum : 1.0;

    double label_coef = 0;
    if (sparse) {
      label_coef = (1 - smooth) * (c.class_weights ? double(c.class_weights[label]) : 1.0);
      if (label_coef != 0) D += label_coef * (m - double(y_label));
      A += label_coef;
    }
    const double sw = c.sample_weights ? double(c.sample_weights[s]) : 1.0;
    const double z = double(c.z_loss);
    double loss = D + (A != 0 ? A * st.log_sum : 0.0);
    // The gradient's G (softmax factor) and label term, CE first; focal / Poly-1 change them.
    double G = A, label_term = label_coef;
    if (focal_poly && !vector_coef) {  // sparse, label only: focal and Poly-1 on p_t
      const FocalTerms f = focal_terms(double(y_label) - st.lse, gamma, eps);
      const double ce = (m - double(y_label)) + st.log_sum;
      loss = label_coef != 0 ? label_coef * (f.factor * ce + f.poly) : 0.0;
      G = label_term = label_coef * f.phi;
    } else if (eps != 0) {  // Poly-1 with a vector part: + eps (A - P), P = sum coef p
      const double p_label = sparse ? std::exp(double(y_label) - m) * inv_sum : 0.0;
      const double P = E * inv_sum + label_coef * p_label;
      loss += eps * (A - P);
      G = A + eps * P;
      label_term = label_coef * (1 + eps * p_label);
    }
    if (z != 0) loss += z * st.lse * st.lse;
    if (std::isnan(st.lse)) loss = st.lse;  // NaN anywhere in the row
    loss *= sw;
    if (c.loss) c.loss[s] = T(loss);
    total += loss;

    if (g) {
      const T scale = T(sw * double(c.grad_scale));
      const T Gt = T(z != 0 ? G + 2 * z * st.lse : G);  // z = 0 with lse = inf must not be NaN
      const T poly = T(vector_coef ? eps : 0.0);
      const bool has_dl = c.dloss != nullptr;
      const T dl = c.upstream(s);
      if (use_saved && !vector_coef && K == 1 && std::is_same_v<Xf, Identity<T>>)
        gradient_from_lse(row, g, st.max, scale, Gt, label, T(label_term), has_dl, dl);
      else if (stored)
        row.template gradient<true>(g, st, scale, Gt, vector_coef, label, T(label_term), poly, has_dl, dl, 1);
      else
        row.template gradient<false>(g, st, scale, Gt, vector_coef, label, T(label_term), poly, has_dl, dl,
                                     c.row_threads);
    }
  }
  return total;
}

}  // namespace xent::XENT_ISA_NS::kern
