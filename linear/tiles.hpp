// The fixed tiling of the fused linear loss. Every size here depends on the shapes only,
// never on the thread count: that is what makes the results the same bits for any count.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace xent::linear {

// Tokens per chunk: the logits tile (rows x v) is the only scratch. About 16 MiB of it
// (docs/LINEAR.md has the measurement), at least 16 rows (the d_weight product's depth),
// at most 256, a multiple of kLossGroup.
constexpr std::size_t kTileBytes = std::size_t(16) << 20;
constexpr int64_t kMinChunkRows = 16, kMaxChunkRows = 256;
// Rows per loss block: one block sum each, added in block order.
constexpr int64_t kLossGroup = 8;
static_assert(kMaxChunkRows % kLossGroup == 0 && kMinChunkRows % kLossGroup == 0, "whole loss blocks");
constexpr int64_t kMaxLossGroups = kMaxChunkRows / kLossGroup;
// Vocabulary columns per product tile (logits and d_weight), hidden columns per d_hidden tile.
constexpr int64_t kVocabTile = 512, kHiddenTile = 256;

inline int64_t chunk_rows(int64_t n, int64_t v, std::size_t elem_size) {
  const int64_t fit = int64_t(kTileBytes / (std::size_t(v) * elem_size));
  const int64_t rows = std::clamp(fit / kLossGroup * kLossGroup, kMinChunkRows, kMaxChunkRows);
  return std::min(rows, n);
}

inline int64_t tile_count(int64_t extent, int64_t tile) { return (extent + tile - 1) / tile; }

}  // namespace xent::linear
