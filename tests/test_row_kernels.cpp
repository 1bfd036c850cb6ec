// logsumexp, softmax, log_softmax, lse_partial and lse_merge against long double: many
// shapes (cols around the vector widths, a long vocabulary row), in place, special rows
// (-inf, NaN, +inf, all -inf, 1e30 / -1e30, one column), and lse_merge of column-sharded
// partials equal to the whole row's logsumexp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "reference/ref_math.hpp"
#include "support/api.hpp"
#include "support/check.hpp"
#include "support/loss_case.hpp"
#include "support/random.hpp"
#include "support/report.hpp"

using ref::LD;

namespace {

template <class T> const char *type_name() { return sizeof(T) == 4 ? "f32" : "f64"; }

// Per row: 1 + the largest finite |x| (the scale SPEC section 4 gives the losses).
template <class T> std::vector<LD> row_scales(const std::vector<T> &x, int64_t rows, int64_t cols) {
  std::vector<LD> s(static_cast<size_t>(rows), 1.0L);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const LD v = fabsl(static_cast<LD>(x[r * cols + c]));
      if (std::isfinite(v)) s[r] = fmaxl(s[r], 1 + v);
    }
  return s;
}

// Checks the three row kernels on x (rows, cols) against the reference; softmax per row
// relative to the row's largest probability, lse and log_softmax to the row scale.
template <class T> void check_rows(const std::vector<T> &x, int64_t rows, int64_t cols) {
  using A = xt::Api<T>;
  const double tol = A::tol;
  const size_t n = x.size();
  const std::vector<LD> wide = xt::widen(x), scales = row_scales(x, rows, cols);
  const std::vector<LD> lse = ref::logsumexp_rows(wide, rows, cols), sm = ref::softmax_rows(wide, rows, cols),
                        lsm = ref::log_softmax_rows(wide, rows, cols);
  std::vector<LD> sm_scale(n), lsm_scale(n);
  for (int64_t r = 0; r < rows; ++r) {
    LD largest = 0;
    for (int64_t c = 0; c < cols; ++c)
      if (std::isfinite(sm[r * cols + c])) largest = fmaxl(largest, sm[r * cols + c]);
    for (int64_t c = 0; c < cols; ++c) {
      sm_scale[r * cols + c] = largest;
      lsm_scale[r * cols + c] = fmaxl(fabsl(lsm[r * cols + c]), scales[r]);
    }
  }
  std::vector<LD> lse_scale(lse.size());
  for (size_t r = 0; r < lse.size(); ++r) lse_scale[r] = fmaxl(fabsl(lse[r]), scales[r]);

  INFO(type_name<T>() << " rows " << rows << " cols " << cols);
  xt::Guarded<T> out(static_cast<size_t>(rows)), y(n), z(n), in_place(n);
  REQUIRE(A::logsumexp(x.data(), rows, cols, out.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_scaled(out.data(), lse, lse_scale, tol), "logsumexp");
  REQUIRE(A::softmax(x.data(), rows, cols, y.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_scaled(y.data(), sm, sm_scale, tol), "softmax");
  std::copy(x.begin(), x.end(), in_place.data());
  REQUIRE(A::softmax(in_place.data(), rows, cols, in_place.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_scaled(in_place.data(), sm, sm_scale, tol), "softmax in place");
  REQUIRE(A::log_softmax(x.data(), rows, cols, z.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_scaled(z.data(), lsm, lsm_scale, tol), "log_softmax");
  std::copy(x.begin(), x.end(), in_place.data());
  REQUIRE(A::log_softmax(in_place.data(), rows, cols, in_place.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_scaled(in_place.data(), lsm, lsm_scale, tol), "log_softmax in place");
  CHECK(out.guards_intact());
  CHECK(y.guards_intact());
  CHECK(z.guards_intact());
  CHECK(in_place.guards_intact());
}

// Splits every row's columns into shards at the cut points, runs lse_partial on each shard
// (copied out as its own contiguous matrix) and lse_merge on the partials.
template <class T>
void check_sharded(const std::vector<T> &x, int64_t rows, int64_t cols, const std::vector<int64_t> &cuts) {
  using A = xt::Api<T>;
  const int64_t parts = static_cast<int64_t>(cuts.size()) - 1;
  std::vector<T> maxes(static_cast<size_t>(parts * rows)), sums(maxes.size());
  INFO(type_name<T>() << " rows " << rows << " cols " << cols << " parts " << parts);
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t w = cuts[p + 1] - cuts[p];
    std::vector<T> shard;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = cuts[p]; c < cuts[p + 1]; ++c) shard.push_back(x[r * cols + c]);
    REQUIRE(A::lse_partial(shard.data(), rows, w, &maxes[p * rows], &sums[p * rows]) == XENT_OK);
    for (int64_t r = 0; r < rows; ++r) {
      const ref::LseParts want = ref::lse_parts(xt::widen(shard).data() + r * w, w);
      INFO("part " << p << " row " << r);
      if (std::isnan(want.max)) {  // NaN in the shard: its partial carries NaN
        CHECK((std::isnan(maxes[p * rows + r]) || std::isnan(sums[p * rows + r])));
        continue;
      }
      CHECK(maxes[p * rows + r] == static_cast<T>(want.max));  // a max is exact
      xt::Report s;
      xt::compare_one(s, static_cast<size_t>(r), sums[p * rows + r], want.sum, xt::Api<T>::tol * fmaxl(want.sum, 1));
      XT_CHECK_REPORT(s, "sum of exp(x - max)");
    }
  }
  xt::Guarded<T> merged(static_cast<size_t>(rows)), whole(static_cast<size_t>(rows));
  REQUIRE(A::lse_merge(maxes.data(), sums.data(), parts, rows, merged.data()) == XENT_OK);
  REQUIRE(A::logsumexp(x.data(), rows, cols, whole.data()) == XENT_OK);
  const std::vector<LD> want = ref::logsumexp_rows(xt::widen(x), rows, cols), scales = row_scales(x, rows, cols);
  std::vector<LD> scale(want.size());
  for (size_t r = 0; r < want.size(); ++r) scale[r] = fmaxl(fabsl(want[r]), scales[r]);
  XT_CHECK_REPORT(xt::compare_scaled(merged.data(), want, scale, xt::Api<T>::tol), "merged vs reference lse");
  XT_CHECK_REPORT(xt::compare_scaled(merged.data(), xt::widen(whole.values()), scale, 2 * xt::Api<T>::tol),
                  "merged vs xent_logsumexp");
  CHECK(merged.guards_intact());

  // a neutral partial (-inf, 0) appended changes nothing
  std::vector<T> m2 = maxes, s2 = sums;
  m2.insert(m2.end(), static_cast<size_t>(rows), -std::numeric_limits<T>::infinity());
  s2.insert(s2.end(), static_cast<size_t>(rows), T(0));
  xt::Guarded<T> again(static_cast<size_t>(rows));
  REQUIRE(A::lse_merge(m2.data(), s2.data(), parts + 1, rows, again.data()) == XENT_OK);
  XT_CHECK_REPORT(xt::compare_bitwise(again.data(), merged.data(), static_cast<size_t>(rows)), "neutral partial");
}

template <class T> T inf_v() { return std::numeric_limits<T>::infinity(); }

// Rows: ordinary, masked classes, a NaN, all -inf, +inf (unless !with_inf), 1e30 beside
// -1e30 (cols >= 4).
template <class T> std::vector<T> special_rows(int64_t cols, xt::Rng &rng, bool with_inf = true) {
  std::vector<T> x = xt::uniform_vector<T>(rng, static_cast<size_t>(6 * cols), -10, 10);
  for (int64_t c = 0; c < cols; c += 2) x[1 * cols + c] = -inf_v<T>();
  x[2 * cols + cols / 2] = std::numeric_limits<T>::quiet_NaN();
  for (int64_t c = 0; c < cols; ++c) x[3 * cols + c] = -inf_v<T>();
  if (with_inf) x[4 * cols + cols - 1] = inf_v<T>();
  x[5 * cols + 0] = T(1e30);
  x[5 * cols + cols - 1] = T(-1e30);
  return x;
}

}  // namespace

TEMPLATE_TEST_CASE("logsumexp / softmax / log_softmax: random rows of every width", "[kernels][rows]", float, double) {
  xt::Rng rng(21);
  for (int64_t rows : {1, 3, 7})
    for (int64_t cols : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70, 1000, 20000}) {
      if (rows * cols > 60000) continue;
      check_rows(xt::uniform_vector<TestType>(rng, static_cast<size_t>(rows * cols), -30, 30), rows, cols);
    }
  check_rows(xt::uniform_vector<TestType>(rng, 300 * 9, -5, 5), 300, 9);
}

TEMPLATE_TEST_CASE("row kernels: -inf, NaN, +inf, all -inf and 1e30 / -1e30 rows", "[kernels][rows][edge]", float, double) {
  using T = TestType;
  using A = xt::Api<T>;
  xt::Rng rng(22);
  for (int64_t cols : {4, 5, 8, 17, 33, 100}) check_rows(special_rows<T>(cols, rng), 6, cols);
  // cols = 1: lse is the value itself, softmax 1 (NaN for -inf), log_softmax 0
  const std::vector<T> single = {T(3), T(-1e30), -inf_v<T>(), T(0)};
  check_rows(single, 4, 1);
  // the spec's named results, stated directly
  const std::vector<T> x = special_rows<T>(4, rng);
  std::vector<T> lse(6), sm(24), lsm(24);
  REQUIRE(A::logsumexp(x.data(), 6, 4, lse.data()) == XENT_OK);
  REQUIRE(A::softmax(x.data(), 6, 4, sm.data()) == XENT_OK);
  REQUIRE(A::log_softmax(x.data(), 6, 4, lsm.data()) == XENT_OK);
  CHECK(std::isnan(lse[2]));
  CHECK(lse[3] == -inf_v<T>());
  CHECK(lse[5] == T(1e30));
  for (int c = 0; c < 4; ++c) {
    CHECK(std::isnan(sm[2 * 4 + c]));
    CHECK(std::isnan(sm[3 * 4 + c]));
    CHECK(std::isnan(lsm[3 * 4 + c]));
    CHECK(std::isfinite(sm[0 * 4 + c]));
    if (c % 2 == 0) CHECK(sm[1 * 4 + c] == T(0));  // masked
  }
  CHECK(sm[5 * 4 + 0] == T(1));
  CHECK(lsm[5 * 4 + 0] == T(0));
  CHECK(lsm[5 * 4 + 3] == T(-2e30));
}

TEMPLATE_TEST_CASE("lse_merge of column-sharded lse_partial equals the whole row's logsumexp", "[kernels][rows][shards]",
                   float, double) {
  using T = TestType;
  xt::Rng rng(23);
  for (int64_t cols : {1, 9, 64, 1000, 20001}) {
    const int64_t rows = cols > 1000 ? 2 : 5;
    const std::vector<T> x = xt::uniform_vector<T>(rng, static_cast<size_t>(rows * cols), -40, 40);
    check_sharded(x, rows, cols, {0, cols});
    if (cols >= 9) {
      check_sharded(x, rows, cols, {0, 1, cols / 3, cols - 1, cols});
      check_sharded(x, rows, cols, {0, cols / 2, cols});
    }
  }
  // shards of special rows: a shard of all -inf is (-inf, 0); NaN in one shard poisons its row
  // (+inf is left out: SPEC does not say what a partial of it holds)
  for (int64_t cols : {8, 33}) {
    const std::vector<T> x = special_rows<T>(cols, rng, false);
    check_sharded(x, 6, cols, {0, 1, 2, cols / 2, cols});
  }
  // every partial neutral: -inf
  const std::vector<T> maxes(3, -inf_v<T>()), sums(3, T(0));
  T lse = xt::sentinel<T>();
  REQUIRE(xt::Api<T>::lse_merge(maxes.data(), sums.data(), 3, 1, &lse) == XENT_OK);
  CHECK(lse == -inf_v<T>());
}
