// xent_bench: xent's C API, the naive and bandwidth baselines, and the peers meson found,
// in one Google Benchmark binary. Default --benchmark_min_time=0.1 (a later flag overrides).
#include <xent/xent.h>

#include "bench.h"
#include "bench_config.h"

int main(int argc, char **argv) {
  std::vector<char *> args = {argv[0], const_cast<char *>("--benchmark_min_time=0.1")};
  args.insert(args.end(), argv + 1, argv + argc);
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;

  benchmark::AddCustomContext("xent_version", xent_version());
  benchmark::AddCustomContext("xent_isa", xent_simd_isa());
  benchmark::AddCustomContext("peers", XENT_BENCH_PEERS);
  xbench::register_xent();
  xbench::register_xent_half();
  xbench::register_baselines();
#if XENT_BENCH_HAVE_ONEDNN
  xbench::register_onednn();
#endif
#if XENT_BENCH_HAVE_XNNPACK
  xbench::register_xnnpack();
#endif
#if XENT_BENCH_HAVE_SLEEF
  xbench::register_sleef();
#endif
#if XENT_BENCH_HAVE_LIBTORCH
  xbench::register_libtorch();
  xbench::register_libtorch_ops();
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
