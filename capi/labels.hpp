// The label check of the sparse losses (capi/losses.cpp, vocab/checks.hpp). Inline: every
// sparse call runs it over its labels; the message is formatted only on failure.
#pragma once

#include <cstdint>

#include "capi/error.hpp"
#include "xent/xent.h"

namespace xent::capi {

// Labels in [0, C) or ignore_index; also the MEAN divisor of the sparse variants:
// sum over counted samples of class_weight[label] * sample_weight.
template <class T, class L>
inline __attribute__((always_inline)) xent_status check_labels(const char *fn, const L *labels, int64_t n,
                                                               int64_t C, const xent_options &o,
                                                               double *denominator) {
  const T *cw = static_cast<const T *>(o.class_weights);
  const T *sw = static_cast<const T *>(o.sample_weights);
  double d = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t l = int64_t(labels[i]);
    if (l == o.ignore_index) continue;
    if (l < 0 || l >= C)
      return fail(XENT_ERR_LABEL_OUT_OF_RANGE, fn, "labels[%lld] = %lld is outside [0, %lld)%s", (long long)i,
                  (long long)l, (long long)C, o.ignore_index == XENT_NO_IGNORE ? "" : " and is not ignore_index");
    d += (cw ? double(cw[l]) : 1.0) * (sw ? double(sw[i]) : 1.0);
  }
  *denominator = d;
  return XENT_OK;
}

}  // namespace xent::capi
