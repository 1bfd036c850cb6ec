#include "driver/scratch.hpp"

#include <cstdlib>

namespace xent {

void *scratch_alloc(std::size_t bytes) noexcept { return std::malloc(bytes); }
void scratch_free(void *p) noexcept { std::free(p); }

}  // namespace xent
