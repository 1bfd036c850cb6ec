// Catch2 entry point of xent_hostile (huge shapes, allocation failure, concurrency).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
