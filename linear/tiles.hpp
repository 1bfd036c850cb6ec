// The fixed tiling of the fused linear loss. Every size here depends on the shapes only,
// never on the thread count: that is what makes the results the same bits for any count.
#pragma once

#include <algorithm>
#include <cstdint>

namespace xent::linear {

// Tokens per chunk: the logits tile (kChunkRows x v) is the only scratch, at most 1/16 of
// the logits of 4096 tokens and independent of n. Each chunk re-reads weight (twice) and
// re-reads and re-writes d_weight: fewer, longer chunks move less memory, and 256 is also
// a depth at which the d_weight product runs at full speed; 16 MiB chunks (128 tokens at
// v = 32000, 32 at v = 128256) measured 1.8x one GEMM for the loss alone (docs/LINEAR.md).
constexpr int64_t kChunkRows = 256;
// Rows per loss block: one block sum each, added in block order.
constexpr int64_t kLossGroup = 8;
static_assert(kChunkRows % kLossGroup == 0, "whole loss blocks");
constexpr int64_t kMaxLossGroups = kChunkRows / kLossGroup;
// Vocabulary columns per product tile (logits and d_weight), hidden columns per d_hidden tile.
constexpr int64_t kVocabTile = 512, kHiddenTile = 256;

inline int64_t chunk_rows(int64_t n) { return std::min(kChunkRows, n); }

inline int64_t tile_count(int64_t extent, int64_t tile) { return (extent + tile - 1) / tile; }

}  // namespace xent::linear
