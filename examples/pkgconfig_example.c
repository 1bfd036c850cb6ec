/* The smallest xent program, built against an installed xent:
 *   cc -std=c11 pkgconfig_example.c $(pkg-config --cflags --libs xent) -o pkgconfig_example
 * Three rows of logits [1, 2, 3], each labelled class 2: the loss of a row is
 * lse(x) - x[2] = log(e + e^2 + e^3) - 3 = 0.407606. */
#include <math.h>
#include <stdio.h>

#include <xent/xent.h>

int main(void) {
  const float logits[9] = {1, 2, 3, 1, 2, 3, 1, 2, 3};
  const int64_t labels[3] = {2, 2, 2};
  float loss[3], mean;
  xent_options opts;
  xent_options_init(&opts);
  opts.reduction = XENT_REDUCTION_MEAN;

  xent_status s = xent_sparse_softmax_ce_with_logits_f32(logits, labels, 3, 3, NULL, loss, NULL);
  if (s == XENT_OK) s = xent_sparse_softmax_ce_with_logits_f32(logits, labels, 3, 3, &opts, &mean, NULL);
  if (s != XENT_OK) {
    fprintf(stderr, "%s: %s\n", xent_status_string(s), xent_last_error());
    return 1;
  }
  const double expected = log(exp(1.0) + exp(2.0) + exp(3.0)) - 3.0;
  printf("xent %s (%s): losses %.6f %.6f %.6f, mean %.6f, expected %.6f\n", xent_version(), xent_simd_isa(),
         loss[0], loss[1], loss[2], mean, expected);
  return fabs(mean - expected) < 1e-5 && fabs(loss[0] - expected) < 1e-5 ? 0 : 1;
}
