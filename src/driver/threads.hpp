// Thread count policy: the library default (xent_set_num_threads), a per-call override,
// and no parallelism for small work or from inside a caller's own parallel region.
#pragma once

#include <cstdint>

namespace xent {

void set_default_threads(int n);  // n <= 0: back to OpenMP's maximum
int default_threads();
// Below this many elements a call stays on the calling thread: a fork/join costs more
// than the work (the tiny (1, 10) call must stay a few ns).
constexpr int64_t kMinParallelElements = 1 << 15;

// Threads for work of at least kMinParallelElements (1 inside a caller's parallel region).
int threads_for_large(int requested);

// Threads to use for `elements` of work with a per-call request (0 = default).
inline int threads_for(int64_t elements, int requested) {
  return elements < kMinParallelElements ? 1 : threads_for_large(requested);
}

// How `threads` share work of `units` rows: across rows, or, when there are fewer rows than
// threads (large vocabularies), inside each row. Either way the results are the same bits.
struct ThreadPlan {
  int across_rows, inside_rows;
};
inline ThreadPlan plan_threads(int64_t units, int threads) {
  if (threads > 1 && units < threads) return {1, threads};
  return {threads, 1};
}

}  // namespace xent
