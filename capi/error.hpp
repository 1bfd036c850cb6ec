// The thread-local last-error message and the guard that keeps C++ exceptions from
// crossing the C boundary.
#pragma once

#include <new>

#include "xent/xent.h"

namespace xent::capi {

// Records "fn: message" for xent_last_error() and returns status. printf-style.
xent_status fail(xent_status status, const char *fn, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

// Runs body() and turns any escaping exception into a status with a message.
template <class Body> xent_status guarded(const char *fn, Body &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(XENT_ERR_OUT_OF_MEMORY, fn, "out of memory");
  } catch (...) {
    return fail(XENT_ERR_INTERNAL, fn, "unexpected internal exception");
  }
}

}  // namespace xent::capi
