// Grouped and depthwise CONV layers through the builder (docs/builder.md, "Grouped CONV"): tiles
// hold whole groups, an instruction's input channels are its groups' own, and the built program
// runs on the ISA interpreter bit-exact against the reference's whole-layer grouped convolution.
#include "tests/reference/isa_interpreter.h"
#include "tests/reference/network_reference.h"
#include "tests/unit/builder/schedule_checker.h"
#include "tools/builder/program.h"

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace dlvp;
using namespace dlvp::builder;

ConvLayer grouped_conv(std::mt19937& rng, const std::string& name, TensorShape in, uint32_t out_c, uint32_t groups,
                       uint32_t kernel, uint32_t stride) {
  ConvLayer l;
  l.name = name;
  l.in_c = in.c, l.in_h = in.h, l.in_w = in.w, l.out_c = out_c, l.groups = groups;
  l.kernel_h = l.kernel_w = kernel, l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = kernel / 2;
  l.relu = true;
  l.weights.resize(uint64_t{out_c} * (in.c / groups) * kernel * kernel);
  for (auto& w : l.weights) w = static_cast<int8_t>(static_cast<int>(rng() % 61) - 30);
  l.bias.resize(out_c);
  for (auto& b : l.bias) b = static_cast<int32_t>(rng() % 2001) - 1000;
  l.output_shift = 7;
  return l;
}

// Builds, runs on the interpreter and compares with the reference; returns the program.
Program verify(const Network& net, const CnnConfig& hw, uint32_t seed) {
  const Program p = build(net, hw, BuildOptions{true});
  std::mt19937 rng(seed);
  std::vector<int8_t> input(p.plan.input.shape.elements());
  for (auto& x : input) x = static_cast<int8_t>(rng());
  const ref::ProgramRun run = ref::run_program(p, hw, input);
  EXPECT_EQ(run.result.error, isa::kErrNone) << "at instruction " << run.result.error_index;
  EXPECT_EQ(run.output, ref::run_network(net, p.plan.input.shape, input, hw.accumulator_bits));
  EXPECT_EQ(check::token_balance(p.instructions).error, "");
  EXPECT_EQ(check::first_race(p.instructions), "");
  return p;
}

CnnConfig small_buffers(uint64_t input, uint64_t weight, uint64_t output) {
  CnnConfig hw;
  hw.input_buffer_bytes = input, hw.weight_buffer_bytes = weight, hw.output_buffer_bytes = output;
  return hw;
}

// The CONVs of layer `index` with the channels each reads and its groups.
struct ConvStep {
  uint32_t in_c, out_c, groups;
};
std::vector<ConvStep> conv_steps(const Program& p, uint32_t index) {
  std::vector<ConvStep> v;
  const LayerInfo& l = p.layers[index];
  for (uint32_t k = l.first_instruction; k < l.end_instruction; ++k)
    if (p.instructions[k].header.opcode == isa::kOpConv) {
      const isa::Conv& c = p.instructions[k].conv;
      v.push_back({c.in_c, c.out_c, isa::conv_groups(c)});
    }
  return v;
}

}  // namespace

TEST(GroupedTiling, DepthwiseSeparableBlockIsBitExactWithWholeGroupsPerTile) {
  std::mt19937 rng(1);
  Network net;
  net.add(grouped_conv(rng, "dw", {32, 20, 20}, 32, 32, 3, 1));
  net.add(grouped_conv(rng, "pw", {32, 20, 20}, 48, 1, 1, 1));
  net.add(grouped_conv(rng, "dw2", {48, 20, 20}, 48, 48, 5, 2));
  const CnnConfig hw = small_buffers(8192, 4096, 8192);  // forces several tiles
  const Program p = verify(net, hw, 11);
  EXPECT_EQ(p.layers[0].macs, 32ull * 20 * 20 * 9);        // out_c x in_c/G x k^2 x out_h x out_w
  EXPECT_EQ(p.layers[2].macs, 48ull * 10 * 10 * 25);
  for (const uint32_t layer : {0u, 2u}) {
    const std::vector<ConvStep> steps = conv_steps(p, layer);
    ASSERT_GT(steps.size(), 1u);
    for (const ConvStep& s : steps) {  // depthwise tiles: as many groups as channels
      EXPECT_EQ(s.groups, s.in_c);
      EXPECT_EQ(s.groups, s.out_c);
    }
  }
  EXPECT_GT(p.layers[0].tiling.groups, 1u) << "the 8 KiB output buffer cannot hold all 32 channels";
}

TEST(GroupedTiling, GroupedLayerSplitsIntoGroupsAndPassesBitExact) {
  std::mt19937 rng(2);
  Network net;
  // 4 groups of 24 input channels: one band of one group's 24 channels fits an input slot, all
  // 96 do not; then a channel multiplier (G = in_c, 2 outputs per group).
  net.add(grouped_conv(rng, "g4", {96, 16, 40}, 16, 4, 3, 1));
  net.add(grouped_conv(rng, "mult", {16, 16, 40}, 32, 16, 3, 2));
  const CnnConfig hw = small_buffers(4096, 4096, 16384);
  const Program p = verify(net, hw, 12);
  const Tiling& t = p.layers[0].tiling;
  EXPECT_GT(t.groups * t.passes, 1u) << "96 channels of a band do not fit a 2 KiB input slot";
  for (const ConvStep& s : conv_steps(p, 0)) {
    EXPECT_EQ(s.out_c % 4, 0u) << "whole groups of 4 output channels";
    if (t.passes == 1) {
      EXPECT_EQ(s.in_c, s.out_c / 4 * 24) << "all input channels of the tile's groups";
      EXPECT_EQ(s.groups, s.out_c / 4);
    } else {
      EXPECT_EQ(s.out_c, 4u) << "passes only with one group per tile";
      EXPECT_LT(s.in_c, 24u);
      EXPECT_EQ(s.groups, 1u);
    }
  }
  for (const ConvStep& s : conv_steps(p, 1)) EXPECT_EQ(s.out_c, 2 * s.in_c);
}

TEST(GroupedTiling, GroupsThatDoNotDivideTheChannelsAreRefusedNamingTheLayer) {
  std::mt19937 rng(3);
  Network net;
  ConvLayer l = grouped_conv(rng, "bad", {12, 8, 8}, 8, 4, 3, 1);
  l.groups = 3;  // divides 12 but not 8
  net.add(std::move(l));
  try {
    build(net, CnnConfig{}, BuildOptions{true});
    FAIL() << "a grouped CONV whose groups do not divide out_c must be refused";
  } catch (const BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("'bad'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("groups 3 must divide"), std::string::npos) << e.what();
  }
}
