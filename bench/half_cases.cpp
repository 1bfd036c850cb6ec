// xent's bf16 and f16 entry points: the sparse softmax CE (loss, loss + gradient), softmax
// and log_softmax at every shape, on 16-bit copies of the f32 inputs (rounded once, here).
#include <xent/xent.h>

#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "bench.h"

namespace xbench {
namespace {

uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);  // the inputs are finite
}
uint16_t to_f16(float f) {  // the inputs are finite and below 65504 in magnitude
  const double a = std::fabs(double(f));
  const int ex = a >= std::ldexp(1.0, -14) ? std::ilogb(a) : -14;
  const double v = std::nearbyint(std::ldexp(a, 10 - ex)) * std::ldexp(1.0, ex - 10);  // ties to even
  const uint16_t sign = f < 0 ? 0x8000 : 0;
  if (v < std::ldexp(1.0, -14)) return uint16_t(sign | uint16_t(std::ldexp(v, 24)));
  const int e = std::ilogb(v);
  return uint16_t(sign | (e + 15) << 10 | (uint16_t(std::ldexp(v, 10 - e)) - 1024));
}

// The 16-bit copies of inputs<float>(s, fill), made once per (format, shape).
template <class H> std::vector<const H *> inputs16(const Shape &s) {
  static std::map<std::string, std::vector<std::vector<H>>> cache;
  auto &copies = cache[s.name];
  if (copies.empty())
    for (const float *p : inputs<float>(s, Fill::logits)) {
      std::vector<H> v(size_t(s.elements()));
      for (size_t i = 0; i < v.size(); ++i) v[i].bits = std::is_same_v<H, xent_bf16> ? to_bf16(p[i]) : to_f16(p[i]);
      copies.push_back(std::move(v));
    }
  std::vector<const H *> r;
  for (const auto &v : copies) r.push_back(v.data());
  return r;
}

template <class H> struct Api16;
template <> struct Api16<xent_bf16> {
  static constexpr const char *dtype = "bf16";
  static constexpr auto sparse = xent_sparse_softmax_ce_with_logits_bf16;
  static constexpr auto softmax = xent_softmax_bf16;
  static constexpr auto log_softmax = xent_log_softmax_bf16;
};
template <> struct Api16<xent_f16> {
  static constexpr const char *dtype = "f16";
  static constexpr auto sparse = xent_sparse_softmax_ce_with_logits_f16;
  static constexpr auto softmax = xent_softmax_f16;
  static constexpr auto log_softmax = xent_log_softmax_f16;
};

const char *error_of(xent_status s) { return s == XENT_OK ? nullptr : xent_last_error(); }

template <class H> void register_format() {
  using A = Api16<H>;
  for (bool grad : {false, true}) {
    const std::string name = std::string("sparse_softmax_ce_with_logits.none.") + (grad ? "loss_grad" : "loss");
    add({"xent", name, A::dtype, thread_sweep(), true}, [=](benchmark::State &st, const Shape &s, int threads) {
      xent_set_num_threads(threads);
      const auto x = inputs16<H>(s);
      const int64_t *l = labels(s);
      float *loss = scratch<float>(s, 1);
      H *g = grad ? reinterpret_cast<H *>(scratch<float>(s, 0)) : nullptr;  // rows*cols floats hold as many H
      timed(st, s, sizeof(H), [&](const Rotation &r) {
        return error_of(A::sparse(r.pick(x), l, s.rows, s.cols, nullptr, loss, g));
      });
    });
  }
  for (bool log_out : {false, true}) {
    add({"xent", log_out ? "log_softmax" : "softmax", A::dtype, thread_sweep(), false},
        [=](benchmark::State &st, const Shape &s, int threads) {
          xent_set_num_threads(threads);
          const auto x = inputs16<H>(s);
          H *y = reinterpret_cast<H *>(scratch<float>(s, 0));
          timed(st, s, sizeof(H), [&](const Rotation &r) {
            return error_of((log_out ? A::log_softmax : A::softmax)(r.pick(x), s.rows, s.cols, y));
          });
        });
  }
}

}  // namespace

void register_xent_half() {
  register_format<xent_bf16>();
  register_format<xent_f16>();
}

}  // namespace xbench
