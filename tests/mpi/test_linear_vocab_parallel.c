/* The vocabulary-parallel fused linear loss over MPI against the single-process fused call.
 * Run: mpirun -np 2 (or 4) --oversubscribe --allow-run-as-root tests/mpi/xent_test_linear_vocab_parallel
 *
 * Every rank builds the same hidden, weight, bias and labels (a fixed seed), computes
 * xent_linear_sparse_softmax_ce_* on the whole weight as reference, and
 * xent_mpi_linear_sparse_softmax_ce_* on its even shard of the rows of weight and bias.
 * Checks (rank 0 prints one PASS / FAIL line each; the last line is "N passed, M failed";
 * exit 1 if M > 0): loss, d_hidden and the shard's rows of d_weight and d_bias within
 * SPEC section 4's tolerance (1e-5 f32, 1e-11 f64) of the largest reference value (the
 * shards sum the softmax in another order: not bitwise); every rank holds the same loss
 * and d_hidden bit for bit; the backward form; an error on one rank fails every rank with
 * nothing written (no deadlock).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xent/xent_mpi.h>

static int rank = 0, procs = 1, passed = 0, failed = 0;

static void report(int ok, const char *name, const char *detail) {
  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (all_ok) ++passed; else ++failed;
  if (rank == 0) printf("%s: %s (np=%d)%s%s\n", all_ok ? "PASS" : "FAIL", name, procs, detail[0] ? ": " : "", detail);
}

static uint64_t rng;
static double uniform(double lo, double hi) { /* splitmix64 */
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return lo + (hi - lo) * (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

/* |got - want| over the largest |want| (at least 1), in units of tol. */
static double error_of(const double *got, const double *want, size_t n, double tol) {
  double largest = 1, worst = 0;
  for (size_t i = 0; i < n; ++i) largest = fmax(largest, fabs(want[i]));
  for (size_t i = 0; i < n; ++i) {
    const double e = fabs(got[i] - want[i]);
    worst = e != e ? INFINITY : fmax(worst, e); /* NaN fails */
  }
  return worst / (largest * tol);
}

enum { N = 300, H = 24, V = 61 }; /* two 256-token chunks */

typedef struct {
  double hidden[N * H], weight[V * H], bias[V], dloss[N], cw[V], sw[N];
  int64_t labels[N];
} Problem;

static Problem P;

static void make_problem(void) {
  rng = 2026;
  for (int i = 0; i < N * H; ++i) P.hidden[i] = uniform(-1, 1);
  for (int i = 0; i < V * H; ++i) P.weight[i] = uniform(-0.5, 0.5);
  for (int i = 0; i < V; ++i) P.bias[i] = uniform(-1, 1), P.cw[i] = uniform(0.5, 2);
  for (int i = 0; i < N; ++i) {
    P.labels[i] = (int64_t)(uniform(0, 1) * V) % V;
    P.dloss[i] = uniform(-2, 2);
    P.sw[i] = uniform(0.5, 2);
  }
  P.labels[7] = -100;
}

/* One case in f32 or f64: reference on the whole weight, then the MPI form on the shard.
 * Arrays are kept as double and converted to the call's type. */
typedef struct {
  const char *name;
  int f64, backward, weights;
  xent_reduction reduction;
  double smoothing, z_loss;
} Case;

static void *to_type(const double *x, size_t n, int f64) {
  void *p = malloc((n + 1) * (f64 ? 8 : 4));
  for (size_t i = 0; i < n; ++i) {
    if (f64) ((double *)p)[i] = x[i]; else ((float *)p)[i] = (float)x[i];
  }
  return p;
}
static void to_double(const void *p, double *out, size_t n, int f64) {
  for (size_t i = 0; i < n; ++i) out[i] = f64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

static void run_case(const Case *c) {
  int64_t off = 0, vs = 0;
  xent_vocab_parallel_shard(V, procs, rank, &off, &vs);
  const int f = c->f64;
  const size_t es = f ? 8 : 4, nl = c->reduction == XENT_REDUCTION_NONE ? N : 1;
  void *hidden = to_type(P.hidden, N * H, f), *weight = to_type(P.weight, V * H, f), *bias = to_type(P.bias, V, f);
  void *dloss = to_type(P.dloss, N, f), *cw = to_type(P.cw, V, f), *sw = to_type(P.sw, N, f);
  const char *wshard = (const char *)weight + (size_t)off * H * es, *bshard = (const char *)bias + (size_t)off * es;
  xent_options o;
  xent_options_init(&o);
  o.reduction = c->reduction;
  o.label_smoothing = c->smoothing;
  o.z_loss = c->z_loss;
  o.ignore_index = -100;
  if (c->weights) o.class_weights = cw, o.sample_weights = sw;

  void *rl = calloc(nl, es), *rdh = calloc(N * H, es), *rdw = calloc(V * H, es), *rdb = calloc(V, es);
  void *l = calloc(nl, es), *dh = calloc(N * H, es), *dw = calloc((size_t)vs * H, es), *db = calloc((size_t)vs, es);
  xent_status sr, s;
  if (!c->backward && !f) {
    sr = xent_linear_sparse_softmax_ce_f32(hidden, weight, bias, P.labels, N, H, V, &o, rl, rdh, rdw, rdb);
    s = xent_mpi_linear_sparse_softmax_ce_f32(hidden, (const float *)wshard, (const float *)bshard, P.labels, N, H, vs,
                                              off, V, &o, MPI_COMM_WORLD, l, dh, dw, db);
  } else if (!c->backward) {
    sr = xent_linear_sparse_softmax_ce_f64(hidden, weight, bias, P.labels, N, H, V, &o, rl, rdh, rdw, rdb);
    s = xent_mpi_linear_sparse_softmax_ce_f64(hidden, (const double *)wshard, (const double *)bshard, P.labels, N, H,
                                              vs, off, V, &o, MPI_COMM_WORLD, l, dh, dw, db);
  } else if (!f) {
    sr = xent_linear_sparse_softmax_ce_backward_f32(hidden, weight, bias, P.labels, N, H, V, &o, dloss, NULL, rdh,
                                                    rdw, rdb);
    s = xent_mpi_linear_sparse_softmax_ce_backward_f32(hidden, (const float *)wshard, (const float *)bshard, P.labels,
                                                       N, H, vs, off, V, &o, MPI_COMM_WORLD, dloss, dh, dw, db);
  } else {
    sr = xent_linear_sparse_softmax_ce_backward_f64(hidden, weight, bias, P.labels, N, H, V, &o, dloss, NULL, rdh,
                                                    rdw, rdb);
    s = xent_mpi_linear_sparse_softmax_ce_backward_f64(hidden, (const double *)wshard, (const double *)bshard,
                                                       P.labels, N, H, vs, off, V, &o, MPI_COMM_WORLD, dloss, dh, dw,
                                                       db);
  }
  char name[160], detail[200] = "";
  snprintf(name, sizeof name, "linear %s %s%s reduction %d%s", c->name, f ? "f64" : "f32",
           c->backward ? " backward" : "", (int)c->reduction, c->weights ? " weights" : "");
  int ok = sr == XENT_OK && s == XENT_OK;
  if (!ok) snprintf(detail, sizeof detail, "rank %d: %s", rank, xent_last_error());
  else {
    static double got[N * H], want[N * H];
    const double tol = f ? 1e-11 : 1e-5;
    double e[4] = {0, 0, 0, 0};
    if (!c->backward) {
      to_double(l, got, nl, f), to_double(rl, want, nl, f), e[0] = error_of(got, want, nl, tol);
    }
    to_double(dh, got, N * H, f), to_double(rdh, want, N * H, f), e[1] = error_of(got, want, N * H, tol);
    to_double(dw, got, (size_t)vs * H, f), to_double((char *)rdw + (size_t)off * H * es, want, (size_t)vs * H, f);
    e[2] = error_of(got, want, (size_t)vs * H, tol);
    to_double(db, got, (size_t)vs, f), to_double((char *)rdb + (size_t)off * es, want, (size_t)vs, f);
    e[3] = error_of(got, want, (size_t)vs, tol);
    double worst[4];
    MPI_Allreduce(e, worst, 4, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    ok = worst[0] <= 1 && worst[1] <= 1 && worst[2] <= 1 && worst[3] <= 1;
    /* The same loss and d_hidden on every rank: rank 0's bits against each rank's. */
    void *l0 = malloc(nl * es), *dh0 = malloc(N * H * es);
    memcpy(l0, l, nl * es), memcpy(dh0, dh, N * H * es);
    MPI_Bcast(l0, (int)(nl * es), MPI_BYTE, 0, MPI_COMM_WORLD);
    MPI_Bcast(dh0, (int)(N * H * es), MPI_BYTE, 0, MPI_COMM_WORLD);
    const int same = memcmp(l0, l, nl * es) == 0 && memcmp(dh0, dh, N * H * es) == 0;
    free(l0), free(dh0);
    ok = ok && same;
    snprintf(detail, sizeof detail, "errors over the tolerance: loss %.3g, d_hidden %.3g, d_weight %.3g, d_bias %.3g%s",
             worst[0], worst[1], worst[2], worst[3], same ? "" : "; ranks differ");
  }
  report(ok, name, detail);
  free(hidden), free(weight), free(bias), free(dloss), free(cw), free(sw);
  free(rl), free(rdh), free(rdw), free(rdb), free(l), free(dh), free(dw), free(db);
}

/* A label out of range on the last rank only: every rank fails, nothing is written. */
static void one_rank_fails(void) {
  float *hidden = to_type(P.hidden, N * H, 0), *weight = to_type(P.weight, V * H, 0);
  int64_t off = 0, vs = 0, labels[N];
  xent_vocab_parallel_shard(V, procs, rank, &off, &vs);
  memcpy(labels, P.labels, sizeof labels);
  if (rank == procs - 1) labels[5] = V;
  float loss = -7.0f, *dw = malloc((size_t)vs * H * sizeof(float));
  for (int64_t i = 0; i < vs * H; ++i) dw[i] = -7.0f;
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_SUM;
  o.ignore_index = -100;
  const xent_status s = xent_mpi_linear_sparse_softmax_ce_f32(hidden, weight + off * H, NULL, labels, N, H, vs, off,
                                                              V, &o, MPI_COMM_WORLD, &loss, NULL, dw, NULL);
  int untouched = loss == -7.0f;
  for (int64_t i = 0; i < vs * H; ++i) untouched = untouched && dw[i] == -7.0f;
  const int ok = s == (rank == procs - 1 ? XENT_ERR_LABEL_OUT_OF_RANGE : XENT_ERR_INVALID_ARGUMENT) && untouched;
  char detail[300];
  snprintf(detail, sizeof detail, "rank %d: %s \"%s\"", rank, xent_status_string(s), xent_last_error());
  report(ok, "linear: a bad label on one rank fails every rank, nothing written", ok ? "" : detail);
  free(hidden), free(weight), free(dw);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &procs);
  if (!xent_linear_available()) {
    if (rank == 0) printf("SKIP: this build has no BLAS\n0 passed, 0 failed\n");
    MPI_Finalize();
    return 0;
  }
  make_problem();
  const Case cases[] = {
      {"plain", 0, 0, 0, XENT_REDUCTION_MEAN, 0, 0},
      {"plain", 1, 0, 0, XENT_REDUCTION_NONE, 0, 0},
      {"smoothing z_loss", 0, 0, 1, XENT_REDUCTION_SUM, 0.1, 1e-3},
      {"smoothing z_loss", 1, 0, 1, XENT_REDUCTION_MEAN, 0.1, 1e-3},
      {"dloss", 0, 1, 1, XENT_REDUCTION_NONE, 0, 0},
      {"dloss", 1, 1, 0, XENT_REDUCTION_MEAN, 0.05, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) run_case(&cases[i]);
  one_rank_fails();
  if (rank == 0) printf("%d passed, %d failed\n", passed, failed);
  MPI_Finalize();
  return failed ? 1 : 0;
}
