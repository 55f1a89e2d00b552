// ONNX Conv `group` through dlvpc (tools/dlvpc/import_conv_groups.h): torch's depthwise-separable
// and grouped convolutions (tests/data/torch_forms/cnn_depthwise_separable) import with their
// groups and grouped MAC counts, compile onto CONV instructions with groups, and run on the ISA
// interpreter bit-exact against the reference; a group that does not fit the shapes is refused
// with the reason. (The same model runs on the SoC in the conformance suite's torch forms.)
#include "tests/reference/network_reference.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/import_conv_groups.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace dlvp;
using namespace dlvp::dlvpc;

const std::string kModel =
    std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_forms/cnn_depthwise_separable/model.onnx";

std::vector<float> random_input(const TensorShape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(shape.elements());
  for (float& x : v) x = d(rng);
  return v;
}

}  // namespace

TEST(ImportConvGroups, TorchDepthwiseSeparableBlocksKeepTheirGroups) {
  const FloatGraph g = import_onnx_file(kModel);
  std::vector<uint32_t> groups;
  for (const FloatOp& op : g.ops)
    if (op.kind == OpKind::kConv) groups.push_back(op.groups);
  EXPECT_EQ(groups, (std::vector<uint32_t>{1, 8, 1, 12, 2})) << "stem, depthwise, pointwise, depthwise 5x5, group 2";
  // MACs: out_c x in_c/G x kh x kw x out_h x out_w.
  EXPECT_EQ(g.ops[1].macs(), 8ull * 1 * 9 * 12 * 12);
  EXPECT_EQ(g.ops[3].macs(), 12ull * 1 * 25 * 6 * 6);
  EXPECT_EQ(g.ops[4].macs(), 4ull * 6 * 9 * 6 * 6);
}

TEST(ImportConvGroups, CompiledGroupedConvsAreBitExactOnTheInterpreter) {
  FloatGraph g = import_onnx_file(kModel);
  CompileOptions options;
  options.hw.input_buffer_bytes = options.hw.output_buffer_bytes = options.hw.weight_buffer_bytes = 2048;
  const Compiled c = compile(g, {random_input(g.input, 1), random_input(g.input, 2)}, options);
  uint32_t grouped_instructions = 0;
  for (const isa::Instruction& i : c.program.instructions)
    grouped_instructions += i.header.opcode == isa::kOpConv && isa::conv_groups(i.conv) > 1;
  EXPECT_GT(grouped_instructions, 3u);
  EXPECT_EQ(c.layers[1].macs, 8ull * 9 * 12 * 12);
  for (const uint32_t seed : {3u, 4u}) {
    const std::vector<int8_t> q = quantize_tensor(random_input(g.input, seed), c.model.input_frac);
    const ref::ProgramRun run = ref::run_program(c.program, options.hw, q);
    EXPECT_EQ(run.result.error, isa::kErrNone);
    EXPECT_EQ(run.output, ref::run_network(c.model.network, c.graph.input, q, options.hw.accumulator_bits));
  }
}

TEST(ImportConvGroups, AGroupThatDoesNotFitTheShapesIsRefusedWithTheReason) {
  EXPECT_EQ(conv_group_problem(4, {8, 2, 3, 3}, 8), "");
  EXPECT_EQ(conv_group_problem(3, {8, 2, 3, 3}, 8), "group 3 does not divide the input's 8 channels");
  EXPECT_EQ(conv_group_problem(0, {8, 8, 3, 3}, 8), "group 0 does not divide the input's 8 channels");
  EXPECT_EQ(conv_group_problem(4, {6, 2, 3, 3}, 8), "group 4 does not divide the weight's 6 output channels");
  EXPECT_EQ(conv_group_problem(2, {8, 2, 3, 3}, 8),
            "weight [8,2,3,3] expects 2 x group 2 input channels, the input has 8");
}
