// End-to-end: the dlvp CLI on the DMA self-test scenario, and its handling of bad input.
#include "ip/ifu/isa.h"
#include "platform/exit_status.h"
#include "platform/model_package.h"
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_json;
using dlvp::test::read_report;
using dlvp::test::read_text;
using dlvp::test::run_dlvp;

const std::string kSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/dma_selftest.yaml";

TEST(DlvpCli, DmaSelftestPassesWithReportAndEnergy) {
  const auto dir = out_dir("selftest");
  const auto r = run_dlvp("run " + kSelftest + " --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("DMA self-test: PASS"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("FAILED"), std::string::npos) << r.output;
  const auto report = read_report(dir);
  EXPECT_EQ(report["schema"], "dlvp-report");
  EXPECT_EQ(report["schema_version"], 6);
  EXPECT_TRUE(report["run"]["software_exited"].get<bool>());
  EXPECT_GT(report["run"]["simulated_time_ns"].get<double>(), 0.0);
  // The DMA moved data through the DDR: reads and writes, with DRAM energy from its commands.
  const auto& ddr = report["modules"]["soc.ddr"];
  EXPECT_GT(ddr["bytes_read"].get<double>(), 1e6);
  EXPECT_GT(ddr["bytes_written"].get<double>(), 1e6);
  const auto& levels = report["energy"]["by_level"];
  EXPECT_GT(levels["dram"].get<double>(), 0.0);
  EXPECT_GT(levels["buffer"].get<double>(), 0.0);
  EXPECT_GT(levels["other"].get<double>(), 0.0);
  // Every counter's energy is its count times its unit energy (static ones: power x time).
  double sum = 0;
  for (const auto& c : report["energy"]["counters"]) {
    EXPECT_NEAR(c["energy"].get<double>(), c["count"].get<double>() * c["unit_energy"].get<double>(),
                1e-9 * std::max(1.0, c["energy"].get<double>()))
        << c.dump();
    EXPECT_FALSE(c["source"].get<std::string>().empty()) << c.dump();
    sum += c["energy"].get<double>();
  }
  EXPECT_NEAR(sum, report["energy"]["total"].get<double>(), 1e-6 * sum);
  // The unmapped access was logged and the simulation went on to the end.
  const std::string log_text = read_text(dir, "dlvp.log");
  EXPECT_NE(log_text.find("0x20000000"), std::string::npos) << log_text;
  const std::string uart_text = read_text(dir, "uart.log");
  EXPECT_NE(uart_text.find("PASS"), std::string::npos);
}

// The MB/s figure the self-test printed on the line that starts with `label`.
double printed_rate(const std::string& console, const std::string& label) {
  const auto line = console.find(label);
  if (line == std::string::npos) return -1;
  const auto eq = console.find("= ", line);
  return std::stod(console.substr(eq + 2));
}

TEST(DlvpCli, TwoDmaStreamsShareTheMemory) {
  // Two channels copying at once through the real bus and DDR models: together they get about
  // what one channel gets alone, i.e. each gets about half (the software measures with the timer).
  const auto dir = out_dir("contention");
  const auto r = run_dlvp("run " + kSelftest + " --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const double alone = printed_rate(r.output, "1-D copy DDR -> DDR");
  const double both = printed_rate(r.output, "two channels at once (total)");
  ASSERT_GT(alone, 0) << r.output;
  EXPECT_NEAR(both / alone, 1.0, 0.15) << r.output;
  // The same on the DDR4 configuration, where the memory rather than the bus is the bottleneck.
  const auto r4 = run_dlvp("run " + kSelftest + " --set hw=ddr4-2400 --out " + dir + "4");
  ASSERT_EQ(r4.status, 0) << r4.output;
  EXPECT_NEAR(printed_rate(r4.output, "two channels at once (total)") / printed_rate(r4.output, "1-D copy DDR -> DDR"),
              1.0, 0.25) << r4.output;
}

const std::string kCnnSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";

// Intervals [start, end) in us of the instructions on the trace track named `queue` (optionally only
// those whose name starts with `name_prefix`).
std::vector<std::pair<double, double>> trace_intervals(const nlohmann::json& trace, const std::string& queue,
                                                       const std::string& name_prefix = "") {
  std::map<int, std::string> track_names;
  const auto& events = trace.is_object() ? trace["traceEvents"] : trace;
  for (const auto& e : events)
    if (e.value("ph", "") == "M" && e.value("name", "") == "thread_name") track_names[e["tid"].get<int>()] = e["args"]["name"];
  std::vector<std::pair<double, double>> intervals;
  for (const auto& e : events)
    if (e.value("ph", "") == "X" && track_names[e["tid"].get<int>()].find(queue) != std::string::npos &&
        e.value("name", "").rfind("wait", 0) != 0 &&  // instructions, not their token waits
        e.value("name", "").rfind(name_prefix, 0) == 0)
      intervals.emplace_back(e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
  return intervals;
}

// How many load intervals overlap a CONV or FC. (The builder's 1-byte POOL barriers touch no
// input buffer, so they may overlap loads even without double buffering.)
int overlapping_loads(const nlohmann::json& trace) {
  const auto loads = trace_intervals(trace, "load");
  auto computes = trace_intervals(trace, "compute", "CONV");
  const auto fcs = trace_intervals(trace, "compute", "FC");
  computes.insert(computes.end(), fcs.begin(), fcs.end());
  int overlapping = 0;
  for (const auto& l : loads)
    for (const auto& c : computes)
      if (l.first < c.second && c.first < l.second) {
        ++overlapping;
        break;
      }
  return overlapping;
}

TEST(DlvpCli, CnnSelftestIsExactWithLayersEnergyAndOverlap) {
  const auto dir = out_dir("cnn");
  const auto r = run_dlvp("run " + kCnnSelftest + " --trace --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("CNN self-test: PASS"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("peak 123.3 GOPS"), std::string::npos) << r.output;
  const auto report = read_report(dir);
  const auto& cnn = report["modules"]["soc.cnn"];
  ASSERT_EQ(cnn["layers"].size(), 3u);
  for (const auto& layer : cnn["layers"]) {
    EXPECT_GT(layer["cycles"].get<double>(), 0);
    EXPECT_GT(layer["utilization"].get<double>(), 0);
    EXPECT_LE(layer["utilization"].get<double>(), 1.0);
  }
  for (const char* level : {"dram", "buffer", "array", "rf", "mac", "other"})
    EXPECT_GT(report["energy"]["by_level"][level].get<double>(), 0.0) << level;
  const auto trace = read_json(dir, "trace.json");
  EXPECT_GT(overlapping_loads(trace), 0) << "double buffering: loads of the next tile run while a tile computes";

  // The same network built without double buffering: no load overlaps a compute, and it is slower.
  const auto single_dir = out_dir("cnn_single");
  const auto s = run_dlvp("run " + kCnnSelftest +
                          " --set 'software.load=[{file: \"@build/sw/apps/cnn_selftest_single.pkg\", address: 0x90000000}]'"
                          " --trace --out " + single_dir);
  ASSERT_EQ(s.status, 0) << s.output;
  const auto single = read_json(single_dir, "trace.json");
  EXPECT_EQ(overlapping_loads(single), 0);
  EXPECT_GT(read_report(single_dir)["modules"]["soc.ifu"]["busy_time_ns"].get<double>(),
            report["modules"]["soc.ifu"]["busy_time_ns"].get<double>());
}

// report.json's power on a run of the conformance scenario (run_package on the CNN self-test's
// package), sampled every `interval_ns`.
nlohmann::json power_of_run(const std::string& name, double interval_ns, std::string* console = nullptr) {
  const auto dir = out_dir(name);
  const auto r = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set report.power_interval_ns=" +
                          std::to_string(interval_ns) + " --out " + dir);
  EXPECT_EQ(r.status, 0) << r.output;
  if (console) *console = r.output;
  return read_report(dir);
}

TEST(DlvpCli, PowerIsAveragedAndPeakedPerLevelAndReadByTheSoftware) {
  const double interval = 2000;  // ns: two quanta
  std::string console;
  const auto report = power_of_run("power", interval, &console);
  const auto& power = report["power"];
  const auto& energy = report["energy"];
  const double simulated = report["run"]["simulated_time_ns"].get<double>();
  ASSERT_EQ(power["unit"], "W");
  EXPECT_EQ(power["interval_ns"].get<double>(), interval);
  EXPECT_GE(power["samples"].get<double>(), std::floor(simulated / interval));
  // The average is the run's energy (pJ) over its time (ns): mW, per level and in total.
  EXPECT_NEAR(power["average"]["total"].get<double>(), energy["total"].get<double>() / simulated * 1e-3,
              1e-9 * power["average"]["total"].get<double>());
  for (const char* level : {"dram", "buffer", "array", "rf", "mac", "other"}) {
    EXPECT_NEAR(power["average"]["by_level"][level].get<double>(), energy["by_level"][level].get<double>() / simulated * 1e-3,
                1e-9 * power["average"]["total"].get<double>())
        << level;
    EXPECT_GT(power["peak"]["by_level"][level].get<double>(), 0.0) << level;
  }
  EXPECT_GT(power["peak"]["total"].get<double>(), power["average"]["total"].get<double>());
  // The series ends at the end of the run and its power x time is the run's energy.
  const auto& series = power["series"];
  EXPECT_DOUBLE_EQ(series["end_ns"].back().get<double>(), simulated);
  double series_pj = 0, previous = 0;
  for (size_t p = 0; p < series["end_ns"].size(); ++p) {
    const double end = series["end_ns"][p].get<double>();
    for (const char* part : {"static_by_level", "dynamic_by_level"})
      for (const auto& [level, column] : series[part].items()) series_pj += column[p].get<double>() * 1e3 * (end - previous);
    previous = end;
  }
  EXPECT_NEAR(series_pj, energy["total"].get<double>(), 1e-6 * series_pj);
  EXPECT_NE(console.find("power            average"), std::string::npos) << console;

  // Read by the software from the PMU after its job (run_package): the peak of the intervals up
  // to that snapshot, which cannot exceed the run's.
  const auto line = console.find("  total   average");
  ASSERT_NE(line, std::string::npos) << console;
  const double pmu_peak_mw = std::stod(console.substr(console.find("peak", line) + 4));
  EXPECT_GT(pmu_peak_mw, 0.0);
  EXPECT_LE(pmu_peak_mw, power["peak"]["total"].get<double>() * 1e3 * (1 + 1e-6) + 1e-3) << console;

  // Peak power depends on the interval: the highest of eight intervals' average is at least their
  // average (the coarse intervals are unions of the fine ones).
  const auto coarse = power_of_run("power_coarse", 8 * interval)["power"];
  EXPECT_LE(coarse["peak"]["total"].get<double>(), power["peak"]["total"].get<double>() * (1 + 1e-6));
  EXPECT_LT(coarse["series"]["end_ns"].size(), series["end_ns"].size());
}

TEST(DlvpCli, APowerIntervalBelowTheQuantumIsRefused) {
  const auto r = run_dlvp("run " + kSelftest + " --set report.power_interval_ns=10 --out " + out_dir("power_interval"));
  EXPECT_EQ(r.status, dlvp::exit_status::kBadInput) << r.output;
  EXPECT_NE(r.output.find("report.power_interval_ns"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run.quantum_ns"), std::string::npos) << r.output;
}

TEST(DlvpCli, UnknownScenarioKeyNamesKeyAndFile) {
  const auto r = run_dlvp("run " + kSelftest + " --set ddr.chanels=2 --out " + out_dir("badkey"));
  EXPECT_EQ(r.status, dlvp::exit_status::kBadInput) << r.output;
  EXPECT_NE(r.output.find("unknown key 'ddr.chanels'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--set ddr.chanels=2"), std::string::npos) << r.output;
}

TEST(DlvpCli, UnknownKeyInFileNamesFileAndLine) {
  const auto dir = out_dir("badfile");
  std::filesystem::create_directories(dir);
  const auto path = dir + "/bad.yaml";
  std::ofstream(path) << "hw: zynq7020\nsoftware:\n  app: dma_selftest\ndma:\n  chanels: 3\n";
  const auto r = run_dlvp("run " + path + " --out " + dir);
  EXPECT_EQ(r.status, dlvp::exit_status::kBadInput) << r.output;
  EXPECT_NE(r.output.find(path + ":5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'dma.chanels'"), std::string::npos) << r.output;
}

TEST(DlvpCli, BadValuesAreRejected) {
  auto r = run_dlvp("run " + kSelftest + " --set dma.channels=9 --out " + out_dir("range"));
  EXPECT_EQ(r.status, dlvp::exit_status::kBadInput);
  EXPECT_NE(r.output.find("'dma.channels'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("out of range"), std::string::npos) << r.output;
  r = run_dlvp("run " + kSelftest + " --set ddr.preset=ddr9 --out " + out_dir("preset"));
  EXPECT_EQ(r.status, dlvp::exit_status::kBadInput);
  EXPECT_NE(r.output.find("ddr.preset"), std::string::npos) << r.output;
  r = run_dlvp("run /nonexistent.yaml");
  EXPECT_EQ(r.status, dlvp::exit_status::kBadInput);
  EXPECT_NE(r.output.find("/nonexistent.yaml"), std::string::npos) << r.output;
}

TEST(DlvpCli, TimeLimitEndsTheRun) {
  const auto dir = out_dir("timelimit");
  const auto r = run_dlvp("run " + kSelftest + " --set run.max_time_ms=0.05 --out " + dir);
  EXPECT_EQ(r.status, dlvp::exit_status::kTimeLimit) << r.output;
  EXPECT_EQ(read_report(dir)["run"]["software_exited"], false);
}

TEST(DlvpCli, Ddr4ConfigurationRunsTheSameSoftware) {
  const auto dir = out_dir("ddr4");
  const auto r = run_dlvp("run " + kSelftest + " --set hw=ddr4-2400 --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto report = read_report(dir);
  EXPECT_NE(report["configuration"]["files"]["ddr_preset"].get<std::string>().find("ddr4-2400-x64"), std::string::npos);
  EXPECT_NE(r.output.find("DMA self-test: PASS"), std::string::npos) << r.output;
}

}  // namespace

namespace {

const std::string kFashion = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml";

// The accuracy the classify app printed, in percent (-1 when absent).
// The accuracy classify printed ("classify: accuracy 91.00 %"; with two packages "classify: sparse: accuracy").
double printed_accuracy(const std::string& output, const std::string& label = "") {
  const std::string line = "classify: " + label + "accuracy ";
  const auto at = output.find(line);
  return at == std::string::npos ? -1.0 : std::stod(output.substr(at + line.size()));
}

}  // namespace

TEST(DlvpCli, FashionMnistClassifierRunsTheCompiledModelWithAPerLayerReport) {
  const auto dir = out_dir("fashion");
  const auto r = run_dlvp("run " + kFashion + " --set 'software.args[3]=100' --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  // 100 images of a ~91 % model: far above chance (10 %), with latency and energy per image.
  EXPECT_GT(printed_accuracy(r.output), 75.0) << r.output;
  EXPECT_NE(r.output.find(" of 100)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("latency per image"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("energy per image"), std::string::npos) << r.output;
  const auto report = read_report(dir);
  ASSERT_EQ(report["accelerator"]["packages"].size(), 1u);
  const auto& a = report["accelerator"]["packages"][0];
  EXPECT_EQ(a["jobs"], 100);
  EXPECT_EQ(a["batch_size"], 1);
  ASSERT_GE(a["layers"].size(), 3u);
  double read = 0;
  for (const auto& layer : a["layers"]) {
    EXPECT_NE(layer["name"].get<std::string>().rfind("layer", 0), 0u) << "layers are named from the package";
    EXPECT_GT(layer["dram_read_bytes"].get<double>(), 0) << layer.dump();
    EXPECT_GT(layer["energy_by_level"]["dram"].get<double>(), 0) << layer.dump();
    read += layer["dram_read_bytes"].get<double>();
  }
  EXPECT_DOUBLE_EQ(a["total"]["dram_read_bytes"].get<double>(), read);
  EXPECT_GT(a["per_inference"]["off_chip_bytes"].get<double>(), 0);
  EXPECT_EQ(a["layers_time_ps_total"], a["job_time_ps_total"]) << "the layers add up to the job";
  // The IFU's fetch buffer, decode and queues count energy (docs/ifu.md, "Energy"), at level other;
  // with every other counter they add up to the total.
  const auto& ifu = report["modules"]["soc.ifu"];
  std::set<std::string> ifu_counters;
  double sum = 0;
  for (const auto& c : report["energy"]["counters"]) {
    sum += c["energy"].get<double>();
    if (c["module"] != "soc.ifu") continue;
    ifu_counters.insert(c["name"].get<std::string>());
    EXPECT_EQ(c["level"], "other") << c.dump();
    EXPECT_GT(c["energy"].get<double>(), 0) << c.dump();
    if (c["name"] == "decode") {
      EXPECT_EQ(c["count"], ifu["instructions_decoded"]) << c.dump();
    }
  }
  EXPECT_EQ(ifu_counters, (std::set<std::string>{"fetch_buffer.write", "fetch_buffer.read", "decode", "queue.write",
                                                 "queue.read"}));
  EXPECT_NEAR(sum, report["energy"]["total"].get<double>(), 1e-9 * sum);
  const std::string csv = read_text(dir, "layers.csv");
  EXPECT_EQ(csv.rfind("package,layer,name,kind,input,output,engine,bound,time_ns", 0), 0u) << csv;
  EXPECT_NE(csv.find(",total,"), std::string::npos) << csv;
}

namespace {

const std::string kFashionLstm = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_lstm.yaml";

}  // namespace

TEST(DlvpCli, FashionLstmRunsSparseAndDenseWithTheSamePredictions) {
  const auto dir = out_dir("fashion_lstm");
  const auto r = run_dlvp("run " + kFashionLstm + " --set 'software.args[3]=100' --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  // 100 images of a ~86 % model, twice (sparse, then the dense mode of the same weights).
  EXPECT_GT(printed_accuracy(r.output, "sparse: "), 70.0) << r.output;
  EXPECT_GT(printed_accuracy(r.output, "dense: "), 70.0) << r.output;
  EXPECT_NE(r.output.find("dense vs sparse: 0 of 100 predictions differ"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("99 later jobs found them in the engine"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lstm on the LSTM engine: 8000 stream entries"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("lstm on the LSTM engine: 79872 stream entries"), std::string::npos) << r.output;
  const auto report = read_report(dir);
  ASSERT_EQ(report["accelerator"]["packages"].size(), 2u) << report["accelerator"].dump();  // sparse, dense
  const auto& layers = report["accelerator"]["packages"][0]["layers"];
  ASSERT_EQ(layers.size(), 2u) << report["accelerator"].dump();
  EXPECT_EQ(layers[0]["name"], "lstm");
  EXPECT_EQ(layers[1]["name"], "classifier");
  EXPECT_GT(layers[0]["macs"].get<double>(), 0);
  EXPECT_GT(layers[0]["energy_by_level"]["mac"].get<double>(), 0);
}

TEST(DlvpCli, AnLstmPackageOnASocWithoutTheLstmEngineIsRefused) {
  // dlvp binds the packages before the run (docs/package.md); the driver's own refusal of a SoC
  // without the engine is tested in tests/unit/sw.
  const auto r = run_dlvp("run " + kFashionLstm + " --set lstm.enabled=false --out " + out_dir("no_lstm"));
  EXPECT_EQ(r.status, 122) << r.output;
  EXPECT_NE(r.output.find("fashion_lstm.dlvp: compiled for lstm.enabled = 1, this platform has 0"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("fashion_lstm.dlvp: it needs the sparse LSTM engine: run it on a platform with "
                          "lstm.enabled: true"),
            std::string::npos)
      << r.output;
}

TEST(DlvpCli, AMalformedLstmStreamStopsTheJobWithItsCodeAndIndex) {
  // The shipped sparse package with PE 0's last column pointer of the first resident weight chunk
  // moved past the end of the stream (checksum recomputed, so the driver accepts the package).
  std::ifstream in(std::string(DLVP_BUILD_DIR) + "/models/fashion_lstm.dlvp", std::ios::binary);
  std::vector<uint8_t> blob((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(blob.size(), sizeof(dlvp::package::PackageHeader));
  dlvp::package::PackageHeader h;
  std::memcpy(&h, blob.data(), sizeof h);
  const auto instruction = [&](uint32_t k) {
    dlvp::isa::Instruction in;
    std::memcpy(&in, blob.data() + h.instructions_offset + uint64_t{k} * sizeof in, sizeof in);
    return in;
  };
  int64_t spmv = -1;
  for (uint32_t k = 0; k < h.instruction_count && spmv < 0; ++k)
    if (instruction(k).header.opcode == dlvp::isa::kOpLstmSpmv) spmv = k;
  ASSERT_GE(spmv, 0);
  const dlvp::isa::LstmSpmv s = instruction(static_cast<uint32_t>(spmv)).lstm_spmv;
  ASSERT_EQ(s.weight_offset, 0u) << "the first product reads the first resident chunk";
  const dlvp::isa::Transfer load = instruction(0).transfer;  // that chunk's LOAD: a row per PE
  ASSERT_EQ(load.buffer, dlvp::isa::kBufLstmWeight);
  const uint64_t last_pointer = h.args[load.arg].offset + load.ddr_offset + uint64_t{s.cols} * 4;
  const uint32_t past_the_end = 0x00FFFFFF;
  std::memcpy(blob.data() + last_pointer, &past_the_end, sizeof past_the_end);
  dlvp::package::seal(blob.data(), blob.size());
  const auto file = std::filesystem::path(testing::TempDir()) / "malformed_lstm.dlvp";
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(blob.data()), blob.size());

  const auto r = run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set 'software.load=[{file: \"" +
                          file.string() + "\", address: 0x90000000}]' --set 'software.args[0]=0x90000000'");
  EXPECT_EQ(r.status, 3) << r.output;  // run_package: the job stopped with an error
  EXPECT_NE(r.output.find("error " + std::to_string(dlvp::isa::kErrBadStream) + " at instruction " + std::to_string(spmv)),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("PE 0"), std::string::npos) << "the engine names the PE: " << r.output;
}
