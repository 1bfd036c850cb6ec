#include "driver/scratch.hpp"

#include <cstdlib>

namespace xent {

namespace {
thread_local bool g_fail_for_testing = false;
}

void *scratch_alloc(std::size_t bytes) noexcept { return g_fail_for_testing ? nullptr : std::malloc(bytes); }
void scratch_free(void *p) noexcept { std::free(p); }
void fail_scratch_allocations_for_testing(bool fail) noexcept { g_fail_for_testing = fail; }

}  // namespace xent
