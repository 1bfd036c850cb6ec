// The 16-bit storage types at the C boundary: which format a type is, its bits, and the
// active ISA's conversions (src/kernels/half_convert.hpp).
#pragma once

#include <cstdint>
#include <type_traits>

#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace xent::capi {

template <class S> constexpr bool is_half_v = std::is_same_v<S, xent_bf16> || std::is_same_v<S, xent_f16>;
// The math and output type of storage type S: float for the 16-bit types.
template <class S> using math_t = std::conditional_t<is_half_v<S>, float, S>;

template <class S> constexpr HalfFormat half_format() {
  return std::is_same_v<S, xent_bf16> ? HalfFormat::bf16 : HalfFormat::f16;
}
template <class S> inline const HalfConvert &half_convert() { return active_tables().half[int(half_format<S>())]; }
template <class S> inline const uint16_t *bits(const S *p) { return reinterpret_cast<const uint16_t *>(p); }
template <class S> inline uint16_t *bits(S *p) { return reinterpret_cast<uint16_t *>(p); }

}  // namespace xent::capi
