// xent_linear_bench: the fused linear + sparse softmax CE (include/xent/xent_linear.h)
// against the unfused route through the same BLAS (OpenBLAS): the full (n, v) logits by one
// sgemm, xent's fused sparse CE with its gradient in place, the d_hidden and d_weight
// sgemms. f32, MEAN, no bias, 2 threads (OMP_NUM_THREADS=2 for OpenBLAS, num_threads = 2
// for xent). Shapes (N/H/V): 4096/2048/32000 and 4096/2048/128256, or 512/256/4000 with
// XENT_LINEAR_BENCH_SMALL=1; select with e.g. --benchmark_filter='/32000'.
//   linear/fused_all     loss + d_hidden + d_weight, fused
//   linear/unfused_all   the same by the unfused route
//   linear/fused_loss    loss alone, fused
//   linear/fused_all_bf16, linear/fused_loss_bf16   the same with bf16 hidden, weight and
//                        gradients (xent_linear_sparse_softmax_ce_bf16; f32 math)
//   linear/gemm          one sgemm of the logits' shape (n x v x h)
//   linear/inputs_only   allocates and touches inputs and outputs only: the RSS baseline
// bench/linear_vs_torch.py runs each case in its own process for its peak RSS.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "xent/xent.h"
#include "xent/xent_linear.h"

namespace {

constexpr int kThreads = 2;

// The top half of a float (truncated: the inputs only need realistic values).
std::vector<xent_bf16> to_bf16(const std::vector<float> &x) {
  std::vector<xent_bf16> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    uint32_t u;
    std::memcpy(&u, &x[i], sizeof u);
    r[i].bits = uint16_t(u >> 16);
  }
  return r;
}

struct Problem {
  int64_t n, h, v;
  std::vector<float> hidden, weight, d_hidden, d_weight;
  std::vector<int64_t> labels;
  Problem(int64_t n_, int64_t h_, int64_t v_)
      : n(n_), h(h_), v(v_), hidden(size_t(n * h)), weight(size_t(v * h)), d_hidden(size_t(n * h)),
        d_weight(size_t(v * h)), labels(size_t(n)) {
    std::mt19937 gen(1);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto &x : hidden) x = u(gen);
    const float scale = 1.0f / float(h);  // logits of a few units
    for (auto &x : weight) x = u(gen) * scale * 8;
    for (auto &l : labels) l = int64_t(gen() % uint64_t(v));
  }
};

xent_options mean_options() {
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_MEAN;
  o.num_threads = kThreads;
  return o;
}

void set_counters(benchmark::State &st, const Problem &p, int gemms) {
  st.counters["GFLOP/s"] = benchmark::Counter(2.0 * double(p.n) * double(p.h) * double(p.v) * gemms * 1e-9,
                                              benchmark::Counter::kIsIterationInvariantRate);
}

// The fused call, with all gradients or the loss alone.
void fused(benchmark::State &st, bool gradients) {
  Problem p(st.range(0), st.range(1), st.range(2));
  const xent_options o = mean_options();
  float loss = 0;
  for (auto _ : st) {
    if (xent_linear_sparse_softmax_ce_f32(p.hidden.data(), p.weight.data(), nullptr, p.labels.data(), p.n, p.h, p.v, &o,
                                          &loss, gradients ? p.d_hidden.data() : nullptr,
                                          gradients ? p.d_weight.data() : nullptr, nullptr) != XENT_OK)
      st.SkipWithError(xent_last_error());
    benchmark::DoNotOptimize(loss);
  }
  set_counters(st, p, gradients ? 3 : 1);
}
void fused_all(benchmark::State &st) { fused(st, true); }
void fused_loss(benchmark::State &st) { fused(st, false); }

void fused_bf16(benchmark::State &st, bool gradients) {
  const Problem p(st.range(0), st.range(1), st.range(2));
  const std::vector<xent_bf16> hidden = to_bf16(p.hidden), weight = to_bf16(p.weight);
  std::vector<xent_bf16> d_hidden(hidden.size()), d_weight(weight.size());
  const xent_options o = mean_options();
  float loss = 0;
  for (auto _ : st) {
    if (xent_linear_sparse_softmax_ce_bf16(hidden.data(), weight.data(), nullptr, p.labels.data(), p.n, p.h, p.v, &o,
                                           &loss, gradients ? d_hidden.data() : nullptr,
                                           gradients ? d_weight.data() : nullptr, nullptr) != XENT_OK)
      st.SkipWithError(xent_last_error());
    benchmark::DoNotOptimize(loss);
  }
  set_counters(st, p, gradients ? 3 : 1);
}
void fused_all_bf16(benchmark::State &st) { fused_bf16(st, true); }
void fused_loss_bf16(benchmark::State &st) { fused_bf16(st, false); }

void unfused_all(benchmark::State &st) {
  Problem p(st.range(0), st.range(1), st.range(2));
  const xent_options o = mean_options();
  std::vector<float> logits(size_t(p.n * p.v));
  const int n = int(p.n), h = int(p.h), v = int(p.v);
  float loss = 0;
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, v, h, 1.0f, p.hidden.data(), h, p.weight.data(), h, 0.0f,
                logits.data(), v);
    if (xent_sparse_softmax_ce_with_logits_f32(logits.data(), p.labels.data(), p.n, p.v, &o, &loss, logits.data()) !=
        XENT_OK)
      st.SkipWithError(xent_last_error());
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, v, 1.0f, logits.data(), v, p.weight.data(), h, 0.0f,
                p.d_hidden.data(), h);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, v, h, n, 1.0f, logits.data(), v, p.hidden.data(), h, 0.0f,
                p.d_weight.data(), h);
    benchmark::DoNotOptimize(loss);
  }
  set_counters(st, p, 3);
}

void gemm(benchmark::State &st) {
  Problem p(st.range(0), st.range(1), st.range(2));
  std::vector<float> logits(size_t(p.n * p.v));
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(p.n), int(p.v), int(p.h), 1.0f, p.hidden.data(), int(p.h),
                p.weight.data(), int(p.h), 0.0f, logits.data(), int(p.v));
    benchmark::DoNotOptimize(logits.data());
  }
  set_counters(st, p, 1);
}

void inputs_only(benchmark::State &st) {
  Problem p(st.range(0), st.range(1), st.range(2));
  for (auto &x : p.d_hidden) x = 0;
  for (auto &x : p.d_weight) x = 0;
  for (auto _ : st) benchmark::DoNotOptimize(p.d_weight.data());
}

// The shapes take seconds per call: one timed call each (repeat with
// --benchmark_repetitions); the small one runs for the default minimum time.
void shapes(benchmark::internal::Benchmark *b) {
  const int64_t n = 4096, h = 2048;
  if (const char *s = std::getenv("XENT_LINEAR_BENCH_SMALL"); s && *s == '1') {
    b->Args({512, 256, 4000})->Unit(benchmark::kMillisecond)->UseRealTime();
    return;
  }
  b->Args({n, h, 32000})->Args({n, h, 128256})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
}

BENCHMARK(fused_all)->Name("linear/fused_all")->Apply(shapes);
BENCHMARK(unfused_all)->Name("linear/unfused_all")->Apply(shapes);
BENCHMARK(fused_loss)->Name("linear/fused_loss")->Apply(shapes);
BENCHMARK(fused_all_bf16)->Name("linear/fused_all_bf16")->Apply(shapes);
BENCHMARK(fused_loss_bf16)->Name("linear/fused_loss_bf16")->Apply(shapes);
BENCHMARK(gemm)->Name("linear/gemm")->Apply(shapes);
BENCHMARK(inputs_only)->Name("linear/inputs_only")->Apply(shapes);

}  // namespace

int main(int argc, char **argv) {
  setenv("OMP_NUM_THREADS", "2", 0);  // OpenBLAS's OpenMP build reads it at load: see linear_vs_torch.py
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("xent_isa", xent_simd_isa());
  benchmark::AddCustomContext("blas", "OpenBLAS (OpenMP build), 2 threads");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
