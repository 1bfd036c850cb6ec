// xent_mpi: the vocabulary-parallel protocol of xent_vocab_parallel.h carried by
// MPI_Allreduce. Only the public xent API is used: this library links libxent like any
// user would, and reports its own errors through xent_vocab_parallel_set_error.
#include "xent/xent_mpi.h"

#include "vocab/typed_steps.hpp"

#include <climits>
#include <cstdio>
#include <new>
#include <vector>

namespace {

using xent::vocab::Steps;

inline MPI_Datatype mpi_type(float) { return MPI_FLOAT; }
inline MPI_Datatype mpi_type(double) { return MPI_DOUBLE; }

xent_status report(xent_status status, const char *fn, const char *format, long long a, long long b) {
  char message[256];
  std::snprintf(message, sizeof message, format, a, b);
  return xent_vocab_parallel_set_error(status, fn, message);
}

xent_status mpi_error(const char *fn, const char *call, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) std::snprintf(text, sizeof text, "error %d", rc);
  char message[MPI_MAX_ERROR_STRING + 64];
  std::snprintf(message, sizeof message, "%s failed: %s", call, text);
  return xent_vocab_parallel_set_error(XENT_ERR_INTERNAL, fn, message);
}

// Steps 1-4 agree first: every process's status, and that batch, classes and the shard
// sizes are consistent, travel in one small SUM, so all processes return together.
// S: shard and grad; T: partials and loss (float for 16-bit shards: MPI_FLOAT messages).
template <class T, class L, class S>
xent_status run(const char *fn, const S *shard, const L *labels, int64_t batch, int64_t shard_classes,
                int64_t offset, int64_t classes, const xent_options *opts, MPI_Comm comm, T *loss, S *grad) {
  if (comm == MPI_COMM_NULL) return xent_vocab_parallel_set_error(XENT_ERR_INVALID_ARGUMENT, fn, "comm is MPI_COMM_NULL");
  int procs = 0;
  if (int rc = MPI_Comm_size(comm, &procs)) return mpi_error(fn, "MPI_Comm_size", rc);

  // partials (XENT_VP_FIELDS, batch) then the global maxima; one more so that batch = 0
  // still passes non-NULL buffers.
  const int64_t rows = batch > 0 ? batch : 0;
  std::vector<T> scratch;
  xent_status local = XENT_OK;
  if (rows > (INT_MAX - 1) / XENT_VP_FIELDS)  // MPI counts are int
    local = report(XENT_ERR_INVALID_SHAPE, fn, "batch = %lld is over the %lld rows of one MPI message",
                   (long long)batch, (long long)((INT_MAX - 1) / XENT_VP_FIELDS));
  if (!local) {
    try {
      scratch.resize(std::size_t(rows) * (XENT_VP_FIELDS + 1) + 1);
    } catch (const std::bad_alloc &) {
      local = report(XENT_ERR_OUT_OF_MEMORY, fn, "could not allocate %lld x %lld partials", (long long)rows,
                     XENT_VP_FIELDS + 1);
    }
  }
  T *partials = scratch.data(), *global_max = partials + XENT_VP_FIELDS * rows;
  if (!local) local = Steps<S, L>::forward(shard, labels, batch, shard_classes, offset, classes, opts, partials);

  int64_t mine[4] = {local != XENT_OK, shard_classes, batch, classes}, all[4];
  if (int rc = MPI_Allreduce(mine, all, 4, MPI_INT64_T, MPI_SUM, comm)) return mpi_error(fn, "MPI_Allreduce", rc);
  if (local) return local;  // its message says why
  if (all[0])
    return report(XENT_ERR_INVALID_ARGUMENT, fn, "the call failed on %lld of %lld processes (see their xent_last_error())",
                  (long long)all[0], (long long)procs);
  if (all[2] != procs * batch || all[3] != procs * classes)
    return report(XENT_ERR_INVALID_ARGUMENT, fn, "batch = %lld or classes = %lld differs across the processes of comm",
                  (long long)batch, (long long)classes);
  if (all[1] != classes)
    return report(XENT_ERR_INVALID_SHAPE, fn, "the shards hold %lld classes in all, not classes = %lld",
                  (long long)all[1], (long long)classes);

  const int B = int(rows);
  if (int rc = MPI_Allreduce(partials, global_max, B, mpi_type(T()), MPI_MAX, comm))
    return mpi_error(fn, "MPI_Allreduce (MAX)", rc);
  if (xent_status s = Steps<S, L>::rescale(partials, global_max, batch)) return s;
  // forward accepted opts, so reading it is safe; without smoothing LOGIT_SUM is all 0.
  const int fields = opts && opts->label_smoothing != 0 ? 3 : 2;
  if (int rc = MPI_Allreduce(MPI_IN_PLACE, partials + XENT_VP_SUMEXP * rows, fields * B, mpi_type(T()), MPI_SUM, comm))
    return mpi_error(fn, "MPI_Allreduce (SUM)", rc);
  return Steps<S, L>::loss(shard, partials, labels, batch, shard_classes, offset, classes, opts, loss, grad);
}

}  // namespace

// S: shard and grad; T: loss.
#define XENT_MPI_ENTRY(S, T, suffix, L, lsuffix)                                                            \
  XENT_API xent_status xent_mpi_sparse_softmax_ce_with_logits_##suffix##lsuffix(                            \
      const S *shard, const L *labels, int64_t batch, int64_t shard_classes, int64_t class_offset,          \
      int64_t classes, const xent_options *opts, MPI_Comm comm, T *loss, S *grad) {                         \
    try {                                                                                                   \
      return run("xent_mpi_sparse_softmax_ce_with_logits_" #suffix #lsuffix, shard, labels, batch,          \
                 shard_classes, class_offset, classes, opts, comm, loss, grad);                             \
    } catch (...) {                                                                                         \
      return xent_vocab_parallel_set_error(XENT_ERR_INTERNAL, "xent_mpi_sparse_softmax_ce_with_logits_" #suffix #lsuffix, \
                                           "unexpected internal exception");                               \
    }                                                                                                       \
  }

extern "C" {
XENT_MPI_ENTRY(float, float, f32, int64_t, )
XENT_MPI_ENTRY(float, float, f32, int32_t, _i32)
XENT_MPI_ENTRY(double, double, f64, int64_t, )
XENT_MPI_ENTRY(double, double, f64, int32_t, _i32)
XENT_MPI_ENTRY(xent_bf16, float, bf16, int64_t, )
XENT_MPI_ENTRY(xent_bf16, float, bf16, int32_t, _i32)
XENT_MPI_ENTRY(xent_f16, float, f16, int64_t, )
XENT_MPI_ENTRY(xent_f16, float, f16, int32_t, _i32)
}
