// Reading and validating xent_options for a loss call (docs/SEMANTICS.md, "Arguments").
#pragma once

#include "kernels/loss_call.hpp"
#include "xent/xent.h"

namespace xent::capi {

// Reads opts (NULL = defaults) after checking struct_size, so that no field past the
// caller's struct is read.
xent_status read_options(const char *fn, const xent_options *opts, xent_options *out);

// Value ranges of every field, then options set away from their default on a variant
// they do not apply to.
xent_status check_option_values(const char *fn, const xent_options &o);
xent_status check_options_apply(const char *fn, const xent_options &o, Variant v);

}  // namespace xent::capi
