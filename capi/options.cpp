#include "capi/options.hpp"

#include <cmath>
#include <cstring>

#include "capi/error.hpp"

namespace xent::capi {

xent_status options_too_small(const char *fn, std::size_t struct_size) {
  return fail(XENT_ERR_INVALID_ARGUMENT, fn,
              "opts->struct_size = %zu is smaller than the first xent_options (%zu); call xent_options_init",
              struct_size, XENT_OPTIONS_V1_SIZE);
}

xent_status check_option_values(const char *fn, const xent_options &o) {
  // A C caller may store any int: read the bytes as an int, never as an out-of-range enum.
  int reduction = 0;
  static_assert(sizeof reduction == sizeof o.reduction, "xent_reduction is an int");
  std::memcpy(&reduction, &o.reduction, sizeof reduction);
  if (reduction != XENT_REDUCTION_NONE && reduction != XENT_REDUCTION_SUM && reduction != XENT_REDUCTION_MEAN)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->reduction = %d is not XENT_REDUCTION_NONE (0), _SUM (1) or _MEAN (2)", reduction);
  if (!(o.label_smoothing >= 0 && o.label_smoothing <= 1))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->label_smoothing = %g is outside [0, 1]", o.label_smoothing);
  if (!(o.epsilon >= 0 && o.epsilon < 0.5))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->epsilon = %g is outside [0, 0.5)", o.epsilon);
  if (o.num_threads < 0)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->num_threads = %d is negative", o.num_threads);
  if (!(o.logit_softcap >= 0 && std::isfinite(o.logit_softcap)))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->logit_softcap = %g is not a finite value >= 0 (0 = off)",
                o.logit_softcap);
  if (!(o.z_loss >= 0 && std::isfinite(o.z_loss)))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->z_loss = %g is not a finite value >= 0", o.z_loss);
  if (!(o.focal_gamma >= 0 && std::isfinite(o.focal_gamma)))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->focal_gamma = %g is not a finite value >= 0 (0 = off)",
                o.focal_gamma);
  if (!(o.focal_alpha <= 1) || std::isinf(o.focal_alpha))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->focal_alpha = %g is not in [0, 1] nor negative (off)",
                o.focal_alpha);
  if (!std::isfinite(o.poly_epsilon))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn, "opts->poly_epsilon = %g is not finite (0 = off)", o.poly_epsilon);
  return XENT_OK;
}

xent_status check_options_apply(const char *fn, const xent_options &o, Variant v) {
  const bool sigmoid = v == Variant::sigmoid_ce_with_logits;
  const bool softmax_logits = v == Variant::softmax_ce_with_logits || v == Variant::sparse_softmax_ce_with_logits;
  const bool probabilities = v == Variant::binary_ce || v == Variant::categorical_ce ||
                             v == Variant::sparse_categorical_ce;
  if (o.pos_weight && !sigmoid)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->pos_weight = %p applies only to xent_sigmoid_ce_with_logits (set it to NULL)", o.pos_weight);
  if (o.ignore_index != XENT_NO_IGNORE && !is_sparse(v))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->ignore_index = %lld applies only to the sparse variants (set it to XENT_NO_IGNORE)",
                (long long)o.ignore_index);
  if (o.z_loss != 0 && !softmax_logits)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->z_loss = %g applies only to the softmax-with-logits variants (set it to 0)", o.z_loss);
  if (o.logit_softcap != 0 && !softmax_logits)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->logit_softcap = %g applies only to the softmax-with-logits variants (set it to 0)",
                o.logit_softcap);
  if (o.lse_out && !softmax_logits)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->lse_out = %p applies only to the softmax-with-logits variants (set it to NULL)", o.lse_out);
  if (o.focal_gamma != 0 && !(sigmoid || v == Variant::sparse_softmax_ce_with_logits))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->focal_gamma = %g applies only to xent_sigmoid_ce_with_logits and "
                "xent_sparse_softmax_ce_with_logits (set it to 0)",
                o.focal_gamma);
  if (o.focal_gamma != 0 && !sigmoid && o.label_smoothing != 0)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->focal_gamma = %g with opts->label_smoothing = %g: the softmax focal loss is defined on "
                "hard labels (set one of them to 0)",
                o.focal_gamma, o.label_smoothing);
  if (o.focal_alpha >= 0 && !sigmoid)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->focal_alpha = %g applies only to xent_sigmoid_ce_with_logits (set it to -1; class "
                "weights play its part in the softmax losses)",
                o.focal_alpha);
  if (o.poly_epsilon != 0 && !(sigmoid || softmax_logits))
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->poly_epsilon = %g applies only to the sigmoid and softmax with-logits variants (set it to 0)",
                o.poly_epsilon);
  if (o.epsilon != kDefaultOptions.epsilon && !probabilities)
    return fail(XENT_ERR_INVALID_ARGUMENT, fn,
                "opts->epsilon = %g applies only to the probability variants (leave it at 1e-7)", o.epsilon);
  return XENT_OK;
}

}  // namespace xent::capi
