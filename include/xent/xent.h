/*
 * xent — SIMD CPU cross-entropy, exp/log and softmax kernels behind a C ABI.
 *
 * Contract: ../../docs/SEMANTICS.md and the project SPEC. Every function except the
 * small getters returns an xent_status; on error no output is written and
 * xent_last_error() (thread-local) says what and where. Nothing aborts, prints or
 * throws across this boundary. Arrays are row-major and contiguous.
 */
#ifndef XENT_XENT_H
#define XENT_XENT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(XENT_BUILDING)
#    define XENT_API __declspec(dllexport)
#  else
#    define XENT_API
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define XENT_API __attribute__((visibility("default")))
#else
#  define XENT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status */

typedef enum xent_status {
  XENT_OK = 0,                     /* success */
  XENT_ERR_NULL_POINTER = 1,       /* a required pointer is NULL (grad and weights may be) */
  XENT_ERR_INVALID_SHAPE = 2,      /* negative batch/rows/n, classes/cols/inner/parts < 1,
                                      or an element count that cannot be addressed */
  XENT_ERR_INVALID_ARGUMENT = 3,   /* bad option value, option off its variant, overlapping buffers */
  XENT_ERR_LABEL_OUT_OF_RANGE = 4, /* a sparse label outside [0, classes) that is not ignore_index */
  XENT_ERR_OUT_OF_MEMORY = 5,      /* the small per-call scratch could not be allocated */
  XENT_ERR_INTERNAL = 6,           /* a bug: please report it */
  XENT_ERR_UNSUPPORTED = 7         /* not in this build (xent_linear.h without a BLAS: rebuild with -Dblas=enabled) */
} xent_status;

/* A static English name of the status ("XENT_OK", ...); unknown values give "XENT_ERR_UNKNOWN". */
XENT_API const char *xent_status_string(xent_status status);
/* The message of this thread's last failed call ("" if none). Valid until the next call on
 * this thread. */
XENT_API const char *xent_last_error(void);

/* --------------------------------------------------------------- options */

typedef enum xent_reduction {
  XENT_REDUCTION_NONE = 0, /* one loss per sample (per element for sigmoid / binary) */
  XENT_REDUCTION_SUM = 1,  /* one scalar: the sum */
  XENT_REDUCTION_MEAN = 2  /* one scalar: PyTorch's mean (see SPEC section 2) */
} xent_reduction;

/* ignore_index default: no label value is ignored. */
#define XENT_NO_IGNORE INT64_MIN

typedef struct xent_options {
  size_t struct_size;          /* set by xent_options_init; lets the struct grow without breaking the ABI */
  xent_reduction reduction;    /* default NONE */
  double label_smoothing;      /* [0,1]; C-class variants t = (1-s)t + s/C; sigmoid and binary t = (1-s)t + s/2 */
  double epsilon;              /* clip for probability inputs; default 1e-7 (Keras) */
  const void *class_weights;   /* [C], element type of the call, or NULL */
  const void *pos_weight;      /* [C], sigmoid CE only: weights the t*log(sigmoid(x)) term */
  const void *sample_weights;  /* [B*K] or NULL */
  int64_t ignore_index;        /* sparse only: XENT_NO_IGNORE or a label value whose samples give loss 0, grad 0 */
  int64_t inner;               /* K: input (B, C, K), labels and losses (B, K); default 1 */
  double z_loss;               /* softmax-with-logits only: adds z * lse(x)^2 per sample; default 0 */
  double logit_softcap;        /* softmax-with-logits only: >0 replaces x by cap*tanh(x/cap); 0 = off */
  int num_threads;             /* 0 = library default (xent_set_num_threads) */
  /* ---- appended in 0.2; a caller with the 0.1 struct (struct_size = XENT_OPTIONS_V1_SIZE)
   * gets the defaults for these */
  void *lse_out;               /* softmax-with-logits losses: NULL, or [B*K] receiving each sample's
                                  lse(y) (for the backward); f32 for 16-bit calls, T otherwise */
  double focal_gamma;          /* focal loss exponent gamma >= 0; 0 = off (plain CE). Sigmoid CE
                                  (torchvision sigmoid_focal_loss) and sparse softmax CE */
  double focal_alpha;          /* sigmoid CE only: alpha in [0, 1] weights t = 1 terms by alpha and
                                  t = 0 terms by 1 - alpha; < 0 = off (default -1) */
  double poly_epsilon;         /* Poly-1: adds epsilon * (1 - p_t) per sample (per element for
                                  sigmoid CE); 0 = off. Softmax CE (both) and sigmoid CE */
} xent_options;

/* The size of the first published xent_options; smaller struct_size is rejected. */
#define XENT_OPTIONS_V1_SIZE (offsetof(xent_options, num_threads) + sizeof(int))

XENT_API void xent_options_init(xent_options *options);

/* ------------------------------------------------------ 16-bit storage types
 * xent_bf16: bfloat16, the top half of an IEEE binary32 (sign, 8 exponent bits, 7 mantissa
 * bits). xent_f16: IEEE 754 binary16 (sign, 5 exponent bits, 10 mantissa bits). Each holds
 * the 16-bit pattern in `bits`; an array of them is laid out as an array of uint16_t
 * (NumPy float16, ml_dtypes.bfloat16, Rust u16, Julia Float16 / BFloat16). */
typedef struct xent_bf16 { uint16_t bits; } xent_bf16;
typedef struct xent_f16 { uint16_t bits; } xent_f16;

/* ---------------------------------------------------------------- losses
 * loss: NONE -> one value per sample (B*K), or per element (B*C*K) for sigmoid and binary;
 *       SUM / MEAN -> one scalar.
 * grad: NULL, or the shape of the input; receives d(loss)/d(input). May be exactly the
 *       input pointer (in place); any other overlap is XENT_ERR_INVALID_ARGUMENT.
 * opts: NULL means defaults.
 */
/* element-wise: max(x,0) - x*t + log1p(exp(-|x|)), pos_weight scales the t*log(sigmoid(x)) term */
XENT_API xent_status xent_sigmoid_ce_with_logits_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_sigmoid_ce_with_logits_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* per sample: -sum_c t_c log_softmax(x)_c */
XENT_API xent_status xent_softmax_ce_with_logits_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_softmax_ce_with_logits_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* per sample: lse(x) - x_label */
XENT_API xent_status xent_sparse_softmax_ce_with_logits_f32(const float *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_f32_i32(const float *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_f64(const double *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_f64_i32(const double *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* element-wise on probabilities: -(t log q + (1-t) log(1-q)), q = clip(p, eps, 1-eps) */
XENT_API xent_status xent_binary_ce_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_binary_ce_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* per sample on probabilities: q = clip(p/sum(p), eps, 1-eps), -sum_c t_c log q_c */
XENT_API xent_status xent_categorical_ce_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_categorical_ce_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* per sample on probabilities: the same q, -log q_label */
XENT_API xent_status xent_sparse_categorical_ce_f32(const float *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_sparse_categorical_ce_f32_i32(const float *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_sparse_categorical_ce_f64(const double *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);
XENT_API xent_status xent_sparse_categorical_ce_f64_i32(const double *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* per sample on log-probabilities (PyTorch nll_loss, ONNX NegativeLogLikelihoodLoss):
 * -w[label] * input[label] over (B, C, K); class_weights, sample_weights, ignore_index,
 * inner, label_smoothing (-sum_c w_c t'_c input_c) and the three reductions. Only the
 * entries a sample uses are read (a NaN elsewhere in its row does not reach the loss). */
XENT_API xent_status xent_nll_loss_f32(const float *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_nll_loss_f32_i32(const float *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_nll_loss_f64(const double *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);
XENT_API xent_status xent_nll_loss_f64_i32(const double *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, double *loss, double *grad);

/* ------------------------------------------------------------- backward
 * grad = dloss * d(loss)/d(input) for an upstream gradient dloss, in one pass; the same
 * arguments and checks as the forward (loss replaced by dloss, which is read, not written):
 * dloss: NONE -> one value per loss element (B*K, or B*C*K for sigmoid and binary);
 *        SUM / MEAN -> one scalar.
 * lse:   softmax-with-logits variants only: NULL, or the per-sample lse [B*K] that the
 *        forward wrote through opts->lse_out (same input and options); with it the
 *        backward does no max or sum pass. Must be NULL for the other variants.
 * grad:  required; may be exactly input (in place). dloss and lse must not overlap it.
 * With lse NULL the result is bitwise dloss * (the forward's grad) computed in T; samples
 * whose label is ignore_index get exactly 0. */
XENT_API xent_status xent_sigmoid_ce_with_logits_backward_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_sigmoid_ce_with_logits_backward_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_softmax_ce_with_logits_backward_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_softmax_ce_with_logits_backward_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_binary_ce_backward_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_binary_ce_backward_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_categorical_ce_backward_f32(const float *input, const float *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_categorical_ce_backward_f64(const double *input, const double *targets, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_f32(const float *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_f32_i32(const float *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_f64(const double *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_f64_i32(const double *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_f32(const float *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_f32_i32(const float *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_f64(const double *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_f64_i32(const double *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_nll_loss_backward_f32(const float *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_nll_loss_backward_f32_i32(const float *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const float *dloss, const float *lse, float *grad);
XENT_API xent_status xent_nll_loss_backward_f64(const double *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);
XENT_API xent_status xent_nll_loss_backward_f64_i32(const double *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, const double *dloss, const double *lse, double *grad);

/* --------------------------------------------------------------- kernels
 * Contiguous arrays; y may be exactly x (in place). exp and log are within 1 ulp of the
 * correctly rounded result for every input (see SPEC section 4).
 */
XENT_API xent_status xent_exp_f32(const float *x, float *y, int64_t n);
XENT_API xent_status xent_exp_f64(const double *x, double *y, int64_t n);
XENT_API xent_status xent_log_f32(const float *x, float *y, int64_t n);
XENT_API xent_status xent_log_f64(const double *x, double *y, int64_t n);
XENT_API xent_status xent_log1p_f32(const float *x, float *y, int64_t n);
XENT_API xent_status xent_log1p_f64(const double *x, double *y, int64_t n);
XENT_API xent_status xent_sigmoid_f32(const float *x, float *y, int64_t n);
XENT_API xent_status xent_sigmoid_f64(const double *x, double *y, int64_t n);
XENT_API xent_status xent_softplus_f32(const float *x, float *y, int64_t n);
XENT_API xent_status xent_softplus_f64(const double *x, double *y, int64_t n);
XENT_API xent_status xent_log_sigmoid_f32(const float *x, float *y, int64_t n);
XENT_API xent_status xent_log_sigmoid_f64(const double *x, double *y, int64_t n);

/* out[r] = log(sum_c exp(x[r, c])), stable; all -inf row -> -inf; NaN in a row -> NaN */
XENT_API xent_status xent_logsumexp_f32(const float *x, int64_t rows, int64_t cols, float *out);
XENT_API xent_status xent_logsumexp_f64(const double *x, int64_t rows, int64_t cols, double *out);
/* y = softmax / log_softmax of each row; y may be exactly x */
XENT_API xent_status xent_softmax_f32(const float *x, int64_t rows, int64_t cols, float *y);
XENT_API xent_status xent_softmax_f64(const double *x, int64_t rows, int64_t cols, double *y);
XENT_API xent_status xent_log_softmax_f32(const float *x, int64_t rows, int64_t cols, float *y);
XENT_API xent_status xent_log_softmax_f64(const double *x, int64_t rows, int64_t cols, double *y);

/* Rows sharded across processes: per row max_out[r] = max_c x[r,c] and
 * sum_out[r] = sum_c exp(x[r,c] - max_out[r]) (an all -inf row gives -inf and 0). */
XENT_API xent_status xent_lse_partial_f32(const float *x, int64_t rows, int64_t cols,
                                          float *max_out, float *sum_out);
XENT_API xent_status xent_lse_partial_f64(const double *x, int64_t rows, int64_t cols,
                                          double *max_out, double *sum_out);
/* max and sum are (parts, rows) arrays of partials; lse[r] is the lse of the whole row. */
XENT_API xent_status xent_lse_merge_f32(const float *max, const float *sum, int64_t parts,
                                        int64_t rows, float *lse);
XENT_API xent_status xent_lse_merge_f64(const double *max, const double *sum, int64_t parts,
                                        int64_t rows, double *lse);

/* The softmax family over the middle axis of an (outer, cols, inner) array (ONNX
 * Softmax(axis), PyTorch dim, NNlib dims): element (o, c, i) at (o * cols + c) * inner + i.
 * logsumexp and lse_partial write (outer, inner) arrays; softmax / log_softmax write y of
 * the input's shape (y may be exactly x). inner = 1 is the last-axis function, bit for bit.
 * The same special values as the last-axis functions, per (o, i) line. */
XENT_API xent_status xent_logsumexp_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner, float *out);
XENT_API xent_status xent_logsumexp_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner,
                                             double *out);
XENT_API xent_status xent_softmax_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner, float *y);
XENT_API xent_status xent_softmax_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner, double *y);
XENT_API xent_status xent_log_softmax_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner, float *y);
XENT_API xent_status xent_log_softmax_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner,
                                               double *y);
XENT_API xent_status xent_lse_partial_axis_f32(const float *x, int64_t outer, int64_t cols, int64_t inner,
                                               float *max_out, float *sum_out);
XENT_API xent_status xent_lse_partial_axis_f64(const double *x, int64_t outer, int64_t cols, int64_t inner,
                                               double *max_out, double *sum_out);

/* ------------------------------------------------------------ 16-bit inputs
 * The _bf16 / _f16 twins of the functions above: input, soft targets, grad and the outputs
 * of the element-wise kernels and softmax / log_softmax are 16-bit; the math is f32 (the
 * _f32 kernels on the converted values), and loss, dloss, lse, logsumexp, max/sum partials
 * and the option arrays (class, sample and pos weights, lse_out) are float. Every 16-bit
 * output is the f32 result rounded to nearest even (NaN stays NaN, overflow gives inf).
 * The same checks, errors, in-place rule and determinism as the f32 functions; the lse
 * partials merge with xent_lse_merge_f32. */
XENT_API xent_status xent_sigmoid_ce_with_logits_bf16(const xent_bf16 *input, const xent_bf16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_sigmoid_ce_with_logits_backward_bf16(const xent_bf16 *input, const xent_bf16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_softmax_ce_with_logits_bf16(const xent_bf16 *input, const xent_bf16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_softmax_ce_with_logits_backward_bf16(const xent_bf16 *input, const xent_bf16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_binary_ce_bf16(const xent_bf16 *input, const xent_bf16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_binary_ce_backward_bf16(const xent_bf16 *input, const xent_bf16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_categorical_ce_bf16(const xent_bf16 *input, const xent_bf16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_categorical_ce_backward_bf16(const xent_bf16 *input, const xent_bf16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_bf16(const xent_bf16 *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_bf16(const xent_bf16 *input, const int64_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_bf16_i32(const xent_bf16 *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_bf16_i32(const xent_bf16 *input, const int32_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_bf16(const xent_bf16 *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_bf16(const xent_bf16 *input, const int64_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_bf16_i32(const xent_bf16 *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_bf16_i32(const xent_bf16 *input, const int32_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_nll_loss_bf16(const xent_bf16 *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_nll_loss_backward_bf16(const xent_bf16 *input, const int64_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_nll_loss_bf16_i32(const xent_bf16 *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_nll_loss_backward_bf16_i32(const xent_bf16 *input, const int32_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_bf16 *grad);
XENT_API xent_status xent_exp_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n);
XENT_API xent_status xent_log_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n);
XENT_API xent_status xent_log1p_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n);
XENT_API xent_status xent_sigmoid_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n);
XENT_API xent_status xent_softplus_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n);
XENT_API xent_status xent_log_sigmoid_bf16(const xent_bf16 *x, xent_bf16 *y, int64_t n);
XENT_API xent_status xent_logsumexp_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, float *out);
XENT_API xent_status xent_softmax_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, xent_bf16 *y);
XENT_API xent_status xent_log_softmax_bf16(const xent_bf16 *x, int64_t rows, int64_t cols, xent_bf16 *y);
XENT_API xent_status xent_lse_partial_bf16(const xent_bf16 *x, int64_t rows, int64_t cols,
    float *max_out, float *sum_out);
XENT_API xent_status xent_sigmoid_ce_with_logits_f16(const xent_f16 *input, const xent_f16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_sigmoid_ce_with_logits_backward_f16(const xent_f16 *input, const xent_f16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_softmax_ce_with_logits_f16(const xent_f16 *input, const xent_f16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_softmax_ce_with_logits_backward_f16(const xent_f16 *input, const xent_f16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_binary_ce_f16(const xent_f16 *input, const xent_f16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_binary_ce_backward_f16(const xent_f16 *input, const xent_f16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_categorical_ce_f16(const xent_f16 *input, const xent_f16 *targets, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_categorical_ce_backward_f16(const xent_f16 *input, const xent_f16 *targets,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_f16(const xent_f16 *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_f16(const xent_f16 *input, const int64_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_f16_i32(const xent_f16 *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_sparse_softmax_ce_with_logits_backward_f16_i32(const xent_f16 *input, const int32_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_f16(const xent_f16 *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_f16(const xent_f16 *input, const int64_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_f16_i32(const xent_f16 *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_sparse_categorical_ce_backward_f16_i32(const xent_f16 *input, const int32_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_nll_loss_f16(const xent_f16 *input, const int64_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_nll_loss_backward_f16(const xent_f16 *input, const int64_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_nll_loss_f16_i32(const xent_f16 *input, const int32_t *labels, int64_t batch,
    int64_t classes, const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_nll_loss_backward_f16_i32(const xent_f16 *input, const int32_t *labels,
    int64_t batch, int64_t classes, const xent_options *opts, const float *dloss, const float *lse, xent_f16 *grad);
XENT_API xent_status xent_exp_f16(const xent_f16 *x, xent_f16 *y, int64_t n);
XENT_API xent_status xent_log_f16(const xent_f16 *x, xent_f16 *y, int64_t n);
XENT_API xent_status xent_log1p_f16(const xent_f16 *x, xent_f16 *y, int64_t n);
XENT_API xent_status xent_sigmoid_f16(const xent_f16 *x, xent_f16 *y, int64_t n);
XENT_API xent_status xent_softplus_f16(const xent_f16 *x, xent_f16 *y, int64_t n);
XENT_API xent_status xent_log_sigmoid_f16(const xent_f16 *x, xent_f16 *y, int64_t n);
XENT_API xent_status xent_logsumexp_f16(const xent_f16 *x, int64_t rows, int64_t cols, float *out);
XENT_API xent_status xent_softmax_f16(const xent_f16 *x, int64_t rows, int64_t cols, xent_f16 *y);
XENT_API xent_status xent_log_softmax_f16(const xent_f16 *x, int64_t rows, int64_t cols, xent_f16 *y);
XENT_API xent_status xent_lse_partial_f16(const xent_f16 *x, int64_t rows, int64_t cols,
    float *max_out, float *sum_out);

/* ---------------------------------------------------------- library-wide */

/* "MAJOR.MINOR.PATCH" */
XENT_API const char *xent_version(void);
/* The SIMD path in use: "avx512", "avx2", "sse2", "neon" or "scalar". Chosen on the first
 * call from the CPU; the environment variable XENT_ISA forces a lower one. */
XENT_API const char *xent_simd_isa(void);
/* Threads used by later calls; 0 (or a negative value) restores the default. */
XENT_API void xent_set_num_threads(int n);
XENT_API int xent_get_num_threads(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* XENT_XENT_H */
