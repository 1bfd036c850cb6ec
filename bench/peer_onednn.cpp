// oneDNN softmax and log-softmax (softmax_v2, f32, axis 1): the primitive is created once per
// benchmark, outside the timed loop; threads through OpenMP (oneDNN's runtime here).
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench.h"

namespace xbench {

void register_onednn() {
  using dnnl::algorithm;
  const std::pair<const char *, algorithm> algs[] = {{"softmax", algorithm::softmax_accurate},
                                                     {"log_softmax", algorithm::softmax_log}};
  for (const auto &[name, alg] : algs) {
    const bool key = alg == algorithm::softmax_accurate;
    add({"onednn", name, "f32", thread_sweep(), key}, [alg = alg](benchmark::State &st, const Shape &s, int threads) {
      omp_set_num_threads(threads);
      const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
      dnnl::stream stream(eng);
      const dnnl::memory::desc md({s.rows, s.cols}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
      const dnnl::softmax_v2_forward prim(
          {{dnnl::prop_kind::forward_inference, alg, md, md, 1}, eng});
      const auto x = inputs<float>(s, Fill::logits);
      dnnl::memory src(md, eng, const_cast<float *>(x[0])), dst(md, eng, scratch<float>(s, 0));
      const std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
      timed(st, s, sizeof(float), [&](const Rotation &r) -> const char * {
        if (x.size() > 1) src.set_data_handle(const_cast<float *>(r.pick(x)));
        prim.execute(stream, args);
        stream.wait();
        return nullptr;
      });
    });
  }
}

}  // namespace xbench
