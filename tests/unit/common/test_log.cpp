// Logging: guest-triggerable lines are limited per call site (the first kLinesPerSite shown, one
// notice, the rest counted), and a mirror file that cannot be written is reported, never ignored.
#include "ip/common/log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

using namespace dlvp;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void warn_from_site_a(int i) { DLVP_LOG_WARN_LIMITED("test.a", "site a line " << i); }
void warn_from_site_b(int i) { DLVP_LOG_WARN_LIMITED("test.b", "site b line " << i); }
void info_from_site_c(int i) { DLVP_LOG_INFO_LIMITED("test.c", "site c line " << i); }

}  // namespace

TEST(Log, LimitedSitesShowTheirFirstLinesThenOneNoticeThenCount) {
  const std::string mirror = testing::TempDir() + "/limited.log";
  log::install_report_handler(mirror);
  const unsigned long warnings = log::warning_count(), suppressed = log::suppressed_count();
  constexpr int kLines = 1000;
  for (int i = 0; i < kLines; ++i) warn_from_site_a(i);
  for (int i = 0; i < 5; ++i) warn_from_site_b(i);  // another site keeps its own allowance
  log::set_threshold(log::Level::warn);
  for (int i = 0; i < 100; ++i) info_from_site_c(i);  // below the threshold: neither shown nor counted

  EXPECT_EQ(log::suppressed_count() - suppressed, kLines - log::kLinesPerSite);
  // The shown lines, the notice (a warning too), and site b's five.
  EXPECT_EQ(log::warning_count() - warnings, log::kLinesPerSite + 1 + 5);
  const auto sites = log::suppressed_by_site();
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].second, kLines - log::kLinesPerSite);
  EXPECT_EQ(sites[0].first.rfind("tests/unit/common/test_log.cpp:", 0), 0u) << sites[0].first;

  ASSERT_FALSE(log::mirror_failed());
  const std::string text = read_file(mirror);
  EXPECT_EQ(count_of(text, "site a line "), log::kLinesPerSite);
  EXPECT_NE(text.find("site a line 19\n"), std::string::npos);
  EXPECT_EQ(text.find("site a line 20\n"), std::string::npos);
  EXPECT_EQ(count_of(text, "further lines from " + sites[0].first + " are suppressed (20 shown)"), 1u) << text;
  EXPECT_EQ(count_of(text, "site b line "), 5u);
  EXPECT_EQ(count_of(text, "site c line "), 0u);
}

TEST(Log, MirrorThatCannotBeWrittenIsReported) {
  // A full disk: /dev/full accepts the open and fails every write.
  log::install_report_handler("/dev/full");
  EXPECT_FALSE(log::mirror_failed()) << "nothing written yet";
  DLVP_LOG_WARN("test", "a line for a full disk");
  EXPECT_TRUE(log::mirror_failed());
  EXPECT_GE(log::mirror_write_failures(), 1u);

  log::install_report_handler(testing::TempDir() + "/no/such/folder/dlvp.log");
  EXPECT_TRUE(log::mirror_failed()) << "the mirror could not be opened";

  log::install_report_handler(testing::TempDir() + "/fine.log");
  DLVP_LOG_WARN("test", "a line for a good disk");
  EXPECT_FALSE(log::mirror_failed());
  EXPECT_EQ(log::mirror_write_failures(), 0u);
  log::install_report_handler();  // no mirror: nothing can fail
  EXPECT_FALSE(log::mirror_failed());
}
