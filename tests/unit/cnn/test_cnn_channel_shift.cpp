// Per-output-channel output shifts (ISA version 3, kFlagChannelShift; docs/isa.md "Version 3:
// per-channel output shifts"): the engine's arithmetic against the reference model (a hand case
// and random CONV/FC tiles, whole buffers compared), the table's checks, and its cost (one int8
// per output channel through the weight port, against the independent timing reference).
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_timing.h"
#include "tests/reference/cnn_reference.h"
#include "tests/reference/cnn_timing_reference.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace dlvp {
namespace {

constexpr uint32_t kBufferBytes = 8192;
constexpr uint32_t kShiftOffset = 3000;  // the table's place in the weight buffer in these tests

// The engine's and the reference's views of the same three buffers.
struct Buffers {
  std::vector<uint8_t> bytes[isa::kCnnBufCount];
  Buffers() {
    for (auto& b : bytes) b.assign(kBufferBytes, 0);
  }
  cnn::BufferSet engine() {
    cnn::BufferSet s;
    for (uint32_t i = 0; i < isa::kCnnBufCount; ++i) s.data[i] = bytes[i].data(), s.size[i] = bytes[i].size();
    return s;
  }
  ref::Buffers reference() {
    ref::Buffers s;
    for (uint32_t i = 0; i < isa::kCnnBufCount; ++i) s.data[i] = bytes[i].data(), s.size[i] = bytes[i].size();
    return s;
  }
};

isa::Instruction conv_1x1(uint16_t channels, uint16_t flags) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  isa::Conv& c = in.conv;
  c.header.opcode = isa::kOpConv;
  c.header.flags = flags;
  c.in_h = c.in_w = 1, c.in_c = 1, c.out_c = channels;
  c.kernel_h = c.kernel_w = c.stride_h = c.stride_w = 1;
  c.weight_offset = 0, c.bias_offset = 1024, c.output_offset = 0;
  c.output_shift = 31;  // would round every result to 0: the table must win
  c.shift_offset = kShiftOffset;
  return in;
}

constexpr uint16_t kLastFlags = isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagChannelShift;

TEST(CnnChannelShift, EachChannelLeavesWithItsOwnShift) {
  // Input 1, weights 1, biases b[oc]: acc = b + 1. y = sat8(round_shift(acc, shift[oc])).
  Buffers b;
  b.bytes[isa::kBufInput][0] = 1;
  const int32_t bias[4] = {99, 1000, 5, -300};
  const int8_t shifts[4] = {0, 3, -2, 2};
  for (int oc = 0; oc < 4; ++oc) {
    b.bytes[isa::kBufWeight][oc] = 1;
    std::memcpy(&b.bytes[isa::kBufWeight][1024 + 4 * oc], &bias[oc], 4);
    b.bytes[isa::kBufWeight][kShiftOffset + oc] = static_cast<uint8_t>(shifts[oc]);
  }
  const isa::Instruction in = conv_1x1(4, kLastFlags);
  ASSERT_EQ(cnn::check(in, b.engine()), isa::kErrNone);
  cnn::execute(in, b.engine(), {});
  const auto* y = reinterpret_cast<const int8_t*>(b.bytes[isa::kBufOutput].data());
  EXPECT_EQ(y[0], 100);                   // 100, shift 0
  EXPECT_EQ(y[1], 125);                   // (1001 + 4) >> 3
  EXPECT_EQ(y[2], 24);                    // 6 << 2
  EXPECT_EQ(y[3], (-299 + 2) >> 2);       // round half up: -74.75 -> -75
}

TEST(CnnChannelShift, WithoutTheFlagTheTableIsIgnored) {
  Buffers b;
  b.bytes[isa::kBufInput][0] = 1;
  b.bytes[isa::kBufWeight][0] = 100;
  b.bytes[isa::kBufWeight][kShiftOffset] = 0;
  isa::Instruction in = conv_1x1(1, isa::kFlagAccFirst | isa::kFlagAccLast);
  in.conv.output_shift = 1;
  in.conv.shift_offset = 0xFFFFFF00u;  // never read without the flag
  ASSERT_EQ(cnn::check(in, b.engine()), isa::kErrNone);
  cnn::execute(in, b.engine(), {});
  EXPECT_EQ(static_cast<int8_t>(b.bytes[isa::kBufOutput][0]), 50);
}

TEST(CnnChannelShift, TheTableIsCheckedOnlyWhenTheResultsLeave) {
  Buffers b;
  isa::Instruction in = conv_1x1(4, kLastFlags);
  in.conv.shift_offset = kBufferBytes - 3;  // 4 entries do not fit
  EXPECT_EQ(cnn::check(in, b.engine()), isa::kErrBufferOverrun);
  EXPECT_EQ(ref::check_compute(in, b.reference()), isa::kErrBufferOverrun);
  in.conv.header.flags = isa::kFlagAccFirst | isa::kFlagChannelShift;  // psum out: no table read
  EXPECT_EQ(cnn::check(in, b.engine()), isa::kErrNone);
  EXPECT_EQ(ref::check_compute(in, b.reference()), isa::kErrNone);

  // The compiler's static check knows the sizes only: the region is checked, the entries are not.
  cnn::BufferSet sizes;
  for (uint32_t i = 0; i < isa::kCnnBufCount; ++i) sizes.size[i] = kBufferBytes;
  EXPECT_EQ(cnn::check(in, sizes), isa::kErrNone);
  in.conv.header.flags = kLastFlags;
  EXPECT_EQ(cnn::check(in, sizes), isa::kErrBufferOverrun);

  for (int bad : {32, -32, 127, -128}) {
    isa::Instruction fc;
    std::memset(&fc, 0, sizeof fc);
    fc.fc.header.opcode = isa::kOpFc;
    fc.fc.header.flags = kLastFlags;
    fc.fc.n_in = 4, fc.fc.n_out = 3, fc.fc.bias_offset = 64, fc.fc.shift_offset = kShiftOffset;
    b.bytes[isa::kBufWeight][kShiftOffset + 2] = static_cast<uint8_t>(bad);
    EXPECT_EQ(cnn::check(fc, b.engine()), isa::kErrBadField) << bad;
    EXPECT_EQ(ref::check_compute(fc, b.reference()), isa::kErrBadField) << bad;
    b.bytes[isa::kBufWeight][kShiftOffset + 2] = 31;
    EXPECT_EQ(cnn::check(fc, b.engine()), isa::kErrNone);
  }
}

// Random tiles, random data, random tables: engine and reference agree on every byte.
TEST(CnnChannelShift, EngineMatchesTheReferenceOnRandomConvAndFcTiles) {
  std::mt19937 rng(20261207);
  const auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 300; ++trial) {
    Buffers engine_side;
    for (auto& buf : engine_side.bytes)
      for (auto& v : buf) v = static_cast<uint8_t>(pick(0, 255));
    isa::Instruction in;
    std::memset(&in, 0, sizeof in);
    uint16_t flags = static_cast<uint16_t>(kLastFlags | (pick(0, 1) ? isa::kFlagRelu : 0));
    if (pick(0, 1)) flags = static_cast<uint16_t>(flags & ~isa::kFlagAccFirst);  // start from psum
    uint32_t channels = 0;
    if (trial % 2 == 0) {
      isa::Conv& c = in.conv;
      c.header.opcode = isa::kOpConv;
      c.in_c = static_cast<uint16_t>(pick(1, 6)), c.out_c = static_cast<uint16_t>(pick(1, 12));
      c.in_h = static_cast<uint16_t>(pick(3, 8)), c.in_w = static_cast<uint16_t>(pick(3, 8));
      c.kernel_h = c.kernel_w = static_cast<uint8_t>(pick(1, 3));
      c.stride_h = c.stride_w = 1;
      c.weight_offset = 0, c.bias_offset = 2048, c.psum_offset = 2048, c.output_offset = 0;
      c.bias_shift = static_cast<int8_t>(pick(0, 4)), c.output_shift = static_cast<int8_t>(pick(-31, 31));
      c.shift_offset = kShiftOffset;
      channels = c.out_c;
    } else {
      isa::Fc& f = in.fc;
      f.header.opcode = isa::kOpFc;
      f.n_in = pick(1, 100), f.n_out = pick(1, 20);
      f.weight_offset = 0, f.bias_offset = 2048, f.psum_offset = 2048, f.output_offset = 0;
      f.bias_shift = static_cast<int8_t>(pick(0, 4)), f.output_shift = static_cast<int8_t>(pick(-31, 31));
      f.shift_offset = kShiftOffset;
      channels = f.n_out;
    }
    in.header.flags = flags;
    for (uint32_t oc = 0; oc < channels; ++oc)
      engine_side.bytes[isa::kBufWeight][kShiftOffset + oc] = static_cast<uint8_t>(pick(-6, 20));
    Buffers reference_side = engine_side;
    SCOPED_TRACE("trial " + std::to_string(trial));
    ASSERT_EQ(cnn::check(in, engine_side.engine()), isa::kErrNone);
    cnn::execute(in, engine_side.engine(), {});
    ASSERT_EQ(ref::execute_compute(in, reference_side.reference(), 32), isa::kErrNone);
    for (uint32_t i = 0; i < isa::kCnnBufCount; ++i) ASSERT_EQ(engine_side.bytes[i], reference_side.bytes[i]);
  }
}

// The table costs one byte per output channel through the weight port, read with the weights of
// the channel's last pass: the engine's model against the pass-by-pass timing reference.
TEST(CnnChannelShift, TheTableIsReadThroughTheWeightPort) {
  std::mt19937 rng(7);
  const auto pick = [&](uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 500; ++trial) {
    CnnConfig config;
    config.pes = pick(1, 4), config.convolvers = pick(1, 8), config.kernel = pick(1, 3);
    config.weight_port_bytes = pick(1, 8), config.output_port_bytes = 4096;
    ref::ConvLayerShape l;
    l.kernel_h = l.kernel_w = pick(1, config.kernel);
    l.in_h = pick(l.kernel_h, 8), l.in_w = pick(l.kernel_w, 8);
    l.in_c = pick(1, 12), l.out_c = pick(1, 12);
    l.channel_shift = true;
    isa::Instruction in = conv_1x1(static_cast<uint16_t>(l.out_c), kLastFlags);
    isa::Conv& c = in.conv;
    c.in_c = static_cast<uint16_t>(l.in_c), c.in_h = static_cast<uint16_t>(l.in_h), c.in_w = static_cast<uint16_t>(l.in_w);
    c.kernel_h = c.kernel_w = static_cast<uint8_t>(l.kernel_h);
    ref::CnnCluster cluster;
    cluster.pes = config.pes, cluster.convolvers = config.convolvers, cluster.kernel = config.kernel;
    cluster.input_port_bytes = config.input_port_bytes, cluster.weight_port_bytes = config.weight_port_bytes;
    cluster.multiplier_stages = config.multiplier_stages;
    cluster.instruction_overhead_cycles = config.instruction_overhead_cycles;
    const cnn::TimingModel model(config);
    const cnn::InstructionCost with = model.cost(in);
    SCOPED_TRACE("trial " + std::to_string(trial));
    EXPECT_EQ(with.timing.cycles, ref::simulate_conv(cluster, l).cycles);
    in.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast;
    EXPECT_EQ(with.activity.weight_bytes_read, model.cost(in).activity.weight_bytes_read + l.out_c);
  }
  // FC: every output's shift is one more byte through the weight port.
  CnnConfig config;
  config.weight_port_bytes = 1;
  isa::Instruction fc;
  std::memset(&fc, 0, sizeof fc);
  fc.fc.header.opcode = isa::kOpFc;
  fc.fc.header.flags = kLastFlags;
  fc.fc.n_in = 64, fc.fc.n_out = 2 * config.pes;
  const cnn::TimingModel model(config);
  const cnn::InstructionCost with = model.cost(fc);
  fc.fc.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast;
  const cnn::InstructionCost without = model.cost(fc);
  EXPECT_EQ(with.timing.cycles - without.timing.cycles, 2u * config.pes / config.weight_port_bytes);
  EXPECT_EQ(with.activity.weight_bytes_read - without.activity.weight_bytes_read, fc.fc.n_out);
}

}  // namespace
}  // namespace dlvp
