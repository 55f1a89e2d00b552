// Hostile guests and inputs never crash the simulator nor grow its outputs without bound: wild
// addresses handed to the native apps (the host's DMI path once read a wild host pointer for
// them), an ELF whose entry point is not an instruction address, and a runaway RV32 program that
// faults on every load for the whole run.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::read_text;
using dlvp::test::run_dlvp;

const std::string kScenarios = std::string(DLVP_SOURCE_DIR) + "/scenarios/";

// A native app given an address near 2^64 (as a boot argument) must see a bus error or have its
// driver refuse the package (either ends the run with a non-zero code); the host never touches
// memory for it.
void expect_no_crash_with_wild_argument(const std::string& scenario, const std::string& set, const std::string& name) {
  const auto dir = out_dir(name);
  const auto r = run_dlvp("run " + kScenarios + scenario + " --set '" + set + "' --set software.args[3]=3 --out " + dir);
  ASSERT_EQ(r.signal, 0) << "dlvp died on a signal:\n" << r.output;
  EXPECT_NE(r.status, 0) << r.output;
  const auto report = read_report(dir);
  EXPECT_TRUE(report["run"]["software_exited"].get<bool>()) << "the software ended the run itself";
  EXPECT_NE(report["run"]["exit_code"].get<int>(), 0);
}

TEST(GuestSafety, NativeClassifierWithImagesNearTheTopOfTheAddressSpaceEndsWithoutSignal) {
  expect_no_crash_with_wild_argument("fashion_mnist.yaml", "software.args[1]=0xfffffffffffffffe", "wild_images");
}

TEST(GuestSafety, NativeClassifierWithLabelsAtTheLastAddressEndsWithoutSignal) {
  expect_no_crash_with_wild_argument("fashion_mnist.yaml", "software.args[2]=0xffffffffffffffff", "wild_labels");
}

TEST(GuestSafety, NativeLstmAppWithAWildArgumentEndsWithoutSignal) {
  expect_no_crash_with_wild_argument("fashion_lstm.yaml", "software.args[6]=0xffffffffffffff00", "wild_lstm");
}

// An ELF whose e_entry is odd is refused at load, naming the file and the address: before the
// fix it ran into a trap loop.
TEST(GuestSafety, ElfWithMisalignedEntryIsRefusedAtLoad) {
  const auto dir = out_dir("odd_entry");
  std::filesystem::create_directories(dir);
  const std::string elf = dir + "/odd_entry.elf";
  {
    std::ifstream in(std::string(DLVP_BUILD_DIR) + "/sw/apps/dma_selftest.elf", std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 52u);
    uint32_t entry;
    std::memcpy(&entry, &bytes[24], 4);
    entry |= 1;
    std::memcpy(&bytes[24], &entry, 4);
    std::ofstream(elf, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const auto r = run_dlvp("run " + kScenarios + "dma_selftest.yaml --set cpu.mode=iss --set software.path=" + elf +
                          " --out " + dir + "/out");
  ASSERT_EQ(r.signal, 0) << r.output;
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.status, 124) << "refused at load, not a run into the time limit:\n" << r.output;
  EXPECT_NE(r.output.find(elf + ": entry point (e_entry) 0x"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("is not 2-byte aligned"), std::string::npos) << r.output;
}

// A runaway RV32 program: one unmapped load per loop, for the whole run. The CPU and the bus each
// log their first log::kLinesPerSite (20) faults and one notice; report.json counts the rest.
TEST(GuestSafety, RunawayFaultingLoopKeepsTheLogBounded) {
  const auto dir = out_dir("runaway");
  std::filesystem::create_directories(dir);
  const std::string scenario = dir + "/runaway.yaml";
  std::ofstream(scenario) << "hw: zynq7020\ncpu:\n  mode: iss\nsoftware:\n  path: " << DLVP_CPU_PROGRAMS
                          << "/unmapped_loop.elf\nrun:\n  max_time_ms: 2\n";
  const auto r = run_dlvp("run " + scenario + " --out " + dir + "/out");
  ASSERT_EQ(r.signal, 0) << r.output;
  EXPECT_EQ(r.status, 124) << "the time limit ends the run:\n" << r.output.substr(0, 4000);

  const auto report = read_report(dir + "/out");
  const uint64_t bus_faults = report["modules"]["soc.bus"]["decode_errors"].get<uint64_t>();
  const uint64_t cpu_faults = report["modules"]["soc.cpu"]["bus_errors"].get<uint64_t>();
  EXPECT_GT(bus_faults, 10000u) << "the loop ran";
  EXPECT_EQ(cpu_faults, bus_faults);
  constexpr uint64_t kLinesPerSite = 20;
  EXPECT_EQ(report["log"]["suppressed"].get<uint64_t>(), (bus_faults - kLinesPerSite) + (cpu_faults - kLinesPerSite))
      << report["log"].dump();
  EXPECT_EQ(report["log"]["suppressed_by_site"].size(), 2u) << report["log"].dump();

  const auto log_bytes = std::filesystem::file_size(dir + "/out/dlvp.log");
  EXPECT_LT(log_bytes, 10u * 1024u) << read_text(dir + "/out", "dlvp.log");
  EXPECT_LT(r.output.size(), 16u * 1024u) << "the console too";
  EXPECT_NE(r.output.find("repeated lines suppressed"), std::string::npos) << r.output;
}

}  // namespace
