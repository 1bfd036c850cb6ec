// The softmax-with-logits kernels take different routes for the same arithmetic: rows of
// up to one 4096-element chunk with a contiguous gradient store exp(y - max) in the
// gradient and scale it (a tight loop when there is no smoothing), other rows compute exp
// twice, (B, C, K) layouts go through strided blocks. The results must be the same bits:
// the loss with or without a gradient, in place or not, and a row in the (B, C, 2) layout
// equal to the same row in (B, C, 1).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "support/random.hpp"
#include "xent/xent.h"

namespace {

template <class T> bool same_bits(const std::vector<T> &a, const std::vector<T> &b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Element by element: the same bits, or NaN on both sides (a NaN's payload may differ).
void check_same_bits_or_nan(const std::vector<float> &a, const std::vector<float> &b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << ": " << a[i] << " vs " << b[i]);
    const bool both_nan = std::isnan(a[i]) && std::isnan(b[i]);
    CHECK((both_nan || std::memcmp(&a[i], &b[i], sizeof(float)) == 0));
  }
}

// Each element repeated K times: (B, C) rows in the (B, C, K) layout, every inner position
// a copy (per-sample arrays (B) become (B, K) alike); every_kth takes inner position 0 back.
template <class T> std::vector<T> repeat_each(const std::vector<T> &v, int64_t K) {
  std::vector<T> out;
  for (const T &e : v) out.insert(out.end(), size_t(K), e);
  return out;
}
template <class T> std::vector<T> every_kth(const std::vector<T> &v, int64_t K) {
  std::vector<T> out;
  for (size_t i = 0; i < v.size(); i += size_t(K)) out.push_back(v[i]);
  return out;
}

// A loss with inner = K: call(opts, loss, grad) on the (B, C, K) copies the caller made,
// loss only and with its gradient; losses and gradient of inner position 0 back.
struct InnerRun {
  std::vector<float> loss[2], grad;  // loss[with_grad]
};
template <class Call>
InnerRun run_inner(int64_t K, size_t elements, int64_t B, xent_options o, const Call &call) {
  o.inner = K;
  InnerRun r;
  std::vector<float> g(elements * size_t(K), -1.0f);
  for (int with_grad = 0; with_grad < 2; ++with_grad) {
    std::vector<float> l(size_t(B * K), -1.0f);
    REQUIRE(call(o, l.data(), with_grad ? g.data() : nullptr) == XENT_OK);
    r.loss[with_grad] = every_kth(l, K);
  }
  r.grad = every_kth(g, K);
  return r;
}

struct Run {
  std::vector<float> loss, grad;
};

// (B, C) logits x through the f32 sparse loss; inner K = 2 duplicates every row into both
// inner positions (the strided route).
Run run(const std::vector<float> &x, const std::vector<int64_t> &labels, int64_t B, int64_t C, int64_t K,
        bool with_grad, bool in_place, double smoothing) {
  std::vector<float> in = repeat_each(x, K);
  const std::vector<int64_t> lab = repeat_each(labels, K);
  xent_options o;
  xent_options_init(&o);
  o.inner = K;
  o.label_smoothing = smoothing;
  Run r;
  r.loss.assign(size_t(B * K), -1.0f);
  std::vector<float> g(in.size(), -1.0f);
  float *gp = with_grad ? (in_place ? in.data() : g.data()) : nullptr;
  REQUIRE(xent_sparse_softmax_ce_with_logits_f32(in.data(), lab.data(), B, C, &o, r.loss.data(), gp) == XENT_OK);
  if (with_grad) r.grad = every_kth(in_place ? in : g, K);
  r.loss = every_kth(r.loss, K);
  return r;
}

}  // namespace

TEST_CASE("softmax CE: fused, tight, two-exp and strided routes give the same bits", "[softmax][paths]") {
  for (int64_t C : {1, 3, 4, 5, 7, 8, 9, 10, 16, 17, 33, 1024, 4096, 4097, 9000}) {
    for (double smoothing : {0.0, 0.1}) {
      const int64_t B = 5;
      xt::Rng rng(uint64_t(C) * 31 + uint64_t(smoothing * 10));
      std::vector<float> x(size_t(B * C));
      for (float &v : x) v = float(rng.uniform(-8, 8));
      x[size_t(2 * C) + size_t(C / 2)] = -std::numeric_limits<float>::infinity();  // a masked class
      std::vector<int64_t> labels;
      for (int64_t b = 0; b < B; ++b) labels.push_back((b * 7919) % C);
      INFO("C = " << C << ", smoothing " << smoothing);
      const Run loss_only = run(x, labels, B, C, 1, false, false, smoothing);
      const Run fused = run(x, labels, B, C, 1, true, false, smoothing);
      const Run in_place = run(x, labels, B, C, 1, true, true, smoothing);
      const Run strided = run(x, labels, B, C, 2, true, false, smoothing);
      CHECK(same_bits(loss_only.loss, fused.loss));
      CHECK(same_bits(fused.loss, in_place.loss));
      CHECK(same_bits(fused.grad, in_place.grad));
      CHECK(same_bits(fused.loss, strided.loss));
      CHECK(same_bits(fused.grad, strided.grad));
    }
  }
}

// The loss alone carries each row's max and range from the previous row's sum pass
// (chunk_sumexp_next_max): rows whose max is +inf, NaN or -inf (all -inf), or whose range
// reaches the loss exp's floor, before and after ordinary rows, must still give the
// strided route's bits.
TEST_CASE("softmax CE: the max and range carried to the next row keep the non-finite rules", "[softmax][paths]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  for (int64_t C : {1, 7, 8, 9, 100, 4096}) {
    const int64_t B = 10;
    xt::Rng rng(uint64_t(C) * 17 + 3);
    std::vector<float> x(size_t(B * C));
    for (float &v : x) v = float(rng.uniform(-8, 8));
    float *r1 = x.data() + 1 * C, *r3 = x.data() + 3 * C, *r4 = x.data() + 4 * C, *r6 = x.data() + 6 * C;
    r1[C / 2] = inf;
    r3[C - 1] = nan;
    for (int64_t c = 0; c < C; ++c) r4[c] = -inf;
    r6[0] = -inf;
    // Finite rows whose range passes the loss exp's floor (-87.3), or sits at it: their sum
    // keeps the clamp, which the carried range leaves out elsewhere.
    float *r7 = x.data() + 7 * C, *r8 = x.data() + 8 * C;
    r7[C / 3] = -95.0f;
    r8[0] = 8.0f;
    r8[C - 1] = 8.0f - 87.3f;
    std::vector<int64_t> labels;
    for (int64_t b = 0; b < B; ++b) labels.push_back((b * 31) % C);
    INFO("C = " << C);
    const Run loss_only = run(x, labels, B, C, 1, false, false, 0.0);
    const Run strided = run(x, labels, B, C, 2, false, false, 0.0);
    check_same_bits_or_nan(loss_only.loss, strided.loss);
    CHECK(std::isnan(loss_only.loss[3]));
    CHECK(std::isnan(loss_only.loss[4]));  // all -inf: NaN (docs/SEMANTICS.md)
    CHECK(std::isinf(loss_only.loss[1]) == (labels[1] != C / 2));  // a +inf logit off the label: +inf
  }
}

// A backward call without lse on short contiguous rows takes the short-row kernel
// (kernels/short_sparse_rows.hpp) with dloss; the strided layout takes the general route.
// Both must give the same gradient bits, a +inf row (the short kernel declines it) included.
TEST_CASE("sparse softmax CE backward: short rows and the strided route give the same bits", "[softmax][paths][backward]") {
  for (int64_t C : {1, 5, 8, 10, 16, 17, 32, 33}) {
    const int64_t B = 6;
    xt::Rng rng(uint64_t(C) * 13 + 5);
    std::vector<float> x(size_t(B * C)), dloss(static_cast<size_t>(B));
    for (float &v : x) v = float(rng.uniform(-8, 8));
    for (float &v : dloss) v = float(rng.uniform(-2, 2));
    x[size_t(4 * C)] = std::numeric_limits<float>::infinity();
    std::vector<int64_t> labels;
    for (int64_t b = 0; b < B; ++b) labels.push_back((b * 7) % C);
    std::vector<float> grads[2];
    for (int64_t K : {1, 2}) {
      const std::vector<float> in = repeat_each(x, K), dl = repeat_each(dloss, K);
      const std::vector<int64_t> lab = repeat_each(labels, K);
      std::vector<float> g(in.size(), -1.0f);
      xent_options o;
      xent_options_init(&o);
      o.inner = K;
      REQUIRE(xent_sparse_softmax_ce_with_logits_backward_f32(in.data(), lab.data(), B, C, &o, dl.data(), nullptr,
                                                              g.data()) == XENT_OK);
      grads[K - 1] = every_kth(g, K);
    }
    INFO("C = " << C);
    check_same_bits_or_nan(grads[0], grads[1]);
  }
}

// Dense targets: a row of at most one vector takes one_vector_dense_stats (kernels/
// softmax_losses.hpp), the strided layout the general passes. Loss and gradient must be
// the same bits, with smoothing and class weights, and for a +inf row, which it declines.
TEST_CASE("softmax CE with soft targets: one-vector rows and the strided route give the same bits",
          "[softmax][paths]") {
  for (int64_t C : {1, 5, 8, 10, 16, 17, 33}) {
    for (double smoothing : {0.0, 0.2}) {
      const int64_t B = 5;
      xt::Rng rng(uint64_t(C) * 29 + uint64_t(smoothing * 10));
      std::vector<float> x(size_t(B * C)), t(size_t(B * C)), cw(static_cast<size_t>(C));
      for (float &v : x) v = float(rng.uniform(-8, 8));
      for (float &v : t) v = float(rng.uniform(0, 1));
      for (float &v : cw) v = float(rng.uniform(0.5, 2));
      t[size_t(C - 1)] = 0.0f;
      x[size_t(3 * C)] = std::numeric_limits<float>::infinity();
      xent_options o;
      xent_options_init(&o);
      o.label_smoothing = smoothing;
      o.class_weights = cw.data();
      InnerRun r[2];
      for (int64_t K : {1, 2}) {
        const std::vector<float> in = repeat_each(x, K), tg = repeat_each(t, K);
        r[K - 1] = run_inner(K, x.size(), B, o, [&](const xent_options &ok, float *l, float *g) {
          return xent_softmax_ce_with_logits_f32(in.data(), tg.data(), B, C, &ok, l, g);
        });
      }
      INFO("C = " << C << ", smoothing " << smoothing);
      CHECK(same_bits(r[0].loss[0], r[0].loss[1]));
      CHECK(same_bits(r[0].loss[1], r[1].loss[1]));
      CHECK(same_bits(r[0].loss[0], r[1].loss[0]));
      check_same_bits_or_nan(r[0].grad, r[1].grad);
    }
  }
}

// Categorical CE on probabilities, dense and sparse: a row of at most one vector is loaded
// once and kept in registers (CategoricalRow's one_vector_* in kernels/
// categorical_losses.hpp), the strided layout takes sum_p, terms and gradient. The same
// bits, with smoothing, class weights, clipped probabilities (0 and 1), a zero target and a
// NaN row.
TEST_CASE("categorical CE: one-vector rows and the strided route give the same bits", "[categorical][paths]") {
  for (bool sparse : {false, true}) {
    for (int64_t C : {1, 5, 8, 10, 16, 17, 33}) {
      for (double smoothing : {0.0, 0.2}) {
        const int64_t B = 5;
        xt::Rng rng(uint64_t(C) * 31 + uint64_t(smoothing * 10) + (sparse ? 7 : 0));
        std::vector<float> p(size_t(B * C)), t(size_t(B * C)), cw(static_cast<size_t>(C));
        for (float &v : p) v = float(rng.uniform(0, 1));
        for (float &v : t) v = float(rng.uniform(0, 1));
        for (float &v : cw) v = float(rng.uniform(0.5, 2));
        std::vector<int64_t> labels;
        for (int64_t b = 0; b < B; ++b) labels.push_back((b * 3) % C);
        t[size_t(C - 1)] = 0.0f;
        p[size_t(C)] = 0.0f;                                           // clipped to eps
        p[size_t(2 * C)] = 1.0f;                                       // 1 of the row's sum: clipped below 1 when C = 1
        p[size_t(3 * C)] = std::numeric_limits<float>::quiet_NaN();  // a NaN row
        xent_options o;
        xent_options_init(&o);
        o.label_smoothing = smoothing;
        o.class_weights = cw.data();
        InnerRun r[2];
        for (int64_t K : {1, 2}) {
          const std::vector<float> in = repeat_each(p, K), tg = repeat_each(t, K);
          const std::vector<int64_t> lab = repeat_each(labels, K);
          r[K - 1] = run_inner(K, p.size(), B, o, [&](const xent_options &ok, float *l, float *g) {
            return sparse ? xent_sparse_categorical_ce_f32(in.data(), lab.data(), B, C, &ok, l, g)
                          : xent_categorical_ce_f32(in.data(), tg.data(), B, C, &ok, l, g);
          });
        }
        INFO((sparse ? "sparse" : "dense") << ", C = " << C << ", smoothing " << smoothing);
        check_same_bits_or_nan(r[0].loss[0], r[1].loss[0]);
        check_same_bits_or_nan(r[0].loss[1], r[1].loss[1]);
        check_same_bits_or_nan(r[0].loss[0], r[0].loss[1]);
        check_same_bits_or_nan(r[0].grad, r[1].grad);
      }
    }
  }
}
