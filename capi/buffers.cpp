#include "capi/buffers.hpp"

#include "capi/error.hpp"

namespace xent::capi {

xent_status unaddressable_shape(const char *fn, const char *what, int64_t a, int64_t b, int64_t c,
                                std::size_t elem_size) {
  return fail(XENT_ERR_INVALID_SHAPE, fn, "%s = %lld * %lld * %lld elements of %zu bytes cannot be addressed",
              what, (long long)a, (long long)b, (long long)c, elem_size);
}

xent_status output_overlaps_input(const char *fn, const char *out_name, const void *out, const char *in_name,
                                  const void *in, bool inplace_allowed) {
  return fail(XENT_ERR_INVALID_ARGUMENT, fn, "output %s = %p overlaps input %s = %p (only %s", out_name, out, in_name,
              in,
              inplace_allowed ? "an exact in-place output is allowed)" : "disjoint buffers are allowed)");
}

xent_status outputs_overlap(const char *fn, const char *a_name, const void *a, const char *b_name, const void *b) {
  return fail(XENT_ERR_INVALID_ARGUMENT, fn, "outputs %s = %p and %s = %p overlap", a_name, a, b_name, b);
}

}  // namespace xent::capi
