// The options and comparisons the fused linear loss's tests share: the library's options
// for a reference ref::Options, weights as T values, and SPEC section 4's comparisons with
// the worst value in the message.
#pragma once

#include <catch2/catch.hpp>

#include <vector>

#include "reference/ref_losses.hpp"
#include "support/check.hpp"
#include "support/random.hpp"
#include "xent/xent.h"

namespace xt {

// The library's options for a reference Options (class / sample weights stored in `keep`).
template <class T> struct OptionsFor {
  std::vector<T> cw, sw;
  xent_options o;
  explicit OptionsFor(const ref::Options &r) {
    xent_options_init(&o);
    o.reduction = xent_reduction(r.reduction);
    o.label_smoothing = double(r.smoothing);
    for (LD w : r.class_weights) cw.push_back(T(w));
    for (LD w : r.sample_weights) sw.push_back(T(w));
    o.class_weights = cw.empty() ? nullptr : cw.data();
    o.sample_weights = sw.empty() ? nullptr : sw.data();
    if (r.has_ignore) o.ignore_index = r.ignore_index;
    o.z_loss = double(r.z_loss);
    o.logit_softcap = double(r.softcap);
  }
};

// The weights in ref::Options are given as T values (what the library receives).
template <class T> std::vector<LD> rounded_weights(Rng &rng, size_t n) {
  std::vector<LD> w;
  for (size_t i = 0; i < n; ++i) w.push_back(LD(T(rng.uniform(0.25, 2))));
  return w;
}

// got against want: SPEC section 4's rules, the worst value in the message.
template <class T> void check_largest(const char *name, const T *got, const std::vector<LD> &want, double tol) {
  const Report r = compare_to_largest(got, want, tol);
  INFO(r.summary(name));
  CHECK(r.ok);
}
template <class T>
void check_scaled(const char *name, const T *got, const std::vector<LD> &want, const std::vector<LD> &scale,
                  double tol) {
  const Report r = compare_scaled(got, want, scale, tol);
  INFO(r.summary(name));
  CHECK(r.ok);
}

}  // namespace xt
