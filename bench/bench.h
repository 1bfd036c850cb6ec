// Shared scaffolding of xent_bench: the shapes, the input data, the counters and the
// registration of one benchmark per (implementation, case, element type, shape, threads).
//
// Names are "impl/case/dtype/shape/threads:N" (bench/report.py parses them), for example
// "xent/sparse_softmax_ce_with_logits.none.loss/f32/L2/threads:1".
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xbench {

struct Shape {
  const char *name;  // "L2", "L3", "DRAM", "vocab", "tiny"
  int64_t rows, cols;
  int64_t elements() const { return rows * cols; }
};

// (128,1024) L2, (8192,1024) L3, (65536,1024) DRAM, (64,32000) vocab, (1,10) tiny.
const std::vector<Shape> &shapes();

// What an input buffer holds. Speed does not depend on the values beyond their range, so
// soft targets are uniform in [0,1) for every dense-target variant (rows not normalized).
enum class Fill {
  logits,  // uniform in [-5, 5)
  probs,   // uniform in [0.01, 0.99)
  targets  // uniform in [0, 1)
};

// Read-only inputs of a shape, allocated and filled once per process (64-byte aligned).
// More than one copy only for the DRAM shape when one buffer is smaller than four times the
// last-level cache: the benchmark loop rotates through them so every call reads from DRAM.
template <class T> std::vector<const T *> inputs(const Shape &s, Fill fill);
const int64_t *labels(const Shape &s);  // rows labels, uniform in [0, cols)
// Output scratch of rows*cols elements; slot 0 and 1 are distinct buffers.
template <class T> T *scratch(const Shape &s, int slot);

// Cycles through the copies returned by inputs(): pick() the current one of each input,
// then advance() once per call. One copy (every shape but DRAM) is picked without a
// division: a 64-bit modulo ahead of every call would put ~20 cycles in front of the
// loads of a tiny call, for xent and the peers alike.
struct Rotation {
  size_t k = 0;
  template <class P> P pick(const std::vector<P> &copies) const {
    return copies.size() == 1 ? copies[0] : copies[k % copies.size()];
  }
  void advance() { ++k; }
};

// Runs one benchmark: call(rotation) once untimed (a non-NULL return is an error message
// that skips the benchmark), then once per iteration, advancing the rotation; then the counters.
template <class Call> void timed(benchmark::State &state, const Shape &s, size_t elem_bytes, Call call);

// Sets the counters every benchmark reports: ns_per_elem (per element of logits),
// GB_per_s (bytes of logits read, decimal GB) and, for the tiny shape, ns_per_call.
void set_counters(benchmark::State &state, const Shape &s, size_t elem_bytes);

// The benchmark body: runs the timed loop for this shape and thread count.
using Body = std::function<void(benchmark::State &, const Shape &, int threads)>;

struct Case {
  std::string impl;   // "xent", "onednn", ...
  std::string name;   // "softmax", "sparse_softmax_ce_with_logits.mean.loss_grad", ...
  std::string dtype;  // "f32" or "f64"
  std::vector<int> threads = {1};
  bool key = false;   // used by a target: 3 repetitions, the report reads the median
};

// Registers the case on every shape and thread count, with UseRealTime.
void add(const Case &c, Body body);

// Returns the thread counts {1, 2} (capped at the machine's cores, at least {1}).
std::vector<int> thread_sweep();

// Registration of each group (bench/*.cpp); the peers are compiled in when meson finds them.
void register_xent();
void register_xent_half();  // bf16 and f16 (bench/half_cases.cpp)
void register_baselines();
void register_onednn();
void register_xnnpack();
void register_sleef();
void register_libtorch();
void register_libtorch_ops();  // BCE (both), soft-target CE, nll_loss, softmax, log_softmax

template <class Call> void timed(benchmark::State &state, const Shape &s, size_t elem_bytes, Call call) {
  Rotation rot;
  if (const char *error = call(rot)) {
    state.SkipWithError(error);
    return;
  }
  for (auto _ : state) {
    call(rot);
    rot.advance();
    benchmark::ClobberMemory();
  }
  set_counters(state, s, elem_bytes);
}

}  // namespace xbench
