// The direct route of small sparse softmax CE calls with logits (tiny calls, small
// classifiers), tried first by capi/losses.cpp: plain options (capi/options.hpp, NULL
// too), non-NULL buffers, 1 .. kMaxBlocks samples of at most the ISA's
// short_sparse_classes classes, buffers apart (or the gradient in place), labels in
// [0, C). Such a call runs only the checks it needs and one kernel call with its arguments
// in registers: the general route's bookkeeping (the full checks, a LossCall, the driver,
// two indirect calls) costs more than the arithmetic (a (1, 10) call: 62 ns that way, 27
// this way).
//
// Anything else, every error included, is declined with nothing written and takes the
// general route, which checks and reports in the order of docs/SEMANTICS.md. The results
// are the same bits: the same row kernel, and the general route's sum, which for up to
// kMaxBlocks samples adds one sample per block in order (tests/test_short_route.cpp).
#pragma once

#include <cstdint>
#include <type_traits>

#include "capi/buffers.hpp"
#include "capi/options.hpp"
#include "driver/parallel_for.hpp"
#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace xent::capi {

template <class T, class L>
using ShortSparseKernel = xent_status (*)(const T *, const L *, int64_t, int64_t, xent_reduction, T *, T *);

// The kernel that does the whole call (*reduction set for it), or null to decline.
template <class T, class L>
inline ShortSparseKernel<T, L> short_sparse_route(const T *x, const L *labels, int64_t B, int64_t C,
                                                  const xent_options *opts, T *loss, T *grad,
                                                  xent_reduction *reduction) {
  // Options: NULL, or a current struct with plain values (an older struct goes the
  // general way, which completes it).
  constexpr Variant v = Variant::sparse_softmax_ce_with_logits;
  if (opts && !(opts->struct_size >= sizeof(xent_options) && plain_options(*opts, v))) return nullptr;
  *reduction = opts ? opts->reduction : XENT_REDUCTION_NONE;
  if (!x || !labels || !loss) return nullptr;
  const KernelTables *tables = chosen_tables();
  if (!tables) return nullptr;  // the first call of the process: the general route chooses them
  const KernelTable<T> &k = tables->get<T>();
  if (B < 1 || B > kMaxBlocks || C < 1 || C > k.short_sparse_classes) return nullptr;
  const std::size_t in_bytes = std::size_t(B * C) * sizeof(T);
  const Buffer out{nullptr, loss, *reduction != XENT_REDUCTION_NONE ? sizeof(T) : std::size_t(B) * sizeof(T)},
      g{nullptr, grad, in_bytes}, in{nullptr, x, in_bytes}, lab{nullptr, labels, std::size_t(B) * sizeof(L)};
  if (overlaps(out, in) || overlaps(out, lab) || overlaps(out, g) || overlaps(g, lab) ||
      (grad != x && overlaps(g, in)))
    return nullptr;
  for (int64_t s = 0; s < B; ++s)
    if (uint64_t(int64_t(labels[s])) >= uint64_t(C)) return nullptr;
  if constexpr (std::is_same_v<L, int64_t>) return k.short_sparse64;
  else return k.short_sparse32;
}

}  // namespace xent::capi
