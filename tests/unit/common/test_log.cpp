// Logging: guest-triggerable lines are limited per call site (the first kLinesPerSite shown, one
// notice, the rest counted), and a mirror file that cannot be written is reported, never ignored.
#include "ip/common/log.h"
#include "ip/common/soc_trace.h"

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

TEST(Log, OptionsTakeALevelAndCategories) {
  log::Level level = log::Level::warn;
  log::Categories categories;
  EXPECT_TRUE(log::parse_option("mmio", level, categories));
  EXPECT_TRUE(categories.mmio && !categories.irq && level == log::Level::warn);
  EXPECT_TRUE(log::parse_option("debug,irq", level, categories));
  EXPECT_TRUE(categories.mmio && categories.irq && level == log::Level::debug);
  for (const char* bad : {"", "mmio,", "verbose", "irq,,info", "MMIO"}) {
    log::Categories c;
    EXPECT_FALSE(log::parse_option(bad, level, c)) << bad;
  }
}

// --log mmio: one line per register access while under trace::LogLines::kLinesPerKind, then one
// notice and counts, like any guest-triggerable line; none without the sink.
TEST(Log, RegisterAccessLinesAreLimited) {
  const std::string mirror = testing::TempDir() + "/mmio.log";
  log::install_report_handler(mirror);
  const regs::RegDef reg{"CTRL", 0x20, 4, 0, regs::Access::RW, "control"};
  auto access = [&](uint64_t value) {
    return trace::RegisterAccess{sc_core::sc_time(1.5, sc_core::SC_US), "cpu", "top.block", &reg, 0x20, 4, true, value,
                                 tlm::TLM_OK_RESPONSE};
  };
  trace::emit(access(7));  // no sink yet
  EXPECT_FALSE(trace::register_accesses_traced());
  const unsigned long suppressed = log::suppressed_count();
  constexpr unsigned long kExtra = 3;
  {
    trace::LogLines lines;
    const trace::Scope scope(lines, true, false);
    EXPECT_TRUE(trace::register_accesses_traced());
    EXPECT_FALSE(trace::interrupts_traced());
    testing::internal::CaptureStderr();
    for (unsigned long i = 0; i < trace::LogLines::kLinesPerKind + kExtra; ++i) trace::emit(access(i));
    testing::internal::GetCapturedStderr();
  }
  EXPECT_FALSE(trace::register_accesses_traced());
  EXPECT_EQ(log::suppressed_count() - suppressed, kExtra);
  ASSERT_FALSE(log::mirror_failed());
  const std::string text = read_file(mirror);
  EXPECT_EQ(count_of(text, "top.block: mmio cpu write CTRL (+0x020, 4 B) = 0x"), trace::LogLines::kLinesPerKind);
  EXPECT_NE(text.find("mmio cpu write CTRL (+0x020, 4 B) = 0x2a at 1.500 us\n"), std::string::npos);
  EXPECT_EQ(count_of(text, "= 0x7 at"), 1u);  // the event before the sink was not logged
  EXPECT_EQ(count_of(text, "further lines from mmio trace are suppressed (50000 shown)"), 1u);
}
