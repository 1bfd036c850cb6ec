// Shape arithmetic and buffer aliasing checks shared by every entry point.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "xent/xent.h"

namespace xent::capi {

// A named byte range of one argument.
struct Buffer {
  const char *name;
  const void *p;
  std::size_t bytes;
};

// a*b*c elements of elem_size bytes, or an INVALID_SHAPE error naming the product.
xent_status element_count(const char *fn, const char *what, int64_t a, int64_t b, int64_t c,
                          std::size_t elem_size, int64_t *count);

// No output may overlap an input or another output, except the output `inplace_out` equal
// to the first of `inputs` exactly (same start and size; another input at the same address,
// class weights say, is still an overlap): INVALID_ARGUMENT otherwise.
xent_status check_no_alias(const char *fn, std::initializer_list<Buffer> outputs,
                           std::initializer_list<Buffer> inputs, const void *inplace_out = nullptr);

}  // namespace xent::capi
