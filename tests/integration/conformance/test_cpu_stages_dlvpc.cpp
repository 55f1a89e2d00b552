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

#include <filesystem>
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
};

SocRun run_on_soc(const std::vector<uint8_t>& package, const std::string& mode) {
  const std::string dir = test::out_dir("cpu_stages_dlvpc_" + mode);
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
  return run;
}

TEST(DlvpcCpuStages, NodesNoEngineRunsBecomeCpuStagesBetweenAcceleratorRanges) {
  const dlvpc::Compiled c = compile_case("cpu_between_convs");
  EXPECT_EQ(cpu_operations(c), (std::vector<std::string>{"transpose", "softmax", "resize_nearest", "reduce_mean",
                                                         "arithmetic", "arithmetic"}));
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
  const SocRun native = run_on_soc(c.package, "native"), iss = run_on_soc(c.package, "iss");
  for (const SocRun* r : {&native, &iss}) {
    EXPECT_EQ(r->cli.status, 0) << r->cli.output;
    EXPECT_NE(r->cli.output.find("run_package: output matches the expected output"), std::string::npos)
        << r->cli.output;
  }
  EXPECT_EQ(native.stages.size(), c.program.stages.size()) << native.cli.output;
  EXPECT_EQ(native.stages, iss.stages);
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
