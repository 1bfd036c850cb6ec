// Calls from inside the caller's own OpenMP parallel region: each runs on its calling
// thread (no nested team, no oversubscription) and gives the same bits as a call made
// outside any region.
#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

#include <omp.h>

#include "support/random.hpp"
#include "xent/xent.h"

TEST_CASE("calls inside a user's OpenMP parallel region give the sequential bits", "[threads]") {
  const int64_t B = 256, C = 1000;  // large enough that a top-level call would fork
  std::vector<float> x(static_cast<size_t>(B * C));
  std::vector<int64_t> labels(static_cast<size_t>(B));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 2654435761u) % 2000) / 125.0f - 8.0f;
  for (int64_t b = 0; b < B; ++b) labels[static_cast<size_t>(b)] = (b * 37) % C;

  std::vector<float> want_loss(static_cast<size_t>(B)), want_grad(x.size());
  REQUIRE(xent_sparse_softmax_ce_with_logits_f32(x.data(), labels.data(), B, C, nullptr, want_loss.data(),
                                                 want_grad.data()) == XENT_OK);

  const int team = 4;
  std::vector<std::vector<float>> loss(team, std::vector<float>(static_cast<size_t>(B)));
  std::vector<std::vector<float>> grad(team, std::vector<float>(x.size()));
  std::vector<int> status(team, -1), nested_levels(team, -1);
#pragma omp parallel num_threads(team)
  {
    const int t = omp_get_thread_num();
    status[static_cast<size_t>(t)] = xent_sparse_softmax_ce_with_logits_f32(
        x.data(), labels.data(), B, C, nullptr, loss[static_cast<size_t>(t)].data(), grad[static_cast<size_t>(t)].data());
    nested_levels[static_cast<size_t>(t)] = omp_get_active_level();
  }
  for (int t = 0; t < team; ++t) {
    INFO("thread " << t);
    CHECK(status[static_cast<size_t>(t)] == XENT_OK);
    CHECK(nested_levels[static_cast<size_t>(t)] <= 1);  // the call left no nested team active
    CHECK(std::memcmp(loss[static_cast<size_t>(t)].data(), want_loss.data(), want_loss.size() * sizeof(float)) == 0);
    CHECK(std::memcmp(grad[static_cast<size_t>(t)].data(), want_grad.data(), want_grad.size() * sizeof(float)) == 0);
  }
}
