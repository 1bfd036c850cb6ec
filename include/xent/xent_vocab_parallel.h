/*
 * xent vocabulary-parallel sparse softmax cross-entropy (Megatron / flash-attn style):
 * the classes of a model are sharded across processes, process p holding the logits
 * shard[batch, shard_classes] = logits[:, class_offset : class_offset + shard_classes].
 * The loss needs every shard's log-sum-exp and the logit of each label, which only its
 * owner holds; gradients stay local. These functions do the per-process arithmetic and
 * leave the combine to any collective library (MPI, NCCL, gloo, a thread barrier): no
 * MPI type appears here. include/xent/xent_mpi.h (library xent_mpi) does it over MPI.
 * Guide: docs/VOCAB_PARALLEL.md.
 *
 * ---- The protocol (every process, the same batch, labels, classes and opts)
 *
 *   T partials[XENT_VP_FIELDS * batch], global_max[batch];   (T = float or double;
 *                                                             float for 16-bit shards)
 *   1. xent_vocab_parallel_forward_T(shard, labels, batch, shard_classes, class_offset,
 *                                    classes, opts, partials);
 *   2. all-reduce MAX:  global_max[r] = max over processes of partials[r], r < batch
 *   3. xent_vocab_parallel_rescale_T(partials, global_max, batch);
 *   4. all-reduce SUM in place over partials[batch : 4 * batch]   (one packed message of
 *      3 * batch values; or three SUMs of batch values; the last field is all zeros when
 *      label_smoothing is 0 and may then be skipped)
 *   5. xent_vocab_parallel_loss_T(shard, partials, labels, batch, shard_classes,
 *                                 class_offset, classes, opts, loss, grad or NULL);
 *      and, now or in a later backward pass, xent_vocab_parallel_grad_T(...).
 * Every process gets the same loss; grad is the process's own slice of d(loss)/d(logits).
 * Each process sends O(batch) values, never O(batch * classes).
 *
 * ---- partials: field f of row r is partials[f * batch + r]
 *   XENT_VP_MAX          max of the row's logits in the shard      (after 3: the global max)
 *   XENT_VP_SUMEXP       sum of exp(logit - max) over the shard    (after 3: rescaled to the
 *                        global max; after 4: the whole row's sum)
 *   XENT_VP_LABEL_LOGIT  the label's logit where this shard owns the label, else 0
 *                        (0 for ignored rows)
 *   XENT_VP_LOGIT_SUM    sum over the shard of class_weight_c * logit_c (weight 1 without
 *                        class_weights; terms of weight 0 skipped), when label_smoothing > 0;
 *                        else 0. Label smoothing needs it.
 * After step 4, lse[r] = max + log(sumexp) and the loss follows without more messages.
 * A shard of only -inf logits in a row gives the neutral (-inf, 0); NaN in a row gives NaN
 * in that row's result on every process, whatever the collective's MAX does with NaN.
 *
 * ---- Arguments (as the rest of the C API: docs/SEMANTICS.md)
 * labels: the global labels [batch], values in [0, classes) or opts->ignore_index.
 * opts: as for xent_sparse_softmax_ce_with_logits: reduction, label_smoothing,
 *   class_weights ([classes], the whole vector on every process), sample_weights [batch],
 *   ignore_index, z_loss, num_threads. inner > 1, logit_softcap, focal_gamma, poly_epsilon
 *   and lse_out are not supported (XENT_ERR_INVALID_ARGUMENT: before this version focal,
 *   Poly-1 and lse_out were accepted and silently not applied); epsilon and pos_weight do
 *   not apply.
 * Shapes: batch >= 0; classes >= 1; shard_classes >= 1 (every process owns a class);
 *   class_offset >= 0 and class_offset + shard_classes <= classes; else
 *   XENT_ERR_INVALID_SHAPE. The shards of all processes must tile [0, classes): the
 *   functions here cannot see the other processes (xent_mpi checks the total).
 * On error no output is written and xent_last_error() says what and where. Results are
 * bitwise the same for any thread count. Accuracy: SPEC section 4 (the shard boundaries
 * change the order of the sums, so results match the single-process call within that
 * tolerance, not bitwise; with one shard, f64, no smoothing they are bitwise equal, and
 * with weights or z_loss too on the sse2 / scalar paths: docs/VOCAB_PARALLEL.md).
 *
 * ---- 16-bit shards (_bf16 / _f16, as the 16-bit twins of xent.h)
 * shard and grad are xent_bf16 / xent_f16; partials, combined, loss and the option arrays
 * (class_weights, sample_weights) are float, and the math is f32: each row is widened at
 * load, and each gradient element is the round-to-nearest-even of the f32 one. So the
 * partials and the loss are bitwise those of the _f32 call on the widened shard, and the
 * grad is bitwise their rounding (for any thread count). Steps 2-4 are the f32 ones:
 * rescale with xent_vocab_parallel_rescale_f32, collectives over float. The scratch is a
 * tile of about 8192 floats (one row at least) per thread, never a copy of the shard.
 */
#ifndef XENT_XENT_VOCAB_PARALLEL_H
#define XENT_XENT_VOCAB_PARALLEL_H

#include "xent.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Field indices of the partials array (see above) and their count. */
#define XENT_VP_MAX 0
#define XENT_VP_SUMEXP 1
#define XENT_VP_LABEL_LOGIT 2
#define XENT_VP_LOGIT_SUM 3
#define XENT_VP_FIELDS 4

/* Step 1: this shard's partials[XENT_VP_FIELDS * batch]. */
XENT_API xent_status xent_vocab_parallel_forward_f32(const float *shard, const int64_t *labels, int64_t batch,
    int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, float *partials);
XENT_API xent_status xent_vocab_parallel_forward_f32_i32(const float *shard, const int32_t *labels, int64_t batch,
    int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, float *partials);
XENT_API xent_status xent_vocab_parallel_forward_f64(const double *shard, const int64_t *labels, int64_t batch,
    int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, double *partials);
XENT_API xent_status xent_vocab_parallel_forward_f64_i32(const double *shard, const int32_t *labels, int64_t batch,
    int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, double *partials);

/* Step 3, between the MAX and the SUM: scales XENT_VP_SUMEXP by exp(local max - global max)
 * (our 1-ulp exp) and replaces XENT_VP_MAX by global_max[batch]. global_max must not
 * overlap partials. */
XENT_API xent_status xent_vocab_parallel_rescale_f32(float *partials, const float *global_max, int64_t batch);
XENT_API xent_status xent_vocab_parallel_rescale_f64(double *partials, const double *global_max, int64_t batch);

/* Step 5: loss from the combined partials (after step 4): NONE -> loss[batch], SUM / MEAN
 * -> one scalar, exactly as xent_sparse_softmax_ce_with_logits would give for the whole
 * logits (MEAN divides by the sum of class_weight[label] * sample_weight over counted
 * rows). grad: NULL, or this shard's slice [batch, shard_classes] of the gradient; it may
 * be exactly shard (in place). shard may be NULL when grad is. */
XENT_API xent_status xent_vocab_parallel_loss_f32(const float *shard, const float *combined, const int64_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    float *loss, float *grad);
XENT_API xent_status xent_vocab_parallel_loss_f32_i32(const float *shard, const float *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, float *loss, float *grad);
XENT_API xent_status xent_vocab_parallel_loss_f64(const double *shard, const double *combined,
    const int64_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, double *loss, double *grad);
XENT_API xent_status xent_vocab_parallel_loss_f64_i32(const double *shard, const double *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, double *loss, double *grad);

/* The gradient slice alone (a backward pass that kept `combined`): same as the grad of
 * xent_vocab_parallel_loss_T. grad may be exactly shard. */
XENT_API xent_status xent_vocab_parallel_grad_f32(const float *shard, const float *combined, const int64_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    float *grad);
XENT_API xent_status xent_vocab_parallel_grad_f32_i32(const float *shard, const float *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, float *grad);
XENT_API xent_status xent_vocab_parallel_grad_f64(const double *shard, const double *combined,
    const int64_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, double *grad);
XENT_API xent_status xent_vocab_parallel_grad_f64_i32(const double *shard, const double *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, double *grad);

/* 16-bit shards (see above): partials, combined and loss float, grad 16-bit (may be
 * exactly shard). Step 3 is xent_vocab_parallel_rescale_f32. */
XENT_API xent_status xent_vocab_parallel_forward_bf16(const xent_bf16 *shard, const int64_t *labels, int64_t batch,
    int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, float *partials);
XENT_API xent_status xent_vocab_parallel_forward_bf16_i32(const xent_bf16 *shard, const int32_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    float *partials);
XENT_API xent_status xent_vocab_parallel_forward_f16(const xent_f16 *shard, const int64_t *labels, int64_t batch,
    int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, float *partials);
XENT_API xent_status xent_vocab_parallel_forward_f16_i32(const xent_f16 *shard, const int32_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    float *partials);
XENT_API xent_status xent_vocab_parallel_loss_bf16(const xent_bf16 *shard, const float *combined,
    const int64_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_vocab_parallel_loss_bf16_i32(const xent_bf16 *shard, const float *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_vocab_parallel_loss_f16(const xent_f16 *shard, const float *combined,
    const int64_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_vocab_parallel_loss_f16_i32(const xent_f16 *shard, const float *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, float *loss, xent_f16 *grad);
XENT_API xent_status xent_vocab_parallel_grad_bf16(const xent_bf16 *shard, const float *combined,
    const int64_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, xent_bf16 *grad);
XENT_API xent_status xent_vocab_parallel_grad_bf16_i32(const xent_bf16 *shard, const float *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, xent_bf16 *grad);
XENT_API xent_status xent_vocab_parallel_grad_f16(const xent_f16 *shard, const float *combined,
    const int64_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, xent_f16 *grad);
XENT_API xent_status xent_vocab_parallel_grad_f16_i32(const xent_f16 *shard, const float *combined,
    const int32_t *labels, int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes,
    const xent_options *opts, xent_f16 *grad);

/* The even split of [0, classes) into `parts` shards (the first classes % parts shards
 * one class larger): shard `part`'s class_offset and shard_classes. INVALID_SHAPE unless
 * 1 <= parts <= classes and 0 <= part < parts; NULL_POINTER for a NULL output. */
XENT_API xent_status xent_vocab_parallel_shard(int64_t classes, int64_t parts, int64_t part,
                                               int64_t *class_offset, int64_t *shard_classes);

/* ---- A collective, for the calls that run the whole protocol themselves
 * (xent_linear_vocab_parallel_* in xent_linear.h): the caller's all-reduce over the
 * processes of its group (MPI, NCCL, gloo, a thread barrier), as a plain C callback.
 * allreduce: buffer[0 : count] becomes, on every process, the SUM or MAX over the processes
 *   of their buffer[0 : count], in place. Every process makes the same calls in the same
 *   order with the same count, type and op. count may exceed INT_MAX (a gradient of n * h
 *   values): a library whose counts are int splits it. MAX need not propagate NaN. Returns
 *   0 on success; anything else makes the xent call return XENT_ERR_INTERNAL.
 * context: passed through untouched (the communicator). */
typedef enum xent_collective_op { XENT_COLLECTIVE_SUM = 0, XENT_COLLECTIVE_MAX = 1 } xent_collective_op;
typedef enum xent_collective_type { XENT_COLLECTIVE_F32 = 0, XENT_COLLECTIVE_F64 = 1 } xent_collective_type;
typedef struct xent_collective {
  int (*allreduce)(void *context, void *buffer, int64_t count, xent_collective_type type, xent_collective_op op);
  void *context;
} xent_collective;

/* For drivers of the protocol over a collective library (xent_mpi uses it): records
 * "fn: message" as this thread's xent_last_error() and returns status. */
XENT_API xent_status xent_vocab_parallel_set_error(xent_status status, const char *fn, const char *message);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* XENT_XENT_VOCAB_PARALLEL_H */
