// The direct routes of small softmax CE calls with logits (tiny calls, small classifiers),
// tried first by capi/losses.cpp: plain options (capi/options.hpp, NULL too), non-NULL
// buffers, 1 .. kMaxBlocks samples of at most the ISA's short_sparse_classes (sparse
// labels) or short_dense_classes (soft targets) classes, buffers apart (or the gradient in
// place), labels in [0, C). Such a call runs only the checks it needs and one kernel call
// with its arguments in registers: the general route's bookkeeping (the full checks, a
// LossCall, the driver, two indirect calls) costs more than the arithmetic (a sparse
// (1, 10) call: 62 ns that way, 27 this way).
//
// Anything else, every error included, is declined with nothing written and takes the
// general route, which checks and reports in the order of docs/SEMANTICS.md. The results
// are the same bits: the same row operations, and the general route's sum, which for up
// to kMaxBlocks samples adds one sample per block in order (tests/test_short_route.cpp).
#pragma once

#include <cstdint>
#include <type_traits>

#include "capi/buffers.hpp"
#include "capi/options.hpp"
#include "driver/parallel_for.hpp"
#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace xent::capi {

// The checks both routes share: options NULL or a current struct with plain values (an
// older struct goes the general way, which completes it), *reduction set from them, x and
// loss not NULL, 1 .. kMaxBlocks samples of 1 .. max_classes(table) classes, and loss and
// grad apart from x and from `other` (labels or targets) and from each other, grad in
// place of x allowed. The ISA's kernel table, or null to decline.
template <Variant v, class T, class O, class MaxClasses>
inline const KernelTable<T> *short_route_table(const T *x, const O *other, int64_t B, int64_t C,
                                               const xent_options *opts, T *loss, T *grad,
                                               xent_reduction *reduction, MaxClasses max_classes) {
  if (opts && !(opts->struct_size >= sizeof(xent_options) && plain_options(*opts, v))) return nullptr;
  *reduction = opts ? opts->reduction : XENT_REDUCTION_NONE;
  if (!x || !other || !loss) return nullptr;
  const KernelTables *tables = chosen_tables();
  if (!tables) return nullptr;  // the first call of the process: the general route chooses them
  const KernelTable<T> &k = tables->get<T>();
  if (B < 1 || B > kMaxBlocks || C < 1 || C > max_classes(k)) return nullptr;
  const std::size_t in_bytes = std::size_t(B * C) * sizeof(T);
  const std::size_t other_bytes = std::is_same_v<O, T> ? in_bytes : std::size_t(B) * sizeof(O);
  const Buffer out{nullptr, loss, *reduction != XENT_REDUCTION_NONE ? sizeof(T) : std::size_t(B) * sizeof(T)},
      g{nullptr, grad, in_bytes}, in{nullptr, x, in_bytes}, oth{nullptr, other, other_bytes};
  if (overlaps(out, in) || overlaps(out, oth) || overlaps(out, g) || overlaps(g, oth) ||
      (grad != x && overlaps(g, in)))
    return nullptr;
  return &k;
}

template <class T, class L>
using ShortSparseKernel = xent_status (*)(const T *, const L *, int64_t, int64_t, xent_reduction, T *, T *);

// Sparse labels: the kernel that does the whole call (*reduction set for it), or null to decline.
template <class T, class L>
inline ShortSparseKernel<T, L> short_sparse_route(const T *x, const L *labels, int64_t B, int64_t C,
                                                  const xent_options *opts, T *loss, T *grad,
                                                  xent_reduction *reduction) {
  const KernelTable<T> *k = short_route_table<Variant::sparse_softmax_ce_with_logits>(
      x, labels, B, C, opts, loss, grad, reduction, [](const KernelTable<T> &t) { return t.short_sparse_classes; });
  if (!k) return nullptr;
  for (int64_t s = 0; s < B; ++s)
    if (uint64_t(int64_t(labels[s])) >= uint64_t(C)) return nullptr;
  if constexpr (std::is_same_v<L, int64_t>) return k->short_sparse64;
  else return k->short_sparse32;
}

template <class T>
using ShortDenseKernel = xent_status (*)(const T *, const T *, int64_t, int64_t, xent_reduction, T *, T *);

// Soft targets (any values: the general route does not check them either).
template <class T>
inline ShortDenseKernel<T> short_dense_route(const T *x, const T *targets, int64_t B, int64_t C,
                                             const xent_options *opts, T *loss, T *grad, xent_reduction *reduction) {
  const KernelTable<T> *k = short_route_table<Variant::softmax_ce_with_logits>(
      x, targets, B, C, opts, loss, grad, reduction, [](const KernelTable<T> &t) { return t.short_dense_classes; });
  return k ? k->short_dense : nullptr;
}

}  // namespace xent::capi
