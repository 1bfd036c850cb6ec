// The options the fused linear loss's tests share: the library's options for a reference
// ref::Options, and weights given as T values (the comparisons are in linear_case.hpp).
#pragma once

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

}  // namespace xt
