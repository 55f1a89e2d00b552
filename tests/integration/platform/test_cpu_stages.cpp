// A package with CPU stages (docs/cpu_ops.md) on the SoC: a convolution on the CNN engine, then
// ShuffleNet's channel shuffle and a softmax over the channels on the CPU (tests/support/
// staged_package.h). run_package (scenarios/conformance.yaml) runs it natively and on the ISS: the
// output matches the reference bit for bit in both modes, both print the same stages, and the ISS
// charges the CPU stages' instructions (cpu_stages_ns, more than native's copies alone).
#include "tests/support/dlvp_cli.h"
#include "tests/support/package_edit.h"
#include "tests/support/staged_package.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

struct StagedRun {
  CliResult cli;
  std::vector<std::string> stage_lines;  // "run_package: stage ..." without the time
  double cpu_stages_ns = 0;
};

StagedRun run_staged(const std::vector<uint8_t>& blob, const std::string& mode) {
  const std::string dir = out_dir("cpu_stages_" + mode);
  std::filesystem::create_directories(dir);
  const std::string file = dir + "/staged.dlvp";
  write_bytes(file, blob);
  StagedRun run;
  run.cli = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set cpu.mode=" + mode +
                     " --set 'software.load[0]={file: \"" + file + "\", address: 0x90000000}' --out " + dir);
  std::istringstream lines(run.cli.output);
  static const std::regex stage(R"(^(run_package: stage \d+ [a-z_ ]+): \d+ ns$)");
  std::smatch m;
  for (std::string line; std::getline(lines, line);)
    if (std::regex_match(line, m, stage)) run.stage_lines.push_back(m[1]);
  const nlohmann::json report = read_report(dir);
  run.cpu_stages_ns = report["app"]["results"]["cpu_stages_ns"].value("value", 0.0);
  return run;
}

TEST(CpuStages, ShuffleAndSoftmaxAreBitExactAndTheSameNativelyAndOnTheIss) {
  const std::vector<uint8_t> blob = staged_package();
  const StagedRun native = run_staged(blob, "native"), iss = run_staged(blob, "iss");
  for (const StagedRun* r : {&native, &iss}) {
    EXPECT_EQ(r->cli.status, 0) << r->cli.output;
    EXPECT_NE(r->cli.output.find("run_package: output matches the expected output"), std::string::npos)
        << r->cli.output;
  }
  const std::vector<std::string> expected = {"run_package: stage 0 accelerator", "run_package: stage 1 cpu transpose",
                                             "run_package: stage 2 cpu softmax"};
  EXPECT_EQ(native.stage_lines, expected) << native.cli.output;
  EXPECT_EQ(iss.stage_lines, expected) << iss.cli.output;
  // Natively the operations take no simulated time, only the copies over the bus; the ISS runs them.
  EXPECT_GT(native.cpu_stages_ns, 0);
  EXPECT_GT(iss.cpu_stages_ns, native.cpu_stages_ns);
}

// A corrupted stage never reaches the CPU: the driver refuses the package naming the field.
TEST(CpuStages, TheDriverRefusesABadStageInBothModes) {
  std::vector<uint8_t> blob = staged_package();
  const uint64_t at = header_of(blob).stages_offset + sizeof(package::StageRecord);
  blob = with_record_at<package::StageRecord>(blob, at, [](package::StageRecord& s) { s.output.offset = 1 << 20; });
  for (const std::string mode : {"native", "iss"}) {
    const std::string dir = out_dir("cpu_stages_refused_" + mode);
    std::filesystem::create_directories(dir);
    write_bytes(dir + "/bad.dlvp", blob);
    const CliResult r = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set cpu.mode=" +
                                 mode + " --set 'software.load[0]={file: \"" + dir + "/bad.dlvp\", address: 0x90000000}'"
                                 " --out " + dir);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("refused: stage 1: output.offset 0x100000 + 1024 bytes beyond window 2"), std::string::npos)
        << r.output;
  }
}

}  // namespace
}  // namespace dlvp::test
