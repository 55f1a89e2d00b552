// Grouped and depthwise CONV (ISA version 3, Conv.groups): the engine's arithmetic against the
// independent reference (random shapes, every kernel variant, whole buffers compared), psum passes
// that split every group's input channels, the field checks, and the timing of the two mappings
// (docs/cnn.md, "Grouped and depthwise CONV") recomputed here from the configuration.
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_timing.h"
#include "ip/cnn/int8_kernels.h"
#include "tests/reference/cnn_reference.h"

#include <gtest/gtest.h>

#include <array>
#include <ctime>
#include <cstring>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace dlvp;
namespace kernels = dlvp::cnn::kernels;

namespace {

using Bytes = std::array<std::vector<uint8_t>, isa::kBufCount>;

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t ceil_log2(uint64_t n) {
  uint64_t d = 0;
  while ((uint64_t{1} << d) < n) ++d;
  return d;
}

struct GroupedCase {
  uint32_t in_c = 1, out_c = 1, groups = 1, in_h = 1, in_w = 1, kernel = 3, stride = 1, pad = 0;
  uint16_t flags = isa::kFlagAccFirst | isa::kFlagAccLast;
  bool relu = false, pool = false;
  int bias_shift = 0, output_shift = 8;
  uint32_t accumulator_bits = 32;

  uint32_t out_h() const { return (in_h + 2 * pad - kernel) / stride + 1; }
  uint32_t out_w() const { return (in_w + 2 * pad - kernel) / stride + 1; }
  std::string describe() const {
    std::ostringstream s;
    s << "CONV " << in_c << "x" << in_h << "x" << in_w << " -> " << out_c << ", groups " << groups << ", kernel "
      << kernel << ", stride " << stride << ", pad " << pad << ", flags " << flags << (relu ? " relu" : "")
      << (pool ? " pool 2/2" : "") << ", shifts " << bias_shift << "/" << output_shift << ", acc " << accumulator_bits;
    return s.str();
  }
};

// Regions one after the other in each buffer (input; weights, bias; psum, output), random bytes
// everywhere so a stray write shows.
struct Placed {
  isa::Instruction instruction{};
  Bytes bytes;
};

Placed place(const GroupedCase& c, std::mt19937_64& rng) {
  Placed p;
  std::memset(&p.instruction, 0, sizeof p.instruction);
  isa::Conv& v = p.instruction.conv;
  v.header.opcode = isa::kOpConv;
  v.header.flags = c.flags | (c.relu ? isa::kFlagRelu : 0) | (c.pool ? isa::kFlagPool : 0);
  v.in_c = static_cast<uint16_t>(c.in_c), v.out_c = static_cast<uint16_t>(c.out_c);
  v.in_h = static_cast<uint16_t>(c.in_h), v.in_w = static_cast<uint16_t>(c.in_w);
  v.groups = static_cast<uint16_t>(c.groups);
  v.kernel_h = v.kernel_w = static_cast<uint8_t>(c.kernel);
  v.stride_h = v.stride_w = static_cast<uint8_t>(c.stride);
  v.pad_top = v.pad_left = v.pad_bottom = v.pad_right = static_cast<uint8_t>(c.pad);
  v.bias_shift = static_cast<int8_t>(c.bias_shift), v.output_shift = static_cast<int8_t>(c.output_shift);
  v.pool_size = v.pool_stride = c.pool ? 2 : 0;
  const uint64_t weights = uint64_t{c.out_c} * (c.in_c / c.groups) * c.kernel * c.kernel;
  const uint64_t pixels = uint64_t{c.out_h()} * c.out_w();
  v.input_offset = 3;
  v.weight_offset = 5;
  v.bias_offset = static_cast<uint32_t>(v.weight_offset + weights + 3);
  v.psum_offset = 8;
  v.output_offset = static_cast<uint32_t>(v.psum_offset + 4 * c.out_c * pixels + 1);
  p.bytes[isa::kBufInput].resize(v.input_offset + uint64_t{c.in_c} * c.in_h * c.in_w + 7);
  p.bytes[isa::kBufWeight].resize(v.bias_offset + 4ull * c.out_c + 2);
  p.bytes[isa::kBufOutput].resize(v.output_offset + c.out_c * pixels + 5);
  for (auto& buffer : p.bytes)
    for (auto& b : buffer) b = static_cast<uint8_t>(rng());
  for (uint32_t o = 0; o < c.out_c; ++o) {  // biases and partial sums of moderate size
    const int32_t bias = static_cast<int32_t>(rng() % 200001) - 100000;
    std::memcpy(p.bytes[isa::kBufWeight].data() + v.bias_offset + 4 * o, &bias, 4);
  }
  for (uint64_t i = 0; i < c.out_c * pixels; ++i) {
    const int32_t psum = static_cast<int32_t>(rng() % 2000001) - 1000000;
    std::memcpy(p.bytes[isa::kBufOutput].data() + v.psum_offset + 4 * i, &psum, 4);
  }
  return p;
}

template <typename View>
View view_of(Bytes& b) {
  View v;
  for (int i = 0; i < isa::kBufCount; ++i) v.data[i] = b[i].data(), v.size[i] = b[i].size();
  return v;
}

// Runs the placed instruction by the reference and by the engine with every kernel variant this
// CPU has; the empty string when all buffers agree byte for byte.
std::string compare(const Placed& p, uint32_t accumulator_bits) {
  Bytes reference = p.bytes;
  if (ref::execute_compute(p.instruction, view_of<ref::Buffers>(reference), accumulator_bits) != isa::kErrNone)
    return "test bug: the reference rejects the instruction";
  cnn::ArithConfig config;
  config.accumulator_bits = accumulator_bits;
  for (int i = 0; i < kernels::kKernelIsaCount; ++i) {
    const auto variant = static_cast<kernels::KernelIsa>(i);
    if (!kernels::cpu_supports(variant)) continue;
    kernels::force_kernel_isa(variant);
    Bytes engine = p.bytes;
    const auto buffers = view_of<cnn::BufferSet>(engine);
    const isa::ErrorCode error = cnn::check(p.instruction, buffers);
    if (error == isa::kErrNone) cnn::execute(p.instruction, buffers, config);
    kernels::reset_kernel_isa();
    if (error != isa::kErrNone) return "engine rejects with code " + std::to_string(error);
    for (int b = 0; b < isa::kBufCount; ++b)
      if (engine[b] != reference[b])
        return std::string("[kernel ") + kernels::kernel_isa_name(variant) + "] buffer " + std::to_string(b) + " differs";
  }
  return {};
}

GroupedCase random_case(std::mt19937_64& rng) {
  auto pick = [&](std::initializer_list<uint32_t> v) { return *(v.begin() + rng() % v.size()); };
  GroupedCase c;
  c.groups = pick({2, 4, 8, 3, 16, 32});
  const bool depthwise = rng() % 2;
  const uint32_t per_group_in = depthwise ? 1 : pick({1, 2, 3, 5, 16, 17});
  const uint32_t per_group_out = depthwise ? pick({1, 1, 1, 2}) : pick({1, 2, 3, 4, 9});
  c.in_c = c.groups * per_group_in;
  c.out_c = c.groups * per_group_out;
  c.kernel = pick({1, 3, 3, 5, 7, 2});
  c.stride = pick({1, 1, 2, 3});
  c.pad = std::min<uint32_t>(c.kernel / 2, static_cast<uint32_t>(rng() % c.kernel));
  c.in_h = c.kernel + static_cast<uint32_t>(rng() % 20);
  c.in_w = rng() % 3 ? c.in_h : c.kernel + static_cast<uint32_t>(rng() % 20);
  c.flags = pick({isa::kFlagAccFirst | isa::kFlagAccLast, isa::kFlagAccFirst | isa::kFlagAccLast, isa::kFlagAccFirst,
                  isa::kFlagAccLast, 0});
  c.relu = rng() % 2;
  c.pool = (c.flags & isa::kFlagAccLast) && std::min(c.out_h(), c.out_w()) >= 2 && rng() % 3 == 0;
  c.bias_shift = static_cast<int>(rng() % 8);
  c.output_shift = static_cast<int>(rng() % 16);
  c.accumulator_bits = rng() % 4 ? 32 : 18;
  return c;
}

}  // namespace

TEST(CnnGrouped, RandomGroupedAndDepthwiseConvsMatchTheReference) {
  std::mt19937_64 rng(16002);
  int depthwise = 0, strided = 0, large_kernels = 0;
  for (int n = 0; n < 300; ++n) {
    const GroupedCase c = random_case(rng);
    const Placed p = place(c, rng);
    const std::string problem = compare(p, c.accumulator_bits);
    ASSERT_TRUE(problem.empty()) << "case " << n << ": " << c.describe() << "\n  " << problem;
    depthwise += c.in_c == c.groups;
    strided += c.stride > 1;
    large_kernels += c.kernel > 3;
  }
  std::cout << "[ coverage ] 300 grouped CONVs: depthwise " << depthwise << ", strided " << strided
            << ", kernel > K " << large_kernels << "\n";
  EXPECT_GT(depthwise, 50);
  EXPECT_GT(large_kernels, 50);
}

TEST(CnnGrouped, RealDepthwiseLayersMatchTheReference) {
  std::mt19937_64 rng(16003);
  for (const auto& [channels, size, stride] : {std::array<uint32_t, 3>{96, 56, 2}, {32, 56, 1}, {144, 28, 1}}) {
    GroupedCase c;
    c.in_c = c.out_c = c.groups = channels;
    c.in_h = c.in_w = size;
    c.stride = stride;
    c.pad = 1;
    c.relu = true;
    const std::string problem = compare(place(c, rng), 32);
    EXPECT_TRUE(problem.empty()) << c.describe() << "\n  " << problem;
  }
}

// A tiler splits a grouped layer's input channels into passes: every group's first half in one
// instruction (AccFirst), the second halves in the next (AccLast), each with G groups of half the
// channels. The engine's two passes must give the reference's whole grouped layer.
TEST(CnnGrouped, PsumPassesOverEachGroupsChannelsGiveTheWholeLayer) {
  std::mt19937_64 rng(16004);
  const uint32_t groups = 4, group_in = 6, group_out = 3, size = 9, k = 3;
  ref::ConvLayer layer;
  layer.in_c = groups * group_in, layer.out_c = groups * group_out, layer.groups = groups;
  layer.in_h = layer.in_w = size, layer.kernel_h = layer.kernel_w = k;
  layer.pad_top = layer.pad_left = layer.pad_bottom = layer.pad_right = 1;
  layer.bias_shift = 2, layer.output_shift = 9, layer.relu = true;
  std::vector<int8_t> input(uint64_t{layer.in_c} * size * size), weights(uint64_t{layer.out_c} * group_in * k * k);
  std::vector<int32_t> bias(layer.out_c);
  for (auto& x : input) x = static_cast<int8_t>(rng());
  for (auto& w : weights) w = static_cast<int8_t>(rng());
  for (auto& b : bias) b = static_cast<int32_t>(rng() % 20001) - 10000;
  const std::vector<int8_t> expected = ref::conv2d(layer, input, weights, bias);

  const uint32_t half = group_in / 2, pixels = size * size;
  const uint64_t half_input = uint64_t{groups} * half * pixels, half_weights = uint64_t{layer.out_c} * half * k * k;
  Bytes bytes;
  bytes[isa::kBufInput].resize(2 * half_input);
  bytes[isa::kBufWeight].resize(2 * half_weights + 4 * layer.out_c);
  bytes[isa::kBufOutput].resize(5 * uint64_t{layer.out_c} * pixels);
  for (uint32_t pass = 0; pass < 2; ++pass)
    for (uint32_t g = 0; g < groups; ++g) {
      for (uint32_t j = 0; j < half; ++j)  // channel j of the pass's half of group g
        std::memcpy(bytes[isa::kBufInput].data() + pass * half_input + (uint64_t{g} * half + j) * pixels,
                    input.data() + (uint64_t{g} * group_in + pass * half + j) * pixels, pixels);
      for (uint32_t o = g * group_out; o < (g + 1) * group_out; ++o)
        for (uint32_t j = 0; j < half; ++j)
          std::memcpy(bytes[isa::kBufWeight].data() + pass * half_weights + (uint64_t{o} * half + j) * k * k,
                      weights.data() + (uint64_t{o} * group_in + pass * half + j) * k * k, k * k);
    }
  std::memcpy(bytes[isa::kBufWeight].data() + 2 * half_weights, bias.data(), 4 * bias.size());
  const auto buffers = view_of<cnn::BufferSet>(bytes);
  for (uint32_t pass = 0; pass < 2; ++pass) {
    isa::Instruction i;
    std::memset(&i, 0, sizeof i);
    isa::Conv& v = i.conv;
    v.header.opcode = isa::kOpConv;
    v.header.flags = pass == 0 ? isa::kFlagAccFirst : isa::kFlagAccLast | isa::kFlagRelu;
    v.in_c = static_cast<uint16_t>(groups * half), v.out_c = static_cast<uint16_t>(layer.out_c);
    v.in_h = v.in_w = size, v.groups = groups, v.kernel_h = v.kernel_w = k, v.stride_h = v.stride_w = 1;
    v.pad_top = v.pad_left = v.pad_bottom = v.pad_right = 1;
    v.input_offset = static_cast<uint32_t>(pass * half_input);
    v.weight_offset = static_cast<uint32_t>(pass * half_weights);
    v.bias_offset = static_cast<uint32_t>(2 * half_weights);
    v.psum_offset = 0, v.output_offset = 4 * layer.out_c * pixels;
    v.bias_shift = 2, v.output_shift = 9;
    ASSERT_EQ(cnn::check(i, buffers), isa::kErrNone);
    cnn::execute(i, buffers, {});
  }
  const auto* out = reinterpret_cast<const int8_t*>(bytes[isa::kBufOutput].data() + 4 * layer.out_c * pixels);
  EXPECT_EQ(std::vector<int8_t>(out, out + expected.size()), expected);
}

TEST(CnnGrouped, GroupsThatDoNotDivideTheChannelsAreBadFields) {
  std::mt19937_64 rng(16005);
  GroupedCase c;
  c.in_c = 12, c.out_c = 8, c.groups = 4, c.in_h = c.in_w = 6;
  Placed ok = place(c, rng);
  auto buffers = view_of<cnn::BufferSet>(ok.bytes);
  EXPECT_EQ(cnn::check(ok.instruction, buffers), isa::kErrNone);
  for (const uint16_t groups : {3, 5, 16, 12}) {  // 3 does not divide 8, 5 neither, 16 and 12 exceed one of them
    Placed bad = ok;
    bad.instruction.conv.groups = groups;
    EXPECT_EQ(cnn::check(bad.instruction, buffers), isa::kErrBadField) << "groups " << groups;
    EXPECT_EQ(ref::check_compute(bad.instruction, view_of<ref::Buffers>(bad.bytes)), isa::kErrBadField);
  }
  // 0 and 1 are dense: the weights of a dense CONV (out_c x in_c x 9) no longer fit the buffer.
  for (const uint16_t dense : {0, 1}) {
    Placed d = ok;
    d.instruction.conv.groups = dense;
    d.instruction.conv.bias_offset = 0;
    EXPECT_EQ(cnn::check(d.instruction, buffers), isa::kErrBufferOverrun) << "groups " << dense;
  }
  // A grouped CONV reads out_c x in_c/G x 9 weights: one byte fewer in the buffer overruns.
  Placed tight = ok;
  const uint64_t weights = 8ull * 3 * 9;
  tight.instruction.conv.weight_offset = static_cast<uint32_t>(tight.bytes[isa::kBufWeight].size() - weights);
  tight.instruction.conv.bias_offset = 0;
  EXPECT_EQ(cnn::check(tight.instruction, buffers), isa::kErrNone);
  tight.instruction.conv.weight_offset += 1;
  EXPECT_EQ(cnn::check(tight.instruction, buffers), isa::kErrBufferOverrun);
}

// ---- timing ------------------------------------------------------------------------------------

namespace {

isa::Instruction timing_conv(uint32_t in_c, uint32_t out_c, uint32_t groups, uint32_t size, uint32_t stride) {
  isa::Instruction i;
  std::memset(&i, 0, sizeof i);
  isa::Conv& c = i.conv;
  c.header.opcode = isa::kOpConv;
  c.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast;
  c.in_c = static_cast<uint16_t>(in_c), c.out_c = static_cast<uint16_t>(out_c), c.groups = static_cast<uint16_t>(groups);
  c.in_h = c.in_w = static_cast<uint16_t>(size);
  c.kernel_h = c.kernel_w = 3, c.stride_h = c.stride_w = static_cast<uint8_t>(stride);
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  return i;
}

void expect_split_adds_up(const cnn::InstructionTiming& t) {
  EXPECT_EQ(t.cycles, t.busy_cycles + t.fill_cycles + t.drain_cycles + t.weight_stall_cycles +
                          t.input_port_stall_cycles + t.output_port_stall_cycles + t.postprocess_cycles +
                          t.overhead_cycles);
}

}  // namespace

// Depthwise (G = in_c = out_c): P x C channels per step, one per convolver, so the input port must
// deliver P x C bytes per streamed pixel; the adder tree is bypassed.
TEST(CnnGrouped, DepthwiseTimingFollowsItsFormula) {
  CnnConfig cfg;
  cfg.input_port_bytes = 64;  // wide enough for every lane: the exact formula without port stalls
  cfg.output_port_bytes = 64;
  const cnn::TimingModel m(cfg);
  const uint32_t per_step = cfg.pes * cfg.convolvers, channels = 3 * per_step, size = 12;
  const cnn::InstructionCost cost = m.cost(timing_conv(channels, channels, channels, size, 1));
  const cnn::InstructionTiming& t = cost.timing;
  const uint64_t k = cfg.kernel, out = size, stream = (out - 1 + k) * (out - 1 + k), steps = 3;
  const uint64_t depth = cfg.multiplier_stages + ceil_log2(k * k) + 1 + 1;  // no adder tree, AccLast
  const uint64_t first_weights = ceil_div(per_step * (k * k + 4), cfg.weight_port_bytes);
  ASSERT_LT(depth, (k - 1) * (out - 1 + k) + k) << "the example assumes the drain hides behind the next fill";
  ASSERT_LE(first_weights, stream) << "the example assumes later weights hide behind a pass";
  EXPECT_EQ(t.passes_per_pe, steps);
  EXPECT_EQ(t.busy_cycles, steps * out * out);
  EXPECT_EQ(t.fill_cycles, steps * (stream - out * out));
  EXPECT_EQ(t.weight_stall_cycles, first_weights);
  EXPECT_EQ(t.drain_cycles, depth);
  EXPECT_EQ(t.input_port_stall_cycles, 0u);
  EXPECT_EQ(t.output_port_stall_cycles, 0u);
  EXPECT_EQ(t.cycles, cfg.instruction_overhead_cycles + first_weights + steps * stream + depth);
  EXPECT_EQ(t.macs, uint64_t{channels} * out * out * k * k);
  EXPECT_EQ(t.imbalance_pe_cycles, 0u);
  expect_split_adds_up(t);
  // Each channel is read once, to its own convolver.
  EXPECT_EQ(cost.activity.input_bytes_read, uint64_t{channels} * size * size);
  EXPECT_EQ(cost.activity.broadcast_transfers, uint64_t{channels} * stream);
  EXPECT_EQ(cost.activity.weight_bytes_read, uint64_t{channels} * (k * k + 4));
  EXPECT_EQ(cost.activity.mul8, t.macs);
}

// With the default 16-byte input port, P x C = 32 lanes take two cycles per streamed pixel.
TEST(CnnGrouped, DepthwiseOnTheDefaultPortIsInputBound) {
  const CnnConfig cfg;
  const cnn::TimingModel m(cfg);
  const uint32_t lanes = cfg.pes * cfg.convolvers, size = 20;
  const cnn::InstructionTiming t = m.cost(timing_conv(lanes, lanes, lanes, size, 1)).timing;
  const uint64_t stream = (size + 2) * (size + 2);
  EXPECT_EQ(t.input_port_stall_cycles, ceil_div(stream * lanes, cfg.input_port_bytes) - stream);
  expect_split_adds_up(t);
  // The last step of 40 channels keeps ceil(8 / C) = 1 PE of 2 busy.
  const cnn::InstructionTiming partial = m.cost(timing_conv(lanes + 8, lanes + 8, lanes + 8, size, 1)).timing;
  EXPECT_EQ(partial.imbalance_pe_cycles, uint64_t{cfg.pes - 1} * size * size);
}

// Grouped (in_c/G > 1): each group is a dense run of out_c/G channels over the PEs with its
// in_c/G channels on the convolvers; convolvers beyond in_c/G idle.
TEST(CnnGrouped, GroupedTimingRunsEachGroupAsADenseConv) {
  const CnnConfig cfg;
  const cnn::TimingModel m(cfg);
  const uint32_t groups = 4, group_in = 8, group_out = 2 * cfg.pes, size = 16;
  const cnn::InstructionCost cost = m.cost(timing_conv(groups * group_in, groups * group_out, groups, size, 1));
  const cnn::InstructionTiming& t = cost.timing;
  const uint64_t k = cfg.kernel, out = size, stream = (out - 1 + k) * (out - 1 + k);
  const uint64_t steps = groups * (group_out / cfg.pes);
  const uint64_t depth = cfg.multiplier_stages + ceil_log2(k * k) + ceil_log2(cfg.convolvers) + 1 + 1;
  const uint64_t first_weights = ceil_div(cfg.pes * (group_in * k * k + 4), cfg.weight_port_bytes);
  ASSERT_LT(depth, (k - 1) * (out - 1 + k) + k);
  EXPECT_EQ(t.passes_per_pe, steps);
  EXPECT_EQ(t.cycles, cfg.instruction_overhead_cycles + first_weights + steps * stream + depth);
  EXPECT_EQ(t.macs, uint64_t{groups} * group_out * group_in * out * out * k * k);
  // Half of the convolvers work: utilization at most group_in / C of the busy share.
  EXPECT_LE(t.utilization, double(group_in) / cfg.convolvers);
  EXPECT_EQ(cost.activity.input_bytes_read, steps * group_in * size * size);
  expect_split_adds_up(t);
}

// MobileNetV2's depthwise layers on the default configuration: the depthwise mapping against
// the same layer as G dense one-channel CONVs (one convolver of P x C busy).
TEST(CnnGrouped, DepthwiseModeBeatsRunningTheGroupsAsDenseConvs) {
  const CnnConfig cfg;
  const cnn::TimingModel m(cfg);
  for (const auto& [channels, size, stride] : {std::array<uint32_t, 3>{96, 56, 2}, {144, 56, 1}}) {
    const cnn::InstructionTiming dw = m.cost(timing_conv(channels, channels, channels, size, stride)).timing;
    cnn::InstructionTiming dense;
    for (uint32_t g = 0; g < channels; ++g) dense += m.cost(timing_conv(1, 1, 1, size, stride)).timing;
    std::cout << "[ depthwise ] " << channels << "x" << size << "x" << size << " stride " << stride << ": "
              << dw.cycles << " cycles, utilization " << 100 * dw.utilization << " %; as " << channels
              << " dense CONVs: " << dense.cycles << " cycles (x" << double(dense.cycles) / double(dw.cycles) << ")\n";
    EXPECT_EQ(dw.macs, dense.macs);
    // P x C lanes through an input port of 16 B/cycle: at least (P C / port) fewer... and no
    // more than P x C times faster than one convolver at a time.
    EXPECT_LT(dw.cycles * cfg.input_port_bytes / 2, dense.cycles);
    EXPECT_GT(dw.cycles * cfg.pes * cfg.convolvers, dense.cycles);
    expect_split_adds_up(dw);
  }
}

// The fast path: a depthwise 3x3 layer has 9 MACs per output where a dense 32 -> 32 one has 288,
// so its cost per output (where the output stage is the same) is what must stay comparable; the
// per-MAC figures are printed (docs/cnn_kernels.md quotes them).
TEST(CnnGrouped, DepthwiseKernelStaysOnAFastPath) {
  std::mt19937_64 rng(16006);
  auto seconds_per_call = [&](uint32_t in_c, uint32_t out_c, uint32_t groups) {
    GroupedCase c;
    c.in_c = in_c, c.out_c = out_c, c.groups = groups, c.in_h = c.in_w = 56, c.pad = 1;
    Placed p = place(c, rng);
    const auto buffers = view_of<cnn::BufferSet>(p.bytes);
    cnn::execute(p.instruction, buffers, {});  // scratch allocated
    const std::clock_t start = std::clock();     // CPU time of all threads: robust to a loaded machine
    const int repeats = 20;
    for (int r = 0; r < repeats; ++r) cnn::execute(p.instruction, buffers, {});
    return double(std::clock() - start) / CLOCKS_PER_SEC / repeats;
  };
  const double outputs = 32.0 * 56 * 56;
  const double depthwise = seconds_per_call(32, 32, 32), dense = seconds_per_call(32, 32, 1);
  std::cout << "[ speed ] 3x3 over 32x56x56: depthwise " << depthwise / (outputs * 9) * 1e9 << " ns/MAC, "
            << depthwise / outputs * 1e9 << " ns/output; dense 32->32 " << dense / (outputs * 288) * 1e9
            << " ns/MAC, " << dense / outputs * 1e9 << " ns/output\n";
  EXPECT_LT(depthwise / outputs, 3 * dense / outputs + 20e-9) << "depthwise fell off the fast path";
}
