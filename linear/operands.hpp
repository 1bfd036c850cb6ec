// The operands and results of the fused loss's products, in the math type M. For f32 and f64
// they are the caller's arrays themselves (no copy, no scratch). For the 16-bit types they
// are f32 copies in bounded scratch, so that every product accumulates in f32 through the
// same sgemm calls (Debian's OpenBLAS 0.3.21 has no sbgemm, and none would serve f16):
//   - the hidden chunk (R x h), converted once per chunk;
//   - per thread, a weight block (at most kVocabTile x h), converted per product tile, and a
//     d_hidden tile (R x kHiddenTile), rounded per chunk;
//   - d_weight's f32 sum over the chunks (v x h, only when d_weight is asked for and there
//     is more than one chunk; a single chunk rounds its tile from the weight block's slot)
//     and d_bias's (v), rounded once after the last chunk.
// Each 16-bit output is thus the round-to-nearest-even of an f32 result.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "capi/half.hpp"
#include "driver/scratch.hpp"
#include "linear/args.hpp"
#include "linear/tiles.hpp"

namespace xent::linear {

template <class S, class L> class Operands {
 public:
  using M = capi::math_t<S>;
  static constexpr bool kHalf = capi::is_half_v<S>;

  // The scratch of a call of n > 0 tokens on `threads` threads (none for f32 / f64).
  Operands(const Args<S, L> &a, int threads) : a_(a) {
    if constexpr (kHalf) {
      const int64_t R = chunk_rows(a.n), h = a.h, v = a.v;
      block_ = std::min(kVocabTile, v) * h;
      dh_tile_ = R * std::min(kHiddenTile, h);
      const int64_t dw_sum = a.d_weight && a.n > R ? v * h : 0, db_sum = a.d_bias ? v : 0;
      const int64_t floats = R * h + int64_t(threads) * (block_ + dh_tile_) + dw_sum + db_sum;
      hidden_ = static_cast<float *>(scratch_alloc(sizeof(float) * std::size_t(floats)));
      per_thread_ = hidden_ ? hidden_ + R * h : nullptr;
      dw_sum_ = hidden_ && dw_sum ? per_thread_ + int64_t(threads) * (block_ + dh_tile_) : nullptr;
      db_sum_ = hidden_ && db_sum ? per_thread_ + int64_t(threads) * (block_ + dh_tile_) + dw_sum : nullptr;
    }
  }
  ~Operands() {
    if constexpr (kHalf) scratch_free(hidden_);
  }
  Operands(const Operands &) = delete;
  Operands &operator=(const Operands &) = delete;
  bool ok() const { return !kHalf || hidden_ != nullptr; }

  // Rows [u0, u1) of the chunk at c0 into the f32 copy (16-bit only; the threads split the rows).
  void convert_hidden(int64_t c0, int64_t u0, int64_t u1) const {
    if constexpr (kHalf)
      cv().to_f32(capi::bits(a_.hidden) + (c0 + u0) * a_.h, hidden_ + u0 * a_.h, (u1 - u0) * a_.h);
    else
      (void)c0, (void)u0, (void)u1;
  }
  // The chunk's hidden rows (leading dimension h), after convert_hidden.
  const M *hidden_chunk(int64_t c0) const {
    if constexpr (kHalf) return hidden_;
    else return a_.hidden + c0 * a_.h;
  }
  // weight[j0 : j0 + rows, k0 : k0 + cols] and its leading dimension.
  const M *weight_block(int64_t j0, int64_t rows, int64_t k0, int64_t cols, int tid, int64_t *ld) const {
    if constexpr (kHalf) {
      float *dst = slot(tid);
      const uint16_t *src = capi::bits(a_.weight) + j0 * a_.h + k0;
      if (cols == a_.h) cv().to_f32(src, dst, rows * cols);
      else
        for (int64_t i = 0; i < rows; ++i) cv().to_f32(src + i * a_.h, dst + i * cols, cols);
      *ld = cols;
      return dst;
    } else {
      (void)rows, (void)cols, (void)tid;
      *ld = a_.h;
      return a_.weight + j0 * a_.h + k0;
    }
  }
  // bias[j0 : j0 + w] into dst (a row of the logits tile).
  void bias_into(int64_t j0, int64_t w, M *dst) const {
    if constexpr (kHalf) cv().to_f32(capi::bits(a_.bias) + j0, dst, w);
    else std::memcpy(dst, a_.bias + j0, sizeof(M) * std::size_t(w));
  }

  // Where d_hidden[chunk rows, k0 : k0 + w] is summed (and its leading dimension), then
  // store_d_hidden rounds it into the caller's array (16-bit only).
  M *d_hidden_tile(int64_t c0, int64_t k0, int64_t w, int tid, int64_t *ld) const {
    if constexpr (kHalf) {
      *ld = w;
      return slot(tid) + block_;
    } else {
      (void)w, (void)tid;
      *ld = a_.h;
      return a_.d_hidden + c0 * a_.h + k0;
    }
  }
  void store_d_hidden(int64_t c0, int64_t r, int64_t k0, int64_t w, int tid) const {
    if constexpr (kHalf) {
      const float *t = slot(tid) + block_;
      for (int64_t i = 0; i < r; ++i) cv().from_f32(t + i * w, capi::bits(a_.d_hidden) + (c0 + i) * a_.h + k0, w);
    } else {
      (void)c0, (void)r, (void)k0, (void)w, (void)tid;
    }
  }
  // The depth of one d_hidden product: the whole vocabulary for f32 / f64 (one call per
  // tile); vocabulary tiles for 16-bit (the f32 weight block is bounded), summed in order.
  int64_t d_hidden_depth() const { return kHalf ? kVocabTile : a_.v; }

  // Where d_weight rows [j0, j0 + w) are summed over the chunks (leading dimension h);
  // store_d_weight rounds them after the last chunk (16-bit only).
  M *d_weight_rows(int64_t j0, int tid) const {
    if constexpr (kHalf) {
      return dw_sum_ ? dw_sum_ + j0 * a_.h : slot(tid);
    } else {
      (void)tid;
      return a_.d_weight + j0 * a_.h;
    }
  }
  void store_d_weight(int64_t j0, int64_t w, bool last, int tid) const {
    if constexpr (kHalf) {
      if (last) cv().from_f32(d_weight_rows(j0, tid), capi::bits(a_.d_weight) + j0 * a_.h, w * a_.h);
    } else {
      (void)j0, (void)w, (void)last, (void)tid;
    }
  }
  // d_bias's sum over the chunks (v), rounded by store_d_bias after the last (16-bit only).
  M *d_bias_sums() const {
    if constexpr (kHalf) return db_sum_;
    else return a_.d_bias;
  }
  void store_d_bias(int64_t j0, int64_t w, bool last) const {
    if constexpr (kHalf) {
      if (last) cv().from_f32(db_sum_ + j0, capi::bits(a_.d_bias) + j0, w);
    } else {
      (void)j0, (void)w, (void)last;
    }
  }

 private:
  static const HalfConvert &cv() { return capi::half_convert<S>(); }
  float *slot(int tid) const { return per_thread_ + int64_t(tid) * (block_ + dh_tile_); }

  const Args<S, L> &a_;
  float *hidden_ = nullptr, *per_thread_ = nullptr, *dw_sum_ = nullptr, *db_sum_ = nullptr;
  int64_t block_ = 0, dh_tile_ = 0;  // floats per thread: the weight block, the d_hidden tile
};

}  // namespace xent::linear
