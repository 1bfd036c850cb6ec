// xent_mpi's vocabulary-parallel fused linear loss: the xent_linear_vocab_parallel_* entry
// points of libxent with MPI_Allreduce as their collective. The protocol, its agreement
// and its errors are libxent's; this file only carries the messages.
#include <climits>

#include "xent/xent_mpi.h"

namespace {

// In place over comm; MPI counts are int, so longer buffers (d_hidden) go in pieces.
int mpi_allreduce(void *context, void *buffer, int64_t count, xent_collective_type type, xent_collective_op op) {
  const MPI_Comm comm = *static_cast<const MPI_Comm *>(context);
  const MPI_Datatype t = type == XENT_COLLECTIVE_F32 ? MPI_FLOAT : MPI_DOUBLE;
  const std::size_t size = type == XENT_COLLECTIVE_F32 ? sizeof(float) : sizeof(double);
  char *p = static_cast<char *>(buffer);
  for (int64_t done = 0; done < count;) {
    const int piece = int(count - done < INT_MAX ? count - done : INT_MAX);
    if (int rc = MPI_Allreduce(MPI_IN_PLACE, p + std::size_t(done) * size, piece, t,
                               op == XENT_COLLECTIVE_SUM ? MPI_SUM : MPI_MAX, comm))
      return rc;
    done += piece;
  }
  return 0;
}

}  // namespace

#define XENT_MPI_LINEAR(T, suffix, L, lsuffix)                                                                     \
  XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_##suffix##lsuffix(                                       \
      const T *hidden, const T *weight, const T *bias, const L *labels, int64_t n, int64_t h,                     \
      int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, MPI_Comm comm,       \
      T *loss, T *d_hidden, T *d_weight, T *d_bias) {                                                              \
    const xent_collective c{mpi_allreduce, &comm};                                                                 \
    return xent_linear_vocab_parallel_sparse_softmax_ce_##suffix##lsuffix(                                        \
        hidden, weight, bias, labels, n, h, shard_classes, class_offset, classes, opts, &c, loss, d_hidden,        \
        d_weight, d_bias);                                                                                         \
  }                                                                                                                \
  XENT_API xent_status xent_mpi_linear_sparse_softmax_ce_backward_##suffix##lsuffix(                              \
      const T *hidden, const T *weight, const T *bias, const L *labels, int64_t n, int64_t h,                     \
      int64_t shard_classes, int64_t class_offset, int64_t classes, const xent_options *opts, MPI_Comm comm,       \
      const T *dloss, T *d_hidden, T *d_weight, T *d_bias) {                                                       \
    const xent_collective c{mpi_allreduce, &comm};                                                                 \
    return xent_linear_vocab_parallel_sparse_softmax_ce_backward_##suffix##lsuffix(                               \
        hidden, weight, bias, labels, n, h, shard_classes, class_offset, classes, opts, &c, dloss, d_hidden,       \
        d_weight, d_bias);                                                                                         \
  }

extern "C" {
XENT_MPI_LINEAR(float, f32, int64_t, )
XENT_MPI_LINEAR(float, f32, int32_t, _i32)
XENT_MPI_LINEAR(double, f64, int64_t, )
XENT_MPI_LINEAR(double, f64, int32_t, _i32)
}
