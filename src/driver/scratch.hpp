// The only heap memory a call may take: a small fixed scratch (block sums of a reduction).
#pragma once

#include <cstddef>

namespace xent {

// Null when the allocation fails; the caller reports XENT_ERR_OUT_OF_MEMORY.
void *scratch_alloc(std::size_t bytes) noexcept;
void scratch_free(void *p) noexcept;

}  // namespace xent
