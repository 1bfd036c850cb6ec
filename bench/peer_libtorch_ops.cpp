// libtorch peers of xent's other cases (bench/xent_cases.cpp), f32 and f64, on tensors that
// wrap the same buffers as the xent case they pair with:
//   binary_cross_entropy_with_logits   sigmoid_ce_with_logits   logits, soft targets
//   binary_cross_entropy               binary_ce                probabilities, soft targets
//   cross_entropy_soft                 softmax_ce_with_logits   logits, probability targets
//   nll_loss                           nll_loss                 logits buffer as log-probs, labels
//   softmax, log_softmax (dim -1)      the kernels of that name logits
// Losses: reduction mean (torch's default, as in peer_libtorch.cpp), ".mean.loss" and
// ".mean.loss_grad" (the gradient through torch::autograd::grad). softmax / log_softmax:
// the forward alone, and ".grad": the forward then torch::autograd::grad(y, x, w) with w
// the soft-target buffer, i.e. the gradient of sum(y * w) without building the sum.
// xent has no softmax backward, so ".grad" has no xent counterpart.
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/loss.h>

#include <type_traits>

#include "bench.h"

namespace xbench {
namespace {

namespace F = torch::nn::functional;

struct Op {
  const char *name;
  Fill in;      // what the input buffer holds
  bool labels;  // class indices (else a soft-target buffer of the input's shape)
  bool loss;    // a mean loss (else a row-wise map, whose ".grad" takes the targets as w)
  torch::Tensor (*fn)(const torch::Tensor &x, const torch::Tensor &t);
};

const Op kOps[] = {
    {"binary_cross_entropy_with_logits", Fill::logits, false, true,
     [](const torch::Tensor &x, const torch::Tensor &t) { return F::binary_cross_entropy_with_logits(x, t); }},
    {"binary_cross_entropy", Fill::probs, false, true,
     [](const torch::Tensor &x, const torch::Tensor &t) { return F::binary_cross_entropy(x, t); }},
    // A floating target of the input's shape selects cross_entropy's probability-target path.
    {"cross_entropy_soft", Fill::logits, false, true,
     [](const torch::Tensor &x, const torch::Tensor &t) { return F::cross_entropy(x, t); }},
    {"nll_loss", Fill::logits, true, true,
     [](const torch::Tensor &x, const torch::Tensor &t) { return F::nll_loss(x, t); }},
    {"softmax", Fill::logits, false, false,
     [](const torch::Tensor &x, const torch::Tensor &) { return torch::softmax(x, -1); }},
    {"log_softmax", Fill::logits, false, false,
     [](const torch::Tensor &x, const torch::Tensor &) { return torch::log_softmax(x, -1); }},
};

template <class T> std::vector<torch::Tensor> wrap(const std::vector<const T *> &copies, const Shape &s) {
  std::vector<torch::Tensor> out;
  for (const T *p : copies)
    out.push_back(torch::from_blob(const_cast<T *>(p), {s.rows, s.cols},
                                   std::is_same_v<T, float> ? torch::kFloat : torch::kDouble));
  return out;
}

template <class T> void add_op(const Op &op) {
  for (bool grad : {false, true}) {
    const std::string name =
        std::string(op.name) + (op.loss ? (grad ? ".mean.loss_grad" : ".mean.loss") : (grad ? ".grad" : ""));
    add({"libtorch", name, sizeof(T) == 4 ? "f32" : "f64", thread_sweep()},
        [op, grad](benchmark::State &st, const Shape &s, int threads) {
          at::set_num_threads(threads);
          std::vector<torch::Tensor> x = wrap(inputs<T>(s, op.in), s), t;
          for (torch::Tensor &xi : x) xi.set_requires_grad(grad);
          if (op.labels) t = {torch::from_blob(const_cast<int64_t *>(labels(s)), {s.rows}, torch::kLong)};
          else t = wrap(inputs<T>(s, Fill::targets), s);
          timed(st, s, sizeof(T), [&](const Rotation &r) -> const char * {
            const torch::Tensor &xi = r.pick(x), &ti = r.pick(t);
            const torch::Tensor y = op.fn(xi, ti);
            if (!grad) benchmark::DoNotOptimize(y.data_ptr());
            else benchmark::DoNotOptimize(torch::autograd::grad({y}, {xi}, {op.loss ? torch::Tensor() : ti})[0].data_ptr());
            return nullptr;
          });
        });
  }
}

}  // namespace

void register_libtorch_ops() {
  for (const Op &op : kOps) {
    add_op<float>(op);
    add_op<double>(op);
  }
}

}  // namespace xbench
