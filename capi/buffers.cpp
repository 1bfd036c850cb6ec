#include "capi/buffers.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

#include "capi/error.hpp"

namespace xent::capi {

xent_status element_count(const char *fn, const char *what, int64_t a, int64_t b, int64_t c,
                          std::size_t elem_size, int64_t *count) {
  // Addressable: the byte size must fit a pointer difference.
  const int64_t max_bytes = int64_t(std::min<uint64_t>(uint64_t(INT64_MAX), uint64_t(PTRDIFF_MAX)));
  int64_t ab = 0, abc = 0;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc) ||
      abc > max_bytes / int64_t(elem_size))
    return fail(XENT_ERR_INVALID_SHAPE, fn,
                "%s = %lld * %lld * %lld elements of %zu bytes cannot be addressed", what,
                (long long)a, (long long)b, (long long)c, elem_size);
  *count = abc;
  return XENT_OK;
}

namespace {
bool overlaps(const Buffer &x, const Buffer &y) {
  if (!x.p || !y.p || x.bytes == 0 || y.bytes == 0) return false;
  const auto x0 = reinterpret_cast<uintptr_t>(x.p), y0 = reinterpret_cast<uintptr_t>(y.p);
  return x0 < y0 + y.bytes && y0 < x0 + x.bytes;
}
}  // namespace

xent_status check_no_alias(const char *fn, std::initializer_list<Buffer> outputs,
                           std::initializer_list<Buffer> inputs, const void *inplace_out) {
  for (const Buffer *o = outputs.begin(); o != outputs.end(); ++o) {
    if (!o->p || o->bytes == 0) continue;  // NULL grad, empty batch: nothing to overlap
    for (const Buffer &i : inputs) {
      if (!overlaps(*o, i)) continue;
      const bool in_place =
          inplace_out && o->p == inplace_out && &i == inputs.begin() && o->p == i.p && o->bytes == i.bytes;
      if (!in_place)
        return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                    "output %s = %p overlaps input %s = %p (only %s", o->name, o->p, i.name, i.p,
                    inplace_out ? "an exact in-place output is allowed)" : "disjoint buffers are allowed)");
    }
    for (const Buffer *o2 = o + 1; o2 != outputs.end(); ++o2)
      if (overlaps(*o, *o2))
        return fail(XENT_ERR_INVALID_ARGUMENT, fn, "outputs %s = %p and %s = %p overlap", o->name,
                    o->p, o2->name, o2->p);
  }
  return XENT_OK;
}

}  // namespace xent::capi
