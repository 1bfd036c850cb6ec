// P threads standing in for P processes: an xent_collective whose all-reduce is a barrier
// over the threads, combining their buffers in rank order (so a result does not depend on
// which thread arrives last). A call whose count, type or op differs from the others' is a
// protocol error: every participant's allreduce returns 1.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "xent/xent_vocab_parallel.h"

namespace xt {

class ThreadGroup {
 public:
  explicit ThreadGroup(int procs) : procs_(procs), calls_(size_t(procs)), ranks_(size_t(procs)) {
    for (int r = 0; r < procs; ++r) ranks_[size_t(r)] = {this, r};
  }
  int procs() const { return procs_; }
  // The collective of rank r.
  xent_collective collective(int r) { return {&ThreadGroup::allreduce_of, &ranks_[size_t(r)]}; }
  // Runs body(rank) on procs threads and waits for them.
  void run(const std::function<void(int)> &body) {
    std::vector<std::thread> threads;
    for (int r = 0; r < procs_; ++r) threads.emplace_back(body, r);
    for (auto &t : threads) t.join();
  }
  int64_t messages() const { return messages_; }  // completed all-reduces
  int64_t values() const { return values_; }      // values in them, per process

 private:
  struct Call {
    void *buffer;
    int64_t count;
    xent_collective_type type;
    xent_collective_op op;
  };
  struct Rank {
    ThreadGroup *group;
    int rank;
  };

  static int allreduce_of(void *context, void *buffer, int64_t count, xent_collective_type type,
                          xent_collective_op op) {
    const Rank *r = static_cast<const Rank *>(context);
    return r->group->allreduce(r->rank, {buffer, count, type, op});
  }

  template <class T> void combine() {
    const Call &c0 = calls_[0];
    std::vector<T> acc(static_cast<const T *>(c0.buffer), static_cast<const T *>(c0.buffer) + c0.count);
    for (int r = 1; r < procs_; ++r) {
      const T *b = static_cast<const T *>(calls_[size_t(r)].buffer);
      for (int64_t i = 0; i < c0.count; ++i)
        acc[size_t(i)] = c0.op == XENT_COLLECTIVE_SUM ? acc[size_t(i)] + b[i] : (b[i] > acc[size_t(i)] ? b[i] : acc[size_t(i)]);
    }
    for (const Call &c : calls_) std::memcpy(c.buffer, acc.data(), sizeof(T) * size_t(c0.count));
  }

  int allreduce(int rank, const Call &call) {
    std::unique_lock<std::mutex> lock(mutex_);
    calls_[size_t(rank)] = call;
    const uint64_t generation = generation_;
    if (++arrived_ == procs_) {
      ok_ = true;
      for (const Call &c : calls_)
        ok_ = ok_ && c.count == call.count && c.type == call.type && c.op == call.op;
      if (ok_) {
        if (call.type == XENT_COLLECTIVE_F32) combine<float>();
        else combine<double>();
        ++messages_;
        values_ += call.count;
      }
      arrived_ = 0;
      ++generation_;
      done_.notify_all();
    } else {
      done_.wait(lock, [&] { return generation_ != generation; });
    }
    return ok_ ? 0 : 1;
  }

  int procs_;
  std::vector<Call> calls_;
  std::vector<Rank> ranks_;
  std::mutex mutex_;
  std::condition_variable done_;
  int arrived_ = 0;
  uint64_t generation_ = 0;
  bool ok_ = true;
  int64_t messages_ = 0, values_ = 0;
};

}  // namespace xt
