// dlvpc on small ONNX graphs built in code: what the importer fuses, that compiled programs give
// the reference model's int8 results bit for bit on the ISA interpreter and stay close to the float
// model, and that bad input is refused with a message naming what is wrong.
#include "tests/reference/network_reference.h"
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>


#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

namespace dlvp::dlvpc {
namespace {

using test::GraphBuilder;
using test::import_error;
using test::inception_block;
using test::new_model;
using test::residual_block;
using test::small_cnn;

std::vector<std::vector<float>> random_inputs(const TensorShape& shape, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<std::vector<float>> v(count, std::vector<float>(shape.elements()));
  for (auto& x : v)
    for (float& e : x) e = u(rng);
  return v;
}

// Runs the compiled program on the ISA interpreter for `input`; checks it matches the reference model
// bit for bit and returns the dequantized output.
std::vector<float> run_compiled(const Compiled& c, const CnnConfig& hw, const std::vector<float>& input) {
  const std::vector<int8_t> q = quantize_tensor(input, c.model.input_frac);
  const ref::ProgramRun run = ref::run_program(c.program, hw, q);
  EXPECT_EQ(run.result.error, isa::kErrNone);
  EXPECT_EQ(run.output, ref::run_network(c.model.network, c.graph.input, q, hw.accumulator_bits));
  return dequantize(run.output, c.model.output_frac());
}

// Largest |quantized - float| relative to the float output's largest magnitude.
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double err = 0, scale = 1e-9;
  for (size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, static_cast<double>(std::fabs(got[i] - want[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(want[i])));
  }
  return err / scale;
}

CompileOptions small_hw() {
  CompileOptions o;
  o.hw.input_buffer_bytes = o.hw.output_buffer_bytes = 4096;  // small buffers: several tiles per layer
  o.hw.weight_buffer_bytes = 4096;
  return o;
}

TEST(Dlvpc, ImportFusesBatchNormReluAndPoolingIntoTheConvAndLeavesSoftmaxToTheCpu) {
  const FloatGraph g = import_onnx(small_cnn(1), "small_cnn");
  ASSERT_EQ(g.ops.size(), 3u);
  EXPECT_EQ(g.ops[0].onnx_ops, "Conv+BatchNormalization+Relu+MaxPool");
  EXPECT_EQ(g.ops[0].pool_size, 2u);
  EXPECT_TRUE(g.ops[0].relu);
  EXPECT_EQ(g.ops[0].output, (TensorShape{8, 16, 16}));
  EXPECT_EQ(g.ops[1].onnx_ops, "Conv+Relu");
  EXPECT_EQ(g.ops[2].kind, OpKind::kFc);
  EXPECT_EQ(g.ops[2].input.elements(), 12u * 16 * 16);
  EXPECT_TRUE(g.softmax_on_cpu);
  EXPECT_EQ(g.macs(), 8ull * 32 * 32 * 27 + 12ull * 16 * 16 * 72 + 3072ull * 10);
}

TEST(Dlvpc, CompiledCnnIsBitExactWithTheReferenceAndCloseToTheFloatModel) {
  const CompileOptions options = small_hw();
  FloatGraph g = import_onnx(small_cnn(2), "small_cnn");
  const auto calibration = random_inputs(g.input, 8, 3);
  const Compiled c = compile(g, calibration, options);
  EXPECT_GT(c.program.layers[0].tiling.bands * c.program.layers[0].tiling.groups, 1u);  // really tiled
  for (const auto& x : random_inputs(g.input, 3, 4)) {
    const std::vector<float> want = run_float(c.graph, x).back();
    EXPECT_LT(relative_error(run_compiled(c, options.hw, x), want), 0.08);
  }
  // The package carries the first calibration input and its expected output.
  EXPECT_EQ(c.test_input, quantize_tensor(calibration[0], c.model.input_frac));
  EXPECT_EQ(c.test_expected.size(), 10u);
  ASSERT_EQ(c.layers.size(), 3u);
  EXPECT_GT(c.layers[0].engine_busy_cycles, 0u);
  EXPECT_EQ(c.layers[0].macs, 8ull * 32 * 32 * 27);
}

TEST(Dlvpc, ResidualBlockWithShortcutConvolutionCompilesBitExact) {
  const CompileOptions options = small_hw();
  FloatGraph g = import_onnx(residual_block(5), "residual");
  ASSERT_EQ(g.ops.size(), 7u);  // conv, conv, conv, shortcut conv, add(+relu), global pool, gemm
  EXPECT_EQ(g.ops[3].inputs[0], 0);  // the shortcut reads the block input
  EXPECT_EQ(g.ops[4].kind, OpKind::kAdd);
  EXPECT_TRUE(g.ops[4].relu);
  EXPECT_EQ(g.ops[5].pool_size, 6u);
  const Compiled c = compile(g, random_inputs(g.input, 8, 6), options);
  for (const auto& x : random_inputs(g.input, 2, 7))
    EXPECT_LT(relative_error(run_compiled(c, options.hw, x), run_float(c.graph, x).back()), 0.1);
}

TEST(Dlvpc, ConcatenatedBranchesShareOneRadixPointAndCompileBitExact) {
  const CompileOptions options = small_hw();
  FloatGraph g = import_onnx(inception_block(9), "inception");
  ASSERT_EQ(g.ops.size(), 9u);  // stem, a, b, pool, c, concat, relu (1x1 pool), global pool, gemm
  const FloatOp& concat = g.ops[5];
  EXPECT_EQ(concat.kind, OpKind::kConcat);
  EXPECT_EQ(concat.inputs, (std::vector<int>{1, 2, 4}));
  EXPECT_EQ(concat.output, (TensorShape{20, 10, 10}));
  EXPECT_FALSE(concat.relu);  // the ReLU after it is a layer of its own
  const Compiled c = compile(g, random_inputs(g.input, 8, 10), options);
  for (const int source : concat.inputs) EXPECT_EQ(c.model.op_frac[source], c.model.op_frac[5]) << source;
  EXPECT_EQ(c.program.layers[5].kind, builder::LayerKind::kConcat);
  EXPECT_EQ(c.program.layers[5].instructions(), 0u);
  for (const auto& x : random_inputs(g.input, 2, 11))
    EXPECT_LT(relative_error(run_compiled(c, options.hw, x), run_float(c.graph, x).back()), 0.1);
}

// dlvpc's progress line: every layer quantized, then each later step once, in order.
TEST(Dlvpc, CompileReportsItsProgressLayerByLayerThenStepByStep) {
  CompileOptions options = small_hw();
  std::vector<std::string> seen;
  options.on_progress = [&](const CompileProgress& p) { seen.push_back(progress_text(p)); };
  FloatGraph g = import_onnx(residual_block(5), "residual");
  ASSERT_EQ(g.ops.size(), 7u);
  compile(g, random_inputs(g.input, 2, 6), options);
  std::vector<std::string> want;
  for (int i = 1; i <= 7; ++i) want.push_back("dlvpc: quantizing layer " + std::to_string(i) + " of 7");
  for (const char* step : {"building the program", "predicting the schedule",
                           "running the test sample on the reference model", "reporting"})
    want.push_back(std::string("dlvpc: ") + step + " (7 layers)");
  EXPECT_EQ(seen, want);
  // A network above test_data_max_macs is written without the reference run.
  seen.clear();
  options.test_data_max_macs = 0;
  compile(import_onnx(residual_block(5), "residual"), random_inputs(g.input, 2, 6), options);
  ASSERT_EQ(seen.size(), want.size());
  EXPECT_EQ(seen[9], "dlvpc: writing the package (7 layers)");
}

TEST(Dlvpc, ABatchOfNCompilesOneSamplePerJob) {
  const FloatGraph g = import_onnx(inception_block(9, 4), "inception");
  EXPECT_EQ(g.batch, 4u);
  EXPECT_EQ(g.input, (TensorShape{3, 10, 10}));
  EXPECT_EQ(g.output_dims, (std::vector<int64_t>{4, 5}));
  const FloatGraph one = import_onnx(inception_block(9, 1), "inception");
  EXPECT_EQ(g.macs(), one.macs());
}

TEST(Dlvpc, StandaloneBatchNormIsADepthwiseOneByOneConvolution) {
  onnx::ModelProto m = new_model();
  GraphBuilder b(*m.mutable_graph(), 12);
  b.output(b.batch_norm(b.input("x", {2, 3, 4, 5})), "y");
  const FloatGraph g = import_onnx(m, "bn");
  ASSERT_EQ(g.ops.size(), 1u);
  EXPECT_EQ(g.ops[0].kind, OpKind::kConv);
  EXPECT_EQ(g.ops[0].onnx_ops, "BatchNormalization");
  EXPECT_EQ(g.ops[0].groups, 3u);
  ASSERT_EQ(g.ops[0].weights.size(), 3u);  // one scale per channel
  for (const float w : g.ops[0].weights) EXPECT_GT(w, 0.0f);  // GraphBuilder's scales are positive
  EXPECT_EQ(g.ops[0].macs(), 3u * 4 * 5);
}

TEST(Dlvpc, UnsupportedOperatorsAttributesAndDynamicShapesNameTheNode) {
  onnx::ModelProto m = small_cnn(1);
  m.mutable_graph()->mutable_node(2)->set_op_type("Softplus");  // the first ReLU
  const std::string op = import_error(m);
  EXPECT_NE(op.find("model.onnx: node 'relu_1' (Softplus): operator not supported"), std::string::npos) << op;

  m = small_cnn(1);
  auto* group = m.mutable_graph()->mutable_node(0)->add_attribute();
  group->set_name("group"), group->set_type(onnx::AttributeProto::INT), group->set_i(3);
  EXPECT_NE(import_error(m).find("(Conv): group 3"), std::string::npos) << import_error(m);

  m = small_cnn(1);
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
  EXPECT_NE(import_error(m).find("dynamic dimension 'N'"), std::string::npos) << import_error(m);

  m = inception_block(1);
  for (auto& node : *m.mutable_graph()->mutable_node())
    if (node.op_type() == "Concat") node.mutable_attribute(0)->set_i(2);
  EXPECT_NE(import_error(m).find("(Concat): concatenation on axis 2"), std::string::npos) << import_error(m);
}

TEST(Dlvpc, TruncatedOrMissingModelFilesAreRefusedNamingTheFile) {
  std::string bytes;
  small_cnn(1).SerializeToString(&bytes);
  const std::string path = std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") + "/cut.onnx";
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  try {
    import_onnx_file(path);
    FAIL() << "truncated model accepted";
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": not a valid ONNX model"), std::string::npos) << e.what();
  }
  EXPECT_THROW(import_onnx_file(path + ".missing"), ImportError);
}

TEST(Dlvpc, ModelTooBigForTheDdrIsRefusedWithTheSizes) {
  CompileOptions options = small_hw();
  options.ddr_bytes = 16 * 1024;  // the weights alone are 30 KiB
  FloatGraph g = import_onnx(small_cnn(1), "small_cnn");
  try {
    compile(g, random_inputs(g.input, 1, 1), options);
    FAIL() << "model larger than the DDR accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("but the hardware has 16.0 KiB"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("of weights"), std::string::npos) << e.what();
  }
}

TEST(Dlvpc, FracForHoldsTheLargestMagnitudeWithoutSaturating) {
  EXPECT_EQ(frac_for(1.0f), 6);     // 1.0 x 64 = 64; x 128 would saturate
  EXPECT_EQ(frac_for(0.99f), 7);    // 0.99 x 128 = 126.7
  EXPECT_EQ(frac_for(127.0f), 0);
  EXPECT_EQ(frac_for(128.0f), -1);
  EXPECT_EQ(frac_for(0.0f), 7);
  EXPECT_EQ(quantize_tensor({1.0f, -1.0f, 0.004f, 3.0f}, 6), (std::vector<int8_t>{64, -64, 0, 127}));
}

}  // namespace
}  // namespace dlvp::dlvpc

