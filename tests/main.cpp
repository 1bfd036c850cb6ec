// Catch2's implementation and entry point, linked into every Catch2 binary (tests/meson.build).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
