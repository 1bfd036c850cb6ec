// Library-wide entry points: options defaults, version, ISA, threads.
#include "capi/options.hpp"
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"
#include "xent/xent.h"
#include "xent_config.h"

extern "C" {

XENT_API void xent_options_init(xent_options *o) {
  if (o) *o = xent::capi::kDefaultOptions;
}

XENT_API const char *xent_version(void) { return XENT_VERSION_STRING; }
XENT_API const char *xent_simd_isa(void) { return xent::active_tables().isa; }
XENT_API void xent_set_num_threads(int n) { xent::set_default_threads(n); }
XENT_API int xent_get_num_threads(void) { return xent::default_threads(); }

}  // extern "C"
