/* Prints a checksum of the raw bytes of a fixed set of results, computed with the thread
 * count given as argv[1]. scripts/suites/15-determinism.sh runs it with 1, 2, 3 and 8
 * threads, in the OpenMP build and in the -Dopenmp=disabled build: every line must match. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xent/xent.h>

static uint64_t fnv1a(const void *p, size_t n, uint64_t h) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

/* Deterministic pseudo-random logits in [-8, 8) and labels. */
static float value(uint64_t i) {
  uint64_t z = (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
  return (float)((z >> 40) * (16.0 / 16777216.0) - 8.0);
}

static void check(xent_status s, const char *what) {
  if (s != XENT_OK) {
    fprintf(stderr, "%s: %s: %s\n", what, xent_status_string(s), xent_last_error());
    exit(1);
  }
}

static void shape(int64_t rows, int64_t cols) {
  const int64_t n = rows * cols;
  float *x = malloc(sizeof(float) * (size_t)n), *g = malloc(sizeof(float) * (size_t)n);
  float *y = malloc(sizeof(float) * (size_t)n), *loss = malloc(sizeof(float) * (size_t)rows);
  int64_t *labels = malloc(sizeof(int64_t) * (size_t)rows);
  double *xd = malloc(sizeof(double) * (size_t)n), *gd = malloc(sizeof(double) * (size_t)n);
  if (!x || !g || !y || !loss || !labels || !xd || !gd) exit(2);
  for (int64_t i = 0; i < n; ++i) {
    xd[i] = x[i] = value((uint64_t)i);
    y[i] = (x[i] + 8.0f) / 16.0f; /* soft labels of the sigmoid calls */
  }
  for (int64_t r = 0; r < rows; ++r) labels[r] = (int64_t)((uint64_t)(r * 7919) % (uint64_t)cols);
  xent_options o;
  xent_options_init(&o);
  uint64_t h = 1469598103934665603ull;
  for (int red = 0; red <= 2; ++red) {
    o.reduction = (xent_reduction)red;
    check(xent_sparse_softmax_ce_with_logits_f32(x, labels, rows, cols, &o, loss, g), "sparse f32");
    h = fnv1a(loss, sizeof(float) * (size_t)(red ? 1 : rows), h);
    h = fnv1a(g, sizeof(float) * (size_t)n, h);
    double ld[1];
    check(xent_sparse_softmax_ce_with_logits_f64(xd, labels, rows, cols, &o, red ? ld : gd, red ? gd : NULL),
          "sparse f64");
    h = fnv1a(red ? (void *)ld : (void *)gd, red ? sizeof ld : sizeof(double) * (size_t)rows, h);
    check(xent_sigmoid_ce_with_logits_f32(x, y, rows, cols, &o, red ? loss : g, red ? g : NULL), "sigmoid f32");
    h = fnv1a(g, sizeof(float) * (size_t)n, h);
    h = fnv1a(loss, sizeof(float), h);
  }
  check(xent_logsumexp_f32(x, rows, cols, loss), "logsumexp");
  h = fnv1a(loss, sizeof(float) * (size_t)rows, h);
  check(xent_softmax_f32(x, rows, cols, y), "softmax");
  h = fnv1a(y, sizeof(float) * (size_t)n, h);
  check(xent_exp_f32(x, y, n), "exp");
  h = fnv1a(y, sizeof(float) * (size_t)n, h);
  printf("(%lld, %lld) %016llx\n", (long long)rows, (long long)cols, (unsigned long long)h);
  free(x); free(g); free(y); free(loss); free(labels); free(xd); free(gd);
}

int main(int argc, char **argv) {
  xent_set_num_threads(argc > 1 ? atoi(argv[1]) : 0);
  shape(512, 1000);
  shape(2, 200003);
  shape(3001, 17);
  shape(64, 32000);
  shape(1, 10);
  return 0;
}
