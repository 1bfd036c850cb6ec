// CHECK a Report, printing its summary when it failed.
#pragma once

#include <catch2/catch.hpp>

#include "support/check.hpp"

#define XT_CHECK_REPORT(report, label)      \
  do {                                      \
    const ::xt::Report &xt_r_ = (report);   \
    INFO(xt_r_.summary(label));             \
    CHECK(xt_r_.ok);                        \
  } while (0)
