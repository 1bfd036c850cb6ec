#include "driver/threads.hpp"

#include <atomic>

#include "xent_config.h"
#if XENT_HAVE_OPENMP
#include <omp.h>
#endif

namespace xent {

namespace {
std::atomic<int> g_threads{0};  // 0: OpenMP's default
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

int threads_for_large(int requested) {
#if XENT_HAVE_OPENMP
  if (omp_in_parallel()) return 1;
  return requested > 0 ? requested : default_threads();
#else
  (void)requested;
  return 1;
#endif
}

}  // namespace xent
