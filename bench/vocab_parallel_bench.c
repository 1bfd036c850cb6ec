/* Vocabulary-parallel cross-entropy benchmark, run under mpirun by
 * scripts/bench-vocab-parallel.sh (not built by meson). For each shape, every process
 * times the steps of the protocol on its shard (forward, the two all-reduces, loss + grad)
 * and the one-call xent_mpi helper, and counts the bytes it hands to MPI_Allreduce (a PMPI
 * wrapper below): O(batch), never O(batch x classes). Rank 0 prints the slowest process's
 * median times, and, for scale, the single-process call on the whole logits. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xent/xent_mpi.h>

/* ---- bytes this process passes to MPI_Allreduce (what the library sends; the wire
 * traffic of the collective's algorithm is this times a small factor, e.g. 2(P-1)/P for
 * a ring). Interposes the MPI symbol (link with -rdynamic). */
static long long bytes_sent = 0;
int MPI_Allreduce(const void *send, void *recv, int count, MPI_Datatype type, MPI_Op op, MPI_Comm comm) {
  int size = 0;
  MPI_Type_size(type, &size);
  bytes_sent += (long long)count * size;
  return PMPI_Allreduce(send, recv, count, type, op, comm);
}

enum { REPS = 15 };

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
static double median(double *v) {
  qsort(v, REPS, sizeof *v, cmp_double);
  return v[REPS / 2];
}
/* The slowest process's value (a step ends when its last process is done). */
static double slowest(double v) {
  double m = 0;
  MPI_Reduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  return m;
}
static void check(xent_status s, const char *what) {
  if (s != XENT_OK) {
    fprintf(stderr, "%s: %s\n", what, xent_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void bench(int64_t B, int64_t C, int rank, int procs) {
  int64_t off, n;
  check(xent_vocab_parallel_shard(C, procs, rank, &off, &n), "shard");
  float *shard = malloc(sizeof(float) * (size_t)(B * n)), *grad = malloc(sizeof(float) * (size_t)(B * n));
  float *partials = malloc(sizeof(float) * (size_t)(XENT_VP_FIELDS * B)), *gmax = malloc(sizeof(float) * (size_t)B);
  float *loss = malloc(sizeof(float) * (size_t)B);
  int64_t *labels = malloc(sizeof(int64_t) * (size_t)B);
  for (int64_t i = 0; i < B * n; ++i) shard[i] = (float)((i * 7919 + rank * 104729) % 2000) * 0.004f - 4.0f;
  for (int64_t r = 0; r < B; ++r) labels[r] = (r * 2654435761u) % (uint64_t)C;
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_MEAN;

  double t_fwd[REPS], t_comm[REPS], t_fin[REPS], t_one[REPS];
  long long sent_by_hand = 0, sent_one = 0;
  for (int k = -2; k < REPS; ++k) { /* two warm-up rounds */
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    check(xent_vocab_parallel_forward_f32(shard, labels, B, n, off, C, &o, partials), "forward");
    double t1 = MPI_Wtime();
    bytes_sent = 0;
    MPI_Allreduce(partials, gmax, (int)B, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
    check(xent_vocab_parallel_rescale_f32(partials, gmax, B), "rescale");
    MPI_Allreduce(MPI_IN_PLACE, partials + B, (int)(2 * B), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    sent_by_hand = bytes_sent;
    double t2 = MPI_Wtime();
    check(xent_vocab_parallel_loss_f32(shard, partials, labels, B, n, off, C, &o, loss, grad), "loss");
    double t3 = MPI_Wtime();
    MPI_Barrier(MPI_COMM_WORLD);
    bytes_sent = 0;
    double t4 = MPI_Wtime();
    check(xent_mpi_sparse_softmax_ce_with_logits_f32(shard, labels, B, n, off, C, &o, MPI_COMM_WORLD, loss, grad),
          "xent_mpi");
    double t5 = MPI_Wtime();
    sent_one = bytes_sent;
    if (k >= 0) t_fwd[k] = t1 - t0, t_comm[k] = t2 - t1, t_fin[k] = t3 - t2, t_one[k] = t5 - t4;
  }
  const double fwd = slowest(median(t_fwd)), comm = slowest(median(t_comm)), fin = slowest(median(t_fin)),
               one = slowest(median(t_one));

  double single = 0;
  if (rank == 0 && procs == 1) { /* the whole logits in one process: the baseline */
    double t[REPS];
    for (int k = 0; k < REPS; ++k) {
      double t0 = MPI_Wtime();
      check(xent_sparse_softmax_ce_with_logits_f32(shard, labels, B, C, &o, loss, grad), "single");
      t[k] = MPI_Wtime() - t0;
    }
    single = median(t);
  }
  if (rank == 0) {
    printf("%3d  %5lld x %-7lld %7lld  %8.3f %8.3f %8.3f  %8.3f", procs, (long long)B, (long long)C, (long long)n,
           fwd * 1e3, comm * 1e3, fin * 1e3, one * 1e3);
    printf("  %8lld %8lld  %12lld", sent_by_hand, sent_one, (long long)(B * C * (int64_t)sizeof(float)));
    if (single > 0) printf("  single process %.3f ms", single * 1e3);
    printf("\n");
  }
  free(shard), free(grad), free(partials), free(gmax), free(loss), free(labels);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, procs;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &procs);
  if (rank == 0 && (argc < 2 || strcmp(argv[1], "--no-header") != 0)) {
    printf("f32, MEAN, loss + gradient; times: median of %d, slowest process, ms; bytes: handed to MPI_Allreduce "
           "by each process per call\n", REPS);
    printf("%3s  %-15s %7s  %8s %8s %8s  %8s  %8s %8s  %12s\n", "np", "batch x classes", "shard", "forward",
           "combine", "loss+grad", "xent_mpi", "by hand", "xent_mpi", "all logits");
  }
  const int64_t shapes[][2] = {{64, 32000}, {8, 128000}, {512, 32000}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; ++i) bench(shapes[i][0], shapes[i][1], rank, procs);
  MPI_Finalize();
  return 0;
}
