// Huge shapes: a (2, 2^30 + 17) f32 sparse softmax CE, 8 GiB of logits and more than 2^31
// elements, so that any 32-bit index or byte-offset arithmetic breaks in row 1. The loss and
// the in-place gradient are checked against a double reference computed row by row, with no
// second 8 GiB buffer: the reference lse comes from a pass over the buffer before the call,
// and each gradient entry is compared with exp(x - lse) - onehot, x regenerated from a hash
// of its index (on a 2^16-point grid, so that the reference exp is a table lookup: two libm
// exp per element would take minutes). Skipped ("hostile-skip:") when MemAvailable is under 16 GiB.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "xent/xent.h"

namespace {

constexpr int64_t kRows = 2, kCols = (int64_t(1) << 30) + 17, kCanaries = 16;
constexpr int64_t kLabels[kRows] = {kCols - 1, (int64_t(1) << 30) - 5};  // row 1's: past 2^31 overall
constexpr double kMaxLogit = 8, kStep = 1.0 / 4096;
constexpr int kGrid = 1 << 16;

// Grid point of element i (splitmix64, 16 bits); its logit k / 4096 - 8 in [-8, 8), exact in float.
uint32_t grid(uint64_t i) {
  uint64_t z = i + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return uint32_t((z ^ (z >> 31)) >> 48);
}
float logit_at(uint32_t k) { return float(k * kStep - kMaxLogit); }
float logit(uint64_t i) { return logit_at(grid(i)); }

int64_t mem_available_gib() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  int64_t kib = 0;
  while (in >> key >> kib >> unit)  // "MemAvailable:   23250304 kB"
    if (key == "MemAvailable:") return kib >> 20;
  return 0;
}

// body(row) for both rows at once.
template <class F> void each_row(F body) {
  std::thread other(body, 1);
  body(0);
  other.join();
}

struct RowCheck {
  double max_err = 0, max_ref = 0;
  int64_t worst = -1;
};

}  // namespace

TEST_CASE("(2, 2^30 + 17) f32 sparse softmax CE: loss and in-place gradient", "[hostile][huge]") {
  const int64_t gib = mem_available_gib();
  if (gib < 16) {
    std::printf("hostile-skip: huge shape test needs 16 GiB available, have %lld GiB\n", (long long)gib);
    WARN("hostile-skip: MemAvailable " << gib << " GiB < 16 GiB");
    SUCCEED();
    return;
  }
  const int64_t n = kRows * kCols;
  float *buf = static_cast<float *>(std::malloc(size_t(n + 2 * kCanaries) * sizeof(float)));
  if (!buf) {
    std::printf("hostile-skip: could not allocate 8 GiB\n");
    WARN("hostile-skip: malloc of 8 GiB failed");
    SUCCEED();
    return;
  }
  const std::unique_ptr<float, void (*)(void *)> owner(buf, std::free);
  float *x = buf + kCanaries;
  for (int64_t i = 0; i < kCanaries; ++i) buf[i] = x[n + i] = -12345.f;

  std::vector<double> shifted_exp(kGrid);  // exp(logit - 8) of every grid point
  for (uint32_t k = 0; k < kGrid; ++k) shifted_exp[k] = std::exp(double(logit_at(k)) - kMaxLogit);

  // Fill, and the reference lse of each row from the values the buffer holds.
  double lse[kRows];
  each_row([&](int r) {
    double s = 0;
    for (int64_t c = 0, i = r * kCols; c < kCols; ++c, ++i) {
      x[i] = logit(uint64_t(i));
      s += shifted_exp[size_t((double(x[i]) + kMaxLogit) / kStep)];
    }
    lse[r] = kMaxLogit + std::log(s);
  });

  const int64_t labels[kRows] = {kLabels[0], kLabels[1]};
  float loss[kRows] = {-1, -1};
  const xent_status st = xent_sparse_softmax_ce_with_logits_f32(x, labels, kRows, kCols, nullptr, loss, x);
  INFO("xent_last_error(): " << xent_last_error());
  REQUIRE(st == XENT_OK);
  for (int64_t i = 0; i < kCanaries; ++i) {
    CHECK(buf[i] == -12345.f);
    CHECK(x[n + i] == -12345.f);
  }

  RowCheck rows[kRows];
  each_row([&](int r) {
    RowCheck &rc = rows[r];
    const double scale = std::exp(kMaxLogit - lse[r]);  // exp(x - lse) = exp(x - 8) * scale
    for (int64_t c = 0, i = r * kCols; c < kCols; ++c, ++i) {
      const double ref = shifted_exp[grid(uint64_t(i))] * scale - (c == kLabels[r] ? 1.0 : 0.0);
      const double err = std::fabs(double(x[i]) - ref);
      if (err > rc.max_err) rc.max_err = err, rc.worst = c;
      rc.max_ref = std::max(rc.max_ref, std::fabs(ref));
    }
  });
  for (int r = 0; r < kRows; ++r) {
    const double ref_loss = lse[r] - double(logit(uint64_t(r * kCols + kLabels[r])));
    INFO("row " << r << ": loss " << loss[r] << " vs " << ref_loss << "; gradient max error " << rows[r].max_err
                << " at column " << rows[r].worst << ", largest |reference| " << rows[r].max_ref);
    CHECK(std::fabs(double(loss[r]) - ref_loss) <= 1e-5 * std::max(std::fabs(ref_loss), 1 + kMaxLogit));
    CHECK(rows[r].max_err <= 1e-5 * rows[r].max_ref);
  }
}
