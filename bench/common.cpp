// The shared scaffolding declared in bench.h: data buffers, counters, registration.
#include "bench.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>

namespace xbench {

const std::vector<Shape> &shapes() {
  static const std::vector<Shape> all = {
      {"L2", 128, 1024}, {"L3", 8192, 1024}, {"DRAM", 65536, 1024}, {"vocab", 64, 32000}, {"tiny", 1, 10}};
  return all;
}

namespace {

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

// Buffers live until exit: a benchmark of the same shape reuses them instead of refilling.
std::map<std::string, std::vector<std::unique_ptr<void, FreeDeleter>>> &store() {
  static std::map<std::string, std::vector<std::unique_ptr<void, FreeDeleter>>> s;
  return s;
}

size_t last_level_cache_bytes() {
  size_t llc = 0;
  for (const auto &c : benchmark::CPUInfo::Get().caches) llc = std::max(llc, size_t(c.size));
  return llc ? llc : size_t(32) << 20;
}

size_t copies_for(const Shape &s, size_t bytes) {
  if (std::string(s.name) != "DRAM") return 1;
  const size_t want = 4 * last_level_cache_bytes();
  return std::max<size_t>(1, (want + bytes - 1) / bytes);
}

// xorshift64*: fast and reproducible (the same data on every run).
struct Rng {
  uint64_t s;
  double next() {  // uniform in [0, 1)
    s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
    return double((s * 0x2545F4914F6CDD1DULL) >> 11) * 0x1.0p-53;
  }
};

// Returns the copies stored under key, allocating and filling them on first use.
template <class T, class F>
std::vector<T *> buffers(const std::string &key, size_t count, size_t copies, F fill) {
  auto &slot = store()[key];
  if (slot.empty()) {
    const size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    Rng rng{0x9E3779B97F4A7C15ULL ^ std::hash<std::string>()(key)};
    for (size_t k = 0; k < copies; ++k) {
      T *p = static_cast<T *>(std::aligned_alloc(64, bytes));
      if (!p) throw std::bad_alloc();
      for (size_t i = 0; i < count; ++i) p[i] = fill(rng);
      slot.emplace_back(p);
    }
  }
  std::vector<T *> out;
  for (auto &p : slot) out.push_back(static_cast<T *>(p.get()));
  return out;
}

std::string key_of(const Shape &s, const char *what, size_t elem_bytes) {
  return std::string(s.name) + "/" + what + "/" + std::to_string(elem_bytes);
}

}  // namespace

template <class T> std::vector<const T *> inputs(const Shape &s, Fill fill) {
  static const char *names[] = {"logits", "probs", "targets"};
  const double lo[] = {-5.0, 0.01, 0.0}, width[] = {10.0, 0.98, 1.0};
  const int f = int(fill);
  const size_t n = size_t(s.elements());
  auto v = buffers<T>(key_of(s, names[f], sizeof(T)), n, copies_for(s, n * sizeof(T)),
                      [&](Rng &r) { return T(lo[f] + width[f] * r.next()); });
  return {v.begin(), v.end()};
}
template std::vector<const float *> inputs<float>(const Shape &, Fill);
template std::vector<const double *> inputs<double>(const Shape &, Fill);

const int64_t *labels(const Shape &s) {
  return buffers<int64_t>(key_of(s, "labels", 8), size_t(s.rows), 1,
                          [&](Rng &r) { return int64_t(r.next() * double(s.cols)); })[0];
}

template <class T> T *scratch(const Shape &s, int slot) {
  const std::string what = "scratch" + std::to_string(slot);
  return buffers<T>(key_of(s, what.c_str(), sizeof(T)), size_t(s.elements()), 1, [](Rng &) { return T(0); })[0];
}
template float *scratch<float>(const Shape &, int);
template double *scratch<double>(const Shape &, int);

void set_counters(benchmark::State &state, const Shape &s, size_t elem_bytes) {
  using C = benchmark::Counter;
  const double n = double(s.elements());
  state.counters["ns_per_elem"] = C(n * 1e-9, C::kIsIterationInvariantRate | C::kInvert);
  state.counters["GB_per_s"] = C(n * double(elem_bytes) * 1e-9, C::kIsIterationInvariantRate);
  if (std::string(s.name) == "tiny") state.counters["ns_per_call"] = C(1e-9, C::kIsIterationInvariantRate | C::kInvert);
}

void add(const Case &c, Body body) {
  for (const Shape &s : shapes()) {
    for (int t : c.threads) {
      const std::string name = c.impl + "/" + c.name + "/" + c.dtype + "/" + s.name + "/threads:" + std::to_string(t);
      auto *b = benchmark::RegisterBenchmark(name.c_str(), [body, s, t](benchmark::State &st) { body(st, s, t); });
      b->UseRealTime();
      if (c.key) b->Repetitions(3)->ReportAggregatesOnly(true);
    }
  }
}

std::vector<int> thread_sweep() {
  return std::thread::hardware_concurrency() >= 2 ? std::vector<int>{1, 2} : std::vector<int>{1};
}

}  // namespace xbench
