// dlvpc's CPU stages (docs/dlvpc.md, "CPU stages"; issue 16 item 3): torch 1.13 exports in
// tests/data/cpu_stages (tools/onnx_zoo/export_cpu_forms.py, torch's own outputs) with nodes no
// engine runs between convolutions. dlvpc splits the job into accelerator ranges and CPU stages;
// the package's expected output comes from the reference model running platform/cpu_ops, which
// the driver runs too: the SoC matches it bit for bit natively and on the ISS, and the float graph
// computes torch's function. A node neither an engine nor the CPU runs is refused by name.
#include "tests/support/dlvp_cli.h"
#include "tests/support/package_edit.h"
#include "tools/conformance/conformance.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"
#include "platform/cpu_ops.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace dlvp;
namespace fs = std::filesystem;

const std::string kCases = std::string(DLVP_SOURCE_DIR) + "/tests/data/cpu_stages/";

dlvpc::Compiled compile_case(const std::string& name) {
  dlvpc::FloatGraph graph = dlvpc::import_onnx_file(kCases + name + "/model.onnx");
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<std::vector<float>> calibration(4, std::vector<float>(graph.input.elements()));
  for (auto& input : calibration)
    for (float& x : input) x = uniform(rng);
  return dlvpc::compile(std::move(graph), calibration, dlvpc::CompileOptions{});
}

// The operations of the CPU layers, in order.
std::vector<std::string> cpu_operations(const dlvpc::Compiled& c) {
  std::vector<std::string> ops;
  for (const package::StageRecord& s : c.program.stages)
    if (s.kind == package::kStageCpu) ops.push_back(cpu::op_name(s.op));
  return ops;
}

struct SocRun {
  test::CliResult cli;
  std::vector<std::string> stages;  // "run_package: stage N <kind>" without the time
  nlohmann::json report;
};

// `test`: the calling test's own folder (ctest runs the tests in parallel).
SocRun run_on_soc(const std::vector<uint8_t>& package, const std::string& mode, const std::string& test) {
  const std::string dir = test::out_dir("cpu_stages_dlvpc_" + test + "_" + mode);
  fs::create_directories(dir);
  test::write_bytes(dir + "/model.dlvp", package);
  SocRun run;
  run.cli = test::run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set cpu.mode=" + mode +
                           " --set 'software.load[0]={file: \"" + dir + "/model.dlvp\", address: 0x90000000}' --out " +
                           dir);
  std::istringstream lines(run.cli.output);
  static const std::regex stage(R"(^(run_package: stage \d+ [a-z_ ]+): \d+ ns$)");
  std::smatch m;
  for (std::string line; std::getline(lines, line);)
    if (std::regex_match(line, m, stage)) run.stages.push_back(m[1]);
  run.report = test::read_report(dir);
  return run;
}

TEST(DlvpcCpuStages, NodesNoEngineRunsBecomeCpuStagesBetweenAcceleratorRanges) {
  const dlvpc::Compiled c = compile_case("cpu_between_convs");
  // The LayerNorm (torch's seven nodes, one stage) between the permutes to NHWC and back, its
  // affine Mul and Add as arithmetic stages.
  EXPECT_EQ(cpu_operations(c),
            (std::vector<std::string>{"transpose", "softmax", "resize_nearest", "reduce_mean", "arithmetic", "arithmetic",
                                      "transpose", "layer_norm", "arithmetic", "arithmetic", "transpose"}));
  // Every accelerator range ends with END and the ranges tile the stream; CPU layers have no
  // instructions and run on the CPU in dlvpc's table, the others on the engine.
  uint32_t next = 0;
  for (const package::StageRecord& s : c.program.stages) {
    if (s.kind == package::kStageCpu) {
      EXPECT_EQ(c.program.layers[s.layer].kind, builder::LayerKind::kCpu);
      EXPECT_EQ(c.program.layers[s.layer].instructions(), 0u);
      EXPECT_EQ(c.layers[s.layer].runs_on, "CPU");
      continue;
    }
    EXPECT_EQ(s.first_instruction, next);
    next = s.first_instruction + s.instruction_count;
    EXPECT_EQ(c.program.instructions[next - 1].header.opcode, isa::kOpEnd);
  }
  EXPECT_EQ(next, c.program.instructions.size());
  for (const dlvpc::LayerReport& r : c.layers)
    EXPECT_EQ(r.runs_on, r.kind == "cpu" ? "CPU" : "CNN") << r.name;
  EXPECT_NE(dlvpc::format_report(c, {}).find(" cpu     CPU "), std::string::npos);
  // The engine keeps what it runs: the convolutions and the Gemm.
  size_t engine_layers = 0;
  for (const dlvpc::LayerReport& r : c.layers) engine_layers += r.runs_on == "CNN";
  EXPECT_EQ(engine_layers, 5u);
}

TEST(DlvpcCpuStages, TheSocMatchesTheReferenceBitForBitNativelyAndOnTheIss) {
  const dlvpc::Compiled c = compile_case("cpu_between_convs");
  ASSERT_FALSE(c.test_expected.empty());
  const SocRun native = run_on_soc(c.package, "native", "bits"), iss = run_on_soc(c.package, "iss", "bits");
  for (const SocRun* r : {&native, &iss}) {
    EXPECT_EQ(r->cli.status, 0) << r->cli.output;
    EXPECT_NE(r->cli.output.find("run_package: output matches the expected output"), std::string::npos)
        << r->cli.output;
  }
  EXPECT_EQ(native.stages.size(), c.program.stages.size()) << native.cli.output;
  EXPECT_EQ(native.stages, iss.stages);
}

// The per-layer report (docs/report.md): each CPU stage is a row of the package's table, timed and
// counted between the driver's marks (the system controller's CPU_STAGE), so that the layers add up
// to the whole job (accelerator and CPU stages) and their energies to the package's total.
TEST(DlvpcCpuStages, ThePerLayerReportHasTheCpuLayersAndTheyAddUp) {
  const dlvpc::Compiled c = compile_case("cpu_between_convs");
  const std::vector<std::string> cpu_ops = cpu_operations(c);
  std::map<std::string, double> cpu_time_ns;  // by mode: the CPU rows' time
  for (const std::string mode : {"native", "iss"}) {
    const SocRun run = run_on_soc(c.package, mode, "report");
    ASSERT_EQ(run.cli.status, 0) << run.cli.output;
    const nlohmann::json& pkg = run.report["accelerator"]["packages"][0];
    EXPECT_EQ(pkg["jobs"].get<double>(), 1.0) << mode;  // one job, however many stages
    EXPECT_EQ(pkg["layers_time_ps_total"].get<int64_t>(), pkg["job_time_ps_total"].get<int64_t>()) << mode;
    double time_ns = 0, energy = 0;
    size_t cpu_rows = 0;
    uint32_t previous_tag = 0;
    for (const nlohmann::json& row : pkg["layers"]) {
      time_ns += row["time_ns"].get<double>();
      energy += row["energy"].get<double>();
      EXPECT_GE(row["tag"].get<uint32_t>(), previous_tag) << "rows in the package's order";
      previous_tag = row["tag"].get<uint32_t>();
      if (row["kind"] != "cpu") continue;
      ++cpu_rows;
      EXPECT_EQ(row["engine"], "cpu");
      EXPECT_EQ(c.program.layers[row["tag"].get<uint32_t>()].kind, builder::LayerKind::kCpu);
      EXPECT_GT(row["time_ns"].get<double>(), 0) << mode << " " << row["name"];
      EXPECT_GT(row["dynamic_energy"].get<double>(), 0) << mode << " " << row["name"];
      EXPECT_GT(row["static_energy"].get<double>(), 0) << mode << " " << row["name"];
      cpu_time_ns[mode] += row["time_ns"].get<double>();
    }
    EXPECT_EQ(cpu_rows, cpu_ops.size()) << mode;
    const nlohmann::json& total = pkg["total"];
    EXPECT_NEAR(time_ns, total["time_ns"].get<double>(), 1e-9 * time_ns) << mode;
    EXPECT_NEAR(time_ns, pkg["job_time_ns"].get<double>(), 1e-6 * time_ns) << mode;
    EXPECT_NEAR(energy, total["energy"].get<double>(), 1e-9 * energy) << mode;
    EXPECT_EQ(run.report["modules"]["soc.sysctl"]["cpu_stage_marks_unmatched"].get<uint64_t>(), 0u) << mode;
  }
  // Natively the operations are free (only their copies take bus time); the ISS runs them.
  EXPECT_GT(cpu_time_ns["iss"], 10 * cpu_time_ns["native"]);
}

TEST(DlvpcCpuStages, TheFloatGraphComputesTorchsFunctionAndTheSocPasses) {
  conformance::RunOptions o;
  o.dlvp = DLVP_BINARY;
  o.scenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml";
  o.work_dir = (fs::path(testing::TempDir()) / "cpu_stages_dlvpc").string();
  fs::create_directories(o.work_dir);
  const conformance::CaseResult r = conformance::run_test(kCases + "cpu_between_convs", o);
  EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
  EXPECT_TRUE(r.soc_checked);
  EXPECT_LE(r.float_error, r.float_atol);
  EXPECT_GT(r.sqnr_db, 25.0);
}

TEST(DlvpcCpuStages, ANodeNeitherAnEngineNorTheCpuRunsIsRefusedByName) {
  std::string error;
  try {
    dlvpc::import_onnx_file(kCases + "refuse_cpu_unknown/model.onnx");
  } catch (const dlvpc::ImportError& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("node '/Cos' (Cos): operator not supported by dlvpc"), std::string::npos) << error;
}

}  // namespace
