// Deterministic parallel loops: work is cut into blocks that depend only on its size,
// never on the thread count, and block results are combined in block order. So every
// result, SUM and MEAN included, has the same bits for 1, 2 or 8 threads.
#pragma once

#include <algorithm>
#include <cstdint>

#include "xent_config.h"
#if XENT_HAVE_OPENMP
#include <omp.h>
#endif

namespace xent {

// At most this many blocks: the per-call scratch for block sums stays small (8 KiB).
constexpr int64_t kMaxBlocks = 1024;

inline int64_t block_count(int64_t units) { return std::min<int64_t>(units, kMaxBlocks); }
inline int64_t block_begin(int64_t block, int64_t blocks, int64_t units) {
  if (blocks == units) return block;  // one unit per block: no division (tiny calls)
  return units / blocks * block + std::min(block, units % blocks);
}

// body(block, u0, u1) for every block, on `threads` threads.
template <class Body> void parallel_blocks(int64_t units, int threads, Body &&body) {
  const int64_t blocks = block_count(units);
  // Serial work never enters OpenMP: even an `if(false)` parallel region costs ~0.5 us.
  if (threads <= 1 || blocks <= 1) {
    for (int64_t k = 0; k < blocks; ++k)
      body(k, block_begin(k, blocks, units), block_begin(k + 1, blocks, units));
    return;
  }
#if XENT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
#endif
  for (int64_t k = 0; k < blocks; ++k)
    body(k, block_begin(k, blocks, units), block_begin(k + 1, blocks, units));
}

// parallel_blocks over `blocks` given blocks whose body also gets the index of its thread
// in [0, threads): for per-thread scratch allocated before the loop.
template <class Body> void parallel_blocks_tid(int64_t units, int64_t blocks, int threads, Body &&body) {
  if (threads <= 1 || blocks <= 1) {
    for (int64_t k = 0; k < blocks; ++k)
      body(k, block_begin(k, blocks, units), block_begin(k + 1, blocks, units), 0);
    return;
  }
#if XENT_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int64_t k = 0; k < blocks; ++k)
    body(k, block_begin(k, blocks, units), block_begin(k + 1, blocks, units), omp_get_thread_num());
#else
  for (int64_t k = 0; k < blocks; ++k)
    body(k, block_begin(k, blocks, units), block_begin(k + 1, blocks, units), 0);
#endif
}

}  // namespace xent
