// The vocabulary-parallel fused linear loss (xent_linear.h): P = 1, 2, 3 threads stand in
// for processes (support/thread_group.hpp), each holding the even shard of weight and
// bias; loss, d_hidden and each shard's d_weight / d_bias against the long-double
// reference of the unfused computation on the whole weight, for every option the
// vocabulary-parallel functions take; the backward form against the single-process
// backward; the messages (O(n) values plus d_hidden); 1 vs 2 threads bitwise; int32
// labels; n = 0; and errors on one process failing every process with nothing written.
#include <catch2/catch.hpp>

#include <string>

#include "support/errors.hpp"
#include "support/linear_case.hpp"
#include "support/linear_checks.hpp"
#include "support/thread_group.hpp"

using namespace xt;

namespace {

// One process's shard of a case and its outputs.
template <class T> struct Shard {
  int64_t offset = 0, classes = 0;
  std::vector<T> weight, bias;
  Guarded<T> loss, d_hidden, d_weight, d_bias;
  xent_status status = XENT_OK;
  std::string error;
};

template <class T> std::vector<Shard<T>> make_shards(const LinearCase<T> &c, int procs, int reduction) {
  std::vector<Shard<T>> s{size_t(procs)};
  for (int p = 0; p < procs; ++p) {
    Shard<T> &d = s[size_t(p)];
    REQUIRE(xent_vocab_parallel_shard(c.v, procs, p, &d.offset, &d.classes) == XENT_OK);
    d.weight.assign(c.weight.begin() + d.offset * c.h, c.weight.begin() + (d.offset + d.classes) * c.h);
    if (!c.bias.empty()) d.bias.assign(c.bias.begin() + d.offset, c.bias.begin() + d.offset + d.classes);
    d.loss = Guarded<T>(reduction == XENT_REDUCTION_NONE ? size_t(c.n) : 1);
    d.d_hidden = Guarded<T>(size_t(c.n * c.h));
    d.d_weight = Guarded<T>(size_t(d.classes * c.h));
    d.d_bias = Guarded<T>(size_t(d.classes));
  }
  return s;
}

xent_status vp_call(const float *hd, const float *w, const float *b, const int64_t *l, int64_t n, int64_t h,
                    int64_t vs, int64_t off, int64_t v, const xent_options *o, const xent_collective *comm,
                    float *loss, float *dh, float *dw, float *db) {
  return xent_linear_vocab_parallel_sparse_softmax_ce_f32(hd, w, b, l, n, h, vs, off, v, o, comm, loss, dh, dw, db);
}
xent_status vp_call(const double *hd, const double *w, const double *b, const int64_t *l, int64_t n, int64_t h,
                    int64_t vs, int64_t off, int64_t v, const xent_options *o, const xent_collective *comm,
                    double *loss, double *dh, double *dw, double *db) {
  return xent_linear_vocab_parallel_sparse_softmax_ce_f64(hd, w, b, l, n, h, vs, off, v, o, comm, loss, dh, dw, db);
}
xent_status vp_call(const float *hd, const float *w, const float *b, const int32_t *l, int64_t n, int64_t h,
                    int64_t vs, int64_t off, int64_t v, const xent_options *o, const xent_collective *comm,
                    float *loss, float *dh, float *dw, float *db) {
  return xent_linear_vocab_parallel_sparse_softmax_ce_f32_i32(hd, w, b, l, n, h, vs, off, v, o, comm, loss, dh, dw,
                                                              db);
}
xent_status vp_backward(const float *hd, const float *w, const float *b, const int64_t *l, int64_t n, int64_t h,
                        int64_t vs, int64_t off, int64_t v, const xent_options *o, const xent_collective *comm,
                        const float *dloss, float *dh, float *dw, float *db) {
  return xent_linear_vocab_parallel_sparse_softmax_ce_backward_f32(hd, w, b, l, n, h, vs, off, v, o, comm, dloss, dh,
                                                                   dw, db);
}
xent_status vp_backward(const double *hd, const double *w, const double *b, const int64_t *l, int64_t n, int64_t h,
                        int64_t vs, int64_t off, int64_t v, const xent_options *o, const xent_collective *comm,
                        const double *dloss, double *dh, double *dw, double *db) {
  return xent_linear_vocab_parallel_sparse_softmax_ce_backward_f64(hd, w, b, l, n, h, vs, off, v, o, comm, dloss, dh,
                                                                   dw, db);
}

// Every process's forward with all gradients, through a group of procs threads.
// opts_of(p) gives process p's options (the same on all, but for the error tests).
template <class T, class L = int64_t>
void run_forward(ThreadGroup &g, const LinearCase<T> &c, std::vector<Shard<T>> &s,
                 const std::function<const xent_options *(int)> &opts_of, const std::vector<L> *labels = nullptr) {
  g.run([&](int p) {
    Shard<T> &d = s[size_t(p)];
    const xent_collective comm = g.collective(p);
    const L *l = labels ? nonnull(*labels) : reinterpret_cast<const L *>(nonnull(c.labels));
    d.status = vp_call(nonnull(c.hidden), d.weight.data(), d.bias.empty() ? nullptr : d.bias.data(), l, c.n, c.h,
                       d.classes, d.offset, c.v, opts_of(p), &comm, d.loss.data(), d.d_hidden.data(),
                       d.d_weight.data(), d.bias.empty() ? nullptr : d.d_bias.data());
    if (d.status) d.error = xent_last_error();
  });
}

// The reference's rows [offset, offset + classes) of a (v, h) or (v) gradient.
std::vector<LD> rows_of(const std::vector<LD> &g, int64_t offset, int64_t classes, int64_t width) {
  return std::vector<LD>(g.begin() + offset * width, g.begin() + (offset + classes) * width);
}

template <class T> void check_sharded(const LinearCase<T> &c, const ref::Options &ro, int procs) {
  INFO("processes " << procs);
  OptionsFor<T> of(ro);
  ThreadGroup g(procs);
  auto s = make_shards(c, procs, ro.reduction);
  run_forward(g, c, s, [&](int) { return &of.o; });
  const LinearRef r = linear_reference(c, ro);
  const double tol = linear_tol<T>();
  for (int p = 0; p < procs; ++p) {
    const Shard<T> &d = s[size_t(p)];
    INFO("process " << p << ": " << d.error);
    REQUIRE(d.status == XENT_OK);
    check_scaled("loss", d.loss.data(), r.loss.loss, r.loss.scale, tol);
    check_largest("d_hidden", d.d_hidden.data(), r.d_hidden, tol);
    check_largest("d_weight", d.d_weight.data(), rows_of(r.d_weight, d.offset, d.classes, c.h), tol);
    if (!c.bias.empty()) check_largest("d_bias", d.d_bias.data(), rows_of(r.d_bias, d.offset, d.classes, 1), tol);
    else CHECK(d.d_bias.untouched());
    CHECK(d.loss.guards_intact());
    CHECK(d.d_hidden.guards_intact());
    CHECK(d.d_weight.guards_intact());
    // Every process holds the same loss and d_hidden, bit for bit.
    CHECK(std::memcmp(d.loss.data(), s[0].loss.data(), sizeof(T) * d.loss.size()) == 0);
    CHECK(std::memcmp(d.d_hidden.data(), s[0].d_hidden.data(), sizeof(T) * d.d_hidden.size()) == 0);
  }
}

template <class T> void every_option(int procs) {
  Rng rng(17);
  // 300 tokens: two chunks of the fused loop.
  for (int red : {ref::NONE, ref::SUM, ref::MEAN}) {
    INFO("reduction " << red);
    for (bool bias : {true, false}) {
      INFO("bias " << bias);
      ref::Options o;
      o.reduction = red;
      check_sharded(make_linear_case<T>(21, 300, 12, 41, bias), o, procs);
    }
    const auto c = make_linear_case<T>(22, 37, 16, 29);
    {
      INFO("everything the vocabulary-parallel functions take");
      auto ci = c;
      for (size_t i = 0; i < ci.labels.size(); i += 4) ci.labels[i] = -100;
      ref::Options o;
      o.reduction = red;
      o.smoothing = LD(T(0.1));
      o.class_weights = rounded_weights<T>(rng, size_t(c.v));
      o.sample_weights = rounded_weights<T>(rng, size_t(c.n));
      o.has_ignore = true;
      o.ignore_index = -100;
      o.z_loss = LD(T(0.01));
      check_sharded(ci, o, procs);
    }
  }
}

bool available() {
  if (xent_linear_available()) return true;
  WARN("this build has no BLAS: the fused linear loss returns XENT_ERR_UNSUPPORTED");
  return false;
}

}  // namespace

TEMPLATE_TEST_CASE("linear vocab-parallel: loss and gradients match the long-double reference on 1, 2, 3 shards",
                   "[linear][vocab]", float, double) {
  if (!available()) return;
  for (int procs : {1, 2, 3}) every_option<TestType>(procs);
}

TEST_CASE("linear vocab-parallel: O(n) messages, then d_hidden; the same bits for 1 and 2 threads", "[linear][vocab]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(31, 300, 20, 57);
  std::vector<std::vector<float>> first;
  for (int threads : {1, 2}) {
    INFO("threads " << threads);
    xent_options o;
    xent_options_init(&o);
    o.reduction = XENT_REDUCTION_MEAN;
    o.label_smoothing = 0.1;
    o.num_threads = threads;
    ThreadGroup g(2);
    auto s = make_shards(c, 2, o.reduction);
    run_forward(g, c, s, [&](int) { return &o; });
    REQUIRE(s[0].status == XENT_OK);
    REQUIRE(s[1].status == XENT_OK);
    // The agreement (8 values), per chunk the maxima and three sums (smoothing) of its
    // rows, then d_hidden.
    CHECK(g.messages() == 1 + 2 * 2 + 1);
    CHECK(g.values() == 8 + 4 * c.n + c.n * c.h);
    std::vector<std::vector<float>> got;
    for (auto &d : s)
      for (const Guarded<float> *b : {&d.loss, &d.d_hidden, &d.d_weight, &d.d_bias}) got.push_back(b->values());
    if (first.empty()) first = got;
    else CHECK(got == first);
  }
}

TEST_CASE("linear vocab-parallel: int32 labels give the bits of int64 labels", "[linear][vocab]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(41, 70, 8, 23);
  const std::vector<int32_t> l32(c.labels.begin(), c.labels.end());
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_SUM;
  ThreadGroup g64(2), g32(2);
  auto s64 = make_shards(c, 2, o.reduction), s32 = make_shards(c, 2, o.reduction);
  run_forward(g64, c, s64, [&](int) { return &o; });
  run_forward<float, int32_t>(g32, c, s32, [&](int) { return &o; }, &l32);
  for (int p = 0; p < 2; ++p) {
    REQUIRE(s32[size_t(p)].status == XENT_OK);
    CHECK(s32[size_t(p)].loss.values() == s64[size_t(p)].loss.values());
    CHECK(s32[size_t(p)].d_weight.values() == s64[size_t(p)].d_weight.values());
    CHECK(s32[size_t(p)].d_hidden.values() == s64[size_t(p)].d_hidden.values());
  }
}

TEMPLATE_TEST_CASE("linear vocab-parallel: the backward form gives the single-process backward's gradients",
                   "[linear][vocab]", float, double) {
  if (!available()) return;
  using T = TestType;
  const auto c = make_linear_case<T>(51, 290, 10, 31);
  Rng rng(52);
  for (xent_reduction red : {XENT_REDUCTION_NONE, XENT_REDUCTION_SUM, XENT_REDUCTION_MEAN}) {
    INFO("reduction " << int(red));
    xent_options o;
    xent_options_init(&o);
    o.reduction = red;
    const std::vector<T> dloss = uniform_vector<T>(rng, red == XENT_REDUCTION_NONE ? size_t(c.n) : 1, -2, 2);
    LinearOut<T> want(c, red);
    REQUIRE(linear_backward(c.hidden.data(), c.weight.data(), c.bias_ptr(), c.labels.data(), c.n, c.h, c.v, &o,
                            dloss.data(), nullptr, want.d_hidden.data(), want.d_weight.data(),
                            want.d_bias.data()) == XENT_OK);
    auto as_ld = [](const T *p, size_t n) { return std::vector<LD>(p, p + n); };
    ThreadGroup g(3);
    auto s = make_shards(c, 3, red);
    g.run([&](int p) {
      Shard<T> &d = s[size_t(p)];
      const xent_collective comm = g.collective(p);
      d.status = vp_backward(c.hidden.data(), d.weight.data(), d.bias.data(), c.labels.data(), c.n, c.h, d.classes,
                             d.offset, c.v, &o, &comm, dloss.data(), d.d_hidden.data(), d.d_weight.data(),
                             d.d_bias.data());
    });
    const double tol = linear_tol<T>();
    for (const Shard<T> &d : s) {
      REQUIRE(d.status == XENT_OK);
      CHECK(d.loss.untouched());
      check_largest("d_hidden", d.d_hidden.data(), as_ld(want.d_hidden.data(), size_t(c.n * c.h)), tol);
      check_largest("d_weight", d.d_weight.data(),
                    as_ld(want.d_weight.data() + d.offset * c.h, size_t(d.classes * c.h)), tol);
      check_largest("d_bias", d.d_bias.data(), as_ld(want.d_bias.data() + d.offset, size_t(d.classes)), tol);
    }
  }
}

TEST_CASE("linear vocab-parallel: n = 0 gives the empty sums and zero shard gradients", "[linear][vocab]") {
  if (!available()) return;
  auto c = make_linear_case<float>(61, 0, 4, 9);
  xent_options o;
  xent_options_init(&o);
  o.reduction = XENT_REDUCTION_SUM;
  ThreadGroup g(2);
  auto s = make_shards(c, 2, o.reduction);
  run_forward(g, c, s, [&](int) { return &o; });
  for (const Shard<float> &d : s) {
    REQUIRE(d.status == XENT_OK);
    CHECK(d.loss[0] == 0.0f);
    for (float w : d.d_weight.values()) CHECK(w == 0.0f);
    for (float b : d.d_bias.values()) CHECK(b == 0.0f);
  }
}

TEST_CASE("linear vocab-parallel: an error on one process fails every process and writes nothing",
          "[linear][vocab]") {
  if (!available()) return;
  const auto c = make_linear_case<float>(71, 20, 6, 17);
  const std::string fn = "xent_linear_vocab_parallel_sparse_softmax_ce_f32";
  xent_options good, bad;
  xent_options_init(&good);
  xent_options_init(&bad);
  auto expect_all_fail = [&](std::vector<Shard<float>> &s, int bad_rank, xent_status status, const char *needle) {
    for (int p = 0; p < int(s.size()); ++p) {
      const Shard<float> &d = s[size_t(p)];
      INFO("process " << p << ": " << d.error);
      CHECK(d.status == (p == bad_rank || bad_rank < 0 ? status : XENT_ERR_INVALID_ARGUMENT));
      if (p == bad_rank) CHECK(d.error.find(needle) != std::string::npos);
      if (p != bad_rank && bad_rank >= 0) CHECK(d.error.find("failed on 1 of 2 processes") != std::string::npos);
      CHECK(d.error.rfind(fn, 0) == 0);
      CHECK(d.loss.untouched());
      CHECK(d.d_hidden.untouched());
      CHECK(d.d_weight.untouched());
      CHECK(d.d_bias.untouched());
    }
  };
  SECTION("an option the vocabulary-parallel functions do not take, on one process") {
    bad.logit_softcap = 2;
    ThreadGroup g(2);
    auto s = make_shards(c, 2, good.reduction);
    run_forward(g, c, s, [&](int p) { return p == 1 ? &bad : &good; });
    expect_all_fail(s, 1, XENT_ERR_INVALID_ARGUMENT, "logit_softcap");
  }
  SECTION("opts->lse_out") {
    float lse[20];
    bad.lse_out = lse;
    ThreadGroup g(2);
    auto s = make_shards(c, 2, good.reduction);
    run_forward(g, c, s, [&](int p) { return p == 0 ? &bad : &good; });
    expect_all_fail(s, 0, XENT_ERR_INVALID_ARGUMENT, "opts->lse_out");
  }
  SECTION("a label out of range on one process") {
    auto cl = c;
    ThreadGroup g(2);
    auto s = make_shards(cl, 2, good.reduction);
    std::vector<int64_t> wrong = cl.labels;
    wrong[3] = 17;
    g.run([&](int p) {
      Shard<float> &d = s[size_t(p)];
      const xent_collective comm = g.collective(p);
      d.status = vp_call(cl.hidden.data(), d.weight.data(), d.bias.data(), p == 1 ? wrong.data() : cl.labels.data(),
                         cl.n, cl.h, d.classes, d.offset, cl.v, &good, &comm, d.loss.data(), d.d_hidden.data(),
                         d.d_weight.data(), d.d_bias.data());
      if (d.status) d.error = xent_last_error();
    });
    expect_all_fail(s, 1, XENT_ERR_LABEL_OUT_OF_RANGE, "labels[3] = 17");
  }
  SECTION("shards that do not tile the classes") {
    ThreadGroup g(2);
    auto s = make_shards(c, 2, good.reduction);
    s[1].classes -= 1;  // one class owned by nobody
    s[1].weight.resize(size_t(s[1].classes * c.h));
    s[1].bias.resize(size_t(s[1].classes));
    run_forward(g, c, s, [&](int) { return &good; });
    expect_all_fail(s, -1, XENT_ERR_INVALID_SHAPE, "");
    CHECK(s[0].error.find("the shards hold 16 classes in all, not classes = 17") != std::string::npos);
  }
  SECTION("a collective that fails") {
    xent_collective broken{[](void *, void *, int64_t, xent_collective_type, xent_collective_op) { return 5; },
                           nullptr};
    auto s = make_shards(c, 1, good.reduction);
    Shard<float> &d = s[0];
    d.status = vp_call(c.hidden.data(), d.weight.data(), d.bias.data(), c.labels.data(), c.n, c.h, d.classes,
                       d.offset, c.v, &good, &broken, d.loss.data(), d.d_hidden.data(), d.d_weight.data(),
                       d.d_bias.data());
    check_failure(d.status, XENT_ERR_INTERNAL, fn, "comm->allreduce (the agreement, 8 values) returned 5");
    CHECK(d.loss.untouched());
  }
  SECTION("NULL comm and NULL comm->allreduce, without any message") {
    auto s = make_shards(c, 1, good.reduction);
    Shard<float> &d = s[0];
    const xent_collective empty{nullptr, nullptr};
    for (const xent_collective *comm : {static_cast<const xent_collective *>(nullptr), &empty}) {
      d.status = vp_call(c.hidden.data(), d.weight.data(), d.bias.data(), c.labels.data(), c.n, c.h, d.classes,
                         d.offset, c.v, &good, comm, d.loss.data(), d.d_hidden.data(), d.d_weight.data(),
                         d.d_bias.data());
      check_failure(d.status, XENT_ERR_NULL_POINTER, fn, comm ? "comm->allreduce is NULL" : "comm is NULL");
    }
    CHECK(d.loss.untouched());
    CHECK(d.d_weight.untouched());
  }
}
