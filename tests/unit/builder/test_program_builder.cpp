// The builder's programs run on the functional ISA interpreter (tests/reference) and must give the
// reference model's whole-layer results bit for bit; their schedules are checked independently
// (schedule_checker.h): buffer halves, token balance, races, deadlock freedom.
#include "tests/reference/cnn_reference.h"
#include "tests/reference/isa_interpreter.h"
#include "tests/reference/network_reference.h"
#include "tests/unit/builder/schedule_checker.h"
#include "tools/builder/memory_plan.h"
#include "tools/builder/program.h"
#include "tools/builder/tiler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace dlvp::builder {
namespace {

// ---------------------------------------------------------------------------------------------
// Random layers with shifts that keep the int8 results away from constant saturation.

class Rng {
 public:
  explicit Rng(uint32_t seed) : gen_(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  bool coin() { return uniform(0, 1) == 1; }
  std::vector<int8_t> bytes(uint64_t n) {
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(uniform(-128, 127));
    return v;
  }

 private:
  std::mt19937 gen_;
};

// Output shift that maps a sum of `taps` int8 x int8 products to a standard deviation of ~40.
int shift_for(uint64_t taps) {
  const double sigma = std::sqrt(static_cast<double>(taps)) * 74.0 * 74.0;
  return std::clamp(static_cast<int>(std::lround(std::log2(sigma / 40.0))), 0, 31);
}

void fill_parameters(Rng& rng, uint64_t taps, uint32_t outs, std::vector<int8_t>& w, std::vector<int32_t>& b,
                     int& bias_shift, int& output_shift) {
  w = rng.bytes(taps * outs);
  output_shift = shift_for(taps);
  bias_shift = rng.uniform(0, 3);
  const int range = std::max(1, (1 << std::min(output_shift + 1, 30)) >> bias_shift);
  b.resize(outs);
  for (auto& x : b) x = rng.uniform(-range, range);
}

ConvLayer make_conv(Rng& rng, const std::string& name, const TensorShape& in, uint32_t out_c, uint32_t k, uint32_t stride,
                    uint32_t pad, bool relu, uint32_t pool_size = 0, uint32_t pool_stride = 0) {
  ConvLayer l;
  l.name = name;
  l.in_c = in.c, l.in_h = in.h, l.in_w = in.w, l.out_c = out_c;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = pad;
  l.relu = relu;
  l.pool_size = pool_size, l.pool_stride = pool_stride;
  fill_parameters(rng, uint64_t{in.c} * k * k, out_c, l.weights, l.bias, l.bias_shift, l.output_shift);
  return l;
}

FcLayer make_fc(Rng& rng, const std::string& name, uint32_t n_in, uint32_t n_out, bool relu) {
  FcLayer l;
  l.name = name, l.n_in = n_in, l.n_out = n_out, l.relu = relu;
  fill_parameters(rng, n_in, n_out, l.weights, l.bias, l.bias_shift, l.output_shift);
  return l;
}

PoolLayer make_pool(const std::string& name, PoolKind kind, uint32_t size, uint32_t stride, uint32_t pad = 0) {
  PoolLayer l;
  l.name = name, l.kind = kind, l.size = size, l.stride = stride;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = pad;
  return l;
}

EltwiseLayer make_eltwise(const std::string& name, int other, bool relu) {
  EltwiseLayer l;
  l.name = name, l.other = other, l.relu = relu;
  l.a_shift = 1, l.b_shift = 0, l.output_shift = 1;
  return l;
}

// ---------------------------------------------------------------------------------------------
// The golden result: the reference model's whole-layer functions, layer by layer.

TensorShape output_shape(const Layer& layer, const TensorShape& in) {
  if (const auto* c = std::get_if<ConvLayer>(&layer)) return {c->out_c, c->result_h(), c->result_w()};
  if (const auto* f = std::get_if<FcLayer>(&layer)) return {f->n_out, 1, 1};
  if (const auto* p = std::get_if<PoolLayer>(&layer))
    return {in.c, sweep_length(in.h, p->pad_top, p->pad_bottom, p->size, p->stride),
            sweep_length(in.w, p->pad_left, p->pad_right, p->size, p->stride)};
  return in;
}

std::vector<int8_t> reference_run(const Network& net, const TensorShape& input_shape, const std::vector<int8_t>& input,
                                  uint32_t accumulator_bits) {
  return ref::run_network(net, input_shape, input, accumulator_bits);
}

// ---------------------------------------------------------------------------------------------
// Running a program: a DDR image assembled from the memory plan, the interpreter, the output window.

ref::ProgramRun run_program(const Program& p, const CnnConfig& hw, const std::vector<int8_t>& input) {
  EXPECT_EQ(input.size(), p.plan.window_bytes[kArgInput]);
  return ref::run_program(p, hw, input);
}

std::array<uint64_t, isa::kBufCount> buffer_sizes(const CnnConfig& hw) {
  return {hw.input_buffer_bytes, hw.weight_buffer_bytes, hw.output_buffer_bytes};
}

// Every property a built program must have, for one network, hardware and option set.
Program verify(const Network& net, const CnnConfig& hw, bool double_buffer, uint32_t seed) {
  SCOPED_TRACE(std::string("double_buffer=") + (double_buffer ? "true" : "false"));
  const Program p = build(net, hw, BuildOptions{double_buffer});
  const TensorShape in = p.plan.input.shape;
  Rng rng(seed);
  const std::vector<int8_t> input = rng.bytes(in.elements());

  const ref::ProgramRun run = run_program(p, hw, input);
  EXPECT_EQ(run.result.error, isa::kErrNone) << "at instruction " << run.result.error_index;
  EXPECT_FALSE(run.result.token_underflow_index.has_value());
  EXPECT_EQ(run.result.executed + 1, p.instructions.size());  // everything but END
  EXPECT_EQ(run.output, reference_run(net, in, input, hw.accumulator_bits));

  EXPECT_EQ(p.instructions.back().header.opcode, isa::kOpEnd);
  EXPECT_EQ(check::half_violation(p.instructions, buffer_sizes(hw), double_buffer), "");
  EXPECT_EQ(check::token_balance(p.instructions).error, "");
  EXPECT_EQ(check::first_race(p.instructions), "");
  for (const size_t depth : {1, 2, 8}) EXPECT_TRUE(check::runs_to_end(p.instructions, depth)) << "depth " << depth;

  // Layer i owns the contiguous range of instructions tagged i.
  uint32_t next = 0;
  for (uint32_t i = 0; i < p.layers.size(); ++i) {
    const LayerInfo& info = p.layers[i];
    EXPECT_EQ(info.first_instruction, next);
    if (!std::holds_alternative<ConcatLayer>(net.layers[i])) {
      EXPECT_GT(info.instructions(), 0u);
    }
    for (uint32_t k = info.first_instruction; k < info.end_instruction; ++k) EXPECT_EQ(p.instructions[k].header.tag, i);
    next = info.end_instruction;
  }
  EXPECT_EQ(next + 1, p.instructions.size());
  return p;
}

CnnConfig small_buffers(uint64_t input, uint64_t weight, uint64_t output) {
  CnnConfig hw;
  hw.input_buffer_bytes = input, hw.weight_buffer_bytes = weight, hw.output_buffer_bytes = output;
  return hw;
}

// ---------------------------------------------------------------------------------------------
// Single layers

TEST(ProgramBuilder, SmallConvIsOneTileWithOneLoadEachAndOneStore) {
  Rng rng(1);
  Network net;
  net.add(make_conv(rng, "c1", {3, 8, 8}, 8, 3, 1, 1, true));
  const CnnConfig hw;  // the paper's buffers: everything fits
  const Program p = verify(net, hw, true, 11);
  const LayerInfo& l = p.layers[0];
  EXPECT_EQ(l.tiles, 1u);
  EXPECT_EQ(l.loads, 2u);  // weights+bias, input
  EXPECT_EQ(l.stores, 1u);
  EXPECT_EQ(l.macs, 8ull * 8 * 8 * 3 * 9);
  EXPECT_EQ(l.weight_bytes, 8u * 3 * 9);
  EXPECT_EQ(l.bias_bytes, 8u * 4);
  EXPECT_EQ(l.load_bytes, 3u * 64 + 16 * ((8 * 3 * 9 + 15) / 16) + 32);
  EXPECT_EQ(l.store_bytes, 8u * 64);
  EXPECT_EQ(p.plan.window_bytes[kArgInput], 3u * 64);
  EXPECT_EQ(p.plan.window_bytes[kArgOutput], 8u * 64);
  EXPECT_EQ(p.plan.window_bytes[kArgScratch], 0u);
  EXPECT_EQ(p.plan.window_bytes[kArgConstants], p.constants.size());
  EXPECT_EQ(p.constants.size() % kDdrAlign, 0u);
}

TEST(ProgramBuilder, ConvSplitsIntoRowBandsAndChannelGroupsThatFitHalfBuffers) {
  Rng rng(2);
  Network net;
  net.add(make_conv(rng, "wide", {24, 30, 30}, 40, 3, 1, 1, true));
  const CnnConfig hw = small_buffers(8192, 4096, 8192);
  const Program p = verify(net, hw, true, 12);
  const Tiling& t = p.layers[0].tiling;
  EXPECT_GT(t.bands, 1u);
  EXPECT_GT(t.groups, 1u);
  EXPECT_EQ(t.passes, 1u);  // one band of all 24 channels fits: no partial sums needed
  EXPECT_LE(t.input_tile_bytes, hw.input_buffer_bytes / 2);
  EXPECT_LE(t.weight_tile_bytes, hw.weight_buffer_bytes / 2);
  EXPECT_LE(t.output_tile_bytes, hw.output_buffer_bytes / 2);
  EXPECT_EQ(p.layers[0].tiles, t.bands * t.groups);
  EXPECT_EQ(p.layers[0].stores, t.bands * t.groups);
}

TEST(ProgramBuilder, InputChannelPassesAccumulateThroughPsum) {
  Rng rng(3);
  Network net;
  // 64 channels x 3 rows x 200 B = 38400 B per row band: more than half of an 8 KiB input buffer.
  net.add(make_conv(rng, "deep", {64, 12, 200}, 6, 3, 1, 1, true, 2, 2));
  const CnnConfig hw = small_buffers(8192, 4096, 16384);
  const Program p = verify(net, hw, true, 13);
  const LayerInfo& l = p.layers[0];
  ASSERT_GT(l.tiling.passes, 1u);
  // Within each output tile: AccFirst exactly on the first pass, AccLast (with ReLU and pooling)
  // exactly on the last.
  uint32_t firsts = 0, lasts = 0, pass = 0;
  for (uint32_t k = l.first_instruction; k < l.end_instruction; ++k) {
    const isa::Instruction& i = p.instructions[k];
    if (i.header.opcode != isa::kOpConv) continue;
    const uint16_t f = i.header.flags;
    EXPECT_EQ(bool(f & isa::kFlagAccFirst), pass == 0);
    EXPECT_EQ(bool(f & isa::kFlagAccLast), pass + 1 == l.tiling.passes);
    EXPECT_EQ(bool(f & isa::kFlagRelu), pass + 1 == l.tiling.passes);
    EXPECT_EQ(bool(f & isa::kFlagPool), pass + 1 == l.tiling.passes);
    firsts += (f & isa::kFlagAccFirst) != 0;
    lasts += (f & isa::kFlagAccLast) != 0;
    pass = (pass + 1) % l.tiling.passes;
  }
  EXPECT_EQ(firsts, lasts);
  EXPECT_EQ(l.tiles, firsts * l.tiling.passes);
  EXPECT_EQ(l.stores, firsts);
}

TEST(ProgramBuilder, KernelsStridesAndOddSizesAreBitExact) {
  const CnnConfig hw = small_buffers(4096, 2048, 4096);
  uint32_t seed = 100;
  for (const uint32_t k : {1u, 3u, 5u, 7u})
    for (const uint32_t stride : {1u, 2u}) {
      SCOPED_TRACE("kernel " + std::to_string(k) + " stride " + std::to_string(stride));
      Rng rng(seed);
      Network net;
      net.add(make_conv(rng, "k", {19, 23, 17}, 21, k, stride, k / 2, stride == 1));
      verify(net, hw, true, seed++);
    }
}

TEST(ProgramBuilder, FusedPoolingBandsAlignToPoolingWindows) {
  const CnnConfig hw = small_buffers(4096, 2048, 2048);
  uint32_t seed = 200;
  // 2x2/2, overlapping 3x3/2, and a stride larger than the window (bands need a full stride of rows).
  for (const auto& [size, stride] : std::vector<std::pair<uint32_t, uint32_t>>{{2, 2}, {3, 2}, {2, 3}}) {
    SCOPED_TRACE("pool " + std::to_string(size) + "/" + std::to_string(stride));
    Rng rng(seed);
    Network net;
    net.add(make_conv(rng, "cp", {8, 29, 27}, 10, 3, 1, 1, true, size, stride));
    const Program p = verify(net, hw, true, seed++);
    EXPECT_GT(p.layers[0].tiling.bands, 1u);
  }
}

TEST(ProgramBuilder, StandalonePoolingMaxAndAverageWithPadding) {
  const CnnConfig hw = small_buffers(2048, 1024, 2048);
  uint32_t seed = 300;
  for (const PoolKind kind : {PoolKind::kMax, PoolKind::kAverage})
    for (const auto& [size, stride, pad] : std::vector<std::tuple<uint32_t, uint32_t, uint32_t>>{{2, 2, 0}, {3, 2, 1}, {3, 1, 1}}) {
      Network net;
      net.input = {13, 25, 21};
      PoolLayer pool = make_pool("p", kind, size, stride, pad);
      pool.relu = kind == PoolKind::kAverage;
      net.add(pool);
      const Program p = verify(net, hw, true, seed++);
      EXPECT_GT(p.layers[0].tiles, 1u);
      EXPECT_EQ(p.layers[0].macs, 0u);
    }
}

TEST(ProgramBuilder, FullyConnectedTilesOutputsAndInputPasses) {
  Rng rng(4);
  Network net;
  net.add(make_fc(rng, "fc", 3000, 70, true));
  const CnnConfig hw = small_buffers(2048, 2048, 1024);
  const Program p = verify(net, hw, true, 14);
  const Tiling& t = p.layers[0].tiling;
  EXPECT_GT(t.passes, 1u);  // 3000 inputs exceed a 1 KiB input slot
  EXPECT_GT(t.groups, 1u);  // 70 x pass weights exceed a 1 KiB weight slot
  EXPECT_LE(uint64_t{t.pass_channels}, hw.input_buffer_bytes / 2);
  EXPECT_EQ(p.layers[0].macs, 3000u * 70);
}

TEST(ProgramBuilder, ConvThenFcFlattensTheFeatureMap) {
  Rng rng(5);
  Network net;
  const TensorShape in{5, 11, 9};
  net.add(make_conv(rng, "c", in, 12, 3, 2, 1, true));
  const auto& c = std::get<ConvLayer>(net.layers[0]);
  net.add(make_fc(rng, "fc", c.out_c * c.result_h() * c.result_w(), 10, false));
  verify(net, small_buffers(2048, 1024, 2048), true, 15);
}

TEST(ProgramBuilder, EltwiseAddsAnEarlierLayerAndTheNetworkInput) {
  Rng rng(6);
  Network net;
  const TensorShape in{16, 14, 14};
  const int c1 = net.add(make_conv(rng, "c1", in, 16, 3, 1, 1, true));
  net.add(make_conv(rng, "c2", in, 16, 3, 1, 1, true));
  net.add(make_conv(rng, "c3", in, 16, 3, 1, 1, false));
  net.add(make_eltwise("res1", c1, true));         // residual over c2 and c3
  net.add(make_eltwise("res_input", -1, false));  // the network input
  const CnnConfig hw = small_buffers(2048, 4096, 2048);
  const Program p = verify(net, hw, true, 16);
  EXPECT_GT(p.layers[3].tiles, 1u);
  // c1's output lives until res1 reads it: it may share scratch bytes with neither c2's nor c3's.
  const TensorPlacement& a = p.plan.layer_outputs[0];
  for (const int later : {1, 2}) {
    const TensorPlacement& b = p.plan.layer_outputs[later];
    EXPECT_TRUE(a.offset + a.bytes() <= b.offset || b.offset + b.bytes() <= a.offset) << later;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory plan, scheduling, options

TEST(ProgramBuilder, LayersMayReadAnyEarlierLayerLikeAResidualShortcut) {
  // A downsampling residual block: conv3x3/2 -> conv3x3 on the main path, conv1x1/2 on the
  // shortcut reading the block input, then the add; small buffers so every layer is tiled.
  Rng rng(77);
  Network net;
  const TensorShape in{8, 12, 12};
  net.input = in;
  ConvLayer stem = make_conv(rng, "stem", in, 16, 3, 1, 1, true);
  const int block_input = net.add(stem);
  const TensorShape stem_out{16, 12, 12};
  const int a = net.add(make_conv(rng, "a", stem_out, 24, 3, 2, 1, true));
  net.add(make_conv(rng, "b", {24, 6, 6}, 24, 3, 1, 1, false));
  ConvLayer shortcut = make_conv(rng, "shortcut", stem_out, 24, 1, 2, 0, false);
  shortcut.input = block_input;
  const int sc = net.add(shortcut);
  EltwiseLayer add = make_eltwise("add", sc, true);
  add.input = a + 1;  // conv b
  net.add(add);
  const Program p = verify(net, small_buffers(2048, 2048, 2048), true, 31);
  verify(net, small_buffers(2048, 2048, 2048), false, 31);
  ASSERT_EQ(p.layers.size(), 5u);
  EXPECT_EQ(p.layers[3].input, stem_out);  // the shortcut read the stem's output, not b's
  // The stem's output stays alive (unshared) until the shortcut has read it.
  const auto& out = p.plan.layer_outputs;
  const auto disjoint = [](const TensorPlacement& x, const TensorPlacement& y) {
    return x.offset + x.bytes() <= y.offset || y.offset + y.bytes() <= x.offset;
  };
  EXPECT_TRUE(disjoint(out[0], out[1]) && disjoint(out[0], out[2]));
}

ConcatLayer make_concat(const std::string& name, std::vector<int> sources) {
  ConcatLayer l;
  l.name = name;
  l.sources = std::move(sources);
  return l;
}

TEST(ProgramBuilder, ConcatenatedBranchesWriteTheirChannelSlicesInPlace) {
  // An inception-style block: 1x1, 3x3 and pooling branches of one stem, joined on the channels,
  // read by a 1x1 convolution; small buffers so every layer is tiled.
  Rng rng(81);
  Network net;
  const TensorShape in{6, 10, 10};
  net.input = in;
  const int stem = net.add(make_conv(rng, "stem", in, 8, 3, 1, 1, true));
  const TensorShape s{8, 10, 10};
  ConvLayer b1 = make_conv(rng, "b1x1", s, 5, 1, 1, 0, true);
  const int a = net.add(b1);
  ConvLayer b3 = make_conv(rng, "b3x3", s, 7, 3, 1, 1, true);
  b3.input = stem;
  const int b = net.add(b3);
  PoolLayer bp = make_pool("bpool", PoolKind::kMax, 3, 1, 1);
  bp.input = stem;
  const int c = net.add(bp);
  const int joined = net.add(make_concat("concat", {a, b, c}));
  net.add(make_conv(rng, "mix", {20, 10, 10}, 4, 1, 1, 0, false));
  const Program p = verify(net, small_buffers(2048, 2048, 2048), true, 41);
  verify(net, small_buffers(2048, 2048, 2048), false, 41);
  const auto& out = p.plan.layer_outputs;
  EXPECT_EQ(out[joined].shape, (TensorShape{20, 10, 10}));
  EXPECT_EQ(out[b].offset, out[a].offset + out[a].bytes());  // slices side by side
  EXPECT_EQ(out[c].offset, out[b].offset + out[b].bytes());
  EXPECT_EQ(out[a].offset, out[joined].offset);
  EXPECT_EQ(p.layers[joined].instructions(), 0u);
  EXPECT_EQ(p.layers[joined].kind, LayerKind::kConcat);
  // The stem stays alive until the pooling branch read it: it never shares bytes with the block.
  EXPECT_TRUE(out[stem].offset + out[stem].bytes() <= out[joined].offset ||
              out[joined].offset + out[joined].bytes() <= out[stem].offset);
}

TEST(ProgramBuilder, ConcatAsTheOutputAndNestedConcatsPlaceSlicesInTheOutputWindow) {
  Rng rng(82);
  Network net;
  const TensorShape in{3, 9, 9};
  net.input = in;
  ConvLayer x = make_conv(rng, "x", in, 4, 3, 1, 1, true);
  x.input = kNetworkInput;
  const int ix = net.add(x);
  ConvLayer y = make_conv(rng, "y", in, 6, 1, 1, 0, false);
  y.input = kNetworkInput;
  const int iy = net.add(y);
  const int inner = net.add(make_concat("inner", {ix, iy}));
  ConvLayer z = make_conv(rng, "z", in, 2, 3, 1, 1, false);
  z.input = kNetworkInput;
  const int iz = net.add(z);
  net.add(make_concat("outer", {iz, inner}));
  const Program p = verify(net, small_buffers(1024, 1024, 1024), true, 43);
  const auto& out = p.plan.layer_outputs;
  for (const int l : {ix, iy, inner, iz}) EXPECT_EQ(out[l].arg, kArgOutput) << l;
  EXPECT_EQ(out[iz].offset, 0u);
  EXPECT_EQ(out[inner].offset, 2u * 81);
  EXPECT_EQ(out[ix].offset, 2u * 81);
  EXPECT_EQ(out[iy].offset, 6u * 81);
  EXPECT_EQ(p.plan.window_bytes[kArgOutput], 12u * 81);
  EXPECT_EQ(p.plan.window_bytes[kArgScratch], 0u);
}

TEST(ProgramBuilder, ScratchIsReusedBetweenLayersWhoseTensorsAreDead) {
  Rng rng(7);
  Network net;
  TensorShape s{8, 16, 16};
  for (int i = 0; i < 5; ++i) net.add(make_conv(rng, "c" + std::to_string(i), s, 8, 3, 1, 1, true));
  const Program p = verify(net, small_buffers(4096, 2048, 4096), true, 17);
  const uint64_t tensor = 8 * 16 * 16;
  // Four intermediates of which at most two are alive at once.
  EXPECT_EQ(p.plan.window_bytes[kArgScratch], 2 * ((tensor + kDdrAlign - 1) / kDdrAlign * kDdrAlign));
  for (uint32_t i = 0; i + 1 < p.plan.layer_outputs.size(); ++i) {
    EXPECT_EQ(p.plan.layer_outputs[i].arg, kArgScratch);
    EXPECT_EQ(p.plan.layer_outputs[i].offset % kDdrAlign, 0u);
  }
  EXPECT_EQ(p.plan.layer_outputs.back().arg, kArgOutput);
}

TEST(ProgramBuilder, PlaceTensorsKeepsLiveTensorsApart) {
  const std::vector<Lifetime> t{{1000, 0, 1}, {500, 1, 3}, {700, 2, 3}, {900, 3, 4}, {100, 0, 4}};
  uint64_t total = 0;
  const std::vector<uint64_t> off = place_tensors(t, 64, total);
  for (size_t a = 0; a < t.size(); ++a) {
    EXPECT_EQ(off[a] % 64, 0u);
    EXPECT_LE(off[a] + t[a].bytes, total);
    for (size_t b = a + 1; b < t.size(); ++b) {
      const bool live_together = t[a].first <= t[b].last && t[b].first <= t[a].last;
      const bool apart = off[a] + t[a].bytes <= off[b] || off[b] + t[b].bytes <= off[a];
      if (live_together) {
        EXPECT_TRUE(apart) << a << " and " << b;
      }
    }
  }
  EXPECT_LT(total, 1000u + 500 + 700 + 900 + 100 + 5 * 64);  // some reuse happened
}

// Fraction of LOADs that may run at the same time as some compute instruction.
double overlapped_load_fraction(const Program& p) {
  const check::HappensBefore hb(p.instructions);
  uint32_t loads = 0, overlapped = 0;
  for (size_t a = 0; a < p.instructions.size(); ++a) {
    if (p.instructions[a].header.opcode != isa::kOpLoad) continue;
    ++loads;
    for (size_t b = 0; b < p.instructions.size(); ++b)
      if (hb.queue(b) == isa::kQueueCompute && check::may_overlap(hb, a, b)) {
        ++overlapped;
        break;
      }
  }
  return loads ? double(overlapped) / loads : 0.0;
}

TEST(ProgramBuilder, DoubleBufferingOverlapsLoadsWithComputeAndSingleBufferingSerializes) {
  Rng rng(8);
  Network net;
  net.add(make_conv(rng, "c1", {16, 32, 32}, 32, 3, 1, 1, true));
  net.add(make_conv(rng, "c2", {32, 32, 32}, 16, 3, 1, 1, true, 2, 2));
  const CnnConfig hw = small_buffers(8192, 4096, 8192);
  const Program dbl = verify(net, hw, true, 18);
  const Program single = verify(net, hw, false, 18);  // same input seed: same output, checked by verify
  EXPECT_EQ(dbl.slots[isa::kBufInput].count, 2u);
  EXPECT_EQ(single.slots[isa::kBufInput].count, 1u);
  EXPECT_EQ(single.slots[isa::kBufWeight].bytes, hw.weight_buffer_bytes);
  EXPECT_GT(overlapped_load_fraction(dbl), 0.5);
  EXPECT_EQ(overlapped_load_fraction(single), 0.0);
}

TEST(ProgramBuilder, ResidentTilesAreNotReloaded) {
  Rng rng(9);
  Network net;
  // Weights of all 8 output channels fit one weight slot: they load once for all row bands.
  net.add(make_conv(rng, "c", {4, 40, 40}, 8, 3, 1, 1, true));
  const Program p = verify(net, small_buffers(2048, 4096, 2048), true, 19);
  const LayerInfo& l = p.layers[0];
  ASSERT_GT(l.tiling.bands, 2u);
  EXPECT_EQ(l.tiling.groups, 1u);
  EXPECT_EQ(l.loads, l.tiling.bands + 1);  // one input band per step + the weights once
}

TEST(ProgramBuilder, NextLayerInputWaitsForStoresThroughASync) {
  Rng rng(10);
  Network net;
  net.add(make_conv(rng, "c1", {4, 12, 12}, 4, 3, 1, 1, true));
  net.add(make_conv(rng, "c2", {4, 12, 12}, 4, 3, 1, 1, true));
  const Program p = verify(net, CnnConfig{}, true, 20);
  EXPECT_EQ(p.layers[0].syncs, 0u);  // the network input is never stored to
  EXPECT_EQ(p.layers[1].syncs, 1u);
  // The SYNC is a POOL of one byte onto itself that waits for a store and releases a load.
  uint32_t syncs = 0;
  for (const isa::Instruction& i : p.instructions)
    if (i.header.opcode == isa::kOpPool) {
      ++syncs;
      EXPECT_EQ(i.pool.source, isa::kBufOutput);
      EXPECT_EQ(i.pool.input_offset, i.pool.output_offset);
      EXPECT_EQ(i.pool.c * i.pool.in_h * i.pool.in_w, 1);
      EXPECT_TRUE(i.header.deps & isa::kPopNext);
      EXPECT_TRUE(i.header.deps & isa::kPushPrev);
    }
  EXPECT_EQ(syncs, 1u);
}

TEST(ProgramBuilder, MakeBandsCoverEveryRowWithTheirHalos) {
  for (const uint32_t count : {1u, 2u, 3u, 7u, 50u}) {
    RowSweep s;
    s.in_h = 37, s.window = 5, s.stride = 2, s.pad_top = 2, s.pad_bottom = 1;
    const std::vector<Band> bands = make_bands(s, count);
    uint32_t next = 0;
    for (const Band& b : bands) {
      EXPECT_EQ(b.first, next);
      next += b.rows;
      // Rows [sweep_first, +sweep_rows) need input rows [sweep_first*stride - pad_top, ... + window).
      const int64_t need_first = int64_t{b.sweep_first} * s.stride - s.pad_top;
      const int64_t need_end = int64_t{b.sweep_first + b.sweep_rows - 1} * s.stride - s.pad_top + s.window;
      EXPECT_EQ(int64_t{b.in_first} - b.pad_top, need_first);
      EXPECT_EQ(int64_t{b.in_first} + b.in_rows + b.pad_bottom, need_end);
      EXPECT_LT(b.pad_top, s.window);
      EXPECT_LT(b.pad_bottom, s.window);
    }
    EXPECT_EQ(next, s.result_h());
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const BuildError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ProgramBuilder, KernelAbove15IsRejectedNamingTheLayer) {
  Rng rng(11);
  Network net;
  net.add(make_conv(rng, "big_kernel", {2, 20, 20}, 2, 17, 1, 0, false));
  const std::string e = error_of([&] { build(net, CnnConfig{}); });
  EXPECT_NE(e.find("big_kernel"), std::string::npos) << e;
  EXPECT_NE(e.find("kernel 17x17"), std::string::npos) << e;
  EXPECT_NE(e.find("layer 0"), std::string::npos) << e;
}

TEST(ProgramBuilder, UntileableLayersSayWhichBufferIsTooSmall) {
  Rng rng(12);
  {
    Network net;  // one row band of one channel: 3 rows x 2000 B > 512 B
    net.add(make_conv(rng, "too_wide", {1, 8, 2000}, 1, 3, 1, 1, false));
    const std::string e = error_of([&] { build(net, small_buffers(1024, 1024, 65536)); });
    EXPECT_NE(e.find("too_wide"), std::string::npos) << e;
    EXPECT_NE(e.find("cannot be tiled"), std::string::npos) << e;
    EXPECT_NE(e.find("input-buffer slot (512 B)"), std::string::npos) << e;
  }
  {
    Network net;  // one output row: 600 B of int8 alone exceeds a 512 B output slot
    net.add(make_conv(rng, "long_row", {1, 4, 600}, 1, 1, 1, 0, false));
    const std::string e = error_of([&] { build(net, small_buffers(65536, 1024, 1024)); });
    EXPECT_NE(e.find("output-buffer slot (512 B)"), std::string::npos) << e;
  }
  {
    Network net;  // 15x15 weights + bias = 244 B > a 128 B weight slot? no: a 1 KiB buffer has 512 B slots.
    net.add(make_conv(rng, "fits", {1, 20, 20}, 1, 15, 1, 0, false));
    EXPECT_NO_THROW(build(net, small_buffers(65536, 1024, 65536)));
  }
}

TEST(ProgramBuilder, InconsistentLayersAreRejected) {
  Rng rng(13);
  Network net;
  net.add(make_conv(rng, "c1", {3, 10, 10}, 4, 3, 1, 1, true));
  net.add(make_conv(rng, "c2", {3, 10, 10}, 4, 3, 1, 1, true));  // expects 3 channels, gets 4
  EXPECT_NE(error_of([&] { build(net, CnnConfig{}); }).find("c2"), std::string::npos);

  Network bad_weights;
  ConvLayer c = make_conv(rng, "short", {3, 10, 10}, 4, 3, 1, 1, true);
  c.weights.pop_back();
  bad_weights.add(c);
  EXPECT_NE(error_of([&] { build(bad_weights, CnnConfig{}); }).find("weights"), std::string::npos);

  Network bad_other;
  bad_other.add(make_conv(rng, "c", {3, 10, 10}, 3, 3, 1, 1, true));
  bad_other.add(make_eltwise("e", 1, false));  // itself: not an earlier layer
  EXPECT_NE(error_of([&] { build(bad_other, CnnConfig{}); }).find("earlier layer"), std::string::npos);

  Network pool_first;
  pool_first.add(make_pool("p", PoolKind::kMax, 2, 2));
  EXPECT_NE(error_of([&] { build(pool_first, CnnConfig{}); }).find("Network::input"), std::string::npos);

  EXPECT_NE(error_of([&] { build(Network{}, CnnConfig{}); }).find("no layers"), std::string::npos);

  Network concat;
  concat.input = {3, 10, 10};
  concat.add(make_conv(rng, "a", {3, 10, 10}, 3, 3, 1, 1, true));
  concat.add(make_conv(rng, "b", {3, 10, 10}, 3, 3, 2, 1, true));  // 5x5
  concat.add(make_concat("of_input", {kNetworkInput, 0}));
  EXPECT_NE(error_of([&] { build(concat, CnnConfig{}); }).find("network input would need a copy"), std::string::npos);
  concat.layers.back() = make_concat("twice", {0, 0});
  EXPECT_NE(error_of([&] { build(concat, CnnConfig{}); }).find("listed twice"), std::string::npos);
  concat.layers.back() = make_concat("sizes", {0, 1});
  EXPECT_NE(error_of([&] { build(concat, CnnConfig{}); }).find("differ in height or width"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Randomized networks on randomized buffer sizes, both buffering modes.

Network random_network(Rng& rng) {
  Network net;
  TensorShape shape{static_cast<uint32_t>(rng.uniform(1, 32)), static_cast<uint32_t>(rng.uniform(5, 30)),
                    static_cast<uint32_t>(rng.uniform(5, 30))};
  net.input = shape;
  std::vector<TensorShape> outputs;  // of every layer so far
  const int layers = rng.uniform(1, 4);
  for (int i = 0; i < layers; ++i) {
    const std::string name = "l" + std::to_string(i);
    const int kind = rng.uniform(0, 9);
    int same_shape = -2;  // an earlier tensor of the current shape, for an eltwise
    if (shape == net.input) same_shape = -1;
    for (int j = static_cast<int>(outputs.size()) - 2; j >= 0; --j)
      if (outputs[j] == shape) same_shape = j;
    if (kind == 0 && same_shape != -2) {
      net.add(make_eltwise(name, same_shape, rng.coin()));
    } else if (kind == 1 && shape.h >= 3 && shape.w >= 3) {
      const uint32_t size = rng.uniform(2, 3), stride = rng.uniform(1, 2), pad = rng.uniform(0, size - 1);
      net.add(make_pool(name, rng.coin() ? PoolKind::kMax : PoolKind::kAverage, size, stride, pad));
    } else {
      static const uint32_t kKernels[] = {1, 3, 5, 7};
      uint32_t k = kKernels[rng.uniform(0, 3)];
      while (k > std::min(shape.h, shape.w)) k -= 2;
      const uint32_t stride = rng.uniform(1, 2), pad = rng.uniform(0, k / 2);
      ConvLayer probe = make_conv(rng, name, shape, static_cast<uint32_t>(rng.uniform(1, 40)), k, stride, pad, rng.coin());
      if (rng.uniform(0, 2) == 0 && probe.conv_h() >= 4 && probe.conv_w() >= 4) {
        probe.pool_size = rng.uniform(2, 3);
        probe.pool_stride = rng.uniform(1, 3);
      }
      net.add(probe);
    }
    shape = output_shape(net.layers.back(), shape);
    outputs.push_back(shape);
  }
  if (rng.uniform(0, 3) == 0) net.add(make_fc(rng, "fc", static_cast<uint32_t>(shape.elements()), rng.uniform(1, 50), rng.coin()));
  return net;
}

TEST(ProgramBuilder, RandomNetworksAreBitExactAndRaceFreeInBothBufferingModes) {
  Rng rng(2024);
  constexpr int kNetworks = 150;
  int built = 0, layers = 0, multi_band = 0, multi_group = 0, multi_pass = 0, syncs = 0;
  std::array<int, 4> kinds{};
  for (int n = 0; n < kNetworks; ++n) {
    SCOPED_TRACE("network " + std::to_string(n));
    const Network net = random_network(rng);
    // Buffers from 1 KiB up, of any size (halves need not be aligned): small ones force bands,
    // groups and passes.
    auto size = [&](int max_shift) { return (1024u << rng.uniform(0, max_shift)) + rng.uniform(0, 1) * rng.uniform(1, 999); };
    const CnnConfig hw = small_buffers(size(4), size(3), size(4));
    try {
      const Program p = verify(net, hw, true, 5000 + n);
      verify(net, hw, false, 5000 + n);
      ++built;
      for (const LayerInfo& l : p.layers) {
        ++layers;
        ++kinds[static_cast<int>(l.kind)];
        multi_band += l.tiling.bands > 1;
        multi_group += l.tiling.groups > 1;
        multi_pass += l.tiling.passes > 1;
        syncs += l.syncs;
      }
    } catch (const BuildError& e) {
      // Only a layer too wide for a 1 KiB buffer may be refused; say which and why.
      const std::string what = e.what();
      EXPECT_NE(what.find("cannot be tiled"), std::string::npos) << what;
    }
  }
  // The sample really covers what it claims to.
  std::printf("built %d of %d networks, %d layers (conv %d, fc %d, pool %d, eltwise %d): %d with several bands, "
              "%d with several groups, %d with input-channel passes, %d syncs\n",
              built, kNetworks, layers, kinds[0], kinds[1], kinds[2], kinds[3], multi_band, multi_group, multi_pass, syncs);
  EXPECT_GE(built, kNetworks * 3 / 4);
  for (const int k : kinds) EXPECT_GT(k, 0);
  EXPECT_GT(multi_band, 5);
  EXPECT_GT(multi_group, 5);
  EXPECT_GT(multi_pass, 2);
}

}  // namespace
}  // namespace dlvp::builder
