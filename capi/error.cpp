#include "capi/error.hpp"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace xent::capi {

namespace {
thread_local char g_message[512] = "";
}

xent_status fail(xent_status status, const char *fn, const char *format, ...) {
  const int n = std::snprintf(g_message, sizeof g_message, "%s: ", fn);
  va_list args;
  va_start(args, format);
  if (n >= 0 && std::size_t(n) < sizeof g_message)
    std::vsnprintf(g_message + n, sizeof g_message - std::size_t(n), format, args);
  va_end(args);
  return status;
}

}  // namespace xent::capi

extern "C" {

XENT_API const char *xent_last_error(void) { return xent::capi::g_message; }

XENT_API const char *xent_status_string(xent_status status) {
  int value = 0;  // any int may arrive from C: never switch on an out-of-range enum
  std::memcpy(&value, &status, sizeof value);
  switch (value) {
    case XENT_OK: return "XENT_OK";
    case XENT_ERR_NULL_POINTER: return "XENT_ERR_NULL_POINTER";
    case XENT_ERR_INVALID_SHAPE: return "XENT_ERR_INVALID_SHAPE";
    case XENT_ERR_INVALID_ARGUMENT: return "XENT_ERR_INVALID_ARGUMENT";
    case XENT_ERR_LABEL_OUT_OF_RANGE: return "XENT_ERR_LABEL_OUT_OF_RANGE";
    case XENT_ERR_OUT_OF_MEMORY: return "XENT_ERR_OUT_OF_MEMORY";
    case XENT_ERR_INTERNAL: return "XENT_ERR_INTERNAL";
    case XENT_ERR_UNSUPPORTED: return "XENT_ERR_UNSUPPORTED";
  }
  return "XENT_ERR_UNKNOWN";
}

}  // extern "C"
