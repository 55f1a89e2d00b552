// dlvpc's GRU path (docs/lstm.md, "GRU: dlvpc compile") on torch 1.13's nn.GRU exports
// (tests/data/torch_forms/gru_*, tools/onnx_zoo/export_torch_forms.py): the LSTM import's forms read
// around a GRU node, packages for the sparse LSTM engine that run bit-exact on the SoC with both
// linear_before_reset settings (torch exports 1; 0 is the same file with the attribute changed),
// pruning, the report, the calibration cache's payload and the pruning estimate.
#include "platform/model_package.h"
#include "platform/package_file.h"
#include "tests/support/dlvp_cli.h"
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/calibration_cache.h"
#include "tools/dlvpc/gru_compiler.h"
#include "tools/dlvpc/lstm_estimate.h"
#include "tools/dlvpc/onnx_file.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <random>

namespace dlvp::dlvpc {
namespace {

const std::string kForms = std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_forms/";

onnx::ModelProto form(const std::string& name) { return read_onnx_model(kForms + name + "/model.onnx"); }

// Random ONNX inputs of the model's input size in [0, 1).
std::vector<std::vector<double>> inputs_for(const GruModel& m, uint32_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> value(0.0, 1.0);
  const uint64_t n = uint64_t{m.seq_length} * m.batch * m.layer.input_size;
  std::vector<std::vector<double>> out(count, std::vector<double>(n));
  for (auto& x : out)
    for (double& v : x) v = value(rng);
  return out;
}

// The package run by run_package on the SoC (scenarios/conformance.yaml): its embedded test input
// through the engine, the output window compared bit for bit with the reference model's.
// `pes`: the engine's PE count the package was compiled for (the SoC's is set to it).
void expect_bit_exact_on_soc(const GruCompiled& c, const std::string& name, uint32_t pes = lstm::kDefaultPes) {
  ASSERT_FALSE(c.test_expected.empty()) << name;
  const std::string dir = test::out_dir("gru_" + name);
  std::filesystem::create_directories(dir);
  const std::string package = dir + "/model.dlvp";
  package::write_package_file(package, c.package);
  const test::CliResult r = test::run_dlvp("run " + std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml --set " +
                                           "'software.load=[{file: \"" + package + "\", address: 0x90000000}]' --set lstm.pes=" +
                                           std::to_string(pes) + " --out " + dir + "/run");
  EXPECT_EQ(r.status, 0) << name << "\n" << r.output;
  EXPECT_NE(r.output.find("run_package: output matches the expected output"), std::string::npos) << name << "\n" << r.output;
}

TEST(DlvpcGru, TorchFormsImportWithTheirLayoutStatesAndHead) {
  struct Case {
    const char* name;
    uint32_t batch;
    int input_layout;
    bool softmax;
  };
  for (const Case& c : {Case{"gru_batch_first", 2, 1, false}, Case{"gru_batch_first_zero_states", 2, 1, true},
                        Case{"gru_seq_first", 2, 0, false}, Case{"gru_seq_first_zero_states", 1, 0, false},
                        Case{"gru_h_n", 1, 1, false}}) {
    SCOPED_TRACE(c.name);
    const GruModel m = import_onnx_gru(form(c.name), c.name);
    EXPECT_EQ(m.node, "/lstm/GRU");
    EXPECT_EQ(m.batch, c.batch);
    EXPECT_EQ(m.layout, 0) << "torch keeps layout 0 and transposes a batch_first input";
    EXPECT_EQ(m.input_layout, c.input_layout);
    EXPECT_EQ(m.layer.hidden_size, 8u);
    EXPECT_EQ(m.layer.input_size, 4u);
    EXPECT_TRUE(m.layer.linear_before_reset) << "torch's GRU applies the reset gate after R_h h";
    EXPECT_EQ(m.layer.wb.size(), 24u);
    EXPECT_EQ(m.layer.rb.size(), 24u);
    // Zero states (Expand of a Constant) with and without explicit ones.
    EXPECT_EQ(m.initial_h.size(), uint64_t{c.batch} * 8);
    EXPECT_TRUE(std::all_of(m.initial_h.begin(), m.initial_h.end(), [](double v) { return v == 0; }));
    ASSERT_TRUE(m.has_head);
    ASSERT_EQ(m.head.ops.size(), 1u);
    EXPECT_EQ(m.head.ops[0].kind, OpKind::kFc);
    EXPECT_EQ(m.head.ops[0].output.c, 3u);
    EXPECT_EQ(m.head.softmax_on_cpu, c.softmax);
  }
}

TEST(DlvpcGru, RefusalsNameTheNodeAndWhy) {
  onnx::ModelProto stacked = form("gru_h_n");
  *stacked.mutable_graph()->add_node() = stacked.graph().node(11);  // a second GRU node
  const std::string second = test::error_of([&] { import_onnx_gru(stacked, "m.onnx"); });
  EXPECT_NE(second.find("(GRU): a second GRU: stacked GRUs are not supported"), std::string::npos) << second;
  onnx::ModelProto reverse = form("gru_h_n");
  for (onnx::NodeProto& n : *reverse.mutable_graph()->mutable_node())
    if (n.op_type() == "GRU") {
      onnx::AttributeProto& a = *n.add_attribute();
      a.set_name("direction"), a.set_type(onnx::AttributeProto::STRING), a.set_s("reverse");
    }
  const std::string direction = test::error_of([&] { import_onnx_gru(reverse, "m.onnx"); });
  EXPECT_NE(direction.find("node '/lstm/GRU' (GRU): direction 'reverse' is not supported"), std::string::npos) << direction;
}

// Both linear_before_reset settings: torch's export (1) and the same graph with the attribute 0
// (a different function of the same weights: R_h's bias inside the reset product or outside).
TEST(DlvpcGru, BothLinearBeforeResetSettingsRunBitExactOnTheSoc) {
  for (const int lbr : {1, 0}) {
    onnx::ModelProto model = form("gru_batch_first");
    for (onnx::NodeProto& n : *model.mutable_graph()->mutable_node())
      for (onnx::AttributeProto& a : *n.mutable_attribute())
        if (a.name() == "linear_before_reset") a.set_i(lbr);
    GruModel m = import_onnx_gru(model, "gru_batch_first");
    ASSERT_EQ(m.layer.linear_before_reset, lbr == 1);
    const std::vector<std::vector<double>> calibration = inputs_for(m, 3, 11);
    const GruCompiled c = compile_gru(std::move(m), calibration, {});
    EXPECT_EQ(c.gru.fixed.linear_before_reset, lbr == 1);
    EXPECT_EQ(c.program.gates_instructions, 5u * (lbr ? 1 : 2)) << "a reset stage before R_h without linear_before_reset";
    EXPECT_EQ(c.program.head_spmv_instructions, 1u);
    const auto p = package::read_package(c.package, "package");
    ASSERT_EQ(p.layers.size(), 2u);
    EXPECT_STREQ(p.layers[0].name, "/lstm/GRU");
    EXPECT_EQ(p.layers[0].kind, package::kLayerLstm);
    EXPECT_EQ(p.layers[0].macs, 5u * 2 * 24 * (4 + 8)) << "steps x sequences x 3H x (I + H)";
    EXPECT_EQ(p.layers[1].kind, package::kLayerLstmLinear);
    EXPECT_EQ(p.header.sequences, 2u);
    expect_bit_exact_on_soc(c, "lbr" + std::to_string(lbr));
  }
}

TEST(DlvpcGru, PrunedFormsRunBitExactAndBalanceThePes) {
  GruModel m = import_onnx_gru(form("gru_seq_first"), "gru_seq_first");
  const std::vector<std::vector<double>> calibration = inputs_for(m, 3, 12);
  LstmCompileOptions options;
  options.hw.pes = 4;
  options.density = 0.5;
  const GruCompiled c = compile_gru(m, calibration, options);
  ASSERT_EQ(c.gru.report.matrices.size(), 3u);
  EXPECT_EQ(c.gru.report.matrices[0].name, "W");
  EXPECT_EQ(c.gru.report.matrices[1].name, "R_zr");
  EXPECT_EQ(c.gru.report.matrices[2].name, "R_h");
  // W and R (R_zr and R_h together: one [3H][H] matrix, whose rows keep their PE) each keep half,
  // the same count on every PE.
  for (const MatrixReport* r : {&c.gru.report.matrices[0], &c.gru.report.total}) {
    EXPECT_NEAR(r->density(), 0.5, 1e-9) << r->name;
    EXPECT_EQ(r->nonzero_load().min, r->nonzero_load().max) << r->name << ": load-balanced pruning";
  }
  const std::string report = format_gru_report(c, options);
  EXPECT_NE(report.find("GRU '/lstm/GRU': 4 inputs -> 8 units (linear_before_reset 1), 5 steps, 2 sequences"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("dlvpc pruned the model"), std::string::npos) << report;
  EXPECT_NE(report.find("GRU_GATES"), std::string::npos) << report;
  EXPECT_NE(report.find("predicted GRU: "), std::string::npos) << report;
  options.pruning = Pruning::kGlobal;
  const GruCompiled global = compile_gru(m, calibration, options);
  EXPECT_NEAR(global.gru.report.total.density(), 0.5, 0.01);
  expect_bit_exact_on_soc(c, "pruned_balanced", options.hw.pes);
  expect_bit_exact_on_soc(global, "pruned_global", options.hw.pes);
}

TEST(DlvpcGru, CachedRangesGiveTheSamePackage) {
  GruModel m = import_onnx_gru(form("gru_h_n"), "gru_h_n");
  const std::vector<std::vector<double>> calibration = inputs_for(m, 3, 13);
  LstmCompileOptions options;
  const GruCompiled first = compile_gru(m, calibration, options);
  // Through the cache's payload (what --calib-cache stores), without the float runs.
  options.calibrated = decode_lstm(encode_lstm(first.calibration));
  const GruCompiled cached = compile_gru(m, calibration, options);
  EXPECT_EQ(cached.package, first.package);
  EXPECT_EQ(cached.gru.fixed.h_frac, first.gru.fixed.h_frac);
}

// The estimate of what pruning costs (docs/lstm.md, "What pruning costs"): without pruning the
// compiled model is the unpruned one; pruned to 10 % the tiny random GRU loses agreement and warns
// at a zero threshold, never at 100.
TEST(DlvpcGru, PruningEstimateComparesWithTheUnprunedQuantizedModel) {
  GruModel m = import_onnx_gru(form("gru_h_n"), "gru_h_n");
  const std::vector<std::vector<double>> calibration = inputs_for(m, 4, 14), held_back = inputs_for(m, 40, 15);
  LstmCompileOptions options;
  const GruCompiled dense = compile_gru(m, calibration, options);
  const PruneEstimate same = estimate_pruning(dense, calibration, held_back, {}, options, 0.0);
  EXPECT_EQ(same.samples, 40u);
  EXPECT_FALSE(same.pruned);
  EXPECT_FALSE(same.warns());
  EXPECT_EQ(same.unpruned.same_top1, same.compiled.same_top1);
  EXPECT_GT(same.compiled.sqnr_db(), 20.0) << "16-bit activations, 12-bit weights";
  options.density = 0.1;
  const GruCompiled pruned = compile_gru(m, calibration, options);
  const PruneEstimate cost = estimate_pruning(pruned, calibration, held_back, {}, options, 0.0);
  EXPECT_TRUE(cost.pruned);
  EXPECT_LT(cost.compiled.sqnr_db(), cost.unpruned.sqnr_db());
  EXPECT_EQ(cost.warns(), cost.agreement_loss() > 0);
  EXPECT_FALSE(estimate_pruning(pruned, calibration, held_back, {}, options, 100.0).warns());
}

TEST(DlvpcGru, TooManySequencesAndStreamingAreRefusedNamingTheNode) {
  const GruModel m = import_onnx_gru(form("gru_h_n"), "m.onnx");
  LstmCompileOptions options;
  options.stream_weights = true;
  const std::string stream = test::error_of([&] { check_gru_fits(m, options); });
  EXPECT_NE(stream.find("m.onnx: node '/lstm/GRU' (GRU): --stream-weights"), std::string::npos) << stream;
  options.stream_weights = false;
  options.hw.vector_buffer_bytes = 1024;
  options.sequences = 64;
  const std::string buffer = test::error_of([&] { check_gru_fits(m, options); });
  EXPECT_NE(buffer.find("64 sequences of 4 inputs and 8 units need"), std::string::npos) << buffer;
}

}  // namespace
}  // namespace dlvp::dlvpc
