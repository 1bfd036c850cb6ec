// The only heap memory a call may take: a small fixed scratch (block sums of a reduction).
#pragma once

#include <cstddef>

namespace xent {

// Null when the allocation fails; the caller reports XENT_ERR_OUT_OF_MEMORY.
void *scratch_alloc(std::size_t bytes) noexcept;
void scratch_free(void *p) noexcept;

// Tests only (reachable by linking libxent.a; not exported from libxent.so): make every
// later scratch_alloc on this thread fail, to prove the OUT_OF_MEMORY path writes nothing.
void fail_scratch_allocations_for_testing(bool fail) noexcept;

}  // namespace xent
