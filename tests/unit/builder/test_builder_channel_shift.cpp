// Per-output-channel shifts (ISA version 3) through the builder: layers with channel_shifts run
// on the functional ISA interpreter give the reference model's whole-layer results bit for bit,
// also when a layer is cut into output groups and input-channel passes (the table travels with
// the weight tile of each group's last pass); only AccLast instructions carry the flag; bad
// tables are refused naming the layer and the entry.
#include "tests/reference/network_reference.h"
#include "tests/unit/builder/random_bytes.h"
#include "tools/builder/program.h"

#include <gtest/gtest.h>

#include <random>

namespace dlvp::builder {
namespace {

std::vector<int32_t> random_bias(std::mt19937& rng, uint32_t n) {
  std::vector<int32_t> v(n);
  for (auto& x : v) x = std::uniform_int_distribution<int32_t>(-20000, 20000)(rng);
  return v;
}

// A 3x3 CONV (24 input channels, 20 outputs) then an FC, each output with its own shift (the
// shifts spread over 6..14 so that the per-layer output_shift, 31, would zero every result).
Network shifted_network(std::mt19937& rng) {
  Network net;
  ConvLayer c;
  c.name = "conv", c.in_c = 24, c.in_h = 10, c.in_w = 12, c.out_c = 20;
  c.kernel_h = c.kernel_w = 3, c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1, c.relu = true;
  c.output_shift = 31;
  c.weights = random_bytes(rng, uint64_t{20} * 24 * 9);
  c.bias = random_bias(rng, 20);
  c.channel_shifts = random_bytes(rng, 20, 6, 14);
  net.add(c);
  FcLayer f;
  f.name = "fc", f.n_in = 20 * 10 * 12, f.n_out = 13, f.output_shift = 31;
  f.weights = random_bytes(rng, uint64_t{f.n_in} * f.n_out);
  f.bias = random_bias(rng, f.n_out);
  f.channel_shifts = random_bytes(rng, f.n_out, 8, 14);
  net.add(f);
  return net;
}

void expect_bit_exact(const Network& net, const CnnConfig& hw) {
  const Program p = build(net, hw);
  std::mt19937 rng(5);
  const std::vector<int8_t> input = random_bytes(rng, p.plan.input.shape.elements());
  const ref::ProgramRun run = ref::run_program(p, hw, input);
  ASSERT_EQ(run.result.error, isa::kErrNone) << "at instruction " << run.result.error_index;
  const std::vector<int8_t> expected = ref::run_network(net, p.plan.input.shape, input, hw.accumulator_bits);
  EXPECT_EQ(run.output, expected);
  // The shifts matter: not every output is 0 (the per-layer shift 31 would give all 0).
  EXPECT_NE(std::count(expected.begin(), expected.end(), int8_t{0}), static_cast<long>(expected.size()));
  for (const isa::Instruction& i : p.instructions) {
    if (i.header.opcode != isa::kOpConv && i.header.opcode != isa::kOpFc) continue;
    EXPECT_EQ(bool(i.header.flags & isa::kFlagChannelShift), bool(i.header.flags & isa::kFlagAccLast));
  }
}

TEST(BuilderChannelShift, OneTilePerLayerIsBitExact) {
  std::mt19937 rng(1);
  expect_bit_exact(shifted_network(rng), CnnConfig{});
}

TEST(BuilderChannelShift, GroupsAndPassesCarryTheTableWithTheLastPassWeights) {
  std::mt19937 rng(2);
  CnnConfig hw;
  hw.input_buffer_bytes = 2048, hw.weight_buffer_bytes = 2048, hw.output_buffer_bytes = 4096;
  const Network net = shifted_network(rng);
  const Program p = build(net, hw);
  ASSERT_GT(p.layers[0].tiling.passes, 1u);
  ASSERT_GT(p.layers[0].tiling.groups, 1u);
  ASSERT_GT(p.layers[1].tiling.passes, 1u);
  expect_bit_exact(net, hw);
}

// Every version-3 step of the output stage at once, in the documented order (docs/isa.md): each
// channel's shift, sat8, ReLU, clip, table, pooling; on a grouped and a depthwise CONV (DW) with
// activation units (ACT) and an FC, under buffers small enough for several tiles and passes.
TEST(BuilderChannelShift, GroupedAndDepthwiseLayersWithActivationsAreBitExact) {
  std::mt19937 rng(4);
  Activation clip_and_table;
  clip_and_table.clip = true, clip_and_table.clip_min = -40, clip_and_table.clip_max = 90;
  clip_and_table.table = random_bytes(rng, isa::kActivationTableBytes);
  Network net;
  ConvLayer grouped;
  grouped.name = "grouped", grouped.in_c = 16, grouped.in_h = 10, grouped.in_w = 12, grouped.out_c = 24;
  grouped.groups = 4, grouped.kernel_h = grouped.kernel_w = 3;
  grouped.pad_top = grouped.pad_left = grouped.pad_bottom = grouped.pad_right = 1;
  grouped.relu = true, grouped.output_shift = 31;
  grouped.weights = random_bytes(rng, uint64_t{24} * (16 / 4) * 9);
  grouped.bias = random_bias(rng, 24);
  grouped.channel_shifts = random_bytes(rng, 24, 6, 12);
  grouped.activation = clip_and_table;
  net.add(grouped);
  ConvLayer depthwise = grouped;
  depthwise.name = "depthwise", depthwise.in_c = depthwise.out_c = depthwise.groups = 24, depthwise.relu = false;
  depthwise.pool_size = depthwise.pool_stride = 2;
  depthwise.weights = random_bytes(rng, uint64_t{24} * 9);
  depthwise.bias = random_bias(rng, 24);
  depthwise.channel_shifts = random_bytes(rng, 24, 4, 10);
  depthwise.activation.clip = false;
  net.add(depthwise);
  FcLayer f;
  f.name = "fc", f.n_in = 24 * 5 * 6, f.n_out = 10, f.output_shift = 31;
  f.weights = random_bytes(rng, uint64_t{f.n_in} * f.n_out);
  f.bias = random_bias(rng, f.n_out);
  f.channel_shifts = random_bytes(rng, f.n_out, 8, 14);
  f.activation.clip = true, f.activation.clip_min = -100, f.activation.clip_max = 60;
  net.add(f);
  CnnConfig hw;
  hw.input_buffer_bytes = 2048, hw.weight_buffer_bytes = 2048, hw.output_buffer_bytes = 4096;
  const Program p = build(net, hw);
  ASSERT_GT(p.layers[2].tiling.passes, 1u);
  expect_bit_exact(net, hw);
  for (const isa::Instruction& i : p.instructions) {
    if (i.header.opcode == isa::kOpConv && (i.header.flags & isa::kFlagAccLast)) {
      EXPECT_TRUE(i.header.flags & isa::kFlagTable);
    }
  }
}

TEST(BuilderChannelShift, BadTablesAreRefusedNamingTheLayerAndEntry) {
  std::mt19937 rng(3);
  Network net = shifted_network(rng);
  std::get<ConvLayer>(net.layers[0]).channel_shifts[7] = 32;
  try {
    build(net, CnnConfig{});
    FAIL() << "built";
  } catch (const BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("'conv'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("channel_shifts[7] 32"), std::string::npos) << e.what();
  }
  net = shifted_network(rng);
  std::get<FcLayer>(net.layers[1]).channel_shifts.pop_back();
  try {
    build(net, CnnConfig{});
    FAIL() << "built";
  } catch (const BuildError& e) {
    EXPECT_NE(std::string(e.what()).find("12 channel shifts, expected 13"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlvp::builder
