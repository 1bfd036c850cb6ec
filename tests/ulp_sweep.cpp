// xent_ulp_sweep: every one of the 2^32 float bit patterns through xent_exp_f32 and
// xent_log_f32 (in chunks through the vector API), and 2e7 dense random + edge doubles
// through xent_exp_f64 / xent_log_f64, each against the correctly rounded result.
//
// Reference for f32: glibc's double exp / log rounded to float (log of a normal x = 2^k (1+f)
// as k ln2 + log1p(f), glibc's log1p of each mantissa computed once per block of the sweep).
// Where that double lies so close to a rounding boundary of float that its own error could
// flip the rounding, or where the library seems off by more than the bound, the long-double
// expl / logl decides. Inputs whose result is known exactly from the definition skip libm:
// exp(NaN) and log(NaN) are NaN; exp(x) rounds to +inf for x >= 88.75 (above
// ln(FLT_MAX * (1 + 2^-25)) = 88.72284), to 0 for x <= -104 (below ln(2^-150) = -103.97), to 1
// for |x| <= 2^-26; log(x) is NaN for x < 0 and -inf at +-0. Reference for f64: expl / logl
// rounded to double (both roundings accepted where the long double's own error straddles a
// boundary).
//
// Prints the largest error (in steps of the result's ulp, subnormal results included; -0 and
// +0 count as equal; a NaN or an infinity, overflow included, must be matched exactly) and
// the worst input per function; exits 1 if any exceeds 1 ulp.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "support/check.hpp"
#include "support/random.hpp"
#include "xent/xent.h"

namespace {

using ref::LD;

struct Worst {
  uint64_t max_ulp = 0;  // kUlpInfinite: a NaN / infinity mismatch
  uint64_t over = 0;     // inputs over the bound
  double x = 0, got = 0;
  LD want = 0;
  bool seen = false;
  void add(uint64_t e, double xv, double g, LD w) {
    if (e > 1) ++over;
    if (!seen || e > max_ulp) {
      seen = true;
      max_ulp = e;
      x = xv;
      got = g;
      want = w;
    }
  }
  void merge(const Worst &o) {
    over += o.over;
    if (o.seen && (!seen || o.max_ulp > max_ulp)) {
      const uint64_t keep = over;
      *this = o;
      over = keep;
    }
  }
};

// The correctly rounded float, from a double reference d of x within err of the exact value,
// with long double as judge where that is not enough.
template <class LdFn> uint64_t f32_error(float got, double d, float x, LdFn ld, LD *want, double err) {
  const float cr = static_cast<float>(d);
  const bool ambiguous = static_cast<float>(d - err) != static_cast<float>(d + err);
  uint64_t e = xt::ulp_steps(got, cr);
  *want = d;
  if (e > 1 || ambiguous) {
    const LD exact = ld(static_cast<LD>(x));
    *want = exact;
    e = xt::ulp_error(got, exact, xt::ld_error_bound(exact));
  }
  return e;
}

// A chunk of bit patterns [first, last] shares one sign, and |x| grows with the pattern.
inline float bits_value(uint32_t u) { return xt::from_bits<float>(u); }
inline bool all_nan(uint32_t first, uint32_t last) {
  return (first & 0x7fffffffu) > 0x7f800000u && (last & 0x7fffffffu) > 0x7f800000u;
}

struct ExpF32 {
  static constexpr const char *name = "exp_f32";
  // Whether every input of the chunk has the same known result *cr (the shortcuts of error()).
  static bool constant(uint32_t first, uint32_t last, float *cr) {
    if (all_nan(first, last)) return *cr = NAN, true;
    if ((last & 0x7fffffffu) > 0x7f800000u) return false;  // reaches into the NaNs
    const float a = bits_value(first), b = bits_value(last);
    if (a >= 88.75f) return *cr = INFINITY, true;
    if (a <= -104.0f) return *cr = 0, true;
    if (std::fabs(b) <= 0x1p-26f) return *cr = 1, true;
    return false;
  }
  static xent_status lib(const float *x, float *y, int64_t n) { return xent_exp_f32(x, y, n); }
  static uint64_t error(float x, float got, LD *want) {
    if (std::isnan(x)) return *want = NAN, xt::ulp_steps(got, x);
    if (x >= 88.75f) return *want = INFINITY, xt::ulp_steps(got, INFINITY);
    if (x <= -104.0f) return *want = 0, xt::ulp_steps(got, 0.0f);
    if (std::fabs(x) <= 0x1p-26f) return *want = 1, xt::ulp_steps(got, 1.0f);
    const double d = std::exp(static_cast<double>(x));
    return f32_error(got, d, x, [](LD v) { return expl(v); }, want, std::fabs(d) * 0x1p-51 + 0x1p-1074);
  }
  static uint64_t chunk_order(uint64_t w) { return w; }
  static bool quick(uint64_t, const float *, uint8_t *, size_t) { return false; }
};

struct LogF32 {
  static constexpr const char *name = "log_f32";
  static bool constant(uint32_t first, uint32_t last, float *cr) {
    if (all_nan(first, last) || (first > 0x80000000u && last > 0x80000000u)) return *cr = NAN, true;
    return false;
  }
  static xent_status lib(const float *x, float *y, int64_t n) { return xent_log_f32(x, y, n); }
  static uint64_t error(float x, float got, LD *want) {
    if (std::isnan(x) || x < 0) return *want = NAN, xt::ulp_steps(got, NAN);
    if (x == 0) return *want = -INFINITY, xt::ulp_steps(got, -INFINITY);
    const uint32_t bits = xt::to_bits(x);
    const int biased = static_cast<int>(bits >> 23);
    if (biased == 0 || biased == 255) {  // subnormal, +inf
      const double d = std::log(static_cast<double>(x));
      return f32_error(got, d, x, [](LD v) { return logl(v); }, want, std::fabs(d) * 0x1p-51 + 0x1p-1074);
    }
    double d, err;
    normal_log(biased - 127, mantissa_log1p(bits), &d, &err);
    return f32_error(got, d, x, [](LD v) { return logl(v); }, want, err);
  }
  // A whole chunk of normal positive inputs at once (vectorizable): flags[i] = 0 where y[i]
  // is surely the correctly rounded log; the rest go through error().
  static bool quick(uint64_t c, const float *y, uint8_t *flags, size_t n) {
    const uint32_t first = static_cast<uint32_t>(c << 16);
    const int biased = static_cast<int>(first >> 23);
    if ((first >> 31) || biased == 0 || biased == 255) return false;
    const double *m = &mantissa_table(first)[0];
    for (size_t i = 0; i < n; ++i) {
      double d, err;
      normal_log(biased - 127, m[i], &d, &err);
      const bool sure = static_cast<float>(d - err) == static_cast<float>(d + err);
      flags[i] = !(sure && xt::to_bits(static_cast<float>(d)) == xt::to_bits(y[i]));
    }
    return true;
  }
  // Chunks are visited mantissa block by block (the top 7 mantissa bits), so the table of a
  // block serves all of its 512 sign/exponent chunks.
  static uint64_t chunk_order(uint64_t w) { return ((w % 512) << 7) | (w / 512); }

 private:
  // log(2^k (1 + f)) = k ln2 + log1p(f), k ln2 exact in two parts (fdlibm's split of ln2);
  // err bounds the error of the double d.
  static void normal_log(int k, double log1p_f, double *d, double *err) {
    const double ln2_hi = 0x1.62e42feep-1, ln2_lo = 0x1.a39ef35793c76p-33;
    const double hi = k * ln2_hi;
    *d = (hi + log1p_f) + k * ln2_lo;
    *err = (std::fabs(log1p_f) + std::fabs(hi)) * 0x1p-50 + 0x1p-1074;
  }
  // glibc's log1p(f) of the 2^16 mantissas of the block of bits (its top 7 mantissa bits),
  // kept per thread: the chunks come block by block.
  static const std::vector<double> &mantissa_table(uint32_t bits) {
    struct Table {
      int block = -1;
      std::vector<double> values = std::vector<double>(1 << 16);
    };
    thread_local Table t;
    const int block = static_cast<int>((bits >> 16) & 127);
    if (t.block != block) {
      for (uint32_t j = 0; j < (1u << 16); ++j)
        t.values[j] = std::log1p(static_cast<double>((uint32_t(block) << 16) | j) * 0x1p-23);
      t.block = block;
    }
    return t.values;
  }
  static double mantissa_log1p(uint32_t bits) { return mantissa_table(bits)[bits & 0xffffu]; }
};

unsigned thread_count() { return std::max(1u, std::min(8u, std::thread::hardware_concurrency())); }

// Per-thread input and output buffers of one chunk (kept small enough for the L2 cache).
template <class T> struct Scratch {
  std::vector<T> x, y;
  std::vector<uint8_t> flags;
};

// Runs work(chunk, worst, scratch) for chunk = 0..chunks-1 over the threads; returns the
// merged worst.
template <class T, class Work> Worst parallel_chunks(uint64_t chunks, size_t chunk_size, Work work) {
  std::atomic<uint64_t> next{0};
  std::mutex mu;
  Worst all;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < thread_count(); ++t)
    pool.emplace_back([&] {
      Worst mine;
      Scratch<T> scratch{std::vector<T>(chunk_size), std::vector<T>(chunk_size), std::vector<uint8_t>(chunk_size)};
      for (uint64_t c; (c = next.fetch_add(1)) < chunks;) work(c, mine, scratch);
      std::lock_guard<std::mutex> lock(mu);
      all.merge(mine);
    });
  for (auto &th : pool) th.join();
  return all;
}

bool report(const char *name, const char *what, const Worst &w, double seconds) {
  const bool ok = w.max_ulp <= 1;
  std::printf("%-8s %s: max error %s ulp (bound 1), worst x = %a (%.9g): got %a, want %.21Lg; %" PRIu64
              " input(s) over the bound; %.1f s  %s\n",
              name, what, w.max_ulp == xt::kUlpInfinite ? "inf/NaN mismatch," : std::to_string(w.max_ulp).c_str(), w.x,
              w.x, w.got, w.want, w.over, seconds, ok ? "PASS" : "FAIL");
  std::fflush(stdout);
  return ok;
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Every float bit pattern, 2^16 per chunk.
template <class F> bool sweep_f32() {
  const auto t0 = std::chrono::steady_clock::now();
  constexpr uint64_t kChunk = uint64_t(1) << 16;
  std::atomic<bool> call_failed{false};
  const auto work = [&](uint64_t w, Worst &mine, Scratch<float> &s) {
    std::vector<float> &x = s.x, &y = s.y;
    const uint64_t c = F::chunk_order(w);
    for (uint64_t i = 0; i < kChunk; ++i) x[i] = xt::from_bits<float>(static_cast<uint32_t>(c * kChunk + i));
    if (F::lib(x.data(), y.data(), static_cast<int64_t>(kChunk)) != XENT_OK) call_failed = true;
    float cr;
    if (F::constant(xt::to_bits(x.front()), xt::to_bits(x.back()), &cr)) {
      // a quick pass (all NaN, or all bitwise cr); the full one below only if something differs
      unsigned differ = 0;
      if (std::isnan(cr)) {
        for (uint64_t i = 0; i < kChunk; ++i) differ |= !(y[i] != y[i]);
      } else {
        const uint32_t want = xt::to_bits(cr);
        for (uint64_t i = 0; i < kChunk; ++i) differ |= xt::to_bits(y[i]) != want;
      }
      if (!differ) return;
    }
    const bool quick = F::quick(c, y.data(), s.flags.data(), kChunk);
    for (uint64_t i = 0; i < kChunk; ++i) {
      if (quick && !s.flags[i]) continue;
      LD want;
      const uint64_t e = F::error(x[i], y[i], &want);
      if (e > 0 || !mine.seen) mine.add(e, x[i], y[i], want);
    }
  };
  const Worst w = parallel_chunks<float>((uint64_t(1) << 32) / kChunk, kChunk, work);
  if (call_failed) std::printf("%s: a call did not return XENT_OK: %s\n", F::name, xent_last_error());
  return report(F::name, "all 2^32 inputs", w, since(t0)) && !call_failed;
}

// n random doubles from sample(rng) through fn, against the long-double reference.
template <class Sample, class Ref>
bool sample_f64(const char *name, xent_status (*fn)(const double *, double *, int64_t), Sample sample, Ref reference) {
  const auto t0 = std::chrono::steady_clock::now();
  constexpr uint64_t kChunk = uint64_t(1) << 16, kChunks = 305;  // 2e7 samples
  std::atomic<bool> call_failed{false};
  const auto work = [&](uint64_t c, Worst &mine, Scratch<double> &s) {
    std::vector<double> &x = s.x, &y = s.y;
    xt::Rng rng(0x5eed0000 + c);
    for (double &v : x) v = sample(rng);
    if (fn(x.data(), y.data(), static_cast<int64_t>(kChunk)) != XENT_OK) call_failed = true;
    for (uint64_t i = 0; i < kChunk; ++i) {
      const LD want = reference(static_cast<LD>(x[i]));
      mine.add(xt::ulp_error(y[i], want, xt::ld_error_bound(want)), x[i], y[i], want);
    }
  };
  const Worst w = parallel_chunks<double>(kChunks, kChunk, work);
  if (call_failed) std::printf("%s: a call did not return XENT_OK: %s\n", name, xent_last_error());
  return report(name, "2e7 random + edge samples", w, since(t0)) && !call_failed;
}

double any_double(xt::Rng &r) { return xt::from_bits<double>(r.bits()); }

}  // namespace

int main() {
  xent_set_num_threads(1);  // the sweep's own threads share out the chunks
  std::printf("xent_ulp_sweep: xent %s, ISA %s, %u threads\n", xent_version(), xent_simd_isa(), thread_count());
  bool ok = true;
  ok &= sweep_f32<ExpF32>();
  ok &= sweep_f32<LogF32>();
  ok &= sample_f64(
      "exp_f64",
      xent_exp_f64,
      [](xt::Rng &r) {
        const double u = r.uniform(0, 1);
        if (u < 0.6) return r.uniform(-746, 710);
        if (u < 0.7) return r.uniform(-746, -708);  // subnormal results
        if (u < 0.9) return r.log_uniform(-60, 9.5);
        return any_double(r);
      },
      [](LD x) { return expl(x); });
  ok &= sample_f64(
      "log_f64",
      xent_log_f64,
      [](xt::Rng &r) {
        const double u = r.uniform(0, 1);
        if (u < 0.5) return std::fabs(any_double(r));  // every binade, subnormals too
        if (u < 0.75) return r.uniform(0.5, 2);
        return 1 + r.log_uniform(-53, -1);
      },
      [](LD x) { return logl(x); });
  std::printf("%s\n", ok ? "ulp sweep: PASS" : "ulp sweep: FAIL");
  return ok ? 0 : 1;
}
