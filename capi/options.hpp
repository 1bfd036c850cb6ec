// Reading and validating xent_options for a loss call (docs/SEMANTICS.md, "Arguments").
// Every loss call runs these, and a tiny call must cost a few ns: reading and the check of
// the common options are inline, the full checks and their messages out of line.
#pragma once

#include <cstring>

#include "kernels/loss_call.hpp"
#include "xent/xent.h"

namespace xent::capi {

// What xent_options_init writes.
inline constexpr xent_options kDefaultOptions = {
    sizeof(xent_options), XENT_REDUCTION_NONE, /*label_smoothing*/ 0.0, /*epsilon*/ 1e-7,
    /*class_weights*/ nullptr, /*pos_weight*/ nullptr, /*sample_weights*/ nullptr, XENT_NO_IGNORE,
    /*inner*/ 1, /*z_loss*/ 0.0, /*logit_softcap*/ 0.0, /*num_threads*/ 0};

xent_status options_too_small(const char *fn, std::size_t struct_size);

// Reads opts (NULL = defaults) after checking struct_size, so that no field past the
// caller's struct is read.
inline xent_status read_options(const char *fn, const xent_options *opts, xent_options *out) {
  if (!opts) {
    *out = kDefaultOptions;
    return XENT_OK;
  }
  if (opts->struct_size < XENT_OPTIONS_V1_SIZE) return options_too_small(fn, opts->struct_size);
  // Only the caller's bytes: an older caller's struct may end before ours, a newer one's
  // extra fields are not ours to read.
  if (opts->struct_size >= sizeof(xent_options)) {
    *out = *opts;
  } else {
    *out = kDefaultOptions;
    std::memcpy(out, opts, opts->struct_size);
  }
  out->struct_size = sizeof(xent_options);
  return XENT_OK;
}

// Value ranges of every field, then options set away from their default on a variant
// they do not apply to.
xent_status check_option_values(const char *fn, const xent_options &o);
xent_status check_options_apply(const char *fn, const xent_options &o, Variant v);

// Both checks. The common options (each of the tuning ones at its default, which is valid
// and applies to every variant) are recognized inline.
inline xent_status check_options(const char *fn, const xent_options &o, Variant v) {
  int reduction = 0;  // any int may arrive from C: never compare an out-of-range enum
  static_assert(sizeof reduction == sizeof o.reduction, "xent_reduction is an int");
  std::memcpy(&reduction, &o.reduction, sizeof reduction);
  const bool common = unsigned(reduction) <= unsigned(XENT_REDUCTION_MEAN) && o.num_threads >= 0 &&
                      o.label_smoothing == 0 && o.epsilon == kDefaultOptions.epsilon && !o.pos_weight &&
                      (o.ignore_index == XENT_NO_IGNORE || is_sparse(v)) && o.z_loss == 0 && o.logit_softcap == 0;
  if (common) return XENT_OK;
  if (xent_status s = check_option_values(fn, o)) return s;
  return check_options_apply(fn, o, v);
}

}  // namespace xent::capi
