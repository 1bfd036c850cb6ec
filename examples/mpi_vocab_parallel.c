/* Vocabulary-parallel cross-entropy over MPI: each process holds logits[:, its classes].
 *   mpirun -np 2 build/mpi/xent_mpi_vocab_parallel
 *   (as root, or with more processes than cores: add --allow-run-as-root --oversubscribe)
 * Shows the one-call helper (xent_mpi.h) and the same protocol by hand with the
 * collective-agnostic API (xent_vocab_parallel.h), which is what NCCL, gloo or any other
 * collective library would carry; rank 0 compares both with the single-process loss.
 * Exits 1 on a mismatch beyond the f32 tolerance of SPEC section 4. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <xent/xent_mpi.h>

enum { BATCH = 4, CLASSES = 50000 };

static void check(xent_status s, const char *what) {
  if (s != XENT_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, xent_status_string(s), xent_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, procs;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &procs);

  /* This process's classes: [offset, offset + n). A model would compute only these logits;
   * here every rank derives them from the same formula. */
  int64_t offset, n;
  check(xent_vocab_parallel_shard(CLASSES, procs, rank, &offset, &n), "shard");
  const int64_t labels[BATCH] = {7, 12345, 49999, 25000};
  float *shard = malloc(sizeof(float) * BATCH * (size_t)n), *grad = malloc(sizeof(float) * BATCH * (size_t)n);
  for (int64_t r = 0; r < BATCH; ++r)
    for (int64_t j = 0; j < n; ++j) shard[r * n + j] = (float)(4 * sin(0.001 * (double)(offset + j) * (double)(r + 1)));

  xent_options opts;
  xent_options_init(&opts);
  opts.reduction = XENT_REDUCTION_MEAN;
  opts.label_smoothing = 0.1;

  /* 1. One call: forward, two MPI_Allreduce, loss and this rank's gradient slice. */
  float loss = 0;
  check(xent_mpi_sparse_softmax_ce_with_logits_f32(shard, labels, BATCH, n, offset, CLASSES, &opts, MPI_COMM_WORLD,
                                                   &loss, grad), "xent_mpi");

  /* 2. The same by hand: O(batch) values per process cross the network. */
  float partials[XENT_VP_FIELDS * BATCH], global_max[BATCH], loss_by_hand = 0;
  check(xent_vocab_parallel_forward_f32(shard, labels, BATCH, n, offset, CLASSES, &opts, partials), "forward");
  MPI_Allreduce(partials, global_max, BATCH, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
  check(xent_vocab_parallel_rescale_f32(partials, global_max, BATCH), "rescale");
  MPI_Allreduce(MPI_IN_PLACE, partials + XENT_VP_SUMEXP * BATCH, 3 * BATCH, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  check(xent_vocab_parallel_loss_f32(shard, partials, labels, BATCH, n, offset, CLASSES, &opts, &loss_by_hand, NULL),
        "loss");

  /* 3. Rank 0: the single-process loss over the whole logits. */
  int status = 0;
  if (rank == 0) {
    float *all = malloc(sizeof(float) * BATCH * CLASSES), ref = 0;
    for (int64_t r = 0; r < BATCH; ++r)
      for (int64_t c = 0; c < CLASSES; ++c) all[r * CLASSES + c] = (float)(4 * sin(0.001 * (double)c * (double)(r + 1)));
    check(xent_sparse_softmax_ce_with_logits_f32(all, labels, BATCH, CLASSES, &opts, &ref, NULL), "single process");
    const double tol = 1e-5 * (1 + 4); /* SPEC: relative to 1 + the largest |logit| */
    status = fabs(loss - ref) > tol || fabs(loss_by_hand - ref) > tol;
    printf("%d processes, (%d, %d) logits, MEAN, label smoothing 0.1\n", procs, BATCH, CLASSES);
    printf("  xent_mpi            %.7f\n  protocol by hand    %.7f\n  single process      %.7f   %s\n", loss,
           loss_by_hand, ref, status ? "MISMATCH" : "ok");
    free(all);
  }
  MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
  free(shard), free(grad);
  MPI_Finalize();
  return status;
}
