// Operators dlvpc maps onto depthwise CONVs (tools/dlvpc/import_depthwise_forms.h; ZOO2, issue
// 16), from torch 1.13's exports with torch's own outputs (tests/data/depthwise_forms, written by
// tools/onnx_zoo/export_depthwise_forms.py): Inception v3's average pooling that counts the padding
// (F.avg_pool2d(x, 3, 1, 1): Pad + AveragePool) as a depthwise box filter of 1/9 weights, and
// DenseNet's BatchNorm after a concatenation as a depthwise 1x1 CONV. Both run bit-exact on the
// SoC against the reference, and dlvpc's float model computes torch's function.
#include "tools/conformance/conformance.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/dlvpc/quantizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace dlvp;
namespace fs = std::filesystem;

const std::string kCases = std::string(DLVP_SOURCE_DIR) + "/tests/data/depthwise_forms/";

dlvpc::FloatGraph import_case(const std::string& name) { return dlvpc::import_onnx_file(kCases + name + "/model.onnx"); }

// Compiled on two uniform random inputs (the compiled graph may have released its float weights).
dlvpc::Compiled compile_case(const std::string& name) {
  dlvpc::FloatGraph graph = import_case(name);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<std::vector<float>> calibration(2, std::vector<float>(graph.input.elements()));
  for (auto& input : calibration)
    for (float& x : input) x = uniform(rng);
  return dlvpc::compile(std::move(graph), calibration, dlvpc::CompileOptions{});
}

// The ops of `g` made from ONNX nodes `onnx_ops` (the fused operators, e.g. "Pad+AveragePool").
std::vector<size_t> ops_from(const dlvpc::FloatGraph& g, const std::string& onnx_ops) {
  std::vector<size_t> found;
  for (size_t i = 0; i < g.ops.size(); ++i)
    if (g.ops[i].onnx_ops == onnx_ops) found.push_back(i);
  return found;
}

TEST(DepthwiseForms, BothCasesRunBitExactOnTheSocAndComputeTorchsFunction) {
  conformance::RunOptions o;
  o.dlvp = DLVP_BINARY;
  o.scenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/conformance.yaml";
  o.work_dir = (fs::path(testing::TempDir()) / "depthwise_forms").string();
  fs::create_directories(o.work_dir);
  for (const std::string name : {"inception_pool", "dense_bn"}) {
    const conformance::CaseResult r = conformance::run_test(kCases + name, o);
    EXPECT_STREQ(conformance::to_string(r.outcome), "passed") << conformance::table_row(r);
    EXPECT_TRUE(r.soc_checked) << name;
    EXPECT_LE(r.float_error, r.float_atol) << name << ": the box filter / depthwise BatchNorm is torch's function";
    EXPECT_GE(r.layer_ratio, 0) << name;
    EXPECT_LE(r.layer_ratio, 1.0) << name;
    EXPECT_GT(r.sqnr_db, 30.0) << name;
  }
}

TEST(DepthwiseForms, AnAverageThatCountsThePaddingIsADepthwiseBoxFilter) {
  const dlvpc::FloatGraph g = import_case("inception_pool");
  const dlvpc::Compiled c = compile_case("inception_pool");
  const std::vector<size_t> pools = ops_from(g, "Pad+AveragePool");
  ASSERT_EQ(pools.size(), 2u) << "F.avg_pool2d(x, 3, 1, 1) and nn.AvgPool2d(3, 2, padding=1)";
  const uint32_t strides[2] = {1, 2};
  for (size_t k = 0; k < pools.size(); ++k) {
    const dlvpc::FloatOp& op = g.ops[pools[k]];
    EXPECT_EQ(op.kind, dlvpc::OpKind::kConv);
    EXPECT_EQ(op.groups, op.input.c);
    EXPECT_EQ(op.output.c, op.input.c);
    EXPECT_EQ(op.kernel_h * op.kernel_w, 9u);
    EXPECT_EQ(op.stride_h, strides[k]);
    EXPECT_EQ(op.pad_top + op.pad_left + op.pad_bottom + op.pad_right, 4u);
    EXPECT_EQ(op.output.h, (op.input.h + 2 - 3) / strides[k] + 1);
    ASSERT_EQ(op.weights.size(), uint64_t{op.input.c} * 9);
    for (const float w : op.weights) EXPECT_EQ(w, 1.0f / 9.0f);
    // MACs: one per channel, tap and output pixel, as the layer report counts them.
    const uint64_t macs = uint64_t{op.output.c} * 9 * op.output.h * op.output.w;
    EXPECT_EQ(op.macs(), macs);
    EXPECT_EQ(c.layers[pools[k]].macs, macs);
    // The weight 1/9 at the largest radix point that holds it in int8 (docs/dlvpc.md, "Depthwise
    // forms"): each window sums to 9 x round(2^f / 9) / 2^f, within 9 x 2^-(f+1) of 1.
    const int f = dlvpc::frac_for(1.0f / 9.0f);
    EXPECT_EQ(c.layers[pools[k]].weight_frac, f);
    const double gain = 9.0 * std::round(std::ldexp(1.0, f) / 9.0) / std::ldexp(1.0, f);
    EXPECT_LE(std::abs(gain - 1.0), 9.0 * std::ldexp(1.0, -(f + 1)));
    EXPECT_NE(gain, 1.0) << "1/9 has no exact binary fraction";
  }
  uint32_t depthwise_instructions = 0;
  for (const isa::Instruction& i : c.program.instructions)
    depthwise_instructions += i.header.opcode == isa::kOpConv && isa::conv_groups(i.conv) == i.conv.in_c &&
                              i.conv.in_c > 1;
  EXPECT_GE(depthwise_instructions, 2u);
}

TEST(DepthwiseForms, ABatchNormAfterAConcatenationCountsOneMacPerElement) {
  const dlvpc::FloatGraph g = import_case("dense_bn");
  const dlvpc::Compiled c = compile_case("dense_bn");
  const std::vector<size_t> norms = ops_from(g, "BatchNormalization+Relu");
  ASSERT_EQ(norms.size(), 3u) << "one per dense layer and the final norm";
  uint64_t norm_macs = 0;
  for (const size_t k : norms) {
    const dlvpc::FloatOp& op = g.ops[k];
    EXPECT_EQ(op.kind, dlvpc::OpKind::kConv);
    EXPECT_EQ(op.groups, op.input.c);
    EXPECT_EQ(op.kernel_h * op.kernel_w, 1u);
    EXPECT_EQ(op.output, op.input);
    EXPECT_EQ(op.weights.size(), op.input.c) << "one weight per channel, not c x c";
    const uint64_t macs = uint64_t{op.output.c} * op.output.h * op.output.w;
    EXPECT_EQ(op.macs(), macs);
    EXPECT_EQ(c.layers[k].macs, macs);
    norm_macs += macs;
  }
  // The whole model: torch's count (Conv2d and Linear, as torchvision counts) plus one MAC per
  // element of each BatchNorm, all from the shapes export_depthwise_forms.py gives DenseBn.
  const uint64_t pixels = 6 * 6;
  const uint64_t torch_macs = 8 * 2 * 9 * pixels + 4 * 8 * pixels + 4 * 12 * pixels + 16 * 3;
  EXPECT_EQ(norm_macs, (8 + 12 + 16) * pixels);
  EXPECT_EQ(g.macs(), torch_macs + norm_macs);
  uint64_t layer_macs = 0;
  for (const dlvpc::LayerReport& layer : c.layers) layer_macs += layer.macs;
  EXPECT_EQ(layer_macs, torch_macs + norm_macs);
}

}  // namespace
