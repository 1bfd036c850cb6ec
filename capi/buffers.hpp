// Shape arithmetic and buffer aliasing checks shared by every entry point. Inline: every
// call runs them, and a tiny call must cost a few ns; the error messages are out of line.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "xent/xent.h"

namespace xent::capi {

// A named byte range of one argument.
struct Buffer {
  const char *name;
  const void *p;
  std::size_t bytes;
};

// The INVALID_SHAPE error of element_count.
xent_status unaddressable_shape(const char *fn, const char *what, int64_t a, int64_t b, int64_t c,
                                std::size_t elem_size);
// The INVALID_ARGUMENT errors of check_no_alias (names and addresses by value: the
// buffers then stay in registers).
xent_status output_overlaps_input(const char *fn, const char *out_name, const void *out, const char *in_name,
                                  const void *in, bool inplace_allowed);
xent_status outputs_overlap(const char *fn, const char *a_name, const void *a, const char *b_name, const void *b);

// a*b*c elements of elem_size bytes, or an INVALID_SHAPE error naming the product.
inline xent_status element_count(const char *fn, const char *what, int64_t a, int64_t b, int64_t c,
                                 std::size_t elem_size, int64_t *count) {
  // Addressable: the byte size must fit a pointer difference.
  constexpr int64_t max_bytes = int64_t(std::min<uint64_t>(uint64_t(INT64_MAX), uint64_t(PTRDIFF_MAX)));
  int64_t ab = 0, abc = 0;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc) ||
      abc > max_bytes / int64_t(elem_size))
    return unaddressable_shape(fn, what, a, b, c, elem_size);
  *count = abc;
  return XENT_OK;
}

inline bool overlaps(const Buffer &x, const Buffer &y) {
  if (!x.p || !y.p || x.bytes == 0 || y.bytes == 0) return false;
  const auto x0 = reinterpret_cast<uintptr_t>(x.p), y0 = reinterpret_cast<uintptr_t>(y.p);
  return x0 < y0 + y.bytes && y0 < x0 + x.bytes;
}

// No output may overlap an input or another output, except the output `inplace_out` equal
// to the first of `inputs` exactly (same start and size; another input at the same address,
// class weights say, is still an overlap): INVALID_ARGUMENT otherwise.
template <std::size_t NO, std::size_t NI>
inline xent_status check_no_alias(const char *fn, const Buffer (&outputs)[NO], const Buffer (&inputs)[NI],
                                  const void *inplace_out = nullptr) {
  // Unrolled, the NULL buffers of a variant (targets of a sparse one...) fold away.
#pragma GCC unroll 4
  for (std::size_t a = 0; a < NO; ++a) {
    const Buffer &o = outputs[a];
    if (!o.p || o.bytes == 0) continue;  // NULL grad, empty batch: nothing to overlap
#pragma GCC unroll 8
    for (std::size_t b = 0; b < NI; ++b) {
      if (!overlaps(o, inputs[b])) continue;
      const bool in_place = inplace_out && o.p == inplace_out && b == 0 && o.p == inputs[0].p &&
                            o.bytes == inputs[0].bytes;
      if (!in_place)
        return output_overlaps_input(fn, o.name, o.p, inputs[b].name, inputs[b].p, inplace_out != nullptr);
    }
    for (std::size_t b = a + 1; b < NO; ++b)
      if (overlaps(o, outputs[b])) return outputs_overlap(fn, o.name, o.p, outputs[b].name, outputs[b].p);
  }
  return XENT_OK;
}

}  // namespace xent::capi
