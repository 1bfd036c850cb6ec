/*
 * xent_linear — the fused linear + sparse softmax cross-entropy of a language model's head:
 * loss(hidden @ weight^T + bias, labels) and its gradients without the (n, v) logits tensor.
 *
 * Contract (docs/LINEAR.md): the same loss, options and checks as
 * xent_sparse_softmax_ce_with_logits on the logits z = hidden @ weight^T + bias, within
 * SPEC section 4's tolerance (the products accumulate in T through the BLAS of the build).
 * The scratch is a tile of tokens x v logits, independent of n. Results have the same bits
 * for any thread count. On error nothing is written and xent_last_error() says why.
 *
 * Shapes (row-major, contiguous):
 *   hidden   (n, h)      the tokens' hidden states
 *   weight   (v, h)      as torch.nn.Linear(h, v).weight stores it
 *   bias     (v) or NULL (no bias)
 *   labels   (n)         in [0, v) or opts->ignore_index
 * Options (xent_options, NULL = defaults): those of the sparse softmax loss: reduction,
 *   ignore_index, label_smoothing, class_weights [v], sample_weights [n], z_loss,
 *   logit_softcap, focal_gamma, poly_epsilon, num_threads, and lse_out (NULL or [n] of T:
 *   each token's lse of its (soft-capped) logits, for the backward). opts->inner must be 1
 *   (XENT_ERR_INVALID_ARGUMENT otherwise); options that do not apply to the sparse softmax
 *   loss (pos_weight, epsilon, focal_alpha) are rejected as it rejects them.
 * Gradients: each of d_hidden (n, h), d_weight (v, h), d_bias (v) is NULL (not computed) or
 *   written; they are overwritten, never accumulated into. Under NONE, d_hidden holds
 *   each token's own gradient and d_weight / d_bias the sum over the tokens (the gradient of
 *   the SUM); under SUM / MEAN, the gradients of the scalar. Ignored tokens contribute zero.
 * No output may overlap an input or another output (XENT_ERR_INVALID_ARGUMENT).
 * Statuses: those of xent.h; XENT_ERR_OUT_OF_MEMORY when the logits tile cannot be
 *   allocated; XENT_ERR_UNSUPPORTED when the library was built without a BLAS.
 *
 * The _bf16 / _f16 forms (16-bit storage types of xent.h): hidden, weight, bias and
 *   d_hidden, d_weight, d_bias are 16-bit; loss, dloss, lse, opts->lse_out and the options'
 *   class_weights / sample_weights are float, as for xent_sparse_softmax_ce_with_logits_bf16.
 *   The math is the f32 form's on the operands widened to f32 (exactly): the products
 *   accumulate in f32, the logits tile is f32 and each 16-bit gradient is the
 *   round-to-nearest-even of its f32 value (d_weight and d_bias are summed over the chunks
 *   in f32 and rounded once). Extra scratch, independent of n: the chunk's hidden rows in
 *   f32 (256 x h floats), per thread an f32 weight block (512 x h) and d_hidden tile
 *   (256 x 256), v floats for d_bias, and, when d_weight is asked for and n > 256, the f32
 *   sum of d_weight (v x h floats: twice the 16-bit d_weight).
 */
#ifndef XENT_XENT_LINEAR_H
#define XENT_XENT_LINEAR_H

#include "xent/xent.h"
#include "xent/xent_vocab_parallel.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether this build can run the functions below (1: built with a BLAS; 0: they return
 * XENT_ERR_UNSUPPORTED). */
XENT_API int xent_linear_available(void);

/* Forward and gradients in one pass over the tokens.
 * loss: required; NONE -> n values, SUM / MEAN -> one scalar (as the sparse loss gives it).
 * d_hidden, d_weight, d_bias: NULL or written (see above); all NULL computes the loss only. */
XENT_API xent_status xent_linear_sparse_softmax_ce_f32(const float *hidden, const float *weight, const float *bias,
    const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    float *loss, float *d_hidden, float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_f32_i32(const float *hidden, const float *weight, const float *bias,
    const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    float *loss, float *d_hidden, float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_f64(const double *hidden, const double *weight, const double *bias,
    const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    double *loss, double *d_hidden, double *d_weight, double *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_f64_i32(const double *hidden, const double *weight, const double *bias,
    const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    double *loss, double *d_hidden, double *d_weight, double *d_bias);

XENT_API xent_status xent_linear_sparse_softmax_ce_bf16(const xent_bf16 *hidden, const xent_bf16 *weight,
    const xent_bf16 *bias, const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    float *loss, xent_bf16 *d_hidden, xent_bf16 *d_weight, xent_bf16 *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_bf16_i32(const xent_bf16 *hidden, const xent_bf16 *weight,
    const xent_bf16 *bias, const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    float *loss, xent_bf16 *d_hidden, xent_bf16 *d_weight, xent_bf16 *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_f16(const xent_f16 *hidden, const xent_f16 *weight,
    const xent_f16 *bias, const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    float *loss, xent_f16 *d_hidden, xent_f16 *d_weight, xent_f16 *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_f16_i32(const xent_f16 *hidden, const xent_f16 *weight,
    const xent_f16 *bias, const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    float *loss, xent_f16 *d_hidden, xent_f16 *d_weight, xent_f16 *d_bias);

/* Backward for an upstream gradient dloss: the gradients of sum_i dloss_i * loss_i (NONE)
 * or of dloss * loss (SUM / MEAN), same arguments and checks as the forward; opts->lse_out
 * is neither read nor written (the forward's options may be reused), no loss is written.
 * The logits are recomputed tile by tile (one product more than the forward with gradients).
 * dloss: required; NONE -> n values, SUM / MEAN -> one scalar.
 * lse:   NULL, or the [n] per-token lse the forward wrote through opts->lse_out (same
 *        inputs and options): then the loss kernel skips its max and sum pass, as
 *        xent_sparse_softmax_ce_with_logits_backward does.
 * d_hidden, d_weight, d_bias: as in the forward; all NULL writes nothing. */
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_f32(const float *hidden, const float *weight,
    const float *bias, const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const float *dloss, const float *lse, float *d_hidden, float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_f32_i32(const float *hidden, const float *weight,
    const float *bias, const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const float *dloss, const float *lse, float *d_hidden, float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_f64(const double *hidden, const double *weight,
    const double *bias, const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const double *dloss, const double *lse, double *d_hidden, double *d_weight, double *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_f64_i32(const double *hidden, const double *weight,
    const double *bias, const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const double *dloss, const double *lse, double *d_hidden, double *d_weight, double *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_bf16(const xent_bf16 *hidden, const xent_bf16 *weight,
    const xent_bf16 *bias, const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const float *dloss, const float *lse, xent_bf16 *d_hidden, xent_bf16 *d_weight, xent_bf16 *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_bf16_i32(const xent_bf16 *hidden, const xent_bf16 *weight,
    const xent_bf16 *bias, const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const float *dloss, const float *lse, xent_bf16 *d_hidden, xent_bf16 *d_weight, xent_bf16 *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_f16(const xent_f16 *hidden, const xent_f16 *weight,
    const xent_f16 *bias, const int64_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const float *dloss, const float *lse, xent_f16 *d_hidden, xent_f16 *d_weight, xent_f16 *d_bias);
XENT_API xent_status xent_linear_sparse_softmax_ce_backward_f16_i32(const xent_f16 *hidden, const xent_f16 *weight,
    const xent_f16 *bias, const int32_t *labels, int64_t n, int64_t h, int64_t v, const xent_options *opts,
    const float *dloss, const float *lse, xent_f16 *d_hidden, xent_f16 *d_weight, xent_f16 *d_bias);

/* ---- Vocabulary-parallel form (docs/LINEAR.md, "Vocabulary-parallel form"): weight and
 * bias sharded by rows over the processes of a group as the logits are in
 * xent_vocab_parallel.h: this process holds weight[class_offset : class_offset +
 * shard_classes] (shard_classes, h) and the same rows of bias (or NULL on every process).
 * Collective: every process calls it with the same hidden, labels, n, h, classes and opts
 * (class_weights: the whole [classes] vector) and its own shard; the shards tile
 * [0, classes) (xent_vocab_parallel_shard gives the even split). The loss is the same on
 * every process; d_weight (shard_classes, h) and d_bias (shard_classes) are this shard's
 * gradients; d_hidden (n, h), a sum over the shards, is all-reduced so that every process
 * holds the whole gradient. Options: those of the vocabulary-parallel functions
 * (logit_softcap, focal and Poly-1 are not supported there); opts->lse_out must be NULL.
 * Messages through comm->allreduce, per 256-token chunk: the row maxima (MAX) and 2 or 3
 * row sums (SUM) of the chunk, O(n) values in all; then n * h values for d_hidden (when
 * asked). Before any of them, 8 values by which every process learns that every other
 * passed its checks and holds a consistent shard (else all return an error: no deadlock).
 * Errors: as the forward above, checked before any message, nothing written; a failing
 * collective (XENT_ERR_INTERNAL) after that may leave the outputs partly written. */
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_f32(const float *hidden, const float *weight,
    const float *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, const xent_collective *comm, float *loss, float *d_hidden,
    float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_f32_i32(const float *hidden, const float *weight,
    const float *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, const xent_collective *comm, float *loss, float *d_hidden,
    float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_f64(const double *hidden, const double *weight,
    const double *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, const xent_collective *comm, double *loss, double *d_hidden,
    double *d_weight, double *d_bias);
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_f64_i32(const double *hidden,
    const double *weight, const double *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes,
    int64_t class_offset, int64_t classes, const xent_options *opts, const xent_collective *comm, double *loss,
    double *d_hidden, double *d_weight, double *d_bias);
/* Its backward for an upstream dloss (NONE: n values; SUM / MEAN: one scalar): the gradients
 * of sum_i dloss_i * loss_i or of dloss * loss, as xent_linear_sparse_softmax_ce_backward_*
 * but without a saved lse (the row statistics are recomputed: the messages of the forward). */
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_backward_f32(const float *hidden,
    const float *weight, const float *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes,
    int64_t class_offset, int64_t classes, const xent_options *opts, const xent_collective *comm,
    const float *dloss, float *d_hidden, float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_backward_f32_i32(const float *hidden,
    const float *weight, const float *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes,
    int64_t class_offset, int64_t classes, const xent_options *opts, const xent_collective *comm,
    const float *dloss, float *d_hidden, float *d_weight, float *d_bias);
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_backward_f64(const double *hidden,
    const double *weight, const double *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes,
    int64_t class_offset, int64_t classes, const xent_options *opts, const xent_collective *comm,
    const double *dloss, double *d_hidden, double *d_weight, double *d_bias);
XENT_API xent_status xent_linear_vocab_parallel_sparse_softmax_ce_backward_f64_i32(const double *hidden,
    const double *weight, const double *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes,
    int64_t class_offset, int64_t classes, const xent_options *opts, const xent_collective *comm,
    const double *dloss, double *d_hidden, double *d_weight, double *d_bias);

#ifdef __cplusplus
}
#endif

#endif /* XENT_XENT_LINEAR_H */
