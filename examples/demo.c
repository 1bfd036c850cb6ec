/* xent_demo: the seed examples through the C API, each next to its formula computed here
 * with plain C math, one error case, and a small speed table against naive scalar loops.
 * Exits 1 if an API value differs from its formula by more than the f64 bound of SPEC
 * section 4 (1e-11 relative), or if the error case does not fail as it should. */
#define _POSIX_C_SOURCE 199309L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xent/xent.h>

static int mismatches = 0;

/* Prints one API value beside its formula value. */
static void show(const char *what, double api, double formula) {
  const double diff = fabs(api - formula);
  const int ok = diff <= 1e-11 * fmax(1.0, fabs(formula));
  mismatches += !ok;
  printf("  %-44s xent %12.6f   formula %12.6f   %s\n", what, api, formula, ok ? "ok" : "MISMATCH");
}

static void check(xent_status s) {
  if (s != XENT_OK) {
    fprintf(stderr, "unexpected %s: %s\n", xent_status_string(s), xent_last_error());
    exit(1);
  }
}

static double lse(const double *x, int n) {
  double m = x[0], s = 0.0;
  for (int i = 1; i < n; ++i) m = fmax(m, x[i]);
  for (int i = 0; i < n; ++i) s += exp(x[i] - m);
  return m + log(s);
}

static void seed_examples(void) {
  char what[64];
  xent_options sum;
  xent_options_init(&sum);
  sum.reduction = XENT_REDUCTION_SUM;

  printf("sigmoid CE with logits, x = 5: max(x,0) - x*t + log1p(exp(-|x|))\n");
  const double x5[3] = {5, 5, 5}, t5[3] = {1, 0, -1};
  double l5[3];
  check(xent_sigmoid_ce_with_logits_f64(x5, t5, 3, 1, NULL, l5, NULL));
  for (int i = 0; i < 3; ++i) {
    snprintf(what, sizeof what, "label %g", t5[i]);
    show(what, l5[i], fmax(x5[i], 0) - x5[i] * t5[i] + log1p(exp(-fabs(x5[i]))));
  }

  printf("softmax CE with logits [-1, 1]: -sum_c t_c * (x_c - lse(x))\n");
  const double x2[4] = {-1, 1, -1, 1}, t2[4] = {1, -1, 1, 0};
  double l2[2];
  check(xent_softmax_ce_with_logits_f64(x2, t2, 2, 2, NULL, l2, NULL));
  for (int r = 0; r < 2; ++r) {
    const double *x = x2 + 2 * r, *t = t2 + 2 * r, z = lse(x, 2);
    snprintf(what, sizeof what, "labels [%g, %g]", t[0], t[1]);
    show(what, l2[r], -(t[0] * (x[0] - z) + t[1] * (x[1] - z)));
  }

  printf("sparse softmax CE with logits, three rows [1, 2, 3], class 2: lse(x) - x[2]\n");
  const double x3[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  const int64_t y3[3] = {2, 2, 2};
  double l3[3], s3;
  check(xent_sparse_softmax_ce_with_logits_f64(x3, y3, 3, 3, NULL, l3, NULL));
  check(xent_sparse_softmax_ce_with_logits_f64(x3, y3, 3, 3, &sum, &s3, NULL));
  const double row = lse(x3, 3) - x3[2];
  for (int r = 0; r < 3; ++r) {
    snprintf(what, sizeof what, "row %d", r);
    show(what, l3[r], row);
  }
  show("SUM", s3, 3 * row);

  printf("Keras categorical CE on probabilities: q = clip(p / sum p, 1e-7, 1 - 1e-7), -sum t log q\n");
  const double p4[6] = {0.05, 0.95, 0, 0.1, 0.8, 0.1}, t4[6] = {0, 1, 0, 0, 0, 1};
  double l4[2];
  check(xent_categorical_ce_f64(p4, t4, 2, 3, NULL, l4, NULL));
  for (int r = 0; r < 2; ++r) {
    double s = 0, loss = 0;
    for (int c = 0; c < 3; ++c) s += p4[3 * r + c];
    for (int c = 0; c < 3; ++c) loss -= t4[3 * r + c] * log(fmin(fmax(p4[3 * r + c] / s, 1e-7), 1 - 1e-7));
    snprintf(what, sizeof what, "p = [%g, %g, %g]", p4[3 * r], p4[3 * r + 1], p4[3 * r + 2]);
    show(what, l4[r], loss);
  }

  printf("an error: label 5 with 3 classes\n");
  const int64_t bad[3] = {2, 5, 0};
  const xent_status st = xent_sparse_softmax_ce_with_logits_f64(x3, bad, 3, 3, NULL, l3, NULL);
  printf("  status %d %s: %s\n", (int)st, xent_status_string(st), xent_last_error());
  mismatches += st != XENT_ERR_LABEL_OUT_OF_RANGE;
}

/* ---- naive scalar loops: what one writes without a library (float, libm) ---- */

static float row_lse(const float *x, int64_t cols) {
  float m = x[0], s = 0.0f;
  for (int64_t c = 1; c < cols; ++c) m = fmaxf(m, x[c]);
  for (int64_t c = 0; c < cols; ++c) s += expf(x[c] - m);
  return m + logf(s);
}

static void naive_loss(const float *x, const int64_t *y, int64_t rows, int64_t cols, float *loss, float *grad) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * cols, z = row_lse(row, cols);
    loss[r] = z - row[y[r]];
    if (grad) {
      for (int64_t c = 0; c < cols; ++c) grad[r * cols + c] = expf(row[c] - z);
      grad[r * cols + y[r]] -= 1.0f;
    }
  }
}

static void naive_softmax(const float *x, int64_t rows, int64_t cols, float *out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float z = row_lse(x + r * cols, cols);
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = expf(x[r * cols + c] - z);
  }
}

static void naive_exp(const float *x, int64_t n, float *out) {
  for (int64_t i = 0; i < n; ++i) out[i] = expf(x[i]);
}

/* ---- timing ---- */

enum op { SPARSE_LOSS, SPARSE_LOSS_GRAD, SOFTMAX, EXP };
static const char *const op_names[] = {"sparse softmax CE, loss", "sparse softmax CE, loss+grad", "softmax", "exp"};

struct data {
  int64_t rows, cols;
  float *x, *loss, *out;
  int64_t *labels;
};

static void run(enum op op, int naive, const struct data *d) {
  const int64_t n = d->rows * d->cols;
  switch (op) {
    case SPARSE_LOSS:
    case SPARSE_LOSS_GRAD: {
      float *grad = op == SPARSE_LOSS_GRAD ? d->out : NULL;
      if (naive) naive_loss(d->x, d->labels, d->rows, d->cols, d->loss, grad);
      else check(xent_sparse_softmax_ce_with_logits_f32(d->x, d->labels, d->rows, d->cols, NULL, d->loss, grad));
      break;
    }
    case SOFTMAX:
      if (naive) naive_softmax(d->x, d->rows, d->cols, d->out);
      else check(xent_softmax_f32(d->x, d->rows, d->cols, d->out));
      break;
    case EXP:
      if (naive) naive_exp(d->x, n, d->out);
      else check(xent_exp_f32(d->x, d->out, n));
      break;
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ns per element: the median of 5 repetitions of about 20 ms each. */
static double ns_per_element(enum op op, int naive, const struct data *d) {
  double t = now();
  run(op, naive, d); /* warm-up, and a first estimate */
  const int calls = (int)fmin(1e6, fmax(1.0, 0.02 / fmax(now() - t, 1e-9)));
  double reps[5];
  for (int k = 0; k < 5; ++k) {
    t = now();
    for (int i = 0; i < calls; ++i) run(op, naive, d);
    reps[k] = (now() - t) / calls;
  }
  qsort(reps, 5, sizeof reps[0], by_value);
  return 1e9 * reps[2] / (double)(d->rows * d->cols);
}

static void speed_table(void) {
  const int64_t shapes[2][2] = {{128, 1024}, {64, 32000}};
  xent_set_num_threads(1);
  printf("\nspeed, 1 thread, f32, ns per element of logits (median of 5)\n");
  printf("  %-30s %-12s %10s %10s %8s\n", "call", "shape", "xent", "naive", "speedup");
  for (int s = 0; s < 2; ++s) {
    struct data d = {shapes[s][0], shapes[s][1], NULL, NULL, NULL, NULL};
    const int64_t n = d.rows * d.cols;
    d.x = malloc((size_t)n * sizeof *d.x);
    d.out = malloc((size_t)n * sizeof *d.out);
    d.loss = malloc((size_t)d.rows * sizeof *d.loss);
    d.labels = malloc((size_t)d.rows * sizeof *d.labels);
    if (!d.x || !d.out || !d.loss || !d.labels) exit(1);
    srand(1);
    for (int64_t i = 0; i < n; ++i) d.x[i] = 10.0f * (float)rand() / (float)RAND_MAX - 5.0f;
    for (int64_t r = 0; r < d.rows; ++r) d.labels[r] = rand() % d.cols;
    char shape[32];
    snprintf(shape, sizeof shape, "(%lld, %lld)", (long long)d.rows, (long long)d.cols);
    for (int op = SPARSE_LOSS; op <= EXP; ++op) {
      const double ours = ns_per_element(op, 0, &d), naive = ns_per_element(op, 1, &d);
      printf("  %-30s %-12s %10.3f %10.3f %7.1fx\n", op_names[op], shape, ours, naive, naive / ours);
    }
    free(d.x), free(d.out), free(d.loss), free(d.labels);
  }
  xent_set_num_threads(0);
}

int main(void) {
  printf("xent %s, SIMD path %s, %d threads by default\n\n", xent_version(), xent_simd_isa(), xent_get_num_threads());
  seed_examples();
  speed_table();
  if (mismatches) printf("\n%d value(s) differ from their formula\n", mismatches);
  return mismatches ? 1 : 0;
}
