// Shared checks: sentinel-guarded output buffers, ulp distances and the tolerance rules of
// SPEC section 4, each returning a Report that the tests pass to CHECK with its text.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "reference/ref_math.hpp"

namespace xt {

using ref::LD;

template <class T> using UInt = typename std::conditional<sizeof(T) == 4, uint32_t, uint64_t>::type;

template <class T> UInt<T> to_bits(T v) {
  UInt<T> u;
  std::memcpy(&u, &v, sizeof u);
  return u;
}
template <class T> T from_bits(UInt<T> u) {
  T v;
  std::memcpy(&v, &u, sizeof v);
  return v;
}

// A quiet NaN with a payload no arithmetic produces: an output slot still holding it was
// never written.
template <class T> T sentinel() {
  return sizeof(T) == 4 ? from_bits<T>(static_cast<UInt<T>>(0x7fc5a5a5u))
                        : from_bits<T>(static_cast<UInt<T>>(0x7ff8a5a5a5a5a5a5ull));
}

template <class T> bool same_bits(T a, T b) { return to_bits(a) == to_bits(b); }

// n elements with a band of sentinel guards on both sides, to catch writes out of bounds.
template <class T> class Guarded {
 public:
  static constexpr size_t kGuard = 16;
  explicit Guarded(size_t n = 0) : n_(n), buf_(n + 2 * kGuard, sentinel<T>()) {}
  T *data() { return buf_.data() + kGuard; }
  const T *data() const { return buf_.data() + kGuard; }
  size_t size() const { return n_; }
  T &operator[](size_t i) { return data()[i]; }
  const T &operator[](size_t i) const { return data()[i]; }
  bool guards_intact() const {
    for (size_t i = 0; i < kGuard; ++i)
      if (!same_bits(buf_[i], sentinel<T>()) || !same_bits(buf_[kGuard + n_ + i], sentinel<T>())) return false;
    return true;
  }
  bool untouched() const {
    for (const T &v : buf_)
      if (!same_bits(v, sentinel<T>())) return false;
    return true;
  }
  std::vector<T> values() const { return std::vector<T>(data(), data() + n_); }

 private:
  size_t n_;
  std::vector<T> buf_;
};

// The data of v, or a valid pointer to nothing when v is empty (batch 0 and n = 0
// still pass non-NULL arrays: NULL is an error even then).
template <class V> const typename V::value_type *nonnull(const V &v) {
  static const typename V::value_type none[1] = {};
  return v.empty() ? none : v.data();
}

// The outcome of comparing many values: ok, how many failed, and the worst one in words.
struct Report {
  bool ok = true;
  size_t failures = 0;
  double worst = 0;  // largest error / allowed error seen
  std::string text;
  void fail(size_t index, double ratio, const std::string &what) {
    ok = false;
    ++failures;
    if (failures == 1 || ratio > worst) {
      worst = ratio;
      std::ostringstream s;
      s << "index " << index << ": " << what;
      text = s.str();
    }
  }
  std::string summary(const std::string &label) const {
    if (ok) return label + ": ok";
    std::ostringstream s;
    s << label << ": " << failures << " bad value(s); worst at " << text;
    return s.str();
  }
};

inline std::string show(LD v) {
  std::ostringstream s;
  s.precision(21);
  s << v;
  return s.str();
}

// got vs want with an absolute allowance: NaN must meet NaN, an infinity its equal.
template <class T> void compare_one(Report &r, size_t i, T got, LD want, LD allowed) {
  const LD g = static_cast<LD>(got);
  auto what = [&] { return "got " + show(g) + ", want " + show(want) + ", allowed error " + show(allowed); };
  if (std::isnan(want) || std::isinf(want) || std::isnan(g) || std::isinf(g)) {
    const bool same = (std::isnan(want) && std::isnan(g)) || g == want;
    if (!same) r.fail(i, std::numeric_limits<double>::infinity(), what());
    return;
  }
  const LD err = fabsl(g - want);
  if (!(err <= allowed))
    r.fail(i, allowed > 0 ? static_cast<double>(err / allowed) : std::numeric_limits<double>::infinity(), what());
}

// Losses: |got - want| <= tol * scale_i, scale_i from the reference (SPEC section 4).
template <class T>
Report compare_scaled(const T *got, const std::vector<LD> &want, const std::vector<LD> &scale, double tol) {
  Report r;
  for (size_t i = 0; i < want.size(); ++i) compare_one(r, i, got[i], want[i], static_cast<LD>(tol) * scale[i]);
  return r;
}

// Gradients: |got - want| <= tol * the largest finite |want| of the call (SPEC section 4), or
// tol * floor when that is larger: the size of the terms that cancel in the gradient, its
// honest scale when the whole call's gradient cancels to (nearly) 0.
template <class T> Report compare_to_largest(const T *got, const std::vector<LD> &want, double tol, LD floor = 0) {
  LD largest = std::isfinite(floor) ? floor : 0;
  for (LD w : want)
    if (std::isfinite(w)) largest = fmaxl(largest, fabsl(w));
  Report r;
  for (size_t i = 0; i < want.size(); ++i) compare_one(r, i, got[i], want[i], static_cast<LD>(tol) * largest);
  return r;
}

template <class T> Report compare_bitwise(const T *got, const T *want, size_t n) {
  Report r;
  for (size_t i = 0; i < n; ++i)
    if (!same_bits(got[i], want[i])) r.fail(i, 1, "got " + show(got[i]) + ", want bitwise " + show(want[i]));
  return r;
}

// ---------------------------------------------------------------- ulp

// Monotone integer key of a value: adjacent representable values differ by 1, -0 == +0.
template <class T> int64_t ordered_key(T v) {
  const UInt<T> u = to_bits(v);
  const UInt<T> sign = static_cast<UInt<T>>(UInt<T>(1) << (8 * sizeof(T) - 1));
  const int64_t mag = static_cast<int64_t>(u & ~sign);
  return (u & sign) ? -mag : mag;
}

constexpr uint64_t kUlpInfinite = std::numeric_limits<uint64_t>::max();

// Steps between got and cr; NaN matches only NaN, an infinity only the same infinity.
template <class T> uint64_t ulp_steps(T got, T cr) {
  if (std::isnan(cr) || std::isnan(got)) return std::isnan(cr) && std::isnan(got) ? 0 : kUlpInfinite;
  if (std::isinf(cr) || std::isinf(got)) return got == cr ? 0 : kUlpInfinite;
  const int64_t d = ordered_key(got) - ordered_key(cr);
  return static_cast<uint64_t>(d < 0 ? -d : d);
}

// Steps from got to the correctly rounded value of exact, whose own error is at most
// exact_err: when that error straddles a rounding boundary both roundings are accepted.
template <class T, class R> uint64_t ulp_error(T got, R exact, R exact_err) {
  uint64_t best = ulp_steps(got, static_cast<T>(exact));
  if (std::isfinite(exact) && exact_err > 0) {
    const uint64_t lo = ulp_steps(got, static_cast<T>(exact - exact_err));
    const uint64_t hi = ulp_steps(got, static_cast<T>(exact + exact_err));
    if (lo < best) best = lo;
    if (hi < best) best = hi;
  }
  return best;
}

// Error bound of a long-double libm result: a few units of its 64-bit significand.
inline LD ld_error_bound(LD v) { return fmaxl(fabsl(v) * ldexpl(1.0L, -60), ldexpl(1.0L, -16440)); }

}  // namespace xt
