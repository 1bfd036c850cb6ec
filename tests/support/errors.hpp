// Checking a failing call: its status, the message xent_last_error() leaves (starting with
// the function name, naming the argument), and outputs left bit for bit as they were.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "xent/xent.h"

namespace xt {

// Leaves a known message behind, so that the next check sees the new call's own message.
inline void prime_last_error() { (void)xent_lse_merge_f64(nullptr, nullptr, 1, 1, nullptr); }

inline void check_failure(xent_status got, xent_status want, const std::string &function, const std::string &needle) {
  const std::string message = xent_last_error();
  INFO("status " << xent_status_string(got) << ", xent_last_error(): \"" << message << "\"");
  CHECK(got == want);
  CHECK(message.rfind(function, 0) == 0);
  if (!needle.empty()) CHECK(message.find(needle) != std::string::npos);
}

}  // namespace xt
