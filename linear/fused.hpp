// The fused linear loss over chunks of tokens (the Liger-Kernel design): per chunk of R
// tokens, the logits tile Z = hidden[chunk] @ weight^T + bias (R x v, the only scratch of
// f32 / f64), then the library's sparse softmax CE kernel on Z with the gradient G written
// over Z, then d_hidden[chunk] = G @ weight, d_weight (+)= G^T @ hidden[chunk], d_bias (+)=
// column sums of G. Each product runs as fixed tiles, one single-threaded BLAS call per
// tile (gemm.hpp); chunks are taken in order, so d_weight and d_bias add the chunks in a
// fixed order and the loss adds fixed blocks of kLossGroup tokens in order. The 16-bit
// forms run the same code in f32 on converted operands (operands.hpp).
#pragma once

#include <cstring>
#include <limits>

#include "driver/scratch.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"
#include "linear/args.hpp"
#include "linear/gemm.hpp"
#include "linear/operands.hpp"
#include "linear/products.hpp"
#include "linear/tiles.hpp"

namespace xent::linear {

inline int thread_id() {
#if XENT_HAVE_OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}
template <class S, class L> struct Fused {
  using M = capi::math_t<S>;
  const Args<S, L> &a;
  const Checked &c;
  const Operands<S, L> &op;
  M *z;  // the logits tile, R x v
  int64_t R;
  LossCall<M> base;  // the loss call with everything but the chunk's offsets

  // The chunk [c0, c0 + r): its loss block sums into sums[], in block order.
  void chunk(int64_t c0, int64_t r, bool first, bool last, double *sums) const {
    const int64_t h = a.h, v = a.v;
    const bool want_grad = a.d_hidden || a.d_weight || a.d_bias;
    LossCall<M> call = base;
    call.x = z;
    call.B = r;
    if constexpr (std::is_same_v<L, int64_t>) call.labels64 = a.labels + c0;
    else call.labels32 = a.labels + c0;
    if (call.sample_weights) call.sample_weights += c0;
    if (call.loss) call.loss += c0;
    if (call.lse_out) call.lse_out += c0;
    if (call.lse_in) call.lse_in += c0;
    if (call.dloss && call.dloss_each) call.dloss += c0;
    call.grad = want_grad ? z : nullptr;
    const auto loss_block = kernels<M>().loss_block[int(Variant::sparse_softmax_ce_with_logits)];
    const int64_t groups = tile_count(r, kLossGroup);
    const int tid = thread_id();

    blas_single_threaded();
    if constexpr (Operands<S, L>::kHalf) {  // the chunk's hidden rows in f32, by loss blocks
      for_tiles(groups, [&](int64_t g) { op.convert_hidden(c0, g * kLossGroup, std::min(r, (g + 1) * kLossGroup)); });
      barrier();
    }
    const M *hc = op.hidden_chunk(c0);
    // Z = hidden[chunk] @ weight^T + bias, by vocabulary tiles.
    for_tiles(tile_count(v, kVocabTile), [&](int64_t t) {
      const int64_t j0 = t * kVocabTile, w = std::min(kVocabTile, v - j0);
      if (a.bias)
        for (int64_t i = 0; i < r; ++i) op.bias_into(j0, w, z + i * v + j0);
      int64_t ldw;
      const M *wt = op.weight_block(j0, w, 0, h, tid, &ldw);
      gemm(false, true, r, w, h, hc, h, wt, ldw, a.bias ? M(1) : M(0), z + j0, v);
    });
    barrier();
    // Loss (and lse) of each token and the gradient over Z, by the sparse loss's kernel (a
    // backward: dloss times the gradient, with the saved lse when given).
    for_tiles(groups, [&](int64_t g) {
      const int64_t u0 = g * kLossGroup, u1 = std::min(r, u0 + kLossGroup);
      sums[g] = loss_block(call, u0, u1);
    });
    barrier();
    // d_hidden[chunk] = G @ weight, by hidden tiles (f32 / f64: the whole vocabulary is each
    // tile's depth; 16-bit: vocabulary tiles added in order).
    if (a.d_hidden)
      for_tiles(tile_count(h, kHiddenTile), [&](int64_t t) {
        const int64_t k0 = t * kHiddenTile, w = std::min(kHiddenTile, h - k0), depth = op.d_hidden_depth();
        int64_t ldd;
        M *dh = op.d_hidden_tile(c0, k0, w, tid, &ldd);
        for (int64_t j0 = 0; j0 < v; j0 += depth) {
          const int64_t d = std::min(depth, v - j0);
          int64_t ldw;
          const M *wt = op.weight_block(j0, d, k0, w, tid, &ldw);
          gemm(false, false, r, w, d, z + j0, v, wt, ldw, j0 == 0 ? M(0) : M(1), dh, ldd);
        }
        op.store_d_hidden(c0, r, k0, w, tid);
      });
    // d_weight (+)= G^T @ hidden[chunk] and d_bias (+)= column sums of G, by vocabulary tiles.
    if (a.d_weight || a.d_bias)
      for_tiles(tile_count(v, kVocabTile), [&](int64_t t) {
        const int64_t j0 = t * kVocabTile, w = std::min(kVocabTile, v - j0);
        if (a.d_weight) {
          gemm(true, false, w, h, r, z + j0, v, hc, h, first ? M(0) : M(1), op.d_weight_rows(j0, tid), h);
          op.store_d_weight(j0, w, last, tid);
        }
        if (a.d_bias) {
          M *db = op.d_bias_sums() + j0;
          if (first) std::memset(db, 0, sizeof(M) * std::size_t(w));
          for (int64_t i = 0; i < r; ++i) {
            const M *gi = z + i * v + j0;
            for (int64_t j = 0; j < w; ++j) db[j] += gi[j];
          }
          op.store_d_bias(j0, w, last);
        }
      });
    barrier();
  }
};

// The whole call after its checks. Returns false when the tile or the 16-bit scratch could
// not be allocated (then nothing has been written).
template <class S, class L> bool run_fused(const Args<S, L> &a, const Checked &c) {
  using M = capi::math_t<S>;
  const xent_options &o = c.o;
  const bool reduce = o.reduction != XENT_REDUCTION_NONE, mean = o.reduction == XENT_REDUCTION_MEAN;
  const bool none = o.reduction == XENT_REDUCTION_NONE;
  // As driver/run_loss.hpp sets up the sparse loss's call.
  LossCall<M> base;
  base.C = a.v;
  base.K = 1;
  base.reduce = reduce && !a.backward();
  base.loss = none ? a.loss : nullptr;  // null in a backward
  base.lse_out = static_cast<M *>(o.lse_out);  // null in a backward (checks.hpp)
  base.dloss = a.dloss;
  base.dloss_each = none;
  base.lse_in = a.lse;
  base.focal_gamma = M(o.focal_gamma);
  base.focal_alpha = M(o.focal_alpha);
  base.poly_epsilon = M(o.poly_epsilon);
  base.smoothing = M(o.label_smoothing);
  base.class_weights = static_cast<const M *>(o.class_weights);
  base.sample_weights = static_cast<const M *>(o.sample_weights);
  base.ignore_index = o.ignore_index;
  base.z_loss = M(o.z_loss);
  base.softcap = M(o.logit_softcap);
  if (mean) base.grad_scale = M(1.0 / c.denominator);

  double total = 0;
  if (a.n == 0) {
    // All-zero bits are +0 in every element type.
    if (a.d_weight) std::memset(a.d_weight, 0, sizeof(S) * std::size_t(a.v * a.h));
    if (a.d_bias) std::memset(a.d_bias, 0, sizeof(S) * std::size_t(a.v));
  } else if (!a.backward() || a.d_hidden || a.d_weight || a.d_bias) {  // a backward with no gradient: nothing
    const int64_t R = chunk_rows(a.n);
    const int64_t elements = a.v > std::numeric_limits<int64_t>::max() / a.n ? std::numeric_limits<int64_t>::max()
                                                                            : a.n * a.v;
    const int threads = std::max(1, threads_for(elements, o.num_threads));
    const Operands<S, L> op(a, threads);
    if (!op.ok()) return false;
    M *z = static_cast<M *>(scratch_alloc(sizeof(M) * std::size_t(R) * std::size_t(a.v)));
    if (!z) return false;
    const Fused<S, L> f{a, c, op, z, R, base};
    double sums[kMaxLossGroups];
    for (int64_t c0 = 0; c0 < a.n; c0 += R) {
      const int64_t r = std::min(R, a.n - c0);
#if XENT_HAVE_OPENMP
#pragma omp parallel num_threads(threads)
#endif
      f.chunk(c0, r, c0 == 0, c0 + r == a.n, sums);
      for (int64_t g = 0; g < tile_count(r, kLossGroup); ++g) total += sums[g];
    }
    scratch_free(z);
    (void)threads;
  }
  if (reduce && !a.backward()) {
    if (mean)
      total = c.denominator > 0 || c.denominator < 0 ? total / c.denominator : std::numeric_limits<double>::quiet_NaN();
    *a.loss = M(total);
  }
  return true;
}

}  // namespace xent::linear
