// The two yardsticks of every table: a naive scalar sparse softmax cross-entropy (what a
// user writes without a library) and a SIMD read of the buffer (the memory-bound limit).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "bench.h"

namespace xbench {
namespace {

// Textbook two passes per row: lse = m + log(sum exp(x - m)), loss = lse - x[label];
// with grad, a third pass writes softmax(x) - onehot(label).
void naive_sparse_ce(const float *x, const int64_t *labels, int64_t rows, int64_t cols, float *loss, float *grad) {
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * cols;
    float m = row[0];
    for (int64_t c = 1; c < cols; ++c) m = std::max(m, row[c]);
    float sum = 0.0f;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(row[c] - m);
    const float lse = m + std::log(sum);
    loss[r] = lse - row[labels[r]];
    if (grad) {
      float *g = grad + r * cols;
      for (int64_t c = 0; c < cols; ++c) g[c] = std::exp(row[c] - lse);
      g[labels[r]] -= 1.0f;
    }
  }
}

// Sum of the buffer as 64-bit integers in four B-byte accumulators (integer adds: no
// latency chain limits the loop). Inlined into one function per ISA below.
template <int B> struct U64s;  // a B-byte vector of uint64_t (vector_size cannot depend on B)
template <> struct U64s<16> { typedef uint64_t type __attribute__((vector_size(16))); };
template <> struct U64s<32> { typedef uint64_t type __attribute__((vector_size(32))); };
template <> struct U64s<64> { typedef uint64_t type __attribute__((vector_size(64))); };

template <int B> __attribute__((always_inline)) inline uint64_t read_sum(const void *data, size_t bytes) {
  using V = typename U64s<B>::type;
  const unsigned char *p = static_cast<const unsigned char *>(data);
  V a0 = {}, a1 = {}, a2 = {}, a3 = {}, v;
  size_t i = 0;
  for (; i + 4 * B <= bytes; i += 4 * B) {
    std::memcpy(&v, p + i, B), a0 += v;
    std::memcpy(&v, p + i + B, B), a1 += v;
    std::memcpy(&v, p + i + 2 * B, B), a2 += v;
    std::memcpy(&v, p + i + 3 * B, B), a3 += v;
  }
  const V a = (a0 + a1) + (a2 + a3);
  uint64_t sum = 0;
  for (size_t k = 0; k < B / 8; ++k) sum += a[k];
  for (; i < bytes; ++i) sum += p[i];
  return sum;
}

using ReadFn = uint64_t (*)(const void *, size_t);
uint64_t read_sum_base(const void *p, size_t n) { return read_sum<16>(p, n); }
#if defined(__x86_64__)
__attribute__((target("avx512f"))) uint64_t read_sum_avx512(const void *p, size_t n) { return read_sum<64>(p, n); }
__attribute__((target("avx2"))) uint64_t read_sum_avx2(const void *p, size_t n) { return read_sum<32>(p, n); }
ReadFn widest_read_sum() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? read_sum_avx512 : __builtin_cpu_supports("avx2") ? read_sum_avx2 : read_sum_base;
}
#else
ReadFn widest_read_sum() { return read_sum_base; }
#endif

template <class T> void add_read_bandwidth() {
  const char *dt = sizeof(T) == 4 ? "f32" : "f64";
  add({"baseline", "read_bw", dt, {1}, true}, [](benchmark::State &st, const Shape &s, int) {
    static const ReadFn read_sum = widest_read_sum();
    const auto x = inputs<T>(s, Fill::logits);
    timed(st, s, sizeof(T), [&](const Rotation &r) -> const char * {
      benchmark::DoNotOptimize(read_sum(r.pick(x), size_t(s.elements()) * sizeof(T)));
      return nullptr;
    });
  });
}

}  // namespace

void register_baselines() {
  add_read_bandwidth<float>();
  add_read_bandwidth<double>();
  for (bool grad : {false, true}) {
    const char *name = grad ? "sparse_softmax_ce_with_logits.none.loss_grad" : "sparse_softmax_ce_with_logits.none.loss";
    add({"naive", name, "f32"}, [grad](benchmark::State &st, const Shape &s, int) {
      const auto x = inputs<float>(s, Fill::logits);
      const int64_t *y = labels(s);
      float *loss = scratch<float>(s, 1), *g = grad ? scratch<float>(s, 0) : nullptr;
      timed(st, s, sizeof(float), [&](const Rotation &r) -> const char * {
        naive_sparse_ce(r.pick(x), y, s.rows, s.cols, loss, g);
        return nullptr;
      });
    });
  }
}

}  // namespace xbench
