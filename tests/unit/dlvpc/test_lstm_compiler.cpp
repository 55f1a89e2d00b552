// dlvpc's LSTM path on the shipped Fashion-MNIST row LSTMs (scenarios/models/fashion_lstm*.onnx):
// the package's header and layers, load balance of both pruning modes, the dense mode and streamed
// weights computing the same bits, several sequences per job, and what it refuses.
#include "platform/model_package.h"
#include "platform/package_file.h"
#include "tools/dlvpc/lstm_compiler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace dlvp::dlvpc {
namespace {

const std::string kModels = std::string(DLVP_SOURCE_DIR) + "/scenarios/models/";

// Image-like calibration inputs: 28 x 28 values in [0, 1).
std::vector<std::vector<double>> images(uint32_t count) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> pixel(0.0, 1.0);
  std::vector<std::vector<double>> out(count, std::vector<double>(28 * 28));
  for (auto& image : out)
    for (double& p : image) p = pixel(rng);
  return out;
}

LstmCompiled compile_model(const std::string& file, LstmCompileOptions options = {}) {
  return compile_lstm(import_onnx_lstm_file(kModels + file), images(4), options);
}

// The package's header and layer records, read (and validated) as the host's readers do.
package::PackageHeader header_of(const std::vector<uint8_t>& blob) {
  return package::read_package(blob, "package").header;
}

package::LayerRecord layer_of(const std::vector<uint8_t>& blob, uint32_t index) {
  return package::read_package(blob, "package").layers.at(index);
}

// The head's int16 outputs of sequence s in an expected output window.
std::vector<int16_t> head_outputs(const LstmCompiled& c, uint32_t s) {
  std::vector<int16_t> out(c.head.outputs());
  std::memcpy(out.data(), c.test_expected.data() + c.program.head_output_offset + s * out.size() * 2, out.size() * 2);
  return out;
}

TEST(DlvpcLstm, ShippedModelCompilesToAnLstmPackageWithItsHead) {
  const LstmCompiled c = compile_model("fashion_lstm.onnx");
  const package::PackageHeader h = header_of(c.package);
  EXPECT_EQ(h.version, package::kVersion);
  EXPECT_EQ(h.hardware.pes, 0u) << "no CNN engine needed";
  EXPECT_EQ(h.lstm.pes, 32u);
  EXPECT_EQ(h.lstm.accumulator_bits, 32u);
  EXPECT_EQ(h.input_element_bytes, 2u);
  EXPECT_EQ(h.output_element_bytes, 2u);
  EXPECT_EQ(h.sequences, 1u);
  EXPECT_EQ(h.input_h, 28u);
  EXPECT_EQ(h.input_w, 28u);
  EXPECT_EQ(h.output_c, 10u);
  EXPECT_EQ(h.cpu_postprocess, package::kPostSoftmax);
  EXPECT_EQ(h.output_offset, c.program.head_output_offset);
  EXPECT_EQ(h.test_expected_size, c.program.output_bytes);
  ASSERT_EQ(h.layer_count, 2u);
  const package::LayerRecord lstm = layer_of(c.package, 0), head = layer_of(c.package, 1);
  EXPECT_EQ(lstm.kind, package::kLayerLstm);
  EXPECT_EQ(head.kind, package::kLayerLstmLinear);
  EXPECT_EQ(lstm.entries, 8000u) << "250 non-zeros per PE, no padding needed";
  EXPECT_EQ(lstm.macs, 28ull * 512 * (28 + 128));
  EXPECT_EQ(lstm.tiles, 28u * 3) << "W and R products and the gates per step";
  EXPECT_EQ(head.tiles, 1u);
  EXPECT_EQ(head.macs, 1280u);
  EXPECT_FALSE(c.program.streamed) << "fits the 32 x 32 KiB weight memories";
  EXPECT_EQ(c.program.stored_steps, 1u) << "a classifier needs only the last step";
}

TEST(DlvpcLstm, LoadBalancedPruningEqualisesThePesGlobalPruningDoesNot) {
  const PeLoad balanced = compile_model("fashion_lstm.onnx").lstm.report.total.nonzero_load();
  const PeLoad global = compile_model("fashion_lstm_global.onnx").lstm.report.total.nonzero_load();
  EXPECT_EQ(balanced.min, 250u);
  EXPECT_EQ(balanced.max, 250u);
  EXPECT_DOUBLE_EQ(balanced.imbalance(), 1.0);
  EXPECT_EQ(global.min, 151u);
  EXPECT_EQ(global.max, 433u);
  EXPECT_GT(global.imbalance(), 1.7);
}

TEST(DlvpcLstm, PredictedCyclesFollowTheLoadBalance) {
  // The engine's timing on the package's own streams (tests/unit/lstm checks it equals the
  // engine's count): the slowest PE sets each column's pace, so global pruning costs cycles.
  const auto balanced = compile_model("fashion_lstm.onnx").predicted;
  const auto global = compile_model("fashion_lstm_global.onnx").predicted;
  ASSERT_EQ(balanced.size(), 2u) << "the LSTM and its head";
  EXPECT_DOUBLE_EQ(balanced.at(0).pe_load().imbalance(), 1.0);
  EXPECT_GT(global.at(0).pe_load().imbalance(), 1.7);
  EXPECT_EQ(balanced.at(0).entries, 28u * 8000) << "every step walks every entry once";
  EXPECT_GT(global.at(0).cycles, balanced.at(0).cycles * 11 / 10);
  EXPECT_EQ(global.at(1).cycles, balanced.at(1).cycles) << "the same dense head";
}

TEST(DlvpcLstm, DenseModeAndStreamedWeightsComputeTheSameBits) {
  const LstmCompiled sparse = compile_model("fashion_lstm.onnx");
  LstmCompileOptions dense_options;
  dense_options.dense = true;
  const LstmCompiled dense = compile_model("fashion_lstm.onnx", dense_options);
  EXPECT_EQ(layer_of(dense.package, 0).entries, 512u * (28 + 128)) << "every weight an entry";
  EXPECT_EQ(dense.test_expected, sparse.test_expected);
  LstmCompileOptions streamed_options;
  streamed_options.stream_weights = true;
  const LstmCompiled streamed = compile_model("fashion_lstm.onnx", streamed_options);
  EXPECT_TRUE(streamed.program.streamed);
  EXPECT_EQ(streamed.test_expected, sparse.test_expected);
}

TEST(DlvpcLstm, SeveralSequencesPerJobRunTheSameModelSideBySide) {
  LstmCompileOptions options;
  options.sequences = 4;
  const LstmCompiled four = compile_model("fashion_lstm.onnx", options);
  const LstmCompiled one = compile_model("fashion_lstm.onnx");
  EXPECT_EQ(header_of(four.package).sequences, 4u);
  EXPECT_EQ(four.test_input.size(), 4u * 28 * 28);
  for (uint32_t s = 0; s < 4; ++s) EXPECT_EQ(head_outputs(four, s), head_outputs(one, 0)) << "sequence " << s;
}

TEST(DlvpcLstm, PruningByDlvpcReachesTheTargetDensity) {
  LstmCompileOptions options;
  options.density = 0.05;
  const LstmCompiled c = compile_model("fashion_lstm.onnx", options);
  EXPECT_NEAR(c.lstm.report.total.density(), 0.05, 0.001);
  const PeLoad load = c.lstm.report.total.nonzero_load();
  EXPECT_LE(load.max - load.min, 2u) << "balanced within one weight per PE and matrix";
}

TEST(DlvpcLstm, AHeadTheEngineCannotRunIsRefusedNamingIt) {
  const LstmModel model = import_onnx_lstm_file(kModels + "fashion_lstm.onnx");
  LstmModel two_layers = model;
  two_layers.head.ops.push_back(two_layers.head.ops[0]);
  two_layers.head.ops[1].name = "second_fc";
  try {
    compile_lstm(two_layers, images(1), {});
    FAIL() << "a two-layer head compiled";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'second_fc'"), std::string::npos) << e.what();
  }
  LstmModel relu = model;
  relu.head.ops[0].relu = true;
  try {
    compile_lstm(relu, images(1), {});
    FAIL() << "a head with a ReLU compiled";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no ReLU"), std::string::npos) << e.what();
  }
}

TEST(DlvpcLstm, AModelTooBigForTheVectorBufferIsRefusedWithTheSizes) {
  LstmCompileOptions options;
  options.hw.vector_buffer_bytes = 4096;
  try {
    compile_model("fashion_lstm.onnx", options);
    FAIL() << "compiled into a 4 KiB vector buffer";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("vector buffer"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlvp::dlvpc
