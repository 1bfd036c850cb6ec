// One vocabulary for kernels over xsimd batches and plain scalars.
//
// Every kernel is written once against a type V that is either a scalar (float/double,
// the portable path and every tail) or xsimd::batch<T, Arch>. This header gives both the
// same free functions, so `exp_v(V)` or a loss row body compiles for each ISA and for
// scalar code alike.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "simd/isa_namespace.hpp"

namespace xent::XENT_ISA_NS::simd {

// The architecture tag of the portable path (no xsimd batch, V = T).
struct scalar_arch {
  static constexpr const char *name() { return "scalar"; }
};

template <class T> struct float_bits;
template <> struct float_bits<float> {
  using int_type = int32_t;
  using uint_type = uint32_t;
  static constexpr int mantissa = 23;
  static constexpr int bias = 127;
};
template <> struct float_bits<double> {
  using int_type = int64_t;
  using uint_type = uint64_t;
  static constexpr int mantissa = 52;
  static constexpr int bias = 1023;
};

// vec<T, Arch>: the register type of T on Arch.
template <class T, class Arch> struct vec_of { using type = xsimd::batch<T, Arch>; };
template <class T> struct vec_of<T, scalar_arch> { using type = T; };
template <class T, class Arch> using vec = typename vec_of<T, Arch>::type;

template <class V> struct vec_traits {  // xsimd batch
  using value_type = typename V::value_type;
  using int_vec = xsimd::batch<typename float_bits<value_type>::int_type, typename V::arch_type>;
  using mask = typename V::batch_bool_type;
  static constexpr std::size_t width = V::size;
};
template <> struct vec_traits<float> {
  using value_type = float;
  using int_vec = int32_t;
  using mask = bool;
  static constexpr std::size_t width = 1;
};
template <> struct vec_traits<double> {
  using value_type = double;
  using int_vec = int64_t;
  using mask = bool;
  static constexpr std::size_t width = 1;
};

template <class V> constexpr std::size_t width_v = vec_traits<V>::width;
template <class V> using value_t = typename vec_traits<V>::value_type;
template <class V> using mask_t = typename vec_traits<V>::mask;
template <class V> using ivec_t = typename vec_traits<V>::int_vec;
template <class V> constexpr bool is_scalar_v = std::is_floating_point_v<V>;

// ---- memory
template <class V> inline V load(const value_t<V> *p) {
  if constexpr (is_scalar_v<V>) return *p;
  else return V::load_unaligned(p);
}
template <class V> inline void store(value_t<V> *p, const V &v) {
  if constexpr (is_scalar_v<V>) *p = v;
  else v.store_unaligned(p);
}
template <class V> inline V splat(value_t<V> x) { return V(x); }

// ---- arithmetic
template <class V> inline V fma(const V &a, const V &b, const V &c) {
  // Scalar: a fused std::fma would be a slow libm call without hardware FMA; the math is
  // designed to stay within its bounds unfused (SSE2 is unfused too).
  if constexpr (is_scalar_v<V>) return a * b + c;
  else return xsimd::fma(a, b, c);
}
template <class V> inline V vmin(const V &a, const V &b) {
  if constexpr (is_scalar_v<V>) return b < a ? b : a;
  else return xsimd::min(a, b);
}
template <class V> inline V vmax(const V &a, const V &b) {
  if constexpr (is_scalar_v<V>) return b > a ? b : a;
  else return xsimd::max(a, b);
}
template <class V> inline V vabs(const V &a) {
  if constexpr (is_scalar_v<V>) return std::fabs(a);
  else return xsimd::abs(a);
}
template <class V> inline V vtanh(const V &a) {
  if constexpr (is_scalar_v<V>) {
    return std::tanh(a);
  } else {
    // xsimd 8.1's tanh converts lanes to integers inside exp: a NaN or huge lane is UB
    // there. tanh is +-1 to the last bit beyond |a| = 20; NaN is put back afterwards.
    using T = typename V::value_type;
    const auto nan = xsimd::isnan(a);
    const V safe = xsimd::select(nan, V(T(0)), xsimd::min(xsimd::max(a, V(T(-20))), V(T(20))));
    return xsimd::select(nan, a, xsimd::tanh(safe));
  }
}

// ---- masks
template <class V> inline V select(const mask_t<V> &m, const V &a, const V &b) {
  if constexpr (is_scalar_v<V>) return m ? a : b;
  else return xsimd::select(m, a, b);
}
// Not `a != a`: xsimd 8.1 compares with ordered predicates, so NaN != NaN is false there.
template <class V> inline mask_t<V> isnan_v(const V &a) {
  if constexpr (is_scalar_v<V>) return std::isnan(a);
  else return xsimd::isnan(a);
}
template <class M> inline bool all(const M &m) {
  if constexpr (std::is_same_v<M, bool>) return m;
  else return xsimd::all(m);
}

// ---- bits
template <class V> inline ivec_t<V> as_int(const V &a) {
  if constexpr (is_scalar_v<V>) {
    ivec_t<V> i;
    std::memcpy(&i, &a, sizeof i);
    return i;
  } else {
    return xsimd::bitwise_cast<ivec_t<V>>(a);
  }
}
template <class V> inline V as_float(const ivec_t<V> &i) {
  if constexpr (is_scalar_v<V>) {
    V a;
    std::memcpy(&a, &i, sizeof a);
    return a;
  } else {
    return xsimd::bitwise_cast<V>(i);
  }
}
// Logical shifts (on the unsigned pattern) for the scalar path; xsimd's are the ISA's.
template <class I> inline I shl(const I &i, int n) {
  if constexpr (std::is_integral_v<I>) {
    using U = std::make_unsigned_t<I>;
    return static_cast<I>(static_cast<U>(i) << n);
  } else {
    return i << n;
  }
}

// ---- horizontal reductions (fixed order: the same bits on every call)
template <class V> inline value_t<V> hsum(const V &a) {
  if constexpr (is_scalar_v<V>) return a;
  else return xsimd::hadd(a);
}
template <class V> inline value_t<V> hmax(const V &a) {
  if constexpr (is_scalar_v<V>) {
    return a;
  } else {
    alignas(64) value_t<V> lanes[width_v<V>];
    a.store_unaligned(lanes);
    value_t<V> m = lanes[0];
    for (std::size_t i = 1; i < width_v<V>; ++i) m = lanes[i] > m ? lanes[i] : m;
    return m;
  }
}

}  // namespace xent::XENT_ISA_NS::simd
