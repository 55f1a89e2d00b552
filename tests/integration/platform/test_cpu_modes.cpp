// Every app gives the same results in both CPU modes (docs/architecture.md): the host-compiled
// plugin (cpu.mode native) and the RV32 ELF on the instruction-set simulator (cpu.mode iss). The
// apps' console lines are compared after dropping what legitimately differs: measured times,
// rates and energies (the ISS charges time for every instruction; native code runs in zero time)
// and the simulator's own time-stamped log lines.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Run {
  int status = -1;
  std::vector<std::string> app_lines;  // the app's console up to the dlvp summary
};

Run run_app(const std::string& scenario, const std::string& mode, const std::string& extra = "") {
  const std::string out = testing::TempDir() + "/cpu_modes_" + mode;
  const std::string command = std::string(DLVP_BINARY) + " run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/" +
                              scenario + " --set cpu.mode=" + mode + " " + extra + " --out " + out + " 2>&1";
  Run run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return run;
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  const int raw = pclose(pipe);
  run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("== dlvp summary", 0) == 0) break;
    run.app_lines.push_back(line);
  }
  return run;
}

// The lines that state results, not measurements.
std::vector<std::string> functional(const std::vector<std::string>& lines) {
  // (a ratio of two measurements, "6.09x", is a measurement too)
  static const std::regex measured(R"([0-9.]+ ?(ns|us|ms|MB/s|GB/s|pJ|nJ|uJ|mJ|mW|MAC/us|images/s|events|cycles|x)\b)");
  std::vector<std::string> kept;
  for (const std::string& line : lines)
    if (!line.empty() && line[0] != '[' && !std::regex_search(line, measured)) kept.push_back(line);
  return kept;
}

void expect_same_results(const std::string& scenario, const std::string& extra, const std::string& must_contain,
                         size_t min_lines) {
  const Run native = run_app(scenario, "native", extra);
  const Run iss = run_app(scenario, "iss", extra);
  EXPECT_EQ(native.status, 0);
  EXPECT_EQ(iss.status, native.status);
  const std::vector<std::string> a = functional(native.app_lines), b = functional(iss.app_lines);
  EXPECT_EQ(a, b) << scenario;
  std::string joined;
  for (const std::string& line : a) joined += line + "\n";
  EXPECT_NE(joined.find(must_contain), std::string::npos) << joined;
  EXPECT_GE(a.size(), min_lines) << "too few result lines to compare: " << joined;
}

TEST(CpuModes, DmaSelftestGivesTheSameResults) {
  expect_same_results("dma_selftest.yaml", "", "DMA self-test: PASS (0 failures)", 15);
}

TEST(CpuModes, CnnSelftestGivesTheSameResults) {
  expect_same_results("cnn_selftest.yaml", "", "CNN self-test: PASS (0 failures)", 12);
}

TEST(CpuModes, ClassifierGivesTheSameAccuracy) {
  expect_same_results("fashion_mnist.yaml", "--set 'software.args[3]=100'", "classify: accuracy", 3);
}

TEST(CpuModes, LstmClassifierGivesTheSameResults) {
  // Two LSTM packages (sparse, dense) on 20 images: accuracy, layers, identical predictions.
  expect_same_results("fashion_lstm.yaml", "--set 'software.args[3]=20'", "0 of 20 predictions differ", 8);
}

TEST(CpuModes, RunPackageGivesTheSameResult) {
  // The shipped classifier's package, its embedded test input, checked bit for bit by the app.
  expect_same_results("conformance.yaml",
                      "--set 'software.load=[{file: \"@build/models/fashion_cnn.dlvp\", address: 0x90000000}]' "
                      "--set 'software.args[0]=0x90000000'",
                      "run_package: output matches the expected output", 2);
}

TEST(CpuModes, TheFilterKeepsResultsAndDropsMeasurements) {
  const std::vector<std::string> lines = {"  1-D copy completes without error   ok",
                                          "  1-D copy  262144 B in   325560 ns =    805.2 MB/s",
                                          "classify: accuracy 91.22 % (9122 of 10000), float model 91.43 % on the same 10000 images, agreement 95.20 %",
                                          "  dram  846647.449 nJ  99.1 %  (134992 events)",
                                          "  IFU cycles                            55168 cycles",
                                          "[    2255.359 us] warn  soc.dma: channel 0: job failed"};
  EXPECT_EQ(functional(lines), (std::vector<std::string>{lines[0], lines[2]}));
}

}  // namespace

// The ISS's line fills and write-backs reach the DDR through DMI; they open and close rows like any
// transaction (docs/ddr.md, "DMI"), and the commands are counted with their energy.
TEST(CpuModes, CpuBenchOnTheIssOpensAndClosesDramRows) {
  const std::string dir = dlvp::test::out_dir("cpu_bench_dram");
  const auto r = dlvp::test::run_dlvp("run " + std::string(DLVP_SOURCE_DIR) +
                                      "/scenarios/cpu_bench.yaml --set software.args=[1] --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json report = dlvp::test::read_report(dir);
  const nlohmann::json& ddr = report["modules"]["soc.ddr"];
  const uint64_t bursts = ddr["read_bursts"].get<uint64_t>() + ddr["write_bursts"].get<uint64_t>();
  EXPECT_EQ(ddr["dmi_bytes_read"], ddr["bytes_read"]) << "every DRAM byte of this app goes through DMI";
  EXPECT_GT(bursts, 0u);
  EXPECT_EQ(ddr["row_hits"].get<uint64_t>() + ddr["row_empties"].get<uint64_t>() + ddr["row_conflicts"].get<uint64_t>(),
            bursts)
      << "every burst has a row outcome";
  EXPECT_GT(ddr["activates"].get<uint64_t>(), 0u);
  EXPECT_GT(ddr["precharges"].get<uint64_t>(), 0u);
  EXPECT_LT(ddr["activates"].get<uint64_t>(), bursts) << "lines of an open row are row hits";
  uint64_t activate_count = 0;
  double activate_energy = 0;
  for (const auto& c : report["energy"]["counters"])
    if (c["module"] == "soc.ddr" && c["name"].get<std::string>().find(".activate") != std::string::npos) {
      activate_count += c["count"].get<uint64_t>();
      activate_energy += c["energy"].get<double>();
    }
  EXPECT_EQ(activate_count, ddr["activates"].get<uint64_t>());
  EXPECT_GT(activate_energy, 0);
}
