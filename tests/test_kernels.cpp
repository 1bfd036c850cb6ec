// Element-wise kernels (exp, log, log1p, sigmoid, softplus, log_sigmoid; f32 and f64)
// against long double: dense random samples, special values at every lane and tail
// position for n = 0..70, in place. Bounds (SPEC 4, SEMANTICS.md): exp and log within 1 ulp
// of the correctly rounded result, log1p within 2, sigmoid / softplus / log_sigmoid within 3
// (the division and the sum round separately; 3 ulp seen on NEON).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>
#include <vector>

#include "reference/ref_math.hpp"
#include "support/api.hpp"
#include "support/check.hpp"
#include "support/random.hpp"
#include "support/report.hpp"

using ref::LD;

namespace {

template <class T> using Sampler = std::function<T(xt::Rng &)>;

template <class T> struct Unary {
  const char *name;
  xt::UnaryFn<T> fn;
  LD (*reference)(LD);
  uint64_t max_ulp;
  Sampler<T> sample;
  std::vector<T> specials;
};

template <class T> using lim = std::numeric_limits<T>;

template <class T> std::vector<T> common_specials() {
  return {lim<T>::quiet_NaN(), -lim<T>::quiet_NaN(), lim<T>::infinity(), -lim<T>::infinity(), T(0), -T(0),
          lim<T>::denorm_min(), -lim<T>::denorm_min(), lim<T>::min(), -lim<T>::min(), lim<T>::max(), -lim<T>::max(),
          T(1), T(-1), T(0.5), T(-0.5), T(2), T(-2), lim<T>::epsilon(), -lim<T>::epsilon()};
}

template <class T> std::vector<Unary<T>> unaries() {
  using A = xt::Api<T>;
  const double lo = std::log(static_cast<double>(lim<T>::denorm_min())) - 1;  // exp underflows below
  const double hi = std::log(static_cast<double>(lim<T>::max())) + 0.5;       // exp overflows above
  const double wide = sizeof(T) == 4 ? 120 : 800;
  const int max_exp = lim<T>::max_exponent - 2;
  std::vector<T> exp_edges = sizeof(T) == 4 ? std::vector<T>{T(88.72283f), T(88.7229f), T(-103.9f), T(-104.0f), T(88.7f), T(-87.3f)}
                                            : std::vector<T>{T(709.78), T(709.79), T(-745.1), T(-746.0), T(-708.4), T(709.7)};
  const Sampler<T> symmetric = [=](xt::Rng &r) {
    return static_cast<T>(r.chance(0.5) ? r.uniform(-wide, wide) : r.log_uniform(-60, 7));
  };
  return {
      {"exp", A::exp, ref::exp, 1,
       [=](xt::Rng &r) { return static_cast<T>(r.chance(0.8) ? r.uniform(lo, hi) : r.log_uniform(-60, 6)); }, exp_edges},
      {"log", A::log, ref::log, 1,
       [](xt::Rng &r) {
         // every positive finite value is as likely as its bit pattern: all binades, subnormals too
         for (;;) {
           const T v = xt::from_bits<T>(static_cast<xt::UInt<T>>(r.bits() >> (64 - 8 * sizeof(T) + 1)));
           if (r.chance(0.2)) return static_cast<T>(r.uniform(0.5, 2));
           if (std::isfinite(v) && v > 0) return v;
         }
       },
       {T(-1), T(-0.0), T(0), T(1) + lim<T>::epsilon(), T(1) - lim<T>::epsilon() / 2}},
      {"log1p", A::log1p, ref::log1p, 2,
       [=](xt::Rng &r) {
         const double u = r.uniform(0, 1);
         if (u < 0.3) return static_cast<T>(r.uniform(-1, 1));
         if (u < 0.6) return static_cast<T>(-std::exp2(r.uniform(-60, 0)));  // (-1, 0)
         return static_cast<T>(std::exp2(r.uniform(-60, max_exp)));
       },
       {T(-1), T(-2), std::nextafter(T(-1), T(0)), T(-0.75), T(1e-10)}},
      {"sigmoid", A::sigmoid, ref::sigmoid, 3, symmetric, {T(-88), T(-104), T(-110), T(30), T(40)}},
      {"softplus", A::softplus, ref::softplus, 3, symmetric, {T(-104), T(-110), T(17), T(40), T(1e-8)}},
      {"log_sigmoid", A::log_sigmoid, ref::log_sigmoid, 3, symmetric, {T(104), T(110), T(-17), T(-40), T(-1e-8)}},
  };
}

// The ulp error of every y[i] = f(x[i]) against the long-double reference.
template <class T> xt::Report ulp_report(const Unary<T> &u, const T *x, const T *y, size_t n, uint64_t *worst = nullptr) {
  xt::Report r;
  for (size_t i = 0; i < n; ++i) {
    const LD want = u.reference(static_cast<LD>(x[i]));
    const uint64_t e = xt::ulp_error(y[i], want, xt::ld_error_bound(want));
    if (worst && e != xt::kUlpInfinite && e > *worst) *worst = e;
    if (e > u.max_ulp) {
      std::ostringstream s;
      s << u.name << "(" << xt::show(x[i]) << ") = " << xt::show(y[i]) << ", want " << xt::show(want) << " ("
        << (e == xt::kUlpInfinite ? std::string("inf/NaN mismatch") : std::to_string(e) + " ulp") << ")";
      r.fail(i, static_cast<double>(e), s.str());
    }
  }
  return r;
}

template <class T> const char *type_name() { return sizeof(T) == 4 ? "f32" : "f64"; }

}  // namespace

TEMPLATE_TEST_CASE("element-wise kernels: 2^17 random samples within their ulp bound", "[kernels]", float, double) {
  using T = TestType;
  for (const Unary<T> &u : unaries<T>()) {
    xt::Rng rng(11);
    std::vector<T> x(1 << 17);
    for (T &v : x) v = u.sample(rng);
    xt::Guarded<T> y(x.size());
    REQUIRE(u.fn(x.data(), y.data(), static_cast<int64_t>(x.size())) == XENT_OK);
    uint64_t worst = 0;
    INFO(u.name << " " << type_name<T>());
    XT_CHECK_REPORT(ulp_report(u, x.data(), y.data(), x.size(), &worst), "ulp bound");
    CHECK(y.guards_intact());
    WARN("xent_" << u.name << "_" << type_name<T>() << " max ulp error over random samples: " << worst << " (bound "
                 << u.max_ulp << ")");
  }
}

TEMPLATE_TEST_CASE("element-wise kernels: special values at every position, n = 0..70, out of place and in place",
                   "[kernels]", float, double) {
  using T = TestType;
  for (const Unary<T> &u : unaries<T>()) {
    std::vector<T> specials = common_specials<T>();
    specials.insert(specials.end(), u.specials.begin(), u.specials.end());
    xt::Rng rng(3);
    for (size_t n = 0; n <= 70; ++n) {
      std::vector<T> x(n);
      for (size_t i = 0; i < n; ++i) x[i] = (i + n) % 3 == 0 ? specials[(i * 7 + n) % specials.size()] : u.sample(rng);
      xt::Guarded<T> y(n), inplace(n);
      std::copy(x.begin(), x.end(), inplace.data());
      INFO(u.name << " " << type_name<T>() << " n = " << n);
      REQUIRE(u.fn(xt::nonnull(x), y.data(), static_cast<int64_t>(n)) == XENT_OK);
      REQUIRE(u.fn(inplace.data(), inplace.data(), static_cast<int64_t>(n)) == XENT_OK);
      XT_CHECK_REPORT(ulp_report(u, x.data(), y.data(), n), "out of place");
      XT_CHECK_REPORT(ulp_report(u, x.data(), inplace.data(), n), "in place");
      CHECK(y.guards_intact());
      CHECK(inplace.guards_intact());
    }
  }
}

namespace {
template <class T> T one(xt::UnaryFn<T> f, T x) {
  T y = xt::sentinel<T>();
  REQUIRE(f(&x, &y, 1) == XENT_OK);
  return y;
}
}  // namespace

TEST_CASE("exp / log: the values SPEC section 4 names", "[kernels]") {
  using A = xt::Api<float>;
  using D = xt::Api<double>;
  const float inf = INFINITY;
  CHECK(std::isfinite(one(A::exp, 88.72283f)));
  CHECK(one(A::exp, 88.7229f) == inf);
  CHECK(one(A::exp, -103.9f) == std::ldexp(1.0f, -149));  // the smallest subnormal
  CHECK(one(A::exp, -104.0f) == 0.0f);
  CHECK(one(A::exp, -inf) == 0.0f);
  CHECK(one(A::exp, inf) == inf);
  CHECK(std::isnan(one(A::exp, NAN)));
  CHECK(one(A::log, 0.0f) == -inf);
  CHECK(std::isnan(one(A::log, -1.0f)));
  CHECK(std::isnan(one(A::log, NAN)));
  CHECK(one(A::log, inf) == inf);
  CHECK(std::isfinite(one(D::exp, 709.78)));
  CHECK(one(D::exp, 709.79) == static_cast<double>(INFINITY));
  CHECK(one(D::exp, -745.1) == std::ldexp(1.0, -1074));
  CHECK(one(D::exp, -746.0) == 0.0);
  CHECK(one(D::exp, -static_cast<double>(INFINITY)) == 0.0);
  CHECK(one(D::log, 0.0) == -static_cast<double>(INFINITY));
  CHECK(std::isnan(one(D::log, -1.0)));
}
