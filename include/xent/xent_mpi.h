/*
 * xent_mpi: vocabulary-parallel sparse softmax cross-entropy over MPI (library xent_mpi,
 * built when the meson option `mpi` finds an MPI). One call runs the whole protocol of
 * xent_vocab_parallel.h on a communicator: forward, MPI_Allreduce MAX of the row maxima,
 * rescale, one packed MPI_Allreduce SUM, then the loss and this process's gradient slice.
 *
 * Collective: every process of comm calls it with the same batch, classes, labels and
 * opts, and its own shard (class_offset, shard_classes); the shards must tile
 * [0, classes) (xent_vocab_parallel_shard gives the even split). Each process gets the
 * same loss (NONE: [batch]; SUM / MEAN: one scalar) and its own grad slice
 * [batch, shard_classes] (NULL: none; may be exactly shard).
 *
 * Messages: 4 int64 (the agreement below), batch values (MAX) and 3 * batch values (SUM;
 * 2 * batch without label smoothing) of the element type, per process: O(batch).
 *
 * 16-bit shards (_bf16 / _f16): shard and grad 16-bit, loss and the option arrays float,
 * the messages MPI_FLOAT (the partials are f32: xent_vocab_parallel.h, "16-bit shards").
 *
 * Errors: before any data message the processes agree, by a 4-int64 MPI_Allreduce, on
 * whether every one passed its checks, the batch and classes agree, and the shard sizes
 * add up to classes; so a bad argument on one process returns an error on all of them
 * instead of a deadlock. The failing process's xent_last_error() says why; the others
 * report XENT_ERR_INVALID_ARGUMENT ("... failed on another process"). An MPI error (only
 * with an error handler that returns) is XENT_ERR_INTERNAL with MPI's message. On error no
 * output is written.
 */
#ifndef XENT_XENT_MPI_H
#define XENT_XENT_MPI_H

#include <mpi.h>

#include "xent_linear.h"
#include "xent_vocab_parallel.h"

#ifdef __cplusplus
extern "C" {
#endif

XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_f32(const float *shard, const int64_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, float *loss, float *grad);
XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_f32_i32(const float *shard, const int32_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, float *loss, float *grad);
XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_f64(const double *shard, const int64_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, double *loss, double *grad);
XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_f64_i32(const double *shard, const int32_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, double *loss, double *grad);

XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_bf16(const xent_bf16 *shard, const int64_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_bf16_i32(const xent_bf16 *shard, const int32_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, float *loss, xent_bf16 *grad);
XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_f16(const xent_f16 *shard, const int64_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, float *loss, xent_f16 *grad);
XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_f16_i32(const xent_f16 *shard, const int32_t *labels,
    int64_t batch, int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts,
    MPI_Comm comm, float *loss, xent_f16 *grad);

/* The vocabulary-parallel fused linear loss of xent_linear.h over MPI: every process of
 * comm holds the rows [class_offset, class_offset + shard_classes) of weight (and bias),
 * the same hidden, labels and opts; the arguments and results are those of
 * xent_linear_vocab_parallel_sparse_softmax_ce_* (xent_linear.h) with comm's
 * MPI_Allreduce as the collective (MPI_IN_PLACE; counts over INT_MAX are split). The
 * processes agree on their checks before any data message, as above. */
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_f32(const float *hidden, const float *weight,
    const float *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, float *loss, float *d_hidden, float *d_weight,
    float *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_f32_i32(const float *hidden, const float *weight,
    const float *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, float *loss, float *d_hidden, float *d_weight,
    float *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_f64(const double *hidden, const double *weight,
    const double *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, double *loss, double *d_hidden, double *d_weight,
    double *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_f64_i32(const double *hidden, const double *weight,
    const double *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, double *loss, double *d_hidden, double *d_weight,
    double *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_backward_f32(const float *hidden, const float *weight,
    const float *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, const float *dloss, float *d_hidden,
    float *d_weight, float *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_backward_f32_i32(const float *hidden, const float *weight,
    const float *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, const float *dloss, float *d_hidden,
    float *d_weight, float *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_backward_f64(const double *hidden, const double *weight,
    const double *bias, const int64_t *labels, int64_t n, int64_t h, int64_t shard_classes, int64_t class_offset,
    int64_t classes, const xent_options *opts, MPI_Comm comm, const double *dloss, double *d_hidden,
    double *d_weight, double *d_bias);
XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_backward_f64_i32(const double *hidden,
    const double *weight, const double *bias, const int32_t *labels, int64_t n, int64_t h, int64_t shard_classes,
    int64_t class_offset, int64_t classes, const xent_options *opts, MPI_Comm comm, const double *dloss,
    double *d_hidden, double *d_weight, double *d_bias);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* XENT_XENT_MPI_H */
