// GoogleTest entry point for SystemC test executables. ctest runs every TEST in its own process
// (gtest_discover_tests), because SystemC elaborates only once per process.
#include "ip/common/log.h"

#include <gtest/gtest.h>
#include <systemc>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

int sc_main(int argc, char** argv) {
  // ctest runs test processes in parallel: give each its own temporary folder (testing::TempDir()
  // reads TEST_TMPDIR), so files written by one test never race with another's.
  const auto temp = std::filesystem::temp_directory_path() / ("dlvp_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(temp);
  setenv("TEST_TMPDIR", temp.c_str(), 1);
  ::testing::InitGoogleTest(&argc, argv);
  dlvp::log::install_report_handler();
  if (const char* level = std::getenv("DLVP_LOG")) {
    dlvp::log::Level l;
    if (dlvp::log::parse_level(level, l)) dlvp::log::set_threshold(l);
  }
  const int status = RUN_ALL_TESTS();
  std::error_code ignored;
  std::filesystem::remove_all(temp, ignored);
  return status;
}
