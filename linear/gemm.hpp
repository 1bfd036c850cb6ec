// The matrix products of the fused linear loss, through the build's CBLAS (OpenBLAS), on
// row-major operands. Every call is made from inside xent's own parallel region with that
// thread's OpenMP thread count set to 1 (blas_single_threaded), so OpenBLAS runs each
// product on the calling thread: the tiles are fixed and each tile is one BLAS call on one
// thread, which makes the result independent of the thread count.
#pragma once

#include <cstdint>

#include "xent_config.h"

#if XENT_HAVE_BLAS
#include <cblas.h>
#endif
#if XENT_HAVE_OPENMP
#include <omp.h>
#endif

namespace xent::linear {

// C (m, n) = op(A) (m, k) * op(B) (k, n) + beta * C, row-major with leading dimensions, T
// float (sgemm) or double (dgemm). Dimensions are checked to fit the BLAS's int by the
// caller (checks.hpp).
template <class T>
inline void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const T *a, int64_t lda, const T *b,
                 int64_t ldb, T beta, T *c, int64_t ldc) {
#if XENT_HAVE_BLAS
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (sizeof(T) == sizeof(float))
    cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), 1.0f, a, int(lda), b, int(ldb), beta, c, int(ldc));
  else
    cblas_dgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), 1.0, a, int(lda), b, int(ldb), beta, c, int(ldc));
#else
  (void)trans_a, (void)trans_b, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta,
      (void)c, (void)ldc;
#endif
}

// OpenBLAS's OpenMP build runs a product on omp_get_max_threads() threads unless called
// from an active parallel region. Setting this thread's count to 1 inside xent's region
// (an ICV of that implicit task only: the caller's setting outside is untouched) makes
// every product single-threaded, for a team of 1 (an inactive region) as for a team of 2.
inline void blas_single_threaded() {
#if XENT_HAVE_OPENMP
  omp_set_num_threads(1);
#endif
}

}  // namespace xent::linear
