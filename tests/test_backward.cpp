// The backward entry points (xent_*_backward_*): with lse NULL, dloss times the fused
// forward's gradient bit for bit; with the forward's lse (opts->lse_out), the reference
// gradient times dloss within SPEC tolerance; the lse itself against the long-double
// reference; in place; any thread count; and their argument errors with nothing written.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

#include "support/loss_case.hpp"

using namespace xt;

namespace {

template <class T> using DenseBackward = xent_status (*)(const T *, const T *, int64_t, int64_t, const xent_options *,
                                                         const T *, const T *, T *);
template <class T, class L>
using SparseBackward = xent_status (*)(const T *, const L *, int64_t, int64_t, const xent_options *, const T *,
                                       const T *, T *);

template <class T> struct BackwardApi;
#define XT_BACKWARD_API(T, SFX)                                                                                  \
  template <> struct BackwardApi<T> {                                                                            \
    static constexpr DenseBackward<T> sigmoid_ce = xent_sigmoid_ce_with_logits_backward_##SFX;                   \
    static constexpr DenseBackward<T> softmax_ce = xent_softmax_ce_with_logits_backward_##SFX;                   \
    static constexpr DenseBackward<T> binary_ce = xent_binary_ce_backward_##SFX;                                 \
    static constexpr DenseBackward<T> categorical_ce = xent_categorical_ce_backward_##SFX;                       \
    static constexpr SparseBackward<T, int64_t> sparse_softmax_ce = xent_sparse_softmax_ce_with_logits_backward_##SFX; \
    static constexpr SparseBackward<T, int32_t> sparse_softmax_ce_i32 =                                          \
        xent_sparse_softmax_ce_with_logits_backward_##SFX##_i32;                                                 \
    static constexpr SparseBackward<T, int64_t> sparse_categorical_ce = xent_sparse_categorical_ce_backward_##SFX; \
    static constexpr SparseBackward<T, int32_t> sparse_categorical_ce_i32 =                                      \
        xent_sparse_categorical_ce_backward_##SFX##_i32;                                                         \
  };
XT_BACKWARD_API(float, f32)
XT_BACKWARD_API(double, f64)
#undef XT_BACKWARD_API

// One backward call on the data of s: input (or `input` in place), dloss, lse, grad.
template <class T>
xent_status call_backward(const LossSpec &s, const LossData<T> &d, const xent_options &o, const T *input,
                          const T *dloss, const T *lse, T *grad) {
  using B = BackwardApi<T>;
  const T *t = nonnull(d.targets);
  const int64_t *l64 = nonnull(d.labels64);
  const int32_t *l32 = nonnull(d.labels32);
  switch (s.variant) {
    case Variant::SigmoidLogits: return B::sigmoid_ce(input, t, s.batch, s.classes, &o, dloss, lse, grad);
    case Variant::SoftmaxLogits: return B::softmax_ce(input, t, s.batch, s.classes, &o, dloss, lse, grad);
    case Variant::Binary: return B::binary_ce(input, t, s.batch, s.classes, &o, dloss, lse, grad);
    case Variant::Categorical: return B::categorical_ce(input, t, s.batch, s.classes, &o, dloss, lse, grad);
    case Variant::SparseSoftmaxLogits:
      return s.int32_labels ? B::sparse_softmax_ce_i32(input, l32, s.batch, s.classes, &o, dloss, lse, grad)
                            : B::sparse_softmax_ce(input, l64, s.batch, s.classes, &o, dloss, lse, grad);
    case Variant::SparseCategorical:
      return s.int32_labels ? B::sparse_categorical_ce_i32(input, l32, s.batch, s.classes, &o, dloss, lse, grad)
                            : B::sparse_categorical_ce(input, l64, s.batch, s.classes, &o, dloss, lse, grad);
  }
  return XENT_ERR_INTERNAL;
}

// Random upstream gradients, one per loss value (signed, some exactly 0 and 1).
template <class T> std::vector<T> make_dloss(const LossSpec &s) {
  Rng rng(s.seed + 77);
  std::vector<T> v(s.loss_count());
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 5 == 0 ? T(1) : i % 7 == 3 ? T(0) : T(rng.uniform(-3, 3));
  return v;
}

// The loss value that element i of the input feeds: itself (element-wise), its sample
// (b, k), or the one scalar.
inline size_t unit_of(const LossSpec &s, size_t i) {
  if (s.reduction != XENT_REDUCTION_NONE) return 0;
  if (ref::is_elementwise(s.variant)) return i;
  const int64_t CK = s.classes * s.inner;
  return static_cast<size_t>(int64_t(i) / CK * s.inner + int64_t(i) % s.inner);
}

// The specs of one variant: shapes around the vector width and chunk, and its options.
std::vector<LossSpec> specs_of(Variant v) {
  std::vector<LossSpec> profiles = common_profiles();
  if (ref::is_softmax_logits(v)) {
    profiles.emplace_back().z_loss = 0.01;
    profiles.emplace_back().softcap = 3;
  }
  if (v == Variant::SigmoidLogits) profiles.emplace_back().pos_weight = true;
  if (ref::is_sparse(v)) profiles.emplace_back().ignore = true;
  std::vector<LossSpec> out;
  uint64_t seed = 500;
  const Shape shapes[] = {{1, 1, 1}, {3, 5, 1}, {7, 17, 1}, {4, 3, 5}, {2, 1000, 1}, {300, 7, 1}, {2, 5000, 1}};
  for (const LossSpec &p : profiles)
    for (const Shape &sh : shapes)
      for (int r = 0; r < 3; ++r) {
        LossSpec s = p;
        s.variant = v;
        s.batch = sh.batch, s.classes = sh.classes, s.inner = sh.inner;
        s.reduction = r;
        s.int32_labels = ref::is_sparse(v) && sh.batch % 2 == 1;
        s.seed = ++seed;
        out.push_back(s);
      }
  return out;
}

template <class T> void check_dloss_times_fused(const LossSpec &s) {
  const LossData<T> d = make_data<T>(s);
  const LibOut<T> fused = run_lib(s, d);
  INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64"));
  REQUIRE(fused.status == XENT_OK);
  const std::vector<T> dloss = make_dloss<T>(s);
  const xent_options o = make_options(s, d);
  const size_t n = static_cast<size_t>(s.elements());
  std::vector<T> want(n);
  for (size_t i = 0; i < n; ++i) want[i] = dloss[unit_of(s, i)] * fused.grad[i];
  // Ignored samples get exactly +0, whatever their upstream gradient (PyTorch's nll_loss too).
  if (s.ignore)
    for (size_t i = 0; i < n; ++i)
      if (d.labels64[static_cast<size_t>(int64_t(i) / (s.classes * s.inner) * s.inner + int64_t(i) % s.inner)] ==
          s.ignore_index)
        want[i] = T(0);

  Guarded<T> grad(n);
  REQUIRE(call_backward<T>(s, d, o, nonnull(d.input), dloss.data(), nullptr, grad.data()) == XENT_OK);
  CHECK(grad.guards_intact());
  XT_CHECK_REPORT(compare_bitwise(grad.data(), want.data(), n), "backward grad");

  // In place over the input.
  std::vector<T> inout = d.input;
  REQUIRE(call_backward<T>(s, d, o, inout.data(), dloss.data(), nullptr, inout.data()) == XENT_OK);
  XT_CHECK_REPORT(compare_bitwise(inout.data(), want.data(), n), "backward grad in place");
}

// The forward's lse_out against the reference lse of each sample, and the backward that
// takes it against dloss times the reference gradient.
template <class T> void check_saved_lse(const LossSpec &s) {
  const LossData<T> d = make_data<T>(s);
  const ref::Problem p = to_problem(s, d);
  const ref::Result want = ref::evaluate(p);
  INFO(s.describe(sizeof(T) == 4 ? "f32" : "f64"));
  const size_t samples = static_cast<size_t>(s.samples()), n = static_cast<size_t>(s.elements());
  xent_options o = make_options(s, d);
  Guarded<T> lse(samples), loss(s.loss_count()), fused_grad(n);
  o.lse_out = lse.data();
  LossArgs<T> a;
  a.variant = s.variant, a.int32_labels = s.int32_labels, a.input = nonnull(d.input), a.targets = nonnull(d.targets);
  a.labels64 = nonnull(d.labels64), a.labels32 = nonnull(d.labels32), a.batch = s.batch, a.classes = s.classes;
  a.opts = &o, a.loss = loss.data(), a.grad = fused_grad.data();
  REQUIRE(call_loss(a) == XENT_OK);
  CHECK(lse.guards_intact());

  // lse of y (soft-capped logits), one (b, k) line each, in long double.
  std::vector<LD> want_lse(samples), lse_scale(samples);
  const int64_t C = s.classes, K = s.inner;
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t k = 0; k < K; ++k) {
      std::vector<LD> y(static_cast<size_t>(C));
      LD largest = 0;
      for (int64_t c = 0; c < C; ++c) {
        const LD x = p.input[static_cast<size_t>((b * C + c) * K + k)];
        y[static_cast<size_t>(c)] = s.softcap > 0 ? LD(s.softcap) * tanhl(x / LD(s.softcap)) : x;
        largest = fmaxl(largest, fabsl(x));
      }
      want_lse[static_cast<size_t>(b * K + k)] = ref::lse(y.data(), C);
      lse_scale[static_cast<size_t>(b * K + k)] = 1 + largest;
    }
  XT_CHECK_REPORT(compare_scaled(lse.data(), want_lse, lse_scale, Api<T>::tol), "lse_out");

  const std::vector<T> dloss = make_dloss<T>(s);
  std::vector<LD> want_grad(n);
  for (size_t i = 0; i < n; ++i) want_grad[i] = LD(dloss[unit_of(s, i)]) * want.grad[i];
  LD floor = 0;
  for (T v : dloss) floor = fmaxl(floor, fabsl(LD(v)) * want.grad_terms);
  Guarded<T> grad(n);
  o.lse_out = grad.data();  // a backward call neither reads nor writes opts->lse_out
  REQUIRE(call_backward<T>(s, d, o, nonnull(d.input), dloss.data(), lse.data(), grad.data()) == XENT_OK);
  CHECK(grad.guards_intact());
  XT_CHECK_REPORT(compare_to_largest(grad.data(), want_grad, Api<T>::tol, floor), "backward with lse");
}

}  // namespace

TEMPLATE_TEST_CASE("backward with lse NULL is dloss times the fused gradient, bit for bit", "[backward]", float,
                   double) {
  for (Variant v : kAllVariants)
    for (const LossSpec &s : specs_of(v)) check_dloss_times_fused<TestType>(s);
}

TEMPLATE_TEST_CASE("lse_out gives each sample's lse; the backward that takes it matches the reference",
                   "[backward]", float, double) {
  for (Variant v : {Variant::SoftmaxLogits, Variant::SparseSoftmaxLogits})
    for (const LossSpec &s : specs_of(v)) check_saved_lse<TestType>(s);
}

TEST_CASE("backward: bitwise the same for any thread count", "[backward]") {
  for (Variant v : kAllVariants)
    for (const Shape sh : {Shape{2, 70000, 1}, Shape{3000, 40, 1}}) {
      LossSpec s = make_spec(v, sh.batch, sh.classes, sh.inner);
      const LossData<float> d = make_data<float>(s);
      const std::vector<float> dloss = make_dloss<float>(s);
      std::vector<float> g1(static_cast<size_t>(s.elements())), g2(g1.size());
      xent_options o = make_options(s, d);
      o.num_threads = 1;
      REQUIRE(call_backward<float>(s, d, o, d.input.data(), dloss.data(), nullptr, g1.data()) == XENT_OK);
      o.num_threads = 2;
      REQUIRE(call_backward<float>(s, d, o, d.input.data(), dloss.data(), nullptr, g2.data()) == XENT_OK);
      INFO(s.describe("f32"));
      XT_CHECK_REPORT(compare_bitwise(g2.data(), g1.data(), g1.size()), "2 threads vs 1");
    }
}

TEST_CASE("backward: argument errors write nothing", "[backward][errors]") {
  for (Variant v : kAllVariants) {
    LossSpec s = make_spec(v, 3, 4);
    const LossData<float> d = make_data<float>(s);
    const xent_options o = make_options(s, d);
    std::vector<float> dloss(size_t(s.loss_count()), 1.0f), lse(3, 1.0f);
    INFO(variant_name(v));
    auto expect = [&](xent_status want, const char *needle, auto call) {
      Guarded<float> grad(static_cast<size_t>(s.elements()));
      const xent_status got = call(grad.data());
      CHECK(got == want);
      CHECK(std::string(xent_last_error()).find(needle) != std::string::npos);
      CHECK(grad.untouched());
    };
    expect(XENT_ERR_NULL_POINTER, "dloss is NULL",
           [&](float *g) { return call_backward<float>(s, d, o, d.input.data(), nullptr, nullptr, g); });
    expect(XENT_ERR_NULL_POINTER, "grad is NULL", [&](float *) {
      return call_backward<float>(s, d, o, d.input.data(), dloss.data(), nullptr, nullptr);
    });
    if (!ref::is_softmax_logits(v))
      expect(XENT_ERR_INVALID_ARGUMENT, "lse = ",
             [&](float *g) { return call_backward<float>(s, d, o, d.input.data(), dloss.data(), lse.data(), g); });
    // dloss or lse inside grad: refused, and grad (holding them) keeps its values.
    auto overlapping = [&](size_t at_dloss, size_t at_lse, const char *needle) {
      std::vector<float> g(size_t(s.elements()), 1.0f);
      const float *dl = at_dloss ? g.data() + at_dloss : dloss.data();
      const float *ls = at_lse ? g.data() + at_lse : nullptr;
      CHECK(call_backward<float>(s, d, o, d.input.data(), dl, ls, g.data()) == XENT_ERR_INVALID_ARGUMENT);
      CHECK(std::string(xent_last_error()).find(needle) != std::string::npos);
      CHECK(std::count(g.begin(), g.end(), 1.0f) == s.elements());
    };
    overlapping(1, 0, "input dloss");
    if (ref::is_softmax_logits(v)) overlapping(0, 2, "input lse");
    // A bad option is still reported first by its own check.
    xent_options bad = o;
    bad.reduction = static_cast<xent_reduction>(7);
    expect(XENT_ERR_INVALID_ARGUMENT, "opts->reduction",
           [&](float *g) { return call_backward<float>(s, d, bad, d.input.data(), dloss.data(), nullptr, g); });
  }
}

TEST_CASE("lse_out: only on the softmax-with-logits losses, never over an input or output", "[backward][errors]") {
  for (Variant v : kAllVariants) {
    LossSpec s = make_spec(v, 3, 4);
    LossData<float> d = make_data<float>(s);
    xent_options o = make_options(s, d);
    Guarded<float> lse(3), loss(s.loss_count());
    LossArgs<float> a;
    a.variant = v, a.input = nonnull(d.input), a.targets = nonnull(d.targets), a.labels64 = nonnull(d.labels64);
    a.batch = 3, a.classes = 4, a.opts = &o, a.loss = loss.data();
    INFO(variant_name(v));
    if (!ref::is_softmax_logits(v)) {
      o.lse_out = lse.data();
      CHECK(call_loss(a) == XENT_ERR_INVALID_ARGUMENT);
      CHECK(std::string(xent_last_error()).find("opts->lse_out") != std::string::npos);
    } else {
      o.lse_out = d.input.data() + 1;
      CHECK(call_loss(a) == XENT_ERR_INVALID_ARGUMENT);
      o.lse_out = loss.data();
      CHECK(call_loss(a) == XENT_ERR_INVALID_ARGUMENT);
      CHECK(std::string(xent_last_error()).find("opts->lse_out") != std::string::npos);
    }
    CHECK(loss.untouched());
    CHECK(lse.untouched());
  }
}

TEST_CASE("ignored samples: lse_out still holds their lse, the backward gives them 0", "[backward]") {
  LossSpec s = make_spec(Variant::SparseSoftmaxLogits, 6, 9);
  s.ignore = true;
  LossData<double> d = make_data<double>(s);
  d.labels64[1] = d.labels64[4] = s.ignore_index;
  xent_options o = make_options(s, d);
  std::vector<double> lse(6), loss(6), dloss(6, 2.0), grad(static_cast<size_t>(s.elements()));
  o.lse_out = lse.data();
  REQUIRE(xent_sparse_softmax_ce_with_logits_f64(d.input.data(), d.labels64.data(), 6, 9, &o, loss.data(), nullptr) ==
          XENT_OK);
  for (int64_t b = 0; b < 6; ++b) {
    std::vector<LD> row(d.input.begin() + b * 9, d.input.begin() + (b + 1) * 9);
    CHECK(std::fabs(double(ref::lse(row.data(), 9)) - lse[size_t(b)]) < 1e-12);
  }
  REQUIRE(xent_sparse_softmax_ce_with_logits_backward_f64(d.input.data(), d.labels64.data(), 6, 9, &o, dloss.data(),
                                                           lse.data(), grad.data()) == XENT_OK);
  for (int64_t c = 0; c < 9; ++c) {
    CHECK(grad[size_t(9 + c)] == 0.0);
    CHECK(grad[size_t(36 + c)] == 0.0);
  }
}

TEST_CASE("a caller with the first xent_options (struct_size = V1) gets the defaults of the new fields",
          "[backward][abi]") {
  // The 0.1 struct, followed by bytes that would be nonsense as the fields appended since.
  std::vector<unsigned char> raw(sizeof(xent_options), 0xff);
  xent_options v1;
  xent_options_init(&v1);
  v1.struct_size = XENT_OPTIONS_V1_SIZE;
  v1.reduction = XENT_REDUCTION_MEAN;
  std::memcpy(raw.data(), &v1, XENT_OPTIONS_V1_SIZE);
  xent_options as_read;
  std::memcpy(&as_read, raw.data(), sizeof as_read);
  REQUIRE(as_read.lse_out != nullptr);  // the bytes past V1 are garbage on purpose

  xent_options current;
  xent_options_init(&current);
  current.reduction = XENT_REDUCTION_MEAN;
  CHECK(current.focal_alpha == -1.0);
  CHECK(current.focal_gamma == 0.0);
  CHECK(current.poly_epsilon == 0.0);
  CHECK(current.lse_out == nullptr);
  for (Variant v : kAllVariants) {
    LossSpec s = make_spec(v, 5, 7);
    const LossData<float> d = make_data<float>(s);
    float old_loss = sentinel<float>(), new_loss = sentinel<float>();
    std::vector<float> old_grad(35), new_grad(35);
    LossArgs<float> a;
    a.variant = v, a.input = nonnull(d.input), a.targets = nonnull(d.targets), a.labels64 = nonnull(d.labels64);
    a.batch = 5, a.classes = 7;
    a.opts = reinterpret_cast<const xent_options *>(raw.data()), a.loss = &old_loss, a.grad = old_grad.data();
    INFO(variant_name(v) << ": " << xent_last_error());
    REQUIRE(call_loss(a) == XENT_OK);
    a.opts = &current, a.loss = &new_loss, a.grad = new_grad.data();
    REQUIRE(call_loss(a) == XENT_OK);
    CHECK(same_bits(old_loss, new_loss));
    XT_CHECK_REPORT(compare_bitwise(old_grad.data(), new_grad.data(), 35), "V1 struct vs current");
  }
}

// A saved lse gives p = exp(y - lse) only to |lse| ulps: at logits of 1e4 (f32) or 1e200
// (f64) the backward recomputes the row (the lse NULL route, bit for bit), so the gradient
// is right: [0.5, -0.5, 0, 0] for two tied top logits and the label on the second.
TEMPLATE_TEST_CASE("backward with a saved lse of huge logits recomputes the row", "[backward]", float, double) {
  using T = TestType;
  const T big = sizeof(T) == 4 ? T(1e4) : T(1e200);
  const std::vector<T> x = {big, big, T(0), -big};
  const int64_t label = 1;
  xent_options o;
  xent_options_init(&o);
  T loss = 0, lse = 0;
  o.lse_out = &lse;
  std::vector<T> fused(4), with_lse(4), without(4);
  const T dl = T(1);
  if constexpr (sizeof(T) == 4) {
    REQUIRE(xent_sparse_softmax_ce_with_logits_f32(x.data(), &label, 1, 4, &o, &loss, fused.data()) == XENT_OK);
    REQUIRE(xent_sparse_softmax_ce_with_logits_backward_f32(x.data(), &label, 1, 4, &o, &dl, &lse, with_lse.data()) == XENT_OK);
    REQUIRE(xent_sparse_softmax_ce_with_logits_backward_f32(x.data(), &label, 1, 4, &o, &dl, nullptr, without.data()) == XENT_OK);
  } else {
    REQUIRE(xent_sparse_softmax_ce_with_logits_f64(x.data(), &label, 1, 4, &o, &loss, fused.data()) == XENT_OK);
    REQUIRE(xent_sparse_softmax_ce_with_logits_backward_f64(x.data(), &label, 1, 4, &o, &dl, &lse, with_lse.data()) == XENT_OK);
    REQUIRE(xent_sparse_softmax_ce_with_logits_backward_f64(x.data(), &label, 1, 4, &o, &dl, nullptr, without.data()) == XENT_OK);
  }
  CHECK(lse >= big);  // big + log 2, rounded: far past the saved-lse limit
  for (int c = 0; c < 4; ++c) {
    CHECK(std::memcmp(&with_lse[c], &without[c], sizeof(T)) == 0);
    CHECK(std::memcmp(&with_lse[c], &fused[c], sizeof(T)) == 0);
  }
  CHECK(with_lse[0] == Approx(0.5));
  CHECK(with_lse[1] == Approx(-0.5));
  CHECK(with_lse[2] == T(0));
  CHECK(with_lse[3] == T(0));
}
