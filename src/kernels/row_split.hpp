// Splitting one long row between threads (large vocabularies with few rows) without
// changing a bit: the row is cut into at most kMaxRowParts parts whose size depends only
// on the row length (a multiple of kSumChunk). Each part's partial result is formed in
// chunk order; parts are combined in part order. One thread or many, same grouping.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/block_io.hpp"
#include "xent_config.h"

namespace xent::XENT_ISA_NS::kern {

constexpr int64_t kMaxRowParts = 64;
constexpr int64_t kMinPartLength = 16 * kSumChunk;  // 65536: shorter rows stay in one part

struct RowSplit {
  int64_t parts, length;  // part p covers [p * length, min(n, (p + 1) * length))
};

inline RowSplit row_split(int64_t n) {
  if (n <= kMinPartLength) return {1, std::max<int64_t>(n, 1)};
  int64_t len = std::max(kMinPartLength, (n + kMaxRowParts - 1) / kMaxRowParts);
  len = (len + kSumChunk - 1) / kSumChunk * kSumChunk;
  return {(n + len - 1) / len, len};
}

// f(part, c0, c1) for every part, on up to `threads` threads (1: in order, no OpenMP).
template <class F> inline void for_each_part(const RowSplit &s, int64_t n, int threads, F &&f) {
  if (threads <= 1 || s.parts == 1) {
    for (int64_t p = 0; p < s.parts; ++p) f(p, p * s.length, std::min(n, (p + 1) * s.length));
    return;
  }
#if XENT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
  for (int64_t p = 0; p < s.parts; ++p) f(p, p * s.length, std::min(n, (p + 1) * s.length));
}

}  // namespace xent::XENT_ISA_NS::kern
