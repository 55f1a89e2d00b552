// GoogleTest entry point for SystemC test executables. ctest runs every TEST in its own process
// (gtest_discover_tests), because SystemC elaborates only once per process.
#include "ip/common/log.h"

#include <gtest/gtest.h>
#include <systemc>

#include <cstdlib>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  dlvp::log::install_report_handler();
  if (const char* level = std::getenv("DLVP_LOG")) {
    dlvp::log::Level l;
    if (dlvp::log::parse_level(level, l)) dlvp::log::set_threshold(l);
  }
  return RUN_ALL_TESTS();
}

