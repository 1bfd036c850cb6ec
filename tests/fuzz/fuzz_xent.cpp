// libFuzzer target over the whole C API (see tests/fuzz/README.md).
//
// Each input decodes into one call: a function (every loss variant x f32/f64 x int64/int32
// labels, every kernel), its shapes, its xent_options, its buffers (some NULL, some placed
// inside another buffer to overlap it or to run in place) and their payloads (NaN, +-inf,
// subnormals, 1e30, out-of-range labels...). Then:
//   - the status is the one docs/SEMANTICS.md's check order gives (an independent model);
//   - every buffer lives between ASan-poisoned canary guards, checked after every call;
//   - on error no byte of any buffer changed and xent_last_error() names the function;
//   - on success no input byte changed, and every output equals the portable scalar path
//     (xent::tables_scalar(), called directly) within the SPEC tolerance, NaN-ness exact.
// Any finding prints the decoded call and aborts.
#include <fuzzer/FuzzedDataProvider.h>
#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <climits>
#include <cstdarg>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/kernel_table.hpp"
#include "xent/xent.h"

namespace {

using xent::Variant;
using I128 = __int128;

// ------------------------------------------------------------------ reporting

std::string g_desc;                          // the decoded call, printed with any finding
std::function<void()> g_dump = [] {};  // prints the payloads of the current call

__attribute__((format(printf, 1, 2))) void note(const char *fmt, ...) {
  char buf[256];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  g_desc += buf;
}

[[noreturn]] void finding(const std::string &what) {
  std::fprintf(stderr, "\n=== xent fuzz finding: %s\n=== call: %s\n", what.c_str(), g_desc.c_str());
  g_dump();
  std::abort();
}

// ------------------------------------------------------------------ fuzz bytes

// Bytes of the input, then a fixed pseudo-random stream once they run out.
class Src {
 public:
  Src(const uint8_t *d, size_t n) : p_(d, n) {}
  uint8_t byte() { return p_.remaining_bytes() ? p_.ConsumeIntegral<uint8_t>() : uint8_t(next() >> 56); }
  double unit() { return double((unsigned(byte()) << 8) | byte()) / 65535.0; }
  int64_t range(int64_t lo, int64_t hi) { return lo + int64_t(((unsigned(byte()) << 8) | byte()) % uint64_t(hi - lo + 1)); }
  template <class X> X one_of(std::initializer_list<X> xs) { return xs.begin()[byte() % xs.size()]; }

 private:
  uint64_t next() {
    s_ ^= s_ << 13, s_ ^= s_ >> 7, s_ ^= s_ << 17;
    return s_;
  }
  FuzzedDataProvider p_;
  uint64_t s_ = 0x9E3779B97F4A7C15ull;
};

constexpr int64_t kHugeA = (int64_t(1) << 61) + 1, kHugeB = int64_t(1) << 62, k2p32 = int64_t(1) << 32;

// A dimension: mostly in [lo, hi]; sometimes one a shape check must reject, or 0 (valid).
// Never a large addressable one: the buffers here are small.
int64_t dim(Src &s, int64_t lo, int64_t hi) {
  if (s.byte() < 244) return s.range(lo, hi);
  return s.one_of<int64_t>({0, -1, INT64_MIN, INT64_MAX, kHugeA, kHugeB, -k2p32});
}

enum class Dom { logit, prob, soft, weight, psum };

// One payload value: mostly ordinary for its domain, else a hostile one. Probabilities stay
// >= 0 and soft labels / weights finite-moderate (or NaN): nonsense there is ill-conditioned,
// and two correct paths may then legitimately disagree (README).
template <class T> T value(Src &s, Dom d) {
  using Lim = std::numeric_limits<T>;
  const T nan = Lim::quiet_NaN(), inf = Lim::infinity(), den = Lim::denorm_min();  // psum: no inf (README)
  const uint8_t sel = s.byte();
  if (sel < 200) {
    const double u = s.unit();
    const double scale[] = {60, 1, 1, 2, 40}, shift[] = {-30, 0, 0, 0, 0};
    return T(scale[int(d)] * u + shift[int(d)]);
  }
  auto pick = [&](std::initializer_list<T> xs) { return xs.begin()[sel % xs.size()]; };
  switch (d) {
    case Dom::logit:
      return pick({nan, inf, -inf, T(0), T(-0.0), T(1e30), T(-1e30), den, -den, T(1e-40), T(88.72283), T(88.7229),
                   T(-103.9), T(-104), T(709.78), T(-745.1), Lim::max(), Lim::lowest(), T(1e4), T(-1e4), Lim::min()});
    case Dom::prob:
      return pick({T(0), T(1), T(-0.0), T(1e-7), T(0.9999999), T(1e-8), den, T(1e30), inf, nan, T(0.5), Lim::min()});
    case Dom::soft: return pick({T(0), T(1), nan, T(-0.5), T(1.5), T(-1), T(2), T(0.5), T(1e-30)});
    case Dom::weight: return pick({T(0), T(1), T(-1), nan, T(1e-30), den, T(1e30), T(0.5), T(-0.5), T(3), T(-0.0)});
    case Dom::psum: return pick({T(0), T(1), nan, den, T(1e30), T(1e-30), T(40), T(0.5)});
  }
  return T(0);
}

// ------------------------------------------------------------------ guarded buffers

constexpr size_t kGuard = 64;
constexpr int64_t kCapElems = 64;  // elements allocated for an extent that cannot be real

// Bytes [kGuard, kGuard + n) are the buffer; the rest is a canary pattern, poisoned for ASan
// so that a stray read or write is reported where it happens.
class Arena {
 public:
  explicit Arena(size_t n) : n_(n), total_((2 * kGuard + n + 63) / 64 * 64) {
    mem_ = static_cast<unsigned char *>(std::aligned_alloc(64, total_));
    for (size_t i = 0; i < total_; ++i) mem_[i] = canary(i);
    poison(true);
  }
  ~Arena() {
    poison(false);
    std::free(mem_);
  }
  Arena(const Arena &) = delete;
  Arena &operator=(const Arena &) = delete;
  unsigned char *data() const { return mem_ + kGuard; }
  size_t size() const { return n_; }
  bool guards_intact() const {
    poison(false);
    bool ok = true;
    for (size_t i = 0; i < total_; ++i)
      if ((i < kGuard || i >= kGuard + n_) && mem_[i] != canary(i)) ok = false;
    poison(true);
    return ok;
  }

 private:
  static unsigned char canary(size_t i) { return static_cast<unsigned char>(0xA5 ^ (i * 29)); }
  void poison(bool on) const {
    if (on) {
      ASAN_POISON_MEMORY_REGION(mem_, kGuard);
      ASAN_POISON_MEMORY_REGION(mem_ + kGuard + n_, total_ - kGuard - n_);
    } else {
      ASAN_UNPOISON_MEMORY_REGION(mem_, total_);
    }
  }
  size_t n_, total_;
  unsigned char *mem_;
};

using Filler = std::function<void(unsigned char *, int64_t count)>;

template <class T> Filler fill_values(Src &s, Dom d) {
  return [&s, d](unsigned char *p, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const T v = value<T>(s, d);
      std::memcpy(p + i * sizeof(T), &v, sizeof(T));
    }
  };
}
Filler fill_sentinel() {
  return [](unsigned char *p, int64_t n) { std::memset(p, 0xFF, size_t(n)); };
}

struct Buffer {
  const char *name;
  char kind;  // 'f' float, 'd' double, 'q' int64, 'i' int32, 'b' bytes
  bool output;
  size_t elem;    // bytes per element
  int64_t count;  // elements the call may touch, from the shape (0 or huge when not real)
  Filler fill;    // for sentinel outputs, count is in bytes
  bool null = false;
  int host = -1;      // another buffer whose memory holds this one
  size_t offset = 0;  // bytes into the host
  std::unique_ptr<Arena> arena;
  unsigned char *ptr = nullptr;

  int64_t alloc() const { return count >= 0 && count <= 1 << 20 ? count : kCapElems; }
  I128 extent() const { return null ? 0 : I128(count) * I128(elem); }
};

// The buffers of one call, their overlaps, and the before/after checks.
class Case {
 public:
  template <class E> int add(const char *name, bool output, int64_t count, Filler f) {
    const char kind = std::is_same_v<E, float> ? 'f' : std::is_same_v<E, double> ? 'd' : sizeof(E) == 8 ? 'q'
                      : sizeof(E) == 4 ? 'i' : 'b';
    bufs_.push_back(Buffer{name, kind, output, sizeof(E), count, std::move(f), false, -1, 0, nullptr, nullptr});
    return int(bufs_.size()) - 1;
  }

  // The first values of every input, bit-exact, for a finding's report.
  void dump() const {
    for (const Buffer &b : bufs_) {
      if (b.output || b.null || b.kind == 'b' || before_.empty()) continue;
      std::fprintf(stderr, "=== %s:", b.name);
      const unsigned char *p = original(b);
      for (int64_t i = 0; i < std::min<int64_t>(b.alloc(), 96); ++i) {
        if (b.kind == 'f') std::fprintf(stderr, " %a", double(read<float>(p, i)));
        if (b.kind == 'd') std::fprintf(stderr, " %a", read<double>(p, i));
        if (b.kind == 'q') std::fprintf(stderr, " %lld", (long long)read<int64_t>(p, i));
        if (b.kind == 'i') std::fprintf(stderr, " %d", read<int32_t>(p, i));
      }
      std::fprintf(stderr, "\n");
    }
  }
  Buffer &operator[](int i) { return bufs_[size_t(i)]; }
  template <class P = void> P *ptr(int i) const {
    const Buffer &b = bufs_[size_t(i)];
    return b.null ? nullptr : reinterpret_cast<P *>(b.ptr);
  }

  // Sometimes NULL (required pointers; the call must then say so).
  void maybe_null(Src &s, int i, int in256) {
    if (s.byte() < in256) bufs_[size_t(i)].null = true, note(" %s=NULL", bufs_[size_t(i)].name);
  }
  // Exactly in place (offset 0 of `partner`), or somewhere in / next to one of `hosts`.
  void maybe_host(Src &s, int i, int partner, std::initializer_list<int> hosts, int inplace256, int other256) {
    const uint8_t r = s.byte();
    std::vector<int> hs;
    for (int h : hosts)
      if (h >= 0 && h != i && bufs_[size_t(h)].host < 0) hs.push_back(h);  // no chains
    for (const Buffer &o : bufs_)
      if (o.host == i) return;
    Buffer &b = bufs_[size_t(i)];
    if (partner >= 0 && r < inplace256) {
      b.host = partner, b.offset = 0;
    } else if (r >= 256 - other256 && !hs.empty()) {
      b.host = hs[s.byte() % hs.size()];
      const int64_t n = bufs_[size_t(b.host)].alloc();
      const int64_t k = s.one_of<int64_t>({0, 1, 2, n - 1, n, n + 1, s.range(0, n + 2)});
      b.offset = size_t(std::max<int64_t>(k, 0)) * b.elem;
    } else {
      return;
    }
    note(" %s@%s+%zuB", b.name, bufs_[size_t(b.host)].name, b.offset);
  }

  void materialize() {
    for (size_t i = 0; i < bufs_.size(); ++i) {
      Buffer &b = bufs_[i];
      if (b.host >= 0) continue;
      size_t bytes = size_t(b.alloc()) * b.elem;
      for (const Buffer &h : bufs_)
        if (h.host == int(i)) bytes = std::max(bytes, h.offset + size_t(h.alloc()) * h.elem);
      b.arena = std::make_unique<Arena>(bytes);
      b.ptr = b.arena->data();
      fill(b);
    }
    for (Buffer &b : bufs_)
      if (b.host >= 0) {
        b.ptr = bufs_[size_t(b.host)].ptr + b.offset;
        if (!b.output) fill(b);
      }
  }

  // Right before the call: the bytes check_after compares with.
  void snapshot() {
    before_.clear();
    for (const Buffer &b : bufs_)
      if (b.arena) before_.emplace_back(b.ptr, b.ptr + b.arena->size());
  }

  // Any output overlapping an input or another output, except out == in exactly.
  // *unsure: an extent too large to be real (batch 0 with huge classes) took part.
  bool overlap(int inplace_out, int inplace_in, bool *unsure) const {
    bool any = false;
    for (size_t o = 0; o < bufs_.size(); ++o) {
      if (!bufs_[o].output) continue;
      for (size_t j = 0; j < bufs_.size(); ++j) {
        if (j == o || (bufs_[j].output && j < o) || !overlaps(bufs_[o], bufs_[j])) continue;
        const bool exact = int(o) == inplace_out && int(j) == inplace_in && bufs_[o].ptr == bufs_[j].ptr &&
                           bufs_[o].extent() == bufs_[j].extent();
        if (exact) continue;
        any = true;
        if (bufs_[o].extent() >= (I128(1) << 63) || bufs_[j].extent() >= (I128(1) << 63)) *unsure = true;
      }
    }
    return any;
  }

  // After every call: guards intact; on error nothing changed; on success nothing but the
  // outputs changed.
  void check_after(xent_status st) const {
    size_t a = 0;
    for (const Buffer &b : bufs_) {
      if (!b.arena) continue;
      if (!b.arena->guards_intact()) finding(std::string("canary guard of ") + b.name + " overwritten");
      const std::vector<unsigned char> &old = before_[a++];
      for (size_t k = 0; k < old.size(); ++k)
        if (b.ptr[k] != old[k] && (st != XENT_OK || !inside_output(b.ptr + k)))
          finding(std::string(st == XENT_OK ? "success" : "error") + " changed byte " + std::to_string(k) +
                  " of the memory of " + b.name);
    }
  }

 private:
  static bool overlaps(const Buffer &x, const Buffer &y) {
    if (x.null || y.null || x.extent() == 0 || y.extent() == 0) return false;
    const I128 x0 = I128(reinterpret_cast<uintptr_t>(x.ptr)), y0 = I128(reinterpret_cast<uintptr_t>(y.ptr));
    return x0 < y0 + y.extent() && y0 < x0 + x.extent();
  }
  template <class E> static E read(const unsigned char *p, int64_t i) {
    E v;
    std::memcpy(&v, p + size_t(i) * sizeof(E), sizeof v);
    return v;
  }
  // The bytes of b as they were before the call.
  const unsigned char *original(const Buffer &b) const {
    const int owner = b.host >= 0 ? b.host : int(&b - bufs_.data());
    size_t a = 0;
    for (int i = 0; i < owner; ++i) a += bufs_[size_t(i)].arena ? 1 : 0;
    return before_[a].data() + (b.host >= 0 ? b.offset : 0);
  }
  bool inside_output(const unsigned char *p) const {
    for (const Buffer &b : bufs_)
      if (b.output && !b.null && p >= b.ptr && I128(p - b.ptr) < b.extent()) return true;
    return false;
  }
  void fill(Buffer &b) { b.fill(b.ptr, b.output ? b.alloc() * int64_t(b.elem) : b.alloc()); }

  std::vector<Buffer> bufs_;
  std::vector<std::vector<unsigned char>> before_;
};

// count = a*b*c if it and its byte size are addressable (the library's rule), else -1.
int64_t element_count(int64_t a, int64_t b, int64_t c, size_t elem) {
  int64_t ab = 0, abc = 0;
  if (__builtin_mul_overflow(a, b, &ab) || __builtin_mul_overflow(ab, c, &abc) || abc > INT64_MAX / int64_t(elem))
    return -1;
  return abc;
}

// ------------------------------------------------------------------ the status model

// The status docs/SEMANTICS.md's check order gives, or `alt` too when unsure.
struct Expect {
  xent_status s = XENT_OK;
  int alt = -1;
};

void check_status(xent_status got, Expect want, const char *fn) {
  note(" -> %s", xent_status_string(got));
  if (got != want.s && int(got) != want.alt)
    finding(std::string("status ") + xent_status_string(got) + ", expected " + xent_status_string(want.s) +
            " (" + xent_last_error() + ")");
  if (got == XENT_OK) return;
  const std::string msg = xent_last_error();
  if (msg.rfind(std::string(fn) + ": ", 0) != 0 || msg.size() <= std::strlen(fn) + 2)
    finding("error message \"" + msg + "\" does not start with the function name");
}

// Right before a call: snapshot the buffers, and leave a message of another function
// behind, so that the call's own message is checked.
void before_call(Case &cs, const char *fn) {
  cs.snapshot();
  g_dump = [&cs] { cs.dump(); };
  if (std::strcmp(fn, "xent_exp_f32") != 0) (void)xent_exp_f32(nullptr, nullptr, 1);
  else (void)xent_log_f32(nullptr, nullptr, 1);
}

// ------------------------------------------------------------------ comparisons

template <class T> constexpr double kTol = sizeof(T) == 4 ? 1e-5 : 1e-11;
// The scale of a value whose terms can overflow with mixed signs (inf - inf in one summation
// order, inf in another): not compared.
constexpr double kLoose = -1;

// got vs ref: NaN-ness exact; otherwise within 2 tol * max(|ref|, scale) (both paths are
// within tol of the truth); a scale whose band reaches past the largest finite value (an
// infinite one too) accepts any non-NaN pair: terms of that size cancel to a rounding
// residual that one path scales to 0, another to +inf or -inf; otherwise inf vs finite
// only at the overflow edge.
template <class T> bool close(T got, T ref, double scale) {
  if (scale == kLoose) return true;
  if (std::isnan(got) || std::isnan(ref)) return std::isnan(got) && std::isnan(ref);
  constexpr double max = double(std::numeric_limits<T>::max());
  if (got == ref || std::isinf(scale) || std::isnan(scale) || 2 * kTol<T> * scale >= max) return true;
  if (std::isinf(got) || std::isinf(ref)) {
    const T fin = std::isinf(got) ? ref : got, big = std::isinf(got) ? got : ref;
    return !std::isinf(fin) && std::signbit(fin) == std::signbit(big) && std::fabs(fin) >= max / 4;
  }
  return std::fabs(double(got) - double(ref)) <= 2 * kTol<T> * std::max(std::fabs(double(ref)), scale);
}

template <class T> void expect_close(const char *what, int64_t i, T got, T ref, double scale) {
  if (close(got, ref, scale)) return;
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s[%lld] = %.9g, expected %.9g (scale %.3g)", what, (long long)i,
                double(got), double(ref), scale);
  finding(buf);
}

template <class T> std::vector<T> copy_of(const void *p, int64_t n) {
  std::vector<T> v(size_t(std::max<int64_t>(n, 0)));
  if (p && n > 0) std::memcpy(v.data(), p, size_t(n) * sizeof(T));
  return v;
}

template <class T> const xent::KernelTable<T> &scalar_table() {
  if constexpr (sizeof(T) == 4) return xent::tables_scalar()->f32;
  else return xent::tables_scalar()->f64;
}

// ------------------------------------------------------------------ options

// The reduction as the int a C caller stored (an out-of-range enum read is UB in C++).
int reduction_of(const xent_options &o) {
  int r;
  std::memcpy(&r, &o.reduction, sizeof r);
  return r;
}

struct Opts {
  bool null = false;
  xent_options o;
  size_t alloc = sizeof(xent_options);  // bytes of the caller's struct
};

// Every field: mostly its default, else a valid or invalid other value.
Opts decode_options(Src &s, int64_t C) {
  Opts r;
  xent_options_init(&r.o);
  if (s.byte() < 36) {
    r.null = true;
    note(" opts=NULL");
    return r;
  }
  xent_options &o = r.o;
  const size_t v1 = XENT_OPTIONS_V1_SIZE, full = sizeof(xent_options);  // 92 and 96 on x86-64
  if (s.byte() >= 224) o.struct_size = s.one_of<size_t>({v1, v1 - 1, 0, 8, full + 24, full + 64, v1 + 2});
  // The caller's struct is struct_size bytes (at least its first field): reading past it is caught.
  r.alloc = std::max<size_t>(o.struct_size, sizeof o.struct_size);
  const uint8_t red = s.byte();
  int reduction = red < 150 ? 0 : red < 190 ? 1 : red < 235 ? 2 : s.one_of({3, -1, 1000, INT_MIN});
  std::memcpy(&o.reduction, &reduction, sizeof reduction);  // any int a C caller may pass
  const double nan = std::nan(""), inf = HUGE_VAL;
  if (s.byte() >= 190) o.label_smoothing = s.one_of({0.1, 0.5, 1.0, -0.1, 1.5, nan, inf, -0.0});
  if (s.byte() >= 190) o.epsilon = s.one_of({0.0, 1e-3, 0.1, 0.49, 0.5, -1e-9, nan, inf, 1.0000000000000002e-7, 1e-30});
  if (s.byte() >= 200) o.ignore_index = s.one_of<int64_t>({-100, 0, 1, int64_t(uint64_t(C) - 1), C, -1, INT64_MAX, INT64_MIN + 1, k2p32});
  if (s.byte() >= 190) o.inner = s.one_of<int64_t>({2, 3, 4, 2, 3, 0, -1, INT64_MIN, kHugeA, kHugeB});
  if (s.byte() >= 205) o.z_loss = s.one_of({1e-4, 0.5, 2.0, -1.0, nan, inf, -0.0});
  if (s.byte() >= 205) o.logit_softcap = s.one_of({1.0, 5.0, 30.0, 0.01, -1.0, nan, inf, -0.0, 1e-30});
  if (s.byte() >= 215) o.num_threads = s.one_of({1, 2, 8, -1, INT_MIN, 1000});
  note(" opts{size=%zu red=%d s=%g eps=%g ign=%lld K=%lld z=%g cap=%g thr=%d}", o.struct_size, reduction,
       o.label_smoothing, o.epsilon, (long long)o.ignore_index, (long long)o.inner, o.z_loss, o.logit_softcap,
       o.num_threads);
  return r;
}

bool option_values_ok(const xent_options &o) {
  const int red = reduction_of(o);
  return red >= 0 && red <= 2 && o.label_smoothing >= 0 && o.label_smoothing <= 1 && o.epsilon >= 0 &&
         o.epsilon < 0.5 && o.num_threads >= 0 && o.logit_softcap >= 0 && std::isfinite(o.logit_softcap) &&
         o.z_loss >= 0 && std::isfinite(o.z_loss);
}

bool options_apply(const xent_options &o, Variant v) {
  const bool sigmoid = v == Variant::sigmoid_ce_with_logits;
  const bool logits = v == Variant::softmax_ce_with_logits || v == Variant::sparse_softmax_ce_with_logits;
  const bool probs = v == Variant::binary_ce || v == Variant::categorical_ce || v == Variant::sparse_categorical_ce;
  return (!o.pos_weight || sigmoid) && (o.ignore_index == XENT_NO_IGNORE || xent::is_sparse(v)) &&
         (o.z_loss == 0 || logits) && (o.logit_softcap == 0 || logits) && (o.epsilon == 1e-7 || probs);
}

// ------------------------------------------------------------------ losses

template <class T, class L> struct LossInputs {  // copies taken before the call
  std::vector<T> x, t, cw, pw, sw;
  std::vector<L> labels;
};

// Magnitudes of the terms each output sums (docs/SEMANTICS.md formulas), the honest
// scale of its rounding error: per loss element, per gradient element, and per unit.
struct Scales {
  std::vector<double> loss, grad, unit;
};

template <class T, class L>
Scales loss_scales(Variant v, const LossInputs<T, L> &in, const xent_options &o, int64_t B, int64_t C, int64_t K,
                   double gs) {
  const bool sparse = xent::is_sparse(v), elementwise = xent::is_elementwise(v);
  const double s = o.label_smoothing, eps = o.epsilon;
  auto cw = [&](int64_t c) { return in.cw.empty() ? 1.0 : double(in.cw[size_t(c)]); };
  auto swt = [&](int64_t u) { return in.sw.empty() ? 1.0 : double(in.sw[size_t(u)]); };
  auto at = [&](const std::vector<T> &a, int64_t b, int64_t c, int64_t k) { return double(a[size_t((b * C + c) * K + k)]); };
  Scales r;
  r.grad.assign(size_t(B * C * K), 0.0);
  r.loss.assign(size_t(elementwise ? B * C * K : B * K), 0.0);
  r.unit.assign(size_t(elementwise ? B : B * K), 0.0);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t u = b * K + k;
      const double w_s = swt(u);
      if (elementwise) {
        bool mixed_overflow = false;
        for (int64_t c = 0; c < C; ++c) {
          const size_t i = size_t((b * C + c) * K + k);
          const double x = at(in.x, b, c, k), t = (1 - s) * at(in.t, b, c, k) + s / 2, w = cw(c) * w_s;
          double ls, g, raw;  // raw: the terms' size before the weight (what may overflow)
          if (v == Variant::sigmoid_ce_with_logits) {
            const double pw = in.pw.empty() ? 1.0 : double(in.pw[size_t(c)]);
            raw = (std::fabs(1 - t) + std::fabs(pw * t)) * (1 + std::fabs(x));
            ls = std::fabs(w) * raw;
            g = std::fabs(1 + (pw - 1) * t) + std::fabs(pw * t);
          } else {
            const double q = std::clamp(x, eps, 1 - eps), rr = std::clamp(1 - x, eps, 1 - eps);
            raw = std::fabs(t) * (1 + std::fabs(std::log(q))) + std::fabs(1 - t) * (1 + std::fabs(std::log(rr)));
            ls = std::fabs(w) * raw;
            g = std::fabs(t) / q + std::fabs(1 - t) / rr;
          }
          r.loss[i] = ls, r.unit[size_t(b)] += ls, r.grad[i] = std::fabs(w * gs) * g;
          // Targets outside [0, 1] or negative weights give terms of both signs; where they
          // can overflow, one path's -inf + inf (NaN) is another's finite sum (an FMA keeps
          // max(x, 0) - x t finite where the unfused scalar path's x t overflows): neither
          // the element nor the row's sum is compared.
          const bool pw_negative = v == Variant::sigmoid_ce_with_logits && !in.pw.empty() && in.pw[size_t(c)] < 0;
          const double edge = double(std::numeric_limits<T>::max()) / 4;
          if ((w < 0 || t < 0 || t > 1 || pw_negative) && !(ls < edge && raw < edge)) {
            mixed_overflow = true;
            r.loss[i] = kLoose;
          }
        }
        if (mixed_overflow) r.unit[size_t(b)] = kLoose;
        continue;
      }
      const int64_t label = sparse ? int64_t(in.labels[size_t(u)]) : -1;
      if (sparse && label == o.ignore_index) continue;  // exactly 0 both ways
      auto coef = [&](int64_t c) {
        const double t = sparse ? (1 - s) * (c == label) + s / double(C) : (1 - s) * at(in.t, b, c, k) + s / double(C);
        return cw(c) * t;
      };
      double W = 0, Wmax = 0, ls = 0, g = 0;
      bool clip_edge = false;
      if (v == Variant::softmax_ce_with_logits || v == Variant::sparse_softmax_ce_with_logits) {
        double M = 0, Mfinite = 0;
        bool negative = false;
        for (int64_t c = 0; c < C; ++c) {
          const double x = at(in.x, b, c, k), cap = o.logit_softcap, y = std::fabs(cap > 0 ? cap * std::tanh(x / cap) : x);
          M = std::max(M, y), Mfinite = std::isfinite(y) ? std::max(Mfinite, y) : Mfinite;
          W += std::fabs(coef(c)), Wmax = std::max(Wmax, std::fabs(coef(c)));
          negative |= coef(c) < 0;
        }
        const double Lse = M + std::log(double(C)) + 1;
        ls = W * 2 * Lse + o.z_loss * Lse * Lse;
        if (negative && 4 * Mfinite * (W + o.z_loss * Mfinite) >= double(std::numeric_limits<T>::max())) ls = kLoose;
        g = W + Wmax + 2 * o.z_loss * Lse;
      } else if (v == Variant::nll_loss) {  // -sum coef x: each term on its own scale
        double Wmax2 = 0;
        for (int64_t c = 0; c < C; ++c) {
          ls += std::fabs(coef(c)) * (1 + std::fabs(at(in.x, b, c, k)));
          Wmax2 = std::max(Wmax2, std::fabs(coef(c)));
        }
        g = Wmax2;
      } else {  // categorical: u = p / S, q = clip(u); the clip edge is a jump in the gradient
        double S = 0, gmax = 0, gu = 0;
        for (int64_t c = 0; c < C; ++c) S += at(in.x, b, c, k);
        const double band = sizeof(T) == 4 ? 1e-4 : 1e-12;
        for (int64_t c = 0; c < C; ++c) {
          const double uu = at(in.x, b, c, k) / S, q = std::clamp(uu, eps, 1 - eps), gc = coef(c) / q;
          ls += std::fabs(coef(c)) * (1 + std::fabs(std::log(q)));
          gmax = std::max(gmax, std::fabs(gc)), gu += std::fabs(gc * uu);
          // The sum S may differ in its last bits between ISA paths, so u may fall on either
          // side of the clip: the gradient row may jump, and with a non-finite weight or scale
          // (inf * 0, NaN * 0) one side may be NaN. Any pair is accepted there.
          if (std::fabs(uu - eps) <= band * eps || std::fabs(1 - uu - eps) <= band) clip_edge = true;
        }
        g = (gmax + gu) / std::fabs(S);
      }
      r.loss[size_t(u)] = r.unit[size_t(u)] = ls == kLoose ? kLoose : std::fabs(w_s) * ls;
      for (int64_t c = 0; c < C; ++c) r.grad[size_t((b * C + c) * K + k)] = clip_edge ? kLoose : std::fabs(w_s * gs) * g;
    }
  return r;
}

template <class T, class L> struct LossCase {
  const char *fn;
  Variant v;
  int64_t B, C;
  Opts opts;
  Case cs;
  int input = -1, targets = -1, labels = -1, cw = -1, pw = -1, sw = -1, loss = -1, grad = -1, optbuf = -1;
  int64_t K = 1, n_in = -1, n_samples = -1;

  void decode(Src &s) {
    const bool sparse = xent::is_sparse(v), elementwise = xent::is_elementwise(v);
    const bool probs = v == Variant::binary_ce || v == Variant::categorical_ce || v == Variant::sparse_categorical_ce;
    B = dim(s, 0, 9);
    if (s.byte() < 250) {
      C = dim(s, 1, 40);
    } else {  // past one 4096-element sum chunk
      C = s.range(4090, 4200);
      B = std::min<int64_t>(B, 2);
    }
    note("%s B=%lld C=%lld", fn, (long long)B, (long long)C);
    opts = decode_options(s, C);
    xent_options &o = opts.o;
    K = o.inner;
    n_in = B >= 0 && C >= 1 && K >= 1 ? element_count(B, C, K, sizeof(T)) : -1;
    n_samples = n_in >= 0 ? B * K : -1;
    const int64_t n_out = reduction_of(o) != XENT_REDUCTION_NONE ? 1 : elementwise ? n_in : n_samples;
    const bool with_cw = s.byte() >= 180 && !opts.null, with_pw = s.byte() >= 215 && !opts.null,
               with_sw = s.byte() >= 180 && !opts.null;

    input = cs.add<T>("input", false, n_in, fill_values<T>(s, probs ? Dom::prob : Dom::logit));
    if (sparse)
      labels = cs.add<L>("labels", false, n_samples, label_filler(s));
    else
      targets = cs.add<T>("targets", false, n_in, fill_values<T>(s, Dom::soft));
    if (with_cw) cw = cs.add<T>("class_weights", false, C, fill_values<T>(s, Dom::weight));
    if (with_pw) pw = cs.add<T>("pos_weight", false, C, fill_values<T>(s, Dom::weight));
    if (with_sw) sw = cs.add<T>("sample_weights", false, n_samples, fill_values<T>(s, Dom::weight));
    loss = cs.add<T>("loss", true, n_out, fill_sentinel());
    grad = cs.add<T>("grad", true, n_in, fill_sentinel());
    if (!opts.null) optbuf = cs.add<unsigned char>("opts", false, int64_t(opts.alloc), opts_filler());

    cs.maybe_null(s, input, 4);
    cs.maybe_null(s, sparse ? labels : targets, 4);
    cs.maybe_null(s, loss, 4);
    cs.maybe_null(s, grad, 40);
    cs.maybe_host(s, grad, input, {input, sparse ? labels : targets, loss}, 64, 12);
    cs.maybe_host(s, loss, -1, {input, sparse ? labels : targets, grad, cw, sw}, 0, 12);
    if (cw >= 0) cs.maybe_host(s, cw, -1, {input, sparse ? labels : targets}, 0, 24);
    if (sw >= 0) cs.maybe_host(s, sw, -1, {input, cw, grad}, 0, 16);
    cs.materialize();
    if (optbuf >= 0) {  // the weight pointers are only known now
      o.class_weights = cw >= 0 ? cs.ptr(cw) : nullptr;
      o.pos_weight = pw >= 0 ? cs.ptr(pw) : nullptr;
      o.sample_weights = sw >= 0 ? cs.ptr(sw) : nullptr;
      std::memcpy(cs.ptr<unsigned char>(optbuf), &o, std::min(opts.alloc, sizeof o));
    }
  }

  Filler label_filler(Src &s) {
    return [this, &s](unsigned char *p, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const uint8_t r = s.byte();
        const int64_t l = r < 216 ? int64_t(r) % std::max<int64_t>(C, 1)
                                  : s.one_of<int64_t>({opts.o.ignore_index, -1, C, int64_t(uint64_t(C) + 1), INT64_MIN, INT64_MAX,
                                                       k2p32, -(int64_t(1) << 31), opts.o.ignore_index});
        const L v = L(l);
        std::memcpy(p + size_t(i) * sizeof(L), &v, sizeof(L));
      }
    };
  }
  Filler opts_filler() {
    return [](unsigned char *p, int64_t n) { std::memset(p, 0xEE, size_t(n)); };
  }

  Expect expect() const {
    const bool sparse = xent::is_sparse(v);
    const xent_options &o = opts.o;
    if (!cs.ptr(input) || !cs.ptr(sparse ? labels : targets) || !cs.ptr(loss)) return {XENT_ERR_NULL_POINTER};
    if (!opts.null && o.struct_size < XENT_OPTIONS_V1_SIZE) return {XENT_ERR_INVALID_ARGUMENT};
    if (n_in < 0) return {XENT_ERR_INVALID_SHAPE};
    if (!option_values_ok(o) || !options_apply(o, v)) return {XENT_ERR_INVALID_ARGUMENT};
    Expect e;
    bool unsure = false;
    if (cs.overlap(grad, input, &unsure)) {
      if (!unsure) return {XENT_ERR_INVALID_ARGUMENT};
      e.alt = XENT_ERR_INVALID_ARGUMENT;
    }
    if (sparse) {
      const L *lab = cs.ptr<L>(labels);
      for (int64_t i = 0; i < n_samples && e.s == XENT_OK; ++i) {
        const int64_t l = int64_t(lab[i]);
        if (l != o.ignore_index && (l < 0 || l >= C)) e.s = XENT_ERR_LABEL_OUT_OF_RANGE;
      }
    }
    return e;
  }

  template <class Fn, class BackwardFn> void run(Src &s, Fn fn_ptr, BackwardFn backward_ptr) {
    decode(s);
    const Expect want = expect();
    LossInputs<T, L> in;
    if (want.s == XENT_OK) {
      in.x = copy_of<T>(cs.ptr(input), n_in);
      if (targets >= 0) in.t = copy_of<T>(cs.ptr(targets), n_in);
      if (labels >= 0) in.labels = copy_of<L>(cs.ptr(labels), n_samples);
      if (cw >= 0) in.cw = copy_of<T>(cs.ptr(cw), cs[cw].alloc());  // C, or a few when B = 0 and C is huge
      if (pw >= 0) in.pw = copy_of<T>(cs.ptr(pw), cs[pw].alloc());
      if (sw >= 0) in.sw = copy_of<T>(cs.ptr(sw), n_samples);
    }
    before_call(cs, fn);
    const auto opt = optbuf >= 0 ? cs.ptr<const xent_options>(optbuf) : nullptr;
    xent_status st;
    if constexpr (std::is_same_v<Fn, xent_status (*)(const T *, const L *, int64_t, int64_t, const xent_options *, T *, T *)>)
      st = fn_ptr(cs.ptr<const T>(input), cs.ptr<const L>(labels), B, C, opt, cs.ptr<T>(loss), cs.ptr<T>(grad));
    else
      st = fn_ptr(cs.ptr<const T>(input), cs.ptr<const T>(targets), B, C, opt, cs.ptr<T>(loss), cs.ptr<T>(grad));
    cs.check_after(st);
    check_status(st, want, fn);
    if (st != XENT_OK) return;
    compare(in);
    if (cs.ptr(grad) && cs.ptr(grad) != cs.ptr(input)) check_backward(opt, backward_ptr);
  }

  // The backward twin with dloss = 2 everywhere (lse NULL) into a fresh buffer: bit for bit
  // twice the forward's gradient (an exact scaling), NaN where it is NaN.
  template <class BackwardFn> void check_backward(const xent_options *opt, BackwardFn backward_ptr) {
    const bool reduced = reduction_of(opts.o) != XENT_REDUCTION_NONE;
    const int64_t n_loss = reduced ? 1 : xent::is_elementwise(v) ? n_in : n_samples;
    const std::vector<T> dloss(static_cast<size_t>(std::max<int64_t>(n_loss, 1)), T(2));
    std::vector<T> g(static_cast<size_t>(std::max<int64_t>(n_in, 1)));
    xent_status st;
    if constexpr (std::is_same_v<BackwardFn, xent_status (*)(const T *, const L *, int64_t, int64_t, const xent_options *,
                                                             const T *, const T *, T *)>)
      st = backward_ptr(cs.ptr<const T>(input), cs.ptr<const L>(labels), B, C, opt, dloss.data(), nullptr, g.data());
    else
      st = backward_ptr(cs.ptr<const T>(input), cs.ptr<const T>(targets), B, C, opt, dloss.data(), nullptr, g.data());
    if (st != XENT_OK) finding(std::string("backward failed where the forward passed: ") + xent_last_error());
    const T *fwd = cs.ptr<T>(grad);
    for (int64_t i = 0; i < n_in; ++i) {
      const T want = T(2) * fwd[i], got = g[size_t(i)];
      if (std::isnan(want) ? !std::isnan(got) : std::memcmp(&want, &got, sizeof(T)) != 0) {
        char buf[200];
        std::snprintf(buf, sizeof buf, "backward grad[%lld] = %.9g, 2 * forward grad = %.9g", (long long)i,
                      double(got), double(want));
        finding(buf);
      }
    }
  }

  // The scalar path on the copies, as capi/losses.cpp and run_loss drive it.
  void compare(const LossInputs<T, L> &in) {
    const xent_options &o = opts.o;
    const bool sparse = xent::is_sparse(v), elementwise = xent::is_elementwise(v);
    xent::LossCall<T> c;
    c.x = in.x.data();
    c.targets = targets >= 0 ? in.t.data() : nullptr;
    if constexpr (sizeof(L) == 8) c.labels64 = in.labels.data();
    else c.labels32 = in.labels.data();
    c.B = B, c.C = C, c.K = K;
    c.reduce = reduction_of(o) != XENT_REDUCTION_NONE;
    c.smoothing = T(o.label_smoothing), c.epsilon = T(o.epsilon);
    c.class_weights = in.cw.empty() ? nullptr : in.cw.data();
    c.pos_weight = in.pw.empty() ? nullptr : in.pw.data();
    c.sample_weights = in.sw.empty() ? nullptr : in.sw.data();
    c.ignore_index = o.ignore_index, c.z_loss = T(o.z_loss), c.softcap = T(o.logit_softcap);
    double denom = double(elementwise ? n_in : n_samples);
    if (sparse) {
      denom = 0;
      for (int64_t i = 0; i < n_samples; ++i) {
        const int64_t l = int64_t(in.labels[size_t(i)]);
        if (l != o.ignore_index) denom += (in.cw.empty() ? 1.0 : double(in.cw[size_t(l)])) * (in.sw.empty() ? 1.0 : double(in.sw[size_t(i)]));
      }
    }
    if (reduction_of(o) == XENT_REDUCTION_MEAN) c.grad_scale = T(1.0 / denom);
    std::vector<T> ref_loss(static_cast<size_t>(c.reduce ? 0 : elementwise ? n_in : n_samples));
    std::vector<T> ref_grad(static_cast<size_t>(n_in));
    c.loss = c.reduce ? nullptr : ref_loss.data();
    c.grad = cs.ptr(grad) ? ref_grad.data() : nullptr;
    const int64_t units = elementwise ? B : B * K;
    double total = units > 0 ? scalar_table<T>().loss_block[int(v)](c, 0, units) : 0.0;
    if (reduction_of(o) == XENT_REDUCTION_MEAN) total = denom != 0 && !std::isnan(denom) ? total / denom : NAN;

    const Scales sc = loss_scales(v, in, o, B, C, K, double(c.grad_scale));
    const T *got_loss = cs.ptr<T>(loss);
    if (c.reduce) {
      double ts = 0;
      for (double u : sc.unit) ts = ts == kLoose || u == kLoose ? kLoose : ts + u;
      if (reduction_of(o) == XENT_REDUCTION_MEAN && ts != kLoose) ts /= std::fabs(denom);
      expect_close("loss", 0, got_loss[0], T(total), ts);
    } else {
      for (size_t i = 0; i < ref_loss.size(); ++i) expect_close("loss", int64_t(i), got_loss[i], ref_loss[i], sc.loss[i]);
    }
    if (const T *g = cs.ptr<T>(grad))
      for (size_t i = 0; i < ref_grad.size(); ++i) expect_close("grad", int64_t(i), g[i], ref_grad[i], sc.grad[i]);
  }
};

template <class T, class L, Variant V, auto Fn, auto BackwardFn> void fuzz_loss(Src &s, const char *name) {
  LossCase<T, L> lc{name, V, 0, 0, {}, {}};
  lc.run(s, Fn, BackwardFn);
}

// ------------------------------------------------------------------ kernels

// ulps between two values of T (0 for +0/-0), saturating.
template <class T> uint64_t ulps(T a, T b) {
  using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  auto ord = [](T x) {
    U u;
    std::memcpy(&u, &x, sizeof u);
    const U sign = U(1) << (8 * sizeof(U) - 1);
    return (u & sign) ? I128(0) - I128(u & ~sign) : I128(u);
  };
  const I128 d = ord(a) - ord(b);
  return uint64_t(d < 0 ? -d : d);
}

template <class T, xent::Unary Op, auto Fn> void fuzz_unary(Src &s, const char *name) {
  const int64_t n = s.byte() < 250 ? dim(s, 0, 70) : s.range(1000, 5000);
  note("%s n=%lld", name, (long long)n);
  const int64_t count = element_count(n, 1, 1, sizeof(T));
  const Dom d = Op == xent::Unary::log || Op == xent::Unary::log1p ? s.one_of({Dom::prob, Dom::logit, Dom::psum}) : Dom::logit;
  Case cs;
  const int x = cs.add<T>("x", false, count, fill_values<T>(s, d));
  const int y = cs.add<T>("y", true, count, fill_sentinel());
  cs.maybe_null(s, x, 6);
  cs.maybe_null(s, y, 6);
  cs.maybe_host(s, y, x, {x}, 80, 24);
  cs.materialize();
  Expect want;
  bool unsure = false;
  if (!cs.ptr(x) || !cs.ptr(y)) want.s = XENT_ERR_NULL_POINTER;
  else if (n < 0 || count < 0) want.s = XENT_ERR_INVALID_SHAPE;
  else if (cs.overlap(y, x, &unsure)) want.s = XENT_ERR_INVALID_ARGUMENT;
  const std::vector<T> xin = want.s == XENT_OK ? copy_of<T>(cs.ptr(x), n) : std::vector<T>();
  before_call(cs, name);
  const xent_status st = Fn(cs.ptr<const T>(x), cs.ptr<T>(y), n);
  cs.check_after(st);
  check_status(st, want, name);
  if (st != XENT_OK || n == 0) return;
  std::vector<T> ref(static_cast<size_t>(n));
  scalar_table<T>().unary[int(Op)](xin.data(), ref.data(), n);
  const uint64_t bound = Op == xent::Unary::exp || Op == xent::Unary::log ? 2 : Op == xent::Unary::log1p ? 4 : 6;
  const T *got = cs.ptr<T>(y);
  for (int64_t i = 0; i < n; ++i) {
    const T g = got[i], r = ref[size_t(i)];
    if (std::isnan(g) != std::isnan(r) || (!std::isnan(g) && ulps(g, r) > bound)) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "y[%lld] = %.9g for x = %.9g, scalar path %.9g", (long long)i, double(g),
                    double(xin[size_t(i)]), double(r));
      finding(buf);
    }
  }
}

enum class RowOp { lse, softmax, log_softmax, partial };

// rows x cols kernels: logsumexp, softmax, log_softmax, lse_partial.
template <class T, RowOp Op, auto Fn> void fuzz_rows(Src &s, const char *name) {
  const int64_t rows = dim(s, 0, 9), cols = s.byte() < 250 ? dim(s, 1, 40) : s.range(4090, 4200);
  note("%s rows=%lld cols=%lld", name, (long long)rows, (long long)cols);
  const int64_t n = rows >= 0 && cols >= 1 ? element_count(rows, cols, 1, sizeof(T)) : -1;
  const int64_t nout = Op == RowOp::softmax || Op == RowOp::log_softmax ? n : rows;
  Case cs;
  const int x = cs.add<T>("x", false, n, fill_values<T>(s, Dom::logit));
  const int y = cs.add<T>(Op == RowOp::partial ? "max_out" : "y", true, nout, fill_sentinel());
  const int y2 = Op == RowOp::partial ? cs.add<T>("sum_out", true, rows, fill_sentinel()) : -1;
  const bool inplace = Op == RowOp::softmax || Op == RowOp::log_softmax;
  cs.maybe_null(s, x, 6);
  cs.maybe_null(s, y, 6);
  if (y2 >= 0) cs.maybe_null(s, y2, 6);
  cs.maybe_host(s, y, inplace ? x : -1, {x}, inplace ? 80 : 0, 24);
  if (y2 >= 0) cs.maybe_host(s, y2, -1, {x, y}, 0, 32);
  cs.materialize();
  Expect want;
  bool unsure = false;
  if (!cs.ptr(x) || !cs.ptr(y) || (y2 >= 0 && !cs.ptr(y2))) want.s = XENT_ERR_NULL_POINTER;
  else if (n < 0) want.s = XENT_ERR_INVALID_SHAPE;
  else if (cs.overlap(inplace ? y : -1, x, &unsure)) want.s = XENT_ERR_INVALID_ARGUMENT;
  const std::vector<T> xin = want.s == XENT_OK ? copy_of<T>(cs.ptr(x), n) : std::vector<T>();
  before_call(cs, name);
  xent_status st;
  if constexpr (Op == RowOp::partial) st = Fn(cs.ptr<const T>(x), rows, cols, cs.ptr<T>(y), cs.ptr<T>(y2));
  else st = Fn(cs.ptr<const T>(x), rows, cols, cs.ptr<T>(y));
  cs.check_after(st);
  check_status(st, want, name);
  if (st != XENT_OK) return;
  std::vector<T> ref(static_cast<size_t>(std::max<int64_t>(nout, 0))), ref2(static_cast<size_t>(rows));
  const auto &tab = scalar_table<T>();
  if (rows > 0) {
    if constexpr (Op == RowOp::lse) tab.lse_rows(xin.data(), 0, rows, cols, nullptr, nullptr, ref.data(), 1);
    if constexpr (Op == RowOp::partial) tab.lse_rows(xin.data(), 0, rows, cols, ref.data(), ref2.data(), nullptr, 1);
    if constexpr (inplace) tab.softmax_rows(xin.data(), 0, rows, cols, ref.data(), Op == RowOp::log_softmax, 1);
  }
  const T *got = cs.ptr<T>(y);
  for (int64_t r = 0; r < rows; ++r) {
    double big = 0;
    for (int64_t c = 0; c < cols; ++c) big = std::max(big, std::fabs(double(xin[size_t(r * cols + c)])));
    if constexpr (Op == RowOp::partial) {  // the max is exact
      const T gm = got[r], rm = ref[size_t(r)];
      if (!(gm == rm || (std::isnan(gm) && std::isnan(rm))))
        finding("max_out[" + std::to_string(r) + "] = " + std::to_string(gm) + ", scalar path " + std::to_string(rm));
      expect_close("sum_out", r, cs.ptr<T>(y2)[r], ref2[size_t(r)], 1.0);
    } else if constexpr (Op == RowOp::lse) {
      expect_close("out", r, got[r], ref[size_t(r)], 1 + big);
    } else {
      for (int64_t c = 0; c < cols; ++c) {
        const size_t i = size_t(r * cols + c);
        expect_close("y", int64_t(i), got[i], ref[i], Op == RowOp::softmax ? 1.0 : 1 + big);
      }
    }
  }
}

// lse_merge has no ISA kernel: the reference is the formula, in long double.
template <class T> T merge_ref(const std::vector<T> &mx, const std::vector<T> &sm, int64_t parts, int64_t rows, int64_t r) {
  using LD = long double;
  LD M = -INFINITY;
  for (int64_t p = 0; p < parts; ++p) {
    const LD m = mx[size_t(p * rows + r)], su = sm[size_t(p * rows + r)];
    if (std::isnan(m) || std::isnan(su)) return std::numeric_limits<T>::quiet_NaN();
    if (su != 0) M = std::max(M, m);  // a part with sum 0 adds nothing, whatever its max
  }
  if (!std::isfinite(M)) return T(M);
  LD S = 0;
  for (int64_t p = 0; p < parts; ++p)
    if (mx[size_t(p * rows + r)] != -INFINITY && sm[size_t(p * rows + r)] != 0)
      S += LD(sm[size_t(p * rows + r)]) * std::exp(LD(mx[size_t(p * rows + r)]) - M);
  return T(M + std::log(S));
}

template <class T, auto Fn> void fuzz_merge(Src &s, const char *name) {
  const int64_t parts = dim(s, 1, 4), rows = dim(s, 0, 9);
  note("%s parts=%lld rows=%lld", name, (long long)parts, (long long)rows);
  const int64_t n = parts >= 1 && rows >= 0 ? element_count(parts, rows, 1, sizeof(T)) : -1;
  Case cs;
  const int mx = cs.add<T>("max", false, n, fill_values<T>(s, Dom::logit));
  const int sm = cs.add<T>("sum", false, n, fill_values<T>(s, Dom::psum));
  const int lse = cs.add<T>("lse", true, rows, fill_sentinel());
  cs.maybe_null(s, mx, 6);
  cs.maybe_null(s, sm, 6);
  cs.maybe_null(s, lse, 6);
  cs.maybe_host(s, sm, -1, {mx}, 0, 40);  // inputs may overlap each other
  cs.maybe_host(s, lse, -1, {mx, sm}, 0, 24);
  cs.materialize();
  Expect want;
  bool unsure = false;
  if (!cs.ptr(mx) || !cs.ptr(sm) || !cs.ptr(lse)) want.s = XENT_ERR_NULL_POINTER;
  else if (n < 0) want.s = XENT_ERR_INVALID_SHAPE;
  else if (cs.overlap(-1, -1, &unsure)) want.s = XENT_ERR_INVALID_ARGUMENT;
  std::vector<T> m, su;
  if (want.s == XENT_OK) m = copy_of<T>(cs.ptr(mx), n), su = copy_of<T>(cs.ptr(sm), n);
  before_call(cs, name);
  const xent_status st = Fn(cs.ptr<const T>(mx), cs.ptr<const T>(sm), parts, rows, cs.ptr<T>(lse));
  cs.check_after(st);
  check_status(st, want, name);
  if (st != XENT_OK) return;
  for (int64_t r = 0; r < rows; ++r) {
    double big = 0;
    for (int64_t p = 0; p < parts; ++p) big = std::max(big, std::fabs(double(m[size_t(p * rows + r)])));
    expect_close("lse", r, cs.ptr<T>(lse)[r], merge_ref(m, su, parts, rows, r), 1 + big);
  }
}

// ------------------------------------------------------------------ the function table

struct Entry {
  const char *name;
  void (*run)(Src &, const char *);
};

#define LOSS(T, L, V, sfx) {"xent_" #V "_" #sfx, fuzz_loss<T, L, Variant::V, xent_##V##_##sfx, xent_##V##_backward_##sfx>}
#define UNARY(T, op, fn) {#fn, fuzz_unary<T, xent::Unary::op, fn>}
#define ROWS(T, op, fn) {#fn, fuzz_rows<T, RowOp::op, fn>}

const Entry kEntries[] = {
    LOSS(float, int64_t, sigmoid_ce_with_logits, f32),
    LOSS(double, int64_t, sigmoid_ce_with_logits, f64),
    LOSS(float, int64_t, softmax_ce_with_logits, f32),
    LOSS(double, int64_t, softmax_ce_with_logits, f64),
    LOSS(float, int64_t, sparse_softmax_ce_with_logits, f32),
    LOSS(float, int32_t, sparse_softmax_ce_with_logits, f32_i32),
    LOSS(double, int64_t, sparse_softmax_ce_with_logits, f64),
    LOSS(double, int32_t, sparse_softmax_ce_with_logits, f64_i32),
    LOSS(float, int64_t, binary_ce, f32),
    LOSS(double, int64_t, binary_ce, f64),
    LOSS(float, int64_t, categorical_ce, f32),
    LOSS(double, int64_t, categorical_ce, f64),
    LOSS(float, int64_t, sparse_categorical_ce, f32),
    LOSS(float, int32_t, sparse_categorical_ce, f32_i32),
    LOSS(double, int64_t, sparse_categorical_ce, f64),
    LOSS(double, int32_t, sparse_categorical_ce, f64_i32),
    LOSS(float, int64_t, nll_loss, f32),
    LOSS(float, int32_t, nll_loss, f32_i32),
    LOSS(double, int64_t, nll_loss, f64),
    LOSS(double, int32_t, nll_loss, f64_i32),
    UNARY(float, exp, xent_exp_f32),
    UNARY(double, exp, xent_exp_f64),
    UNARY(float, log, xent_log_f32),
    UNARY(double, log, xent_log_f64),
    UNARY(float, log1p, xent_log1p_f32),
    UNARY(double, log1p, xent_log1p_f64),
    UNARY(float, sigmoid, xent_sigmoid_f32),
    UNARY(double, sigmoid, xent_sigmoid_f64),
    UNARY(float, softplus, xent_softplus_f32),
    UNARY(double, softplus, xent_softplus_f64),
    UNARY(float, log_sigmoid, xent_log_sigmoid_f32),
    UNARY(double, log_sigmoid, xent_log_sigmoid_f64),
    ROWS(float, lse, xent_logsumexp_f32),
    ROWS(double, lse, xent_logsumexp_f64),
    ROWS(float, softmax, xent_softmax_f32),
    ROWS(double, softmax, xent_softmax_f64),
    ROWS(float, log_softmax, xent_log_softmax_f32),
    ROWS(double, log_softmax, xent_log_softmax_f64),
    ROWS(float, partial, xent_lse_partial_f32),
    ROWS(double, partial, xent_lse_partial_f64),
    {"xent_lse_merge_f32", fuzz_merge<float, xent_lse_merge_f32>},
    {"xent_lse_merge_f64", fuzz_merge<double, xent_lse_merge_f64>},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  Src s(data, size);
  const Entry &e = kEntries[s.byte() % (sizeof kEntries / sizeof kEntries[0])];
  g_desc.clear();
  e.run(s, e.name);
  g_dump = [] {};
  return 0;
}
