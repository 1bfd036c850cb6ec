/* The vocabulary-parallel loss over MPI against the single-process call.
 * Run: mpirun -np 2 (or 4) --oversubscribe --allow-run-as-root tests/mpi/xent_test_vocab_parallel
 *
 * Every rank builds the same logits (a fixed seed), computes the single-process
 * xent_sparse_softmax_ce_with_logits_* on the whole (batch, classes) as reference, and
 * xent_mpi_sparse_softmax_ce_with_logits_* on its own even shard. Checks (rank 0 prints
 * one PASS / FAIL line each, the last line is "N passed, M failed", exit 1 if M > 0):
 *  - loss and gradient slice within SPEC section 4: 1e-5 (f32) / 1e-11 (f64) times
 *    max(|ref|, 1 + the row's largest |logit|) for a loss (SUM / MEAN: the sum of the rows'
 *    scales, times the largest weight, over the MEAN divisor), the row's largest |ref grad|
 *    for a gradient. Not bitwise: the shards sum exp() in another order and the
 *    partial sums are rescaled by exp(local max - global max).
 *  - every rank holds bitwise the same loss;
 *  - bitwise where the blocking makes it so: one shard (MPI_COMM_SELF), f64, no smoothing;
 *  - a bad argument on one rank fails the call on every rank, no deadlock, nothing written.
 * 16-bit cases (bf16, f16): the logits are drawn as 16-bit patterns, the reference is the
 * single-process xent_sparse_softmax_ce_with_logits_bf16 / _f16 (float loss, 16-bit grad),
 * and a gradient may also differ by the rounding to 16 bits (one 16-bit ulp).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xent/xent_mpi.h>

static int rank = 0, procs = 1, passed = 0, failed = 0;

/* Counts a check that must hold on every rank; rank 0 prints it. */
static void report(int ok, const char *name, const char *detail) {
  int all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (all_ok) ++passed; else ++failed;
  if (rank == 0) printf("%s: %s (np=%d)%s%s\n", all_ok ? "PASS" : "FAIL", name, procs, detail[0] ? ": " : "", detail);
}

/* ------------------------------------------------------------ deterministic data */

static uint64_t rng;
static double uniform(void) { /* splitmix64 -> [0, 1) */
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

typedef struct {
  const char *name;
  int f64, i32;
  int64_t batch, classes;
  xent_reduction reduction;
  double smoothing, z_loss;
  int class_weights, sample_weights, ignore, masked, in_place;
  int half; /* 0: f32 / f64; BF16 or F16: a 16-bit shard (f64 = 0) */
} Case;
enum { BF16 = 1, F16 = 2 };

/* One case's arrays in the element type of the call (esize 4 or 8; 16-bit cases: float,
 * x the widened x16, ref_grad the widened ref_grad16). */
typedef struct {
  size_t esize;
  void *x, *cw, *sw, *ref_loss, *ref_grad;
  uint16_t *x16, *ref_grad16;
  int64_t *labels64;
  int32_t *labels32;
  double *row_scale; /* 1 + the row's largest finite |logit| */
} Data;

static double get(const Data *d, const void *p, size_t i) {
  return d->esize == 8 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}
static void set(const Data *d, void *p, size_t i, double v) {
  if (d->esize == 8) ((double *)p)[i] = v; else ((float *)p)[i] = (float)v;
}
static void *alloc(const Data *d, size_t n) { return calloc(n + 1, d->esize); }

/* The test's own widening of the 16-bit formats (exact: bit placement, ldexp). */
static float widen16(int half, uint16_t h) {
  if (half == BF16) {
    const uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
  }
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0x1f) return m ? NAN : (float)(sign * INFINITY);
  return (float)(sign * (e ? ldexp(1024.0 + m, e - 25) : ldexp((double)m, -24)));
}
/* A random 16-bit logit of magnitude in [2^-5, 2^4), so no rounding is needed here. */
static uint16_t random16(int half) {
  const uint16_t sign = uniform() < 0.5 ? 0x8000 : 0;
  const uint16_t e = (uint16_t)(uniform() * 9); /* binades 2^-5 .. 2^3 */
  if (half == BF16) return (uint16_t)(sign | (122 + e) << 7 | (uint16_t)(uniform() * 128));
  return (uint16_t)(sign | (10 + e) << 10 | (uint16_t)(uniform() * 1024));
}
static uint16_t minus_inf16(int half) { return half == BF16 ? 0xff80 : 0xfc00; }

static void options(const Case *c, const Data *d, xent_options *o) {
  xent_options_init(o);
  o->reduction = c->reduction;
  o->label_smoothing = c->smoothing;
  o->z_loss = c->z_loss;
  o->class_weights = c->class_weights ? d->cw : NULL;
  o->sample_weights = c->sample_weights ? d->sw : NULL;
  if (c->ignore) o->ignore_index = -100;
}

/* Logits in [-8, 8]; masked cases put -inf on row 0's first half and on a whole shard of
 * row 1 (labels there are moved to a live class). Every third label is ignored. */
static void make_data(const Case *c, Data *d) {
  const int64_t B = c->batch, C = c->classes;
  rng = (uint64_t)(B * 1000003 + C) ^ (uint64_t)c->f64 << 40 ^ (uint64_t)c->half << 44;
  d->esize = c->f64 ? 8 : 4;
  d->x = alloc(d, (size_t)(B * C));
  d->cw = alloc(d, (size_t)C);
  d->sw = alloc(d, (size_t)B);
  d->ref_loss = alloc(d, (size_t)B);
  d->ref_grad = alloc(d, (size_t)(B * C));
  d->labels64 = calloc((size_t)B + 1, sizeof(int64_t));
  d->labels32 = calloc((size_t)B + 1, sizeof(int32_t));
  d->row_scale = calloc((size_t)B + 1, sizeof(double));
  d->x16 = c->half ? calloc((size_t)(B * C) + 1, 2) : NULL;
  d->ref_grad16 = c->half ? calloc((size_t)(B * C) + 1, 2) : NULL;
  for (int64_t i = 0; i < B * C; ++i) {
    if (c->half) d->x16[i] = random16(c->half);
    set(d, d->x, (size_t)i, c->half ? widen16(c->half, d->x16[i]) : 16 * uniform() - 8);
  }
  for (int64_t i = 0; i < C; ++i) set(d, d->cw, (size_t)i, 0.5 + uniform());
  for (int64_t i = 0; i < B; ++i) set(d, d->sw, (size_t)i, 0.25 + 1.5 * uniform());
  for (int64_t r = 0; r < B; ++r) d->labels64[r] = (int64_t)(uniform() * (double)C);
  if (c->masked) {
    for (int64_t j = 0; j < C / 2; ++j) {
      set(d, d->x, (size_t)j, -INFINITY);
      if (c->half) d->x16[j] = minus_inf16(c->half);
    }
    d->labels64[0] = C / 2 + d->labels64[0] % (C - C / 2);
    int64_t off = 0, n = 0;
    xent_vocab_parallel_shard(C, procs, procs - 1, &off, &n);
    if (B > 1 && off > 0) {
      for (int64_t j = off; j < off + n; ++j) {
        set(d, d->x, (size_t)(C + j), -INFINITY);
        if (c->half) d->x16[C + j] = minus_inf16(c->half);
      }
      d->labels64[1] = d->labels64[1] % off;
    }
  }
  if (c->ignore)
    for (int64_t r = 2; r < B; r += 3) d->labels64[r] = -100;
  for (int64_t r = 0; r < B; ++r) {
    d->labels32[r] = (int32_t)d->labels64[r];
    double m = 0;
    for (int64_t j = 0; j < C; ++j) {
      const double v = fabs(get(d, d->x, (size_t)(r * C + j)));
      if (isfinite(v) && v > m) m = v;
    }
    d->row_scale[r] = 1 + m;
  }
}

static void free_data(Data *d) {
  free(d->x), free(d->cw), free(d->sw), free(d->ref_loss), free(d->ref_grad);
  free(d->labels64), free(d->labels32), free(d->row_scale), free(d->x16), free(d->ref_grad16);
}

/* ------------------------------------------------------------ the two calls */

static const void *labels_of(const Case *c, const Data *d) {
  return c->i32 ? (const void *)d->labels32 : (const void *)d->labels64;
}

static xent_status reference16(const Case *c, Data *d, const xent_options *o) {
  const int64_t B = c->batch, C = c->classes;
  const void *l = labels_of(c, d);
  xent_status s;
  if (c->half == BF16)
    s = c->i32 ? xent_sparse_softmax_ce_with_logits_bf16_i32((const xent_bf16 *)d->x16, l, B, C, o, d->ref_loss,
                                                             (xent_bf16 *)d->ref_grad16)
               : xent_sparse_softmax_ce_with_logits_bf16((const xent_bf16 *)d->x16, l, B, C, o, d->ref_loss,
                                                         (xent_bf16 *)d->ref_grad16);
  else
    s = c->i32 ? xent_sparse_softmax_ce_with_logits_f16_i32((const xent_f16 *)d->x16, l, B, C, o, d->ref_loss,
                                                            (xent_f16 *)d->ref_grad16)
               : xent_sparse_softmax_ce_with_logits_f16((const xent_f16 *)d->x16, l, B, C, o, d->ref_loss,
                                                        (xent_f16 *)d->ref_grad16);
  for (int64_t i = 0; i < B * C; ++i) set(d, d->ref_grad, (size_t)i, widen16(c->half, d->ref_grad16[i]));
  return s;
}

static xent_status reference(const Case *c, Data *d, const xent_options *o) {
  const int64_t B = c->batch, C = c->classes;
  const void *l = labels_of(c, d);
  if (c->half) return reference16(c, d, o);
  if (c->f64)
    return c->i32 ? xent_sparse_softmax_ce_with_logits_f64_i32(d->x, l, B, C, o, d->ref_loss, d->ref_grad)
                  : xent_sparse_softmax_ce_with_logits_f64(d->x, l, B, C, o, d->ref_loss, d->ref_grad);
  return c->i32 ? xent_sparse_softmax_ce_with_logits_f32_i32(d->x, l, B, C, o, d->ref_loss, d->ref_grad)
                : xent_sparse_softmax_ce_with_logits_f32(d->x, l, B, C, o, d->ref_loss, d->ref_grad);
}

static xent_status sharded(const Case *c, const Data *d, const void *shard, int64_t n, int64_t off,
                           const xent_options *o, MPI_Comm comm, void *loss, void *grad) {
  const int64_t B = c->batch, C = c->classes;
  const void *l = labels_of(c, d);
  if (c->half == BF16)
    return c->i32 ? xent_mpi_sparse_softmax_ce_with_logits_bf16_i32(shard, l, B, n, off, C, o, comm, loss, grad)
                  : xent_mpi_sparse_softmax_ce_with_logits_bf16(shard, l, B, n, off, C, o, comm, loss, grad);
  if (c->half == F16)
    return c->i32 ? xent_mpi_sparse_softmax_ce_with_logits_f16_i32(shard, l, B, n, off, C, o, comm, loss, grad)
                  : xent_mpi_sparse_softmax_ce_with_logits_f16(shard, l, B, n, off, C, o, comm, loss, grad);
  if (c->f64)
    return c->i32 ? xent_mpi_sparse_softmax_ce_with_logits_f64_i32(shard, l, B, n, off, C, o, comm, loss, grad)
                  : xent_mpi_sparse_softmax_ce_with_logits_f64(shard, l, B, n, off, C, o, comm, loss, grad);
  return c->i32 ? xent_mpi_sparse_softmax_ce_with_logits_f32_i32(shard, l, B, n, off, C, o, comm, loss, grad)
                : xent_mpi_sparse_softmax_ce_with_logits_f32(shard, l, B, n, off, C, o, comm, loss, grad);
}

/* Columns [off, off + n) of the (B, C) matrix p of esize-byte elements. */
static void *slice(size_t esize, const void *p, int64_t B, int64_t C, int64_t off, int64_t n) {
  char *s = calloc((size_t)(B * n) + 1, esize);
  for (int64_t r = 0; r < B; ++r)
    memcpy(s + (size_t)(r * n) * esize, (const char *)p + (size_t)(r * C + off) * esize, (size_t)n * esize);
  return s;
}

/* ------------------------------------------------------------ comparisons */

/* Largest |got - ref| / allowed (SPEC section 4) over the loss output; bitwise: any
 * difference in bits counts as infinitely far. */
static double loss_error(const Case *c, const Data *d, const void *loss, int bitwise) {
  const double tol = c->f64 ? 1e-11 : 1e-5;
  const int64_t B = c->batch, n = c->reduction == XENT_REDUCTION_NONE ? B : 1;
  double worst = 0, total_scale = 0, wmax = 1, divisor = 0;
  if (c->class_weights)
    for (int64_t j = 0; j < c->classes; ++j) wmax = fmax(wmax, get(d, d->cw, (size_t)j));
  double *scale = calloc((size_t)B + 1, sizeof(double)); /* a row's scale, times its largest weight */
  for (int64_t r = 0; r < B; ++r) {
    const double sw = c->sample_weights ? get(d, d->sw, (size_t)r) : 1.0;
    scale[r] = d->row_scale[r] * sw * wmax;
    total_scale += scale[r];
    if (d->labels64[r] != -100 || !c->ignore)
      divisor += sw * (c->class_weights ? get(d, d->cw, (size_t)d->labels64[r]) : 1.0);
  }
  if (c->reduction == XENT_REDUCTION_MEAN) total_scale /= divisor;
  for (int64_t i = 0; i < n; ++i) {
    const double got = get(d, loss, (size_t)i), ref = get(d, d->ref_loss, (size_t)i);
    double e = got == ref ? 0 : fabs(got - ref) / (tol * fmax(fabs(ref), n == 1 ? total_scale : scale[i]));
    if (bitwise) e = memcmp((const char *)loss + i * d->esize, (const char *)d->ref_loss + i * d->esize, d->esize) ? INFINITY : 0;
    worst = fmax(worst, isnan(e) ? INFINITY : e);
  }
  free(scale);
  return worst;
}

/* Same for the gradient slice against columns [off, off + n) of the reference. */
static double grad_error(const Case *c, const Data *d, const void *grad, int64_t off, int64_t n, int bitwise) {
  const double tol = c->f64 ? 1e-11 : 1e-5;
  const int64_t C = c->classes;
  double worst = 0;
  for (int64_t r = 0; r < c->batch; ++r) {
    double gmax = 0;
    for (int64_t j = 0; j < C; ++j) gmax = fmax(gmax, fabs(get(d, d->ref_grad, (size_t)(r * C + j))));
    for (int64_t j = 0; j < n; ++j) {
      const size_t gi = (size_t)(r * n + j), ri = (size_t)(r * C + off + j);
      const double got = get(d, grad, gi), ref = get(d, d->ref_grad, ri);
      if (bitwise) {
        if (memcmp((const char *)grad + gi * d->esize, (const char *)d->ref_grad + ri * d->esize, d->esize))
          return INFINITY;
        continue;
      }
      /* 16-bit: both sides rounded to 16 bits, which may pull them one 16-bit ulp apart */
      const double ulp = c->half == BF16 ? 0x1p-7 : c->half == F16 ? 0x1p-10 : 0;
      const double allowed = tol * gmax + ulp * fabs(ref) + (c->half ? 0x1p-24 : 0);
      const double e = got == ref ? 0 : fabs(got - ref) / allowed;
      worst = fmax(worst, isnan(e) ? INFINITY : e);
    }
  }
  return worst;
}

static void describe(char *out, size_t size, const Case *c, const char *what) {
  const char *type = c->half == BF16 ? "bf16" : c->half == F16 ? "f16" : c->f64 ? "f64" : "f32";
  snprintf(out, size, "%s %s%s (%lld, %lld) %s %s", what, type, c->i32 ? "/i32" : "",
           (long long)c->batch, (long long)c->classes,
           c->reduction == XENT_REDUCTION_NONE ? "NONE" : c->reduction == XENT_REDUCTION_SUM ? "SUM" : "MEAN", c->name);
}

/* The sharded call on comm (WORLD: this rank's even shard; SELF: the whole row). */
static void check_case(const Case *c, MPI_Comm comm, int bitwise) {
  Data d;
  make_data(c, &d);
  xent_options o;
  options(c, &d, &o);
  char name[160], detail[200];
  describe(name, sizeof name, c, comm == MPI_COMM_SELF ? "one shard, bitwise:" : "sharded:");
  int comm_size = 1, comm_rank = 0;
  MPI_Comm_size(comm, &comm_size);
  MPI_Comm_rank(comm, &comm_rank);
  int64_t off = 0, n = 0;
  xent_vocab_parallel_shard(c->classes, comm_size, comm_rank, &off, &n);
  const size_t shard_esize = c->half ? 2 : d.esize;
  void *shard = slice(shard_esize, c->half ? (const void *)d.x16 : d.x, c->batch, c->classes, off, n);
  void *grad = c->in_place ? shard : calloc((size_t)(c->batch * n) + 1, shard_esize);
  void *loss = alloc(&d, (size_t)c->batch);
  const xent_status rs = reference(c, &d, &o);
  const xent_status s = sharded(c, &d, shard, n, off, &o, comm, loss, grad);
  int ok = rs == XENT_OK && s == XENT_OK;
  double le = INFINITY, ge = INFINITY, lmin = 0, lmax = 0, first = 0;
  if (ok) {
    le = loss_error(c, &d, loss, bitwise);
    void *widened = grad;
    if (c->half) { /* the comparisons read floats */
      widened = alloc(&d, (size_t)(c->batch * n));
      for (int64_t i = 0; i < c->batch * n; ++i) set(&d, widened, (size_t)i, widen16(c->half, ((uint16_t *)grad)[i]));
    }
    ge = grad_error(c, &d, widened, off, n, bitwise);
    if (widened != grad) free(widened);
    first = get(&d, loss, 0);
  }
  /* every rank must hold the same loss (compared on the first value, and NaN-free) */
  MPI_Allreduce(&first, &lmin, 1, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&first, &lmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  double worst[2] = {le, ge}, all[2];
  MPI_Allreduce(worst, all, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  ok = ok && all[0] <= 1 && all[1] <= 1 && (comm == MPI_COMM_SELF || lmin == lmax);
  if (bitwise)
    snprintf(detail, sizeof detail, "%s", ok ? "loss and grad bitwise equal" : "bits differ");
  else
    snprintf(detail, sizeof detail, "loss error %.3g, grad error %.3g of the tolerance%s%s", all[0], all[1],
             lmin == lmax ? "; same loss bits on every rank" : "; ranks differ",
             s == XENT_OK ? "" : xent_last_error());
  report(ok, name, detail);
  if (!c->in_place) free(grad);
  free(shard), free(loss);
  free_data(&d);
}

/* A bad argument on one rank only: every rank must fail (no deadlock) and write nothing. */
static void check_one_rank_fails(const char *name, int null_shard, int shrink_last) {
  const Case c = {"", 0, 0, 5, 1001, XENT_REDUCTION_NONE, 0, 0, 0, 0, 0, 0, 0, 0};
  Data d;
  make_data(&c, &d);
  int64_t off = 0, n = 0;
  xent_vocab_parallel_shard(c.classes, procs, rank, &off, &n);
  if (shrink_last && rank == procs - 1) --n;
  float *shard = slice(d.esize, d.x, c.batch, c.classes, off, n);
  float loss[5] = {7, 7, 7, 7, 7};
  const xent_status s = xent_mpi_sparse_softmax_ce_with_logits_f32(null_shard && rank == 0 ? NULL : shard, d.labels64,
                                                                   c.batch, n, off, c.classes, NULL, MPI_COMM_WORLD,
                                                                   loss, NULL);
  int untouched = 1;
  for (int i = 0; i < 5; ++i) untouched &= loss[i] == 7;
  char detail[600];
  snprintf(detail, sizeof detail, "rank %d: %s \"%s\"", rank, xent_status_string(s), xent_last_error());
  const int ok = s != XENT_OK && untouched;
  if (rank != 0 && !ok) printf("%s\n", detail);
  report(ok, name, rank == 0 ? detail : "");
  free(shard);
  free_data(&d);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &procs);
  if (rank == 0) printf("xent %s, ISA %s, %d processes\n", xent_version(), xent_simd_isa(), procs);
  const xent_reduction NONE = XENT_REDUCTION_NONE, SUM = XENT_REDUCTION_SUM, MEAN = XENT_REDUCTION_MEAN;
  /* name, f64, i32, batch, classes, reduction, smoothing, z_loss, cw, sw, ignore, masked, in_place, half */
  const Case cases[] = {
      {"plain", 0, 0, 64, 32000, NONE, 0, 0, 0, 0, 0, 0, 0, 0},
      {"plain", 1, 0, 64, 32000, NONE, 0, 0, 0, 0, 0, 0, 0, 0},
      {"smoothing 0.1, z_loss 1e-4, weights, ignore_index", 0, 1, 64, 32000, SUM, 0.1, 1e-4, 1, 1, 1, 0, 0, 0},
      {"smoothing 0.1, z_loss 1e-4, weights, ignore_index", 1, 1, 64, 32000, SUM, 0.1, 1e-4, 1, 1, 1, 0, 0, 0},
      {"ignore_index, class weights", 0, 0, 5, 1001, MEAN, 0, 0, 1, 0, 1, 0, 0, 0},
      {"ignore_index, class weights", 1, 0, 5, 1001, MEAN, 0, 0, 1, 0, 1, 0, 0, 0},
      {"smoothing 0.2, in place", 0, 0, 5, 1001, MEAN, 0.2, 0, 0, 0, 0, 0, 1, 0},
      {"smoothing 0.2, in place", 1, 1, 5, 1001, MEAN, 0.2, 0, 0, 0, 0, 0, 1, 0},
      {"masked -inf classes and shard, z_loss", 0, 0, 5, 1001, NONE, 0, 1e-3, 0, 0, 0, 1, 0, 0},
      {"masked -inf classes and shard, z_loss", 1, 0, 5, 1001, NONE, 0, 1e-3, 0, 0, 0, 1, 0, 0},
      {"plain", 0, 0, 64, 32000, NONE, 0, 0, 0, 0, 0, 0, 0, BF16},
      {"plain", 0, 1, 64, 32000, NONE, 0, 0, 0, 0, 0, 0, 0, F16},
      {"smoothing 0.1, z_loss 1e-4, weights, ignore_index", 0, 1, 64, 32000, SUM, 0.1, 1e-4, 1, 1, 1, 0, 0, BF16},
      {"smoothing 0.1, z_loss 1e-4, weights, ignore_index", 0, 0, 64, 32000, SUM, 0.1, 1e-4, 1, 1, 1, 0, 0, F16},
      {"smoothing 0.2, class weights, ignore_index, in place", 0, 0, 5, 1001, MEAN, 0.2, 0, 1, 0, 1, 0, 1, BF16},
      {"smoothing 0.2, class weights, ignore_index, in place", 0, 1, 5, 1001, MEAN, 0.2, 0, 1, 0, 1, 0, 1, F16},
      {"masked -inf classes and shard, z_loss", 0, 0, 5, 1001, NONE, 0, 1e-3, 0, 0, 0, 1, 0, BF16},
      {"masked -inf classes and shard, z_loss", 0, 0, 5, 1001, NONE, 0, 1e-3, 0, 0, 0, 1, 0, F16},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) check_case(&cases[i], MPI_COMM_WORLD, 0);

  /* One shard holds the whole row: the same sums in the same order, so f64 without
   * smoothing (which the shards must send as a plain logit sum) is bitwise. Unweighted and
   * without z_loss: the avx2 / avx512 kernels' scalar algebra is FMA-contracted by the
   * compiler, ours is not (tests/vocab checks the weighted case on the unfused paths). */
  const Case self[] = {
      {"ignore_index", 1, 0, 64, 32000, MEAN, 0, 0, 0, 0, 1, 0, 0, 0},
      {"in place", 1, 1, 5, 1001, NONE, 0, 0, 0, 0, 0, 0, 1, 0},
      {"masked", 1, 0, 5, 1001, SUM, 0, 0, 0, 0, 0, 1, 0, 0},
  };
  for (size_t i = 0; i < sizeof self / sizeof self[0]; ++i) check_case(&self[i], MPI_COMM_SELF, 1);

  if (procs > 1) {
    check_one_rank_fails("shard NULL on rank 0 fails every rank", 1, 0);
    check_one_rank_fails("shards not covering classes fail every rank", 0, 1);
  }
  if (rank == 0) printf("%d passed, %d failed\n", passed, failed);
  MPI_Finalize();
  return failed != 0;
}
