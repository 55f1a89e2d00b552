// The CNN cluster's timing model (ip/cnn/cnn_timing, which the engine charges and dlvpc's
// prediction replays) against an independent pass-by-pass, pixel-by-pixel model of the same
// micro-architecture (tests/reference/cnn_timing_reference): hand-derived cases, then random CONVs.
#include "ip/cnn/cnn_timing.h"
#include "tests/reference/cnn_timing_reference.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>

namespace dlvp {
namespace {

ref::CnnCluster cluster_of(const CnnConfig& c) {
  ref::CnnCluster r;
  r.pes = c.pes, r.convolvers = c.convolvers, r.kernel = c.kernel;
  r.input_port_bytes = c.input_port_bytes, r.weight_port_bytes = c.weight_port_bytes;
  r.multiplier_stages = c.multiplier_stages, r.instruction_overhead_cycles = c.instruction_overhead_cycles;
  return r;
}

isa::Instruction instruction_of(const ref::ConvLayerShape& l) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  isa::Conv& c = in.conv;
  c.header.opcode = isa::kOpConv;
  c.header.flags = static_cast<uint16_t>((l.acc_first ? isa::kFlagAccFirst : 0) | (l.acc_last ? isa::kFlagAccLast : 0));
  c.in_c = static_cast<uint16_t>(l.in_c), c.out_c = static_cast<uint16_t>(l.out_c);
  c.in_h = static_cast<uint16_t>(l.in_h), c.in_w = static_cast<uint16_t>(l.in_w);
  c.kernel_h = static_cast<uint8_t>(l.kernel_h), c.kernel_w = static_cast<uint8_t>(l.kernel_w);
  c.stride_h = static_cast<uint8_t>(l.stride_h), c.stride_w = static_cast<uint8_t>(l.stride_w);
  c.pad_top = static_cast<uint8_t>(l.pad_top), c.pad_left = static_cast<uint8_t>(l.pad_left);
  c.pad_bottom = static_cast<uint8_t>(l.pad_bottom), c.pad_right = static_cast<uint8_t>(l.pad_right);
  return in;
}

// 16 input channels, 8x8, 3x3, stride 1, no padding, on the default cluster (2 PEs x 16
// convolvers, 16 B input port, 32 B weight port, pipeline 2 + 4 + 4 + 1 + 1 = 12, overhead 8).
ref::ConvLayerShape tile(uint32_t out_c) {
  ref::ConvLayerShape l;
  l.in_c = 16, l.in_h = 8, l.in_w = 8, l.out_c = out_c, l.kernel_h = 3, l.kernel_w = 3;
  return l;
}

TEST(CnnTimingReference, OneTile) {
  // Weights 2 x (16 x 9 + 4) = 296 B at 32 B/cycle: 10 cycles with nothing to hide behind; the
  // 8x8 map streams in 64 cycles (36 windows); the pipeline drains in 12; 8 of overhead.
  const ref::ConvCycles t = ref::simulate_conv(ref::CnnCluster{}, tile(2));
  EXPECT_EQ(t.windows, 36u);
  EXPECT_EQ(t.streamed, 64u);
  EXPECT_EQ(t.cycles, 10u + 64u + 12u + 8u);
}

TEST(CnnTimingReference, AThirdOutputChannelIsASecondStepOnOnePe) {
  // The second step's weights (148 B, 5 cycles) load under the first step's 64-cycle stream; its
  // first window (pixel 2 x 8 + 3 = 19) comes after the first step's last sum left the 12-stage
  // pipeline, so the two streams follow back to back; one PE idles for its 36 windows.
  const ref::ConvCycles t = ref::simulate_conv(ref::CnnCluster{}, tile(3));
  EXPECT_EQ(t.cycles, 10u + 64u + 64u + 12u + 8u);
  EXPECT_EQ(t.idle_pe_windows, 36u);
  EXPECT_EQ(t.weight_waits, 10u);
}

TEST(CnnTimingReference, StrideAndPadding) {
  // Padding 1, stride 2: 4x4 outputs; the convolver streams (4 - 1) x 2 + 3 = 9 rows and columns.
  ref::ConvLayerShape l = tile(2);
  l.stride_h = l.stride_w = 2;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
  const ref::ConvCycles t = ref::simulate_conv(ref::CnnCluster{}, l);
  EXPECT_EQ(t.windows, 16u);
  EXPECT_EQ(t.cycles, 10u + 81u + 12u + 8u);
}

TEST(CnnTimingReference, ANarrowInputPortHalvesThePixelRate) {
  ref::CnnCluster c;
  c.input_port_bytes = 8;  // 16 convolvers need 16 B per pixel: one pixel every 2 cycles
  EXPECT_EQ(ref::simulate_conv(c, tile(2)).cycles, 10u + 128u + 12u + 8u);
}

TEST(CnnTimingReference, TheEnginesModelMatchesTheReferenceOnHandCases) {
  const CnnConfig config;
  const cnn::TimingModel model(config);
  for (const uint32_t out_c : {2u, 3u, 5u}) {
    const ref::ConvLayerShape l = tile(out_c);
    EXPECT_EQ(model.cost(instruction_of(l)).timing.cycles, ref::simulate_conv(cluster_of(config), l).cycles) << out_c;
  }
}

// Random CONVs whose kernel fits one convolver, on random clusters whose output port carries the
// partial sums (the reference does not model that port).
TEST(CnnTimingReference, TheEnginesModelMatchesTheReferenceOnRandomConvs) {
  std::mt19937 rng(20261206);
  const auto pick = [&](uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng); };
  int mismatches = 0;
  for (int trial = 0; trial < 5000; ++trial) {
    CnnConfig config;
    config.pes = pick(1, 4), config.convolvers = pick(1, 8), config.kernel = pick(1, 5);
    config.input_port_bytes = pick(1, 16), config.weight_port_bytes = pick(1, 64);
    config.output_port_bytes = 4096;
    config.multiplier_stages = pick(0, 4), config.instruction_overhead_cycles = pick(0, 10);
    ref::ConvLayerShape l;
    l.kernel_h = pick(1, config.kernel), l.kernel_w = pick(1, config.kernel);
    l.stride_h = pick(1, 4), l.stride_w = pick(1, 4);
    l.pad_top = pick(0, l.kernel_h - 1), l.pad_bottom = pick(0, l.kernel_h - 1);
    l.pad_left = pick(0, l.kernel_w - 1), l.pad_right = pick(0, l.kernel_w - 1);
    l.in_h = pick(l.kernel_h, 12), l.in_w = pick(l.kernel_w, 12);
    l.in_c = pick(1, 20), l.out_c = pick(1, 40);  // up to 40 steps: the steady state of steps
    l.acc_first = pick(0, 1) == 1, l.acc_last = pick(0, 1) == 1;
    const cnn::InstructionTiming t = cnn::TimingModel(config).cost(instruction_of(l)).timing;
    const ref::ConvCycles r = ref::simulate_conv(cluster_of(config), l);
    SCOPED_TRACE("trial " + std::to_string(trial));
    EXPECT_EQ(t.busy_cycles, r.windows);
    EXPECT_EQ(t.fill_cycles, r.streamed - r.windows);
    EXPECT_EQ(t.imbalance_pe_cycles, r.idle_pe_windows);
    if (t.cycles != r.cycles) ++mismatches;
    EXPECT_EQ(t.cycles, r.cycles) << config.pes << " PEs x " << config.convolvers << " convolvers K " << config.kernel
                                  << ", ports " << config.input_port_bytes << "/" << config.weight_port_bytes << "; in "
                                  << l.in_c << "x" << l.in_h << "x" << l.in_w << " out_c " << l.out_c << " kernel "
                                  << l.kernel_h << "x" << l.kernel_w << " stride " << l.stride_h << "x" << l.stride_w
                                  << "; weight stall " << t.weight_stall_cycles << " vs " << r.weight_waits << ", drain "
                                  << t.drain_cycles << " vs " << r.drain_waits;
    if (mismatches > 5) break;
  }
}

}  // namespace
}  // namespace dlvp
