// libtorch torch::nn::functional::cross_entropy (log_softmax + nll_loss, reduction mean) on
// tensors that wrap the benchmark's buffers; loss+grad through torch::autograd::grad.
// at::set_num_threads sets libtorch's intra-op threads for each run.
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/functional/loss.h>

#include "bench.h"

namespace xbench {

void register_libtorch() {
  // f32 and f64 on the benchmark's buffers; bf16 on a converted copy of the f32 ones, made once.
  for (const char *dtype : {"f32", "bf16", "f64"})
  for (bool grad : {false, true}) {
    const bool bf16 = dtype[0] == 'b', f64 = dtype[1] == '6';
    add({"libtorch", grad ? "cross_entropy.mean.loss_grad" : "cross_entropy.mean.loss", dtype, thread_sweep()},
        [grad, bf16, f64](benchmark::State &st, const Shape &s, int threads) {
          at::set_num_threads(threads);
          std::vector<torch::Tensor> x;
          if (f64)
            for (const double *p : inputs<double>(s, Fill::logits))
              x.push_back(torch::from_blob(const_cast<double *>(p), {s.rows, s.cols}, torch::kDouble).set_requires_grad(grad));
          else
            for (const float *p : inputs<float>(s, Fill::logits)) {
              torch::Tensor t = torch::from_blob(const_cast<float *>(p), {s.rows, s.cols}, torch::kFloat);
              if (bf16) t = t.to(torch::kBFloat16);
              x.push_back(t.set_requires_grad(grad));
            }
          const torch::Tensor y = torch::from_blob(const_cast<int64_t *>(labels(s)), {s.rows}, torch::kLong);
          timed(st, s, bf16 ? 2 : f64 ? sizeof(double) : sizeof(float), [&](const Rotation &r) -> const char * {
            const torch::Tensor &xi = r.pick(x);
            torch::Tensor loss = torch::nn::functional::cross_entropy(xi, y);
            if (grad) benchmark::DoNotOptimize(torch::autograd::grad({loss}, {xi})[0].data_ptr());
            else benchmark::DoNotOptimize(loss.data_ptr());
            return nullptr;
          });
        });
  }
}

}  // namespace xbench
