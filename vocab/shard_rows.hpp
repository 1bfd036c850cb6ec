// How the vocabulary-parallel steps see the shard's rows: f32 / f64 shards directly, and
// 16-bit shards through a per-thread f32 tile, converted at load and its gradient rounded
// to nearest even at store (as the 16-bit losses do: driver/run_half.hpp). The steps' f32
// arithmetic therefore runs on the widened values, so a 16-bit call gives exactly the f32
// call's results on the widened shard (grad: their rounding), and the scratch is a tile
// (one row at least) per thread, never a copy of the shard.
#pragma once

#include <algorithm>
#include <cstdint>

#include "capi/half.hpp"
#include "driver/run_half.hpp"

namespace xent::vocab {

template <class S, bool = capi::is_half_v<S>> class ShardRows;

// f32 / f64: the rows themselves.
template <class S> class ShardRows<S, false> {
 public:
  ShardRows(const S *shard, S *grad, int64_t, int64_t n, int) : shard_(shard), grad_(grad), n_(n) {}
  bool ok() const { return true; }
  // f(r0, r1, x): x holds rows [r0, r1) of the shard.
  template <class F> void read(int, int64_t r0, int64_t r1, F &&f) const { f(r0, r1, shard_ + r0 * n_); }
  // f(r0, r1, x, g): g receives the gradient of the rows x (g may be x).
  template <class F> void write(int, int64_t r0, int64_t r1, F &&f) const {
    f(r0, r1, shard_ + r0 * n_, grad_ + r0 * n_);
  }

 private:
  const S *shard_;
  S *grad_;
  int64_t n_;
};

// 16-bit: tiles of about kHalfTileElements, whole rows, in f32. The gradient is computed in
// place in the tile; a tile is read whole before its rows are written, so grad may be shard.
template <class S> class ShardRows<S, true> {
 public:
  // threads: the scratch slots (0 when the step reads no rows).
  ShardRows(const S *shard, S *grad, int64_t batch, int64_t n, int threads)
      : cv_(capi::half_convert<S>()), shard_(capi::bits(shard)), grad_(capi::bits(grad)), n_(n),
        tile_rows_(std::max<int64_t>(1, kHalfTileElements / n)),
        scratch_(batch > 0 ? threads : 0, 1, tile_rows_ * n), used_(batch > 0 && threads > 0) {}
  bool ok() const { return !used_ || scratch_.ok(); }
  template <class F> void read(int tid, int64_t r0, int64_t r1, F &&f) const {
    float *x = scratch_.get(tid, 0);
    for (int64_t t0 = r0; t0 < r1; t0 += tile_rows_) {
      const int64_t t1 = std::min(r1, t0 + tile_rows_);
      cv_.to_f32(shard_ + t0 * n_, x, (t1 - t0) * n_);
      f(t0, t1, static_cast<const float *>(x));
    }
  }
  template <class F> void write(int tid, int64_t r0, int64_t r1, F &&f) const {
    float *x = scratch_.get(tid, 0);
    for (int64_t t0 = r0; t0 < r1; t0 += tile_rows_) {
      const int64_t t1 = std::min(r1, t0 + tile_rows_);
      cv_.to_f32(shard_ + t0 * n_, x, (t1 - t0) * n_);
      f(t0, t1, static_cast<const float *>(x), x);
      cv_.from_f32(x, grad_ + t0 * n_, (t1 - t0) * n_);
    }
  }

 private:
  HalfConvert cv_;
  const uint16_t *shard_;
  uint16_t *grad_;
  int64_t n_, tile_rows_;
  HalfScratch scratch_;
  bool used_;
};

}  // namespace xent::vocab
