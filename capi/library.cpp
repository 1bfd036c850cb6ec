// Library-wide entry points: options defaults, version, ISA, threads.
#include "driver/threads.hpp"
#include "kernels/kernel_table.hpp"
#include "xent/xent.h"
#include "xent_config.h"

extern "C" {

XENT_API void xent_options_init(xent_options *o) {
  if (!o) return;
  *o = xent_options{};
  o->struct_size = sizeof(xent_options);
  o->reduction = XENT_REDUCTION_NONE;
  o->label_smoothing = 0;
  o->epsilon = 1e-7;
  o->ignore_index = XENT_NO_IGNORE;
  o->inner = 1;
  o->num_threads = 0;
}

XENT_API const char *xent_version(void) { return XENT_VERSION_STRING; }
XENT_API const char *xent_simd_isa(void) { return xent::active_tables().isa; }
XENT_API void xent_set_num_threads(int n) { xent::set_default_threads(n); }
XENT_API int xent_get_num_threads(void) { return xent::default_threads(); }

}  // extern "C"
