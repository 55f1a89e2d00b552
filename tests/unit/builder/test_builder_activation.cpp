// The builder's activation units and ELTWISE Mul with channel broadcast (ISA version 3, ACT):
// programs with ReLU6-style clips, tables on CONV / FC / ELTWISE and a squeeze-excitation block,
// run on the functional ISA interpreter against the reference model's whole layers, under tight
// buffers that force several tiles, passes and broadcast chunks.
#include "tests/reference/isa_interpreter.h"
#include "tests/reference/network_reference.h"
#include "tests/unit/builder/random_bytes.h"
#include "tests/unit/builder/schedule_checker.h"
#include "tools/builder/program.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dlvp::builder {
namespace {

// A table of f over int8 inputs at radix point `in_frac`, outputs at `out_frac` (as dlvpc makes).
std::vector<int8_t> table_of(double (*f)(double), int in_frac, int out_frac) {
  std::vector<int8_t> t(isa::kActivationTableBytes);
  for (int v = -128; v <= 127; ++v)
    t[static_cast<size_t>(v + 128)] = static_cast<int8_t>(
        std::clamp(std::floor(f(std::ldexp(v, -in_frac)) * std::ldexp(1.0, out_frac) + 0.5), -128.0, 127.0));
  return t;
}
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double hardswish(double x) { return x * std::clamp(x + 3.0, 0.0, 6.0) / 6.0; }

ConvLayer conv(std::mt19937& rng, const TensorShape& in, uint32_t out_c, uint32_t k) {
  ConvLayer l;
  l.name = "conv";
  l.in_c = in.c, l.in_h = in.h, l.in_w = in.w, l.out_c = out_c;
  l.kernel_h = l.kernel_w = k;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = k / 2;
  l.weights = random_bytes(rng, uint64_t{out_c} * in.c * k * k, -20, 20);
  l.bias.assign(out_c, 0);
  for (auto& b : l.bias) b = std::uniform_int_distribution<int>(-2000, 2000)(rng);
  l.output_shift = 8;
  return l;
}

FcLayer fc(std::mt19937& rng, uint32_t n_in, uint32_t n_out) {
  FcLayer l;
  l.name = "fc";
  l.n_in = n_in, l.n_out = n_out;
  l.weights = random_bytes(rng, uint64_t{n_in} * n_out, -40, 40);
  l.bias.assign(n_out, 100);
  l.output_shift = 7;
  return l;
}

// Builds, runs on the interpreter, compares with the reference layer by layer's last output.
void verify(const Network& net, const CnnConfig& hw, uint32_t seed) {
  for (const bool double_buffer : {true, false}) {
    SCOPED_TRACE(double_buffer ? "double buffer" : "single buffer");
    const Program p = build(net, hw, BuildOptions{double_buffer});
    std::mt19937 rng(seed);
    const std::vector<int8_t> input = random_bytes(rng, p.plan.input.shape.elements());
    const ref::ProgramRun run = ref::run_program(p, hw, input);
    ASSERT_EQ(run.result.error, isa::kErrNone) << "at instruction " << run.result.error_index;
    EXPECT_EQ(run.output, ref::run_network(net, p.plan.input.shape, input, hw.accumulator_bits));
    EXPECT_EQ(check::token_balance(p.instructions).error, "");
    EXPECT_EQ(check::first_race(p.instructions), "");
  }
}

CnnConfig small_buffers() {
  CnnConfig hw;
  hw.input_buffer_bytes = 2048, hw.weight_buffer_bytes = 2048, hw.output_buffer_bytes = 4096;
  return hw;
}

}  // namespace

TEST(BuilderActivation, Relu6ClipAndTablesOnConvAndFcAreBitExactAcrossTiles) {
  std::mt19937 rng(7);
  Network net;
  ConvLayer c1 = conv(rng, {6, 12, 12}, 20, 3);
  c1.relu = true;
  c1.activation.clip = true;  // ReLU6 at radix point 4: [0, 96]
  c1.activation.clip_min = 0, c1.activation.clip_max = 96;
  net.add(c1);
  ConvLayer c2 = conv(rng, {20, 12, 12}, 16, 3);
  c2.activation.table = table_of(hardswish, 4, 4);
  c2.pool_size = c2.pool_stride = 2;  // the unit comes before the pooling
  net.add(c2);
  FcLayer f = fc(rng, 16 * 6 * 6, 10);
  f.activation.table = table_of(sigmoid, 3, 7);
  f.activation.clip = true, f.activation.clip_min = -40, f.activation.clip_max = 40;
  net.add(f);
  verify(net, small_buffers(), 11);
  verify(net, CnnConfig{}, 12);
}

TEST(BuilderActivation, SqueezeExcitationMulBroadcastsPerChannelAcrossChunks) {
  std::mt19937 rng(9);
  Network net;
  const TensorShape x{24, 10, 10};
  ConvLayer c = conv(rng, {4, 10, 10}, x.c, 3);
  c.activation.table = table_of([](double v) { return v * sigmoid(v); }, 4, 4);  // SiLU
  const int features = net.add(c);
  PoolLayer squeeze;
  squeeze.name = "squeeze";
  squeeze.kind = PoolKind::kAverage;
  squeeze.size = squeeze.stride = 10;
  net.add(squeeze);
  FcLayer reduce = fc(rng, x.c, 6);
  reduce.relu = true;
  net.add(reduce);
  FcLayer expand = fc(rng, 6, x.c);
  expand.activation.table = table_of(sigmoid, 4, 7);
  const int gate = net.add(expand);
  EltwiseLayer scale;
  scale.name = "scale";
  scale.input = features;
  scale.other = gate;
  scale.op = EltwiseOp::kMul;
  scale.channel_broadcast = true;
  scale.output_shift = 7;  // x at 4, gate at 7 -> 4
  const int scaled = net.add(scale);
  // x * sigmoid(x) as an ELTWISE Mul of two full tensors, and a table on an add.
  EltwiseLayer self_gate;
  self_gate.name = "silu_mul";
  self_gate.input = scaled;
  self_gate.other = features;
  self_gate.op = EltwiseOp::kMul;
  self_gate.output_shift = 4;
  self_gate.activation.table = table_of(hardswish, 4, 4);
  net.add(self_gate);
  // Chunks smaller than a run (100 elements) and chunks of several runs.
  CnnConfig tight = small_buffers();
  tight.input_buffer_bytes = 1024;
  verify(net, tight, 21);
  verify(net, small_buffers(), 22);
  verify(net, CnnConfig{}, 23);
}

TEST(BuilderActivation, BadActivationsAndBroadcastShapesAreRefusedNamingTheLayer) {
  std::mt19937 rng(3);
  Network net;
  ConvLayer c = conv(rng, {2, 4, 4}, 3, 1);
  c.activation.clip = true, c.activation.clip_min = 5, c.activation.clip_max = 4;
  net.add(c);
  EXPECT_THROW(build(net, CnnConfig{}), BuildError);
  std::get<ConvLayer>(net.layers[0]).activation = Activation{};
  std::get<ConvLayer>(net.layers[0]).activation.table.assign(255, 0);
  EXPECT_THROW(build(net, CnnConfig{}), BuildError);
  std::get<ConvLayer>(net.layers[0]).activation = Activation{};
  EltwiseLayer e;
  e.name = "mul";
  e.input = 0, e.other = 0, e.op = EltwiseOp::kMul, e.channel_broadcast = true;
  net.add(e);
  try {
    build(net, CnnConfig{});
    FAIL() << "a [3][4][4] operand is not a channel broadcast";
  } catch (const BuildError& error) {
    EXPECT_NE(std::string(error.what()).find("mul"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("3x1x1"), std::string::npos) << error.what();
  }
  std::get<EltwiseLayer>(net.layers[1]).channel_broadcast = false;
  std::get<EltwiseLayer>(net.layers[1]).a_shift = 1;
  EXPECT_THROW(build(net, CnnConfig{}), BuildError) << "Mul takes no operand shifts";
}

}  // namespace dlvp::builder
