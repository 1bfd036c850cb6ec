// Reading and validating xent_options for a loss call (docs/SEMANTICS.md, "Arguments").
// Every loss call runs these, and a tiny call must cost a few ns: reading and the check of
// the common options are inline, the full checks and their messages out of line.
#pragma once

#include <cstring>

#include "kernels/loss_call.hpp"
#include "xent/xent.h"

namespace xent::capi {

// The defaults with a reduction and a thread count (both valid).
constexpr xent_options default_options_with(xent_reduction reduction, int num_threads) {
  return {sizeof(xent_options), reduction, /*label_smoothing*/ 0.0, /*epsilon*/ 1e-7,
          /*class_weights*/ nullptr, /*pos_weight*/ nullptr, /*sample_weights*/ nullptr, XENT_NO_IGNORE,
          /*inner*/ 1, /*z_loss*/ 0.0, /*logit_softcap*/ 0.0, num_threads,
          /*lse_out*/ nullptr, /*focal_gamma*/ 0.0, /*focal_alpha*/ -1.0, /*poly_epsilon*/ 0.0};
}
// What xent_options_init writes.
inline constexpr xent_options kDefaultOptions = default_options_with(XENT_REDUCTION_NONE, 0);

xent_status options_too_small(const char *fn, std::size_t struct_size);

// The options to use, in *out: the defaults for NULL; the caller's struct itself when it
// has every field; else `copy`, an older caller's smaller struct completed with the
// defaults (no field past struct_size is read). No copy of the caller's 96 bytes in the
// common case.
inline xent_status read_options(const char *fn, const xent_options *opts, xent_options *copy,
                                const xent_options **out) {
  if (!opts) {
    *out = &kDefaultOptions;
    return XENT_OK;
  }
  if (opts->struct_size < XENT_OPTIONS_V1_SIZE) return options_too_small(fn, opts->struct_size);
  if (opts->struct_size >= sizeof(xent_options)) {
    *out = opts;  // a newer caller's extra fields are not ours to read, and are not read
    return XENT_OK;
  }
  *copy = kDefaultOptions;
  std::memcpy(copy, opts, opts->struct_size);
  copy->struct_size = sizeof(xent_options);
  *out = copy;
  return XENT_OK;
}

// Value ranges of every field, then options set away from their default on a variant
// they do not apply to.
xent_status check_option_values(const char *fn, const xent_options &o);
xent_status check_options_apply(const char *fn, const xent_options &o, Variant v);

// The reduction of o as an int: any int may arrive from C, never compare an out-of-range enum.
inline int reduction_value(const xent_options &o) {
  int reduction = 0;
  static_assert(sizeof reduction == sizeof o.reduction, "xent_reduction is an int");
  std::memcpy(&reduction, &o.reduction, sizeof reduction);
  return reduction;
}

// Options are compared by their bits, ORed together and tested once: a tiny call checks
// them all in a few instructions, with one branch. magnitude_bits is 0 for +-0 only.
inline uint64_t bits_of(double d) {
  uint64_t b;
  std::memcpy(&b, &d, sizeof b);
  return b;
}
inline uint64_t magnitude_bits(double d) { return bits_of(d) << 1; }

// The common options: each of the tuning ones at its default, which is valid and applies
// to every variant (ignore_index too, on the sparse variants).
inline bool common_options(const xent_options &o, Variant v) {
  const uint64_t off_default =
      magnitude_bits(o.label_smoothing) | magnitude_bits(o.z_loss) | magnitude_bits(o.logit_softcap) |
      (bits_of(o.epsilon) ^ bits_of(kDefaultOptions.epsilon)) | reinterpret_cast<uintptr_t>(o.pos_weight) |
      (is_sparse(v) ? 0 : uint64_t(o.ignore_index) ^ uint64_t(XENT_NO_IGNORE)) |
      reinterpret_cast<uintptr_t>(o.lse_out) | magnitude_bits(o.focal_gamma) | magnitude_bits(o.poly_epsilon) |
      (bits_of(o.focal_alpha) ^ bits_of(kDefaultOptions.focal_alpha));
  return (off_default == 0) & (unsigned(reduction_value(o)) <= unsigned(XENT_REDUCTION_MEAN)) &
         (o.num_threads >= 0);
}

// Both checks; the common options are recognized inline.
inline xent_status check_options(const char *fn, const xent_options &o, Variant v) {
  if (common_options(o, v)) return XENT_OK;
  if (xent_status s = check_option_values(fn, o)) return s;
  return check_options_apply(fn, o, v);
}

// Plain options: common ones without weights, ignore_index or inner, so every field at its
// default but the reduction and the thread count (most calls). Then a loss is checked with
// default_options_with(those two), whose fields are compile-time constants: its shape,
// alias and label checks fold down to the buffers such a call has (a tiny call is mostly
// these checks).
inline bool plain_options(const xent_options &o, Variant v) {
  const uint64_t off_default = (uint64_t(o.ignore_index) ^ uint64_t(XENT_NO_IGNORE)) |
                               reinterpret_cast<uintptr_t>(o.class_weights) |
                               reinterpret_cast<uintptr_t>(o.sample_weights) | (uint64_t(o.inner) ^ 1);
  return common_options(o, v) & (off_default == 0);
}

}  // namespace xent::capi
