// The CNN cluster's timing and activity model (ip/cnn/cnn_timing.h): peak from the parameters,
// the busy share of a real 3x3 layer tiled as a compiler would, the low utilization of 1x1 and
// stride-2 layers, port limits, kernel pieces, and exact cycle and count formulas recomputed here
// from the configuration.
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_timing.h"
#include "ip/common/config_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iostream>

using namespace dlvp;
using cnn::InstructionCost;
using cnn::InstructionTiming;
using cnn::TimingModel;

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t ceil_log2(uint64_t n) {
  uint64_t d = 0;
  while ((uint64_t{1} << d) < n) ++d;
  return d;
}

struct ConvSpec {
  uint16_t in_c = 16, out_c = 2, in_h = 8, in_w = 8;
  uint8_t kernel = 3, stride = 1;
  uint8_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  uint16_t flags = isa::kFlagAccFirst | isa::kFlagAccLast;
  uint8_t pool_size = 0, pool_stride = 0;

  ConvSpec& pad(uint8_t p) {
    pad_top = pad_bottom = pad_left = pad_right = p;
    return *this;
  }
};

isa::Instruction conv(const ConvSpec& s) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  isa::Conv& c = in.conv;
  c.header.opcode = isa::kOpConv;
  c.header.flags = s.flags;
  c.in_c = s.in_c;
  c.out_c = s.out_c;
  c.in_h = s.in_h;
  c.in_w = s.in_w;
  c.kernel_h = c.kernel_w = s.kernel;
  c.stride_h = c.stride_w = s.stride;
  c.pad_top = s.pad_top;
  c.pad_bottom = s.pad_bottom;
  c.pad_left = s.pad_left;
  c.pad_right = s.pad_right;
  c.pool_size = s.pool_size;
  c.pool_stride = s.pool_stride;
  return in;
}

// Pipeline depth as docs/cnn.md states it, recomputed from the configuration.
uint64_t depth(const CnnConfig& cfg, bool acc_last, bool pool) {
  return cfg.multiplier_stages + ceil_log2(uint64_t{cfg.kernel} * cfg.kernel) + ceil_log2(cfg.convolvers) + 1 +
         (acc_last ? 1 : 0) + (pool ? 1 : 0);
}

// A stride-1 3x3 layer of in_c -> out_c channels on h x w with padding 1, cut into row tiles as a
// compiler would: the most output rows whose input and int8 output fit the buffers, balanced.
std::vector<isa::Instruction> tile_layer(const CnnConfig& cfg, uint16_t in_c, uint16_t out_c, uint16_t h, uint16_t w,
                                         uint8_t kernel) {
  const uint32_t halo = kernel - 1;
  uint32_t rows = h;
  while (rows > 1 && (uint64_t{in_c} * (rows + halo) * w > cfg.input_buffer_bytes ||
                      uint64_t{out_c} * rows * w > cfg.output_buffer_bytes))
    --rows;
  const uint32_t tiles = (h + rows - 1) / rows;
  std::vector<isa::Instruction> out;
  uint32_t y0 = 0;
  for (uint32_t t = 0; t < tiles; ++t) {
    const uint32_t r = h / tiles + (t < h % tiles ? 1 : 0);
    const uint32_t pad = halo / 2;
    ConvSpec s;
    s.in_c = in_c;
    s.out_c = out_c;
    s.in_w = w;
    s.kernel = kernel;
    s.pad_left = s.pad_right = pad;
    s.pad_top = y0 == 0 ? pad : 0;
    s.pad_bottom = y0 + r == h ? pad : 0;
    const int first_in = int(y0) - int(pad), last_in = int(y0 + r - 1) + int(pad);
    s.in_h = std::min<int>(last_in, h - 1) - std::max(first_in, 0) + 1;
    s.flags |= isa::kFlagRelu;
    out.push_back(conv(s));
    EXPECT_EQ(cnn::conv_shape(out.back().conv).out_h, r);
    y0 += r;
  }
  return out;
}

InstructionTiming total(const TimingModel& m, const std::vector<isa::Instruction>& instructions) {
  InstructionTiming sum;
  for (const auto& in : instructions) sum += m.cost(in).timing;
  return sum;
}

double utilization(const TimingModel& m, const InstructionTiming& t) {
  return double(t.macs) / (double(t.cycles) * double(m.multipliers()));
}

void expect_split_adds_up(const InstructionTiming& t) {
  EXPECT_EQ(t.cycles, t.busy_cycles + t.fill_cycles + t.drain_cycles + t.weight_stall_cycles +
                          t.input_port_stall_cycles + t.output_port_stall_cycles + t.postprocess_cycles +
                          t.overhead_cycles);
}

}  // namespace

TEST(CnnTiming, PeakFollowsFromTheParameters) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  EXPECT_EQ(m.multipliers(), uint64_t{cfg.pes} * cfg.convolvers * cfg.kernel * cfg.kernel);
  EXPECT_DOUBLE_EQ(m.peak_gops(), 2.0 * cfg.pes * cfg.convolvers * cfg.kernel * cfg.kernel * cfg.clock_mhz * 1e-3);
  // The Aristotle paper's figure ([Guo17]): 2 PEs x 16 convolvers x 9 x 2 ops x 214 MHz = 123.3 GOPS.
  EXPECT_NEAR(m.peak_gops(), 123.3, 0.05);
  CnnConfig wider = cfg;
  wider.pes = 4;
  EXPECT_DOUBLE_EQ(TimingModel(wider).peak_gops(), 2 * m.peak_gops());
}

TEST(CnnTiming, ExactCyclesOfOneConvFromTheFormula) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  ConvSpec s;
  s.in_c = 2 * cfg.convolvers;  // two full groups
  s.out_c = 4 * cfg.pes;        // four balanced steps
  s.in_h = s.in_w = 20;
  s.pad(1);
  const InstructionCost c = m.cost(conv(s));
  const InstructionTiming& t = c.timing;

  const uint64_t out = 20, k = cfg.kernel;
  const uint64_t stream = (out - 1 + k) * (out - 1 + k);  // a pass streams (out-1)s+K rows x cols
  const uint64_t passes = (s.out_c / cfg.pes) * (s.in_c / cfg.convolvers);
  const uint64_t first_weights = ceil_div(cfg.pes * (cfg.convolvers * k * k + 4), cfg.weight_port_bytes);
  const uint64_t d = depth(cfg, true, false);
  ASSERT_LT(d, (k - 1) * (out - 1 + k) + k) << "the example assumes the drain hides behind the next fill";
  EXPECT_EQ(t.passes_per_pe, passes);
  EXPECT_EQ(t.busy_cycles, passes * out * out);
  EXPECT_EQ(t.fill_cycles, passes * (stream - out * out));
  EXPECT_EQ(t.weight_stall_cycles, first_weights);
  EXPECT_EQ(t.drain_cycles, d);
  EXPECT_EQ(t.input_port_stall_cycles, 0u);
  EXPECT_EQ(t.output_port_stall_cycles, 0u);
  EXPECT_EQ(t.overhead_cycles, cfg.instruction_overhead_cycles);
  EXPECT_EQ(t.cycles, cfg.instruction_overhead_cycles + first_weights + passes * stream + d);
  EXPECT_EQ(t.macs, uint64_t{s.out_c} * s.in_c * out * out * k * k);
  EXPECT_EQ(t.imbalance_pe_cycles, 0u);
  EXPECT_DOUBLE_EQ(t.utilization, double(t.macs) / (double(t.cycles) * double(m.multipliers())));
  expect_split_adds_up(t);
}

TEST(CnnTiming, Conv3x3Layer64To64On56x56KeepsThePEsBusy) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  const auto tiles = tile_layer(cfg, 64, 64, 56, 56, 3);
  const InstructionTiming t = total(m, tiles);
  EXPECT_EQ(t.macs, uint64_t{64} * 64 * 56 * 56 * 9);
  const double busy = double(t.busy_cycles) / double(t.cycles);
  std::cout << "3x3 64->64 56x56 pad 1: " << tiles.size() << " tiles, " << t.cycles << " cycles, busy " << busy
            << ", utilization " << utilization(m, t) << ", fill " << t.fill_cycles << ", drain " << t.drain_cycles
            << ", weight stall " << t.weight_stall_cycles << "\n";
  EXPECT_GE(busy, 0.85);
  EXPECT_GE(utilization(m, t), 0.85);  // all 16 convolvers and both PEs have work
  expect_split_adds_up(t);
}

TEST(CnnTiming, OneByOneLayerShowsTheLowUtilizationOfKxKConvolvers) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  const auto tiles = tile_layer(cfg, 64, 64, 56, 56, 1);
  const InstructionTiming t = total(m, tiles);
  const double u = utilization(m, t);
  std::cout << "1x1 64->64 56x56: " << t.cycles << " cycles, busy " << double(t.busy_cycles) / double(t.cycles)
            << ", utilization " << u << "\n";
  // One tap of K x K per convolver does useful work.
  EXPECT_LE(u, 1.0 / (cfg.kernel * cfg.kernel));
  EXPECT_GT(u, 0.5 / (cfg.kernel * cfg.kernel));
  for (const auto& in : tiles) EXPECT_LE(m.cost(in).timing.utilization, 1.0 / (cfg.kernel * cfg.kernel));
}

TEST(CnnTiming, StrideTwoStreamsAboutFourTimesThePixelsPerOutput) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  ConvSpec s;
  s.in_c = 16;
  s.out_c = 2;
  s.in_h = s.in_w = 40;
  s.pad(1);
  const InstructionTiming one = m.cost(conv(s)).timing;
  s.stride = 2;
  const InstructionTiming two = m.cost(conv(s)).timing;
  EXPECT_LT(two.utilization, one.utilization);
  const uint64_t out1 = 40, out2 = (40 + 2 - 3) / 2 + 1;
  // Streamed pixels of the one pass: ((out-1) s + K)^2.
  EXPECT_EQ(one.busy_cycles + one.fill_cycles, (out1 - 1 + 3) * (out1 - 1 + 3));
  EXPECT_EQ(two.busy_cycles + two.fill_cycles, ((out2 - 1) * 2 + 3) * ((out2 - 1) * 2 + 3));
  const double per_output_1 = double(one.busy_cycles + one.fill_cycles) / double(out1 * out1);
  const double per_output_2 = double(two.busy_cycles + two.fill_cycles) / double(out2 * out2);
  EXPECT_NEAR(per_output_2 / per_output_1, 4.0, 0.5);
}

TEST(CnnTiming, StrideLargerThanTheWindowSkipsTheGaps) {
  CnnConfig cfg;
  const TimingModel m(cfg);
  ConvSpec s;
  s.kernel = 1;
  s.stride = 4;  // > K: rows and columns between windows are not streamed
  s.in_h = s.in_w = 17;
  const InstructionTiming t = m.cost(conv(s)).timing;
  const uint64_t out = (17 - 1) / 4 + 1;
  EXPECT_EQ(t.busy_cycles + t.fill_cycles, (out * cfg.kernel) * (out * cfg.kernel));
}

TEST(CnnTiming, NarrowInputPortSlowsEveryPass) {
  CnnConfig cfg;
  ConvSpec s;
  s.in_c = cfg.convolvers;
  s.out_c = 2 * cfg.pes;
  s.in_h = s.in_w = 24;
  s.pad(1);
  const InstructionTiming wide = TimingModel(cfg).cost(conv(s)).timing;
  cfg.input_port_bytes = cfg.convolvers / 2;  // half the convolvers' demand
  const InstructionTiming narrow = TimingModel(cfg).cost(conv(s)).timing;
  const uint64_t stream = (24 - 1 + 3) * (24 - 1 + 3);
  EXPECT_EQ(narrow.input_port_stall_cycles, narrow.passes_per_pe * stream);  // twice as long per pass
  EXPECT_EQ(narrow.cycles, wide.cycles + narrow.passes_per_pe * stream);
  EXPECT_GT(double(narrow.cycles) / double(wide.cycles), 1.9);
  expect_split_adds_up(narrow);
}

TEST(CnnTiming, PartialSumTrafficBeyondTheOutputPortStretchesPasses) {
  CnnConfig cfg;
  cfg.pes = 4;  // 4 PEs x 8 bytes of read-modify-write per window: twice the 16-byte port
  ConvSpec s;
  s.in_c = 3 * cfg.convolvers;  // the middle pass reads and writes int32 partial sums
  s.out_c = cfg.pes;
  s.in_h = s.in_w = 30;
  const InstructionTiming t = TimingModel(cfg).cost(conv(s)).timing;
  const uint64_t out = 28, stream = 30 * 30;
  const uint64_t middle = ceil_div(cfg.pes * out * out * 8, cfg.output_port_bytes);
  ASSERT_GT(middle, stream);
  EXPECT_GE(t.output_port_stall_cycles, middle - stream);
  expect_split_adds_up(t);
}

TEST(CnnTiming, LargeKernelsAreCutIntoKxKPieces) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  for (uint8_t kernel : {5, 7}) {
    ConvSpec s;
    s.kernel = kernel;
    s.in_h = s.in_w = 32;
    s.in_c = 8;
    s.out_c = 2;
    const InstructionTiming t = m.cost(conv(s)).timing;
    const uint64_t pieces = ceil_div(kernel, cfg.kernel) * ceil_div(kernel, cfg.kernel);
    const uint64_t out = 32 - kernel + 1;
    EXPECT_EQ(t.passes_per_pe, pieces) << "kernel " << int(kernel);
    EXPECT_EQ(t.busy_cycles, pieces * out * out);
    // Each piece streams the span of a K x K window: ((out - 1) + K)^2 pixels.
    EXPECT_EQ(t.busy_cycles + t.fill_cycles, pieces * (out - 1 + cfg.kernel) * (out - 1 + cfg.kernel));
    EXPECT_EQ(t.macs, uint64_t{2} * 8 * out * out * kernel * kernel);
    expect_split_adds_up(t);
  }
}

TEST(CnnTiming, UnevenOutputChannelsLeaveAPeIdle) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  ConvSpec s;
  s.out_c = 2 * cfg.pes + 1;  // the last step has one output channel for one PE
  const InstructionTiming t = m.cost(conv(s)).timing;
  const uint64_t steps = ceil_div(s.out_c, cfg.pes), windows = 6 * 6;
  EXPECT_EQ(t.passes_per_pe, steps);
  EXPECT_EQ(t.imbalance_pe_cycles, (cfg.pes - 1) * windows);
  EXPECT_DOUBLE_EQ(t.pe_imbalance, double(steps * cfg.pes - s.out_c) / double(steps * cfg.pes));
}

TEST(CnnTiming, WeightsOfAPassLongerThanThePreviousPassStall) {
  CnnConfig cfg;
  cfg.weight_port_bytes = 1;  // 2 x 16 x 9 bytes per pass take 288 cycles, the passes stream 16
  ConvSpec s;
  s.in_c = 2 * cfg.convolvers;
  s.out_c = cfg.pes;
  s.in_h = s.in_w = 4;  // 2 x 2 outputs, 16 pixels per pass
  s.flags = 0;          // partial sums in and out: no bias bytes
  const InstructionTiming t = TimingModel(cfg).cost(conv(s)).timing;
  const uint64_t weights = uint64_t{cfg.pes} * cfg.convolvers * 9;  // bytes per pass, 1 byte per cycle
  EXPECT_EQ(t.weight_stall_cycles, weights + (weights - 16));
}

TEST(CnnTiming, FullyConnectedIsLimitedByItsPorts) {
  CnnConfig cfg;
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  in.fc.header.opcode = isa::kOpFc;
  in.fc.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast;
  in.fc.n_in = 1000;
  in.fc.n_out = 2 * cfg.pes + 1;
  const uint64_t chunk = uint64_t{cfg.convolvers} * cfg.kernel * cfg.kernel;
  auto expected = [&](const CnnConfig& c) {
    auto step = [&](uint64_t pes) {
      return std::max({ceil_div(1000, chunk), ceil_div(1000, c.input_port_bytes),
                       ceil_div(pes * (1000 + 4), c.weight_port_bytes), ceil_div(pes * 1, c.output_port_bytes)});
    };
    return c.instruction_overhead_cycles + 2 * step(c.pes) + step(1) + depth(c, true, false);
  };
  const InstructionTiming t = TimingModel(cfg).cost(in).timing;
  EXPECT_EQ(t.cycles, expected(cfg));
  EXPECT_EQ(t.busy_cycles, 3 * ceil_div(1000, chunk));
  EXPECT_LT(t.utilization, 0.25);  // P x C x K x K bytes of weights per cycle are not there
  expect_split_adds_up(t);
  cfg.input_port_bytes = 4096;  // now the weight port alone limits
  const InstructionTiming w = TimingModel(cfg).cost(in).timing;
  EXPECT_EQ(w.cycles, expected(cfg));
  EXPECT_EQ(w.input_port_stall_cycles, 0u);
  EXPECT_GT(w.weight_stall_cycles, 0u);
}

TEST(CnnTiming, PoolAndEltwiseStreamThroughThePorts) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  isa::Pool& p = in.pool;
  p.header.opcode = isa::kOpPool;
  p.source = isa::kBufInput;
  p.size = 3;
  p.stride = 2;
  p.pad_top = p.pad_left = 1;
  p.c = 5;
  p.in_h = p.in_w = 9;
  const uint64_t out = (9 + 1 - 3) / 2 + 1;  // 4
  // The windows cover rows and columns -1..7: the padded one is not read, nor is row/column 8.
  const uint64_t in_bytes = 5 * 8 * 8, outputs = 5 * out * out;
  const uint64_t tree = ceil_log2(9) + 1;
  InstructionCost c = m.cost(in);
  EXPECT_EQ(c.timing.postprocess_cycles,
            std::max(ceil_div(in_bytes, cfg.input_port_bytes), ceil_div(outputs, cfg.output_port_bytes)));
  EXPECT_EQ(c.timing.cycles, c.timing.postprocess_cycles + tree + cfg.instruction_overhead_cycles);
  EXPECT_EQ(c.activity.input_bytes_read, in_bytes);
  // Rows of the windows inside the map: the first window loses its padded row: 2 + 3 + 3 + 3.
  EXPECT_EQ(c.activity.cmp8, 5 * 11 * 11 - outputs);
  p.source = isa::kBufOutput;  // one port carries both directions
  c = m.cost(in);
  EXPECT_EQ(c.timing.postprocess_cycles, ceil_div(in_bytes + outputs, cfg.output_port_bytes));
  EXPECT_EQ(c.activity.output_bytes_read, in_bytes);

  std::memset(&in, 0, sizeof in);
  in.eltwise.header.opcode = isa::kOpEltwise;
  in.eltwise.count = 1000;
  in.eltwise.output_shift = 1;
  c = m.cost(in);
  EXPECT_EQ(c.timing.cycles, std::max(ceil_div(2000, cfg.input_port_bytes), ceil_div(1000, cfg.output_port_bytes)) +
                                 2 + cfg.instruction_overhead_cycles);
  EXPECT_EQ(c.timing.macs, 0u);
  EXPECT_EQ(c.activity.add32, 2000u);  // the sum and the rounding add
}

TEST(CnnTiming, ActivityCountsFollowTheirFormulas) {
  const CnnConfig cfg;
  const TimingModel m(cfg);
  ConvSpec s;
  s.in_c = 2 * cfg.convolvers + 3;  // three groups, the last one partial
  s.out_c = 2 * cfg.pes + 1;
  s.in_h = s.in_w = 14;
  s.pad(1);
  s.flags = isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagPool;
  s.pool_size = s.pool_stride = 2;
  const InstructionCost c = m.cost(conv(s));
  const cnn::InstructionActivity& a = c.activity;
  const uint64_t k = cfg.kernel, out = 14, windows = out * out, pooled = 7 * 7;
  const uint64_t stream = (out - 1 + k) * (out - 1 + k), real = 14 * 14;  // padding is not read
  const uint64_t groups = 3, steps = ceil_div(s.out_c, cfg.pes), macs = uint64_t{s.out_c} * s.in_c * windows * 9;
  EXPECT_EQ(a.mul8, macs);
  EXPECT_EQ(a.add32, macs);
  EXPECT_EQ(a.cmp8, s.out_c * pooled * 3);
  EXPECT_EQ(a.accumulator_accesses, 2 * s.out_c * windows * groups);
  EXPECT_EQ(a.broadcast_transfers, uint64_t{s.out_c} * s.in_c * stream);
  EXPECT_EQ(a.line_buffer_transfers, uint64_t{s.out_c} * s.in_c * stream * 2 * (k - 1));
  EXPECT_EQ(a.input_bytes_read, steps * s.in_c * real);
  EXPECT_EQ(a.weight_bytes_read, uint64_t{s.out_c} * s.in_c * 9 + 4 * s.out_c);
  EXPECT_EQ(a.output_bytes_read, 4 * s.out_c * windows * (groups - 1));
  EXPECT_EQ(a.output_bytes_written, 4 * s.out_c * windows * (groups - 1) + s.out_c * pooled);
}

TEST(CnnTiming, BadConfigurationIsAConfigError) {
  CnnConfig cfg;
  cfg.weight_port_bytes = 0;
  EXPECT_THROW(TimingModel{cfg}, ConfigError);
  cfg = CnnConfig{};
  cfg.convolvers = 0;
  EXPECT_THROW(TimingModel{cfg}, ConfigError);
}

TEST(CnnTiming, EmptyOrForeignInstructionsCostNothing) {
  const TimingModel m{CnnConfig{}};
  ConvSpec s;
  s.in_h = 2;  // smaller than the 3x3 kernel: no output
  EXPECT_EQ(m.cost(conv(s)).timing.cycles, 0u);
  isa::Instruction load;
  std::memset(&load, 0, sizeof load);
  load.header.opcode = isa::kOpLoad;
  EXPECT_EQ(m.cost(load).timing.cycles, 0u);
  EXPECT_EQ(m.cost(load).activity.input_bytes_read, 0u);
}
