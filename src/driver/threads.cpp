#include "driver/threads.hpp"

#include <atomic>

#include "xent_config.h"
#if XENT_HAVE_OPENMP
#include <omp.h>
#endif

namespace xent {

namespace {
std::atomic<int> g_threads{0};  // 0: OpenMP's default

// Below this many elements a call stays on the calling thread: a fork/join costs more
// than the work (the tiny (1, 10) call must stay a few ns).
constexpr int64_t kMinParallelElements = 1 << 15;
}  // namespace

void set_default_threads(int n) { g_threads.store(n > 0 ? n : 0, std::memory_order_relaxed); }

int default_threads() {
  const int n = g_threads.load(std::memory_order_relaxed);
#if XENT_HAVE_OPENMP
  return n > 0 ? n : omp_get_max_threads();
#else
  return n > 0 ? n : 1;
#endif
}

int threads_for(int64_t elements, int requested) {
#if XENT_HAVE_OPENMP
  if (elements < kMinParallelElements || omp_in_parallel()) return 1;
  return requested > 0 ? requested : default_threads();
#else
  (void)elements;
  (void)requested;
  return 1;
#endif
}

}  // namespace xent
