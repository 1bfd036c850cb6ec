// XNNPACK softmax (xnn_create_softmax_nc_f32, created once per benchmark); 2 threads through
// a pthreadpool, 1 thread without one.
#include <pthreadpool.h>
#include <xnnpack.h>

#include "bench.h"

namespace xbench {

void register_xnnpack() {
  add({"xnnpack", "softmax", "f32", thread_sweep()}, [](benchmark::State &st, const Shape &s, int threads) {
    static const xnn_status init = xnn_initialize(nullptr);
    xnn_operator_t op = nullptr;
    if (init != xnn_status_success || xnn_create_softmax_nc_f32(s.cols, s.cols, s.cols, 0, &op) != xnn_status_success) {
      st.SkipWithError("XNNPACK: initialization or operator creation failed");
      return;
    }
    pthreadpool_t pool = threads > 1 ? pthreadpool_create(size_t(threads)) : nullptr;
    const auto x = inputs<float>(s, Fill::logits);
    float *y = scratch<float>(s, 0);
    const bool rotate = x.size() > 1;  // else bind the buffers once, outside the loop
    if (!rotate) xnn_setup_softmax_nc_f32(op, size_t(s.rows), x[0], y, pool);
    timed(st, s, sizeof(float), [&](const Rotation &r) -> const char * {
      if (rotate) xnn_setup_softmax_nc_f32(op, size_t(s.rows), r.pick(x), y, pool);
      return xnn_run_operator(op, pool) == xnn_status_success ? nullptr : "XNNPACK: xnn_run_operator failed";
    });
    xnn_delete_operator(op);
    if (pool) pthreadpool_destroy(pool);
  });
}

}  // namespace xbench
