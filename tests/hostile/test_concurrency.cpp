// Concurrency: 8 std::threads make mixed calls (every family, different options, OpenMP inside
// some, one thread changing the library's default thread count meanwhile), some failing on
// purpose with different errors. Every result must equal, bit for bit, the one the same call
// gave on one thread, and xent_last_error() must be each thread's own: in lock-step rounds all
// threads fail at once with a message unique to the thread, then each reads its own back.
#include <catch2/catch.hpp>

#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "xent/xent.h"

namespace {

constexpr int kThreads = 8, kRounds = 40, kJobsPerRound = 3;

struct Result {
  xent_status status;
  std::string message;               // xent_last_error() right after a failed call
  std::vector<unsigned char> bytes;  // every output of a successful call
};

template <class T> void append(Result &r, const std::vector<T> &v) {
  const auto *p = reinterpret_cast<const unsigned char *>(v.data());
  r.bytes.insert(r.bytes.end(), p, p + v.size() * sizeof(T));
}

Result finish(xent_status st) { return Result{st, st == XENT_OK ? "" : xent_last_error(), {}}; }

template <class T> std::vector<T> values(size_t n, double lo, double hi, unsigned seed) {
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = T(lo + (hi - lo) * (0.5 + 0.5 * std::sin(double(i) * 1.37 + seed)));
  return v;
}

// Rows of C positive values summing to 1.
template <class T> std::vector<T> distributions(size_t rows, size_t C, unsigned seed) {
  std::vector<T> v = values<T>(rows * C, 0.05, 1, seed);
  for (size_t r = 0; r < rows; ++r) {
    double s = 0;
    for (size_t c = 0; c < C; ++c) s += double(v[r * C + c]);
    for (size_t c = 0; c < C; ++c) v[r * C + c] = T(double(v[r * C + c]) / s);
  }
  return v;
}

template <class L> std::vector<L> labels(size_t n, int64_t C) {
  std::vector<L> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = L(int64_t(i * 7) % C);
  return v;
}

xent_options options(xent_reduction r, int threads) {
  xent_options o;
  xent_options_init(&o);
  o.reduction = r;
  o.num_threads = threads;
  return o;
}

// Inputs shared (read only) by every thread.
struct Data {
  // 256 x 200 = 51200 elements: above the library's OpenMP threshold.
  std::vector<float> x32 = values<float>(51200, -6, 6, 1), t32 = values<float>(51200, 0, 1, 2),
                     p32 = distributions<float>(300, 120, 3), cw32 = values<float>(200, 0.5, 2, 4),
                     sw32 = values<float>(300, 0, 2, 5);
  std::vector<double> x64 = values<double>(9600, -20, 20, 6), t64 = distributions<double>(64 * 3, 50, 7),
                      p64 = distributions<double>(64, 150, 8), wide64 = values<double>(64 * 700, -50, 50, 9);
  std::vector<int64_t> l64 = labels<int64_t>(256, 200);
  std::vector<int32_t> l32 = labels<int32_t>(64, 150);
};

std::vector<std::function<Result()>> jobs(const Data &d) {
  std::vector<std::function<Result()>> j;
  j.push_back([&d] {  // sparse softmax f32, SUM, smoothing, 2 OpenMP threads
    xent_options o = options(XENT_REDUCTION_SUM, 2);
    o.label_smoothing = 0.1;
    std::vector<float> loss(1), grad(d.x32.size());
    Result r = finish(xent_sparse_softmax_ce_with_logits_f32(d.x32.data(), d.l64.data(), 256, 200, &o, loss.data(), grad.data()));
    return append(r, loss), append(r, grad), r;
  });
  j.push_back([&d] {  // dense softmax f64, (64, 50, 3), MEAN, z-loss and soft-capping
    xent_options o = options(XENT_REDUCTION_MEAN, 0);
    o.inner = 3, o.z_loss = 1e-3, o.logit_softcap = 30;
    std::vector<double> t(d.x64.size()), loss(1), grad(d.x64.size());
    for (size_t b = 0; b < 64; ++b)  // t64 is (64*3, 50): move the class axis to the middle
      for (size_t c = 0; c < 50; ++c)
        for (size_t k = 0; k < 3; ++k) t[(b * 50 + c) * 3 + k] = d.t64[(b * 3 + k) * 50 + c];
    Result r = finish(xent_softmax_ce_with_logits_f64(d.x64.data(), t.data(), 64, 50, &o, loss.data(), grad.data()));
    return append(r, loss), append(r, grad), r;
  });
  j.push_back([&d] {  // sigmoid f32, NONE, class and positive weights, default threads
    xent_options o = options(XENT_REDUCTION_NONE, 0);
    o.class_weights = d.cw32.data(), o.pos_weight = d.cw32.data();
    std::vector<float> loss(d.x32.size()), grad(d.x32.size());
    Result r = finish(xent_sigmoid_ce_with_logits_f32(d.x32.data(), d.t32.data(), 256, 200, &o, loss.data(), grad.data()));
    return append(r, loss), append(r, grad), r;
  });
  j.push_back([&d] {  // categorical f32, SUM, sample weights, 4 threads
    xent_options o = options(XENT_REDUCTION_SUM, 4);
    o.sample_weights = d.sw32.data();
    std::vector<float> loss(1), grad(d.p32.size());
    Result r = finish(xent_categorical_ce_f32(d.p32.data(), d.p32.data(), 300, 120, &o, loss.data(), grad.data()));
    return append(r, loss), append(r, grad), r;
  });
  j.push_back([&d] {  // sparse categorical f64 / int32, MEAN, ignore_index
    xent_options o = options(XENT_REDUCTION_MEAN, 1);
    o.ignore_index = 3;
    std::vector<double> loss(1), grad(d.p64.size());
    Result r = finish(xent_sparse_categorical_ce_f64_i32(d.p64.data(), d.l32.data(), 64, 150, &o, loss.data(), grad.data()));
    return append(r, loss), append(r, grad), r;
  });
  j.push_back([&d] {  // binary f64, NONE, epsilon
    xent_options o = options(XENT_REDUCTION_NONE, 0);
    o.epsilon = 1e-3;
    std::vector<double> loss(d.p64.size()), grad(d.p64.size());
    Result r = finish(xent_binary_ce_f64(d.p64.data(), d.p64.data(), 64, 150, &o, loss.data(), grad.data()));
    return append(r, loss), append(r, grad), r;
  });
  j.push_back([&d] {  // logsumexp f32 and exp f32 over 51200 values
    std::vector<float> lse(512), y(d.x32.size());
    Result r = finish(xent_logsumexp_f32(d.x32.data(), 512, 100, lse.data()));
    if (r.status == XENT_OK) r = finish(xent_exp_f32(d.x32.data(), y.data(), int64_t(y.size())));
    return append(r, lse), append(r, y), r;
  });
  j.push_back([&d] {  // softmax f64 in place, then lse_partial + lse_merge
    std::vector<double> y = d.wide64, mx(64), sm(64), lse(64);
    Result r = finish(xent_softmax_f64(y.data(), 64, 700, y.data()));
    if (r.status == XENT_OK) r = finish(xent_lse_partial_f64(d.wide64.data(), 64, 700, mx.data(), sm.data()));
    if (r.status == XENT_OK) r = finish(xent_lse_merge_f64(mx.data(), sm.data(), 1, 64, lse.data()));
    return append(r, y), append(r, mx), append(r, sm), append(r, lse), r;
  });
  // Deliberate failures, each with its own status and message.
  j.push_back([&d] {
    std::vector<int64_t> l(d.l64.begin(), d.l64.begin() + 20);
    l[17] = 12;
    float loss[20];
    return finish(xent_sparse_softmax_ce_with_logits_f32(d.x32.data(), l.data(), 20, 10, nullptr, loss, nullptr));
  });
  j.push_back([&d] {
    float loss[1];
    return finish(xent_softmax_ce_with_logits_f32(d.x32.data(), d.t32.data(), -1, 10, nullptr, loss, nullptr));
  });
  j.push_back([&d] {
    xent_options o = options(XENT_REDUCTION_SUM, 0);
    o.label_smoothing = 2;
    double loss[1];
    return finish(xent_categorical_ce_f64(d.p64.data(), d.p64.data(), 64, 150, &o, loss, nullptr));
  });
  j.push_back([] {
    double loss[4];
    return finish(xent_sigmoid_ce_with_logits_f64(nullptr, nullptr, 4, 4, nullptr, loss, nullptr));
  });
  j.push_back([&d] {
    xent_options o = options(XENT_REDUCTION_NONE, 0);
    o.epsilon = 0.7;
    std::vector<double> loss(d.p64.size());
    return finish(xent_binary_ce_f64(d.p64.data(), d.p64.data(), 64, 150, &o, loss.data(), nullptr));
  });
  j.push_back([&d] {
    xent_options o = options(XENT_REDUCTION_NONE, 0);
    o.pos_weight = d.cw32.data();
    std::vector<float> loss(256);
    return finish(xent_sparse_softmax_ce_with_logits_f32(d.x32.data(), d.l64.data(), 256, 200, &o, loss.data(), nullptr));
  });
  j.push_back([&d] {
    double lse[4];
    return finish(xent_lse_merge_f64(d.x64.data(), d.x64.data(), 0, 4, lse));
  });
  return j;
}

// Fails with a message unique to `tid`: "labels[tid] = 100 + tid is outside [0, 10)".
Result unique_failure(const Data &d, int tid) {
  std::vector<int32_t> l(16, 1);
  l[size_t(tid)] = 100 + tid;
  double loss[16];
  return finish(xent_sparse_softmax_ce_with_logits_f64_i32(d.x64.data(), l.data(), 16, 10, nullptr, loss, nullptr));
}

class Barrier {
 public:
  explicit Barrier(int n) : n_(n) {}
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    const long gen = gen_;
    if (++waiting_ == n_) {
      waiting_ = 0, ++gen_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return gen_ != gen; });
    }
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_, waiting_ = 0;
  long gen_ = 0;
};

bool same(const Result &a, const Result &b) {
  return a.status == b.status && a.message == b.message && a.bytes == b.bytes;
}

}  // namespace

TEST_CASE("8 threads: results bitwise as on one thread, xent_last_error() per thread", "[hostile][threads]") {
  const Data d;
  const auto all = jobs(d);
  std::vector<Result> expected;
  for (const auto &job : all) expected.push_back(job());
  int failing = 0;
  for (const Result &r : expected) failing += r.status != XENT_OK;
  REQUIRE(failing == 7);
  std::vector<Result> unique;
  for (int t = 0; t < kThreads; ++t) unique.push_back(unique_failure(d, t));
  for (int t = 0; t < kThreads; ++t)
    REQUIRE(unique[size_t(t)].message.find("labels[" + std::to_string(t) + "] = " + std::to_string(100 + t)) !=
            std::string::npos);

  Barrier barrier(kThreads);
  std::vector<std::vector<std::string>> problems(kThreads);  // Catch2 asserts on this thread only
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        barrier.wait();
        const Result mine = unique_failure(d, t);  // all threads fail at once...
        barrier.wait();
        const std::string now = xent_last_error();  // ...and each must still see its own message
        if (!same(mine, unique[size_t(t)]) || now != unique[size_t(t)].message)
          problems[size_t(t)].push_back("round " + std::to_string(round) + ": own message \"" + now + "\"");
        if (t == kThreads - 1) xent_set_num_threads(round % 3);  // 0 (default), 1, 2: same bits
        for (int k = 0; k < kJobsPerRound; ++k) {
          const size_t j = size_t(t * 5 + round * 3 + k) % all.size();
          if (!same(all[j](), expected[j]))
            problems[size_t(t)].push_back("round " + std::to_string(round) + ": job " + std::to_string(j) +
                                          " differs from the single-threaded call");
        }
      }
    });
  for (std::thread &th : threads) th.join();
  xent_set_num_threads(0);
  for (int t = 0; t < kThreads; ++t) {
    std::string first;
    for (size_t i = 0; i < problems[size_t(t)].size() && i < 5; ++i) first += "\n  " + problems[size_t(t)][i];
    INFO("thread " << t << ": " << problems[size_t(t)].size() << " problems" << first);
    CHECK(problems[size_t(t)].empty());
  }
}
