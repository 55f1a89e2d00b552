// dlvpc's fast float pass (oneDNN) against the reference loops of float_graph: every op's output
// on random layers (padding, stride, fused and standalone pooling, fully connected, Add, Concat)
// within float rounding, and the quantizer's choices (every tensor's radix point) unchanged on the
// shipped Fashion CNN. VGG-16's check runs in tools/bench (bench_float_pass): its reference pass
// takes half a minute.
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/float_pass.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace dlvp::dlvpc {
namespace {

std::vector<float> uniform(std::mt19937& rng, uint64_t n, float lo, float hi) {
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = u(rng);
  return v;
}

uint32_t pick(std::mt19937& rng, uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng); }

FloatOp op_reading(const char* name, OpKind kind, int source, const TensorShape& input) {
  FloatOp op;
  op.name = name;
  op.kind = kind;
  op.inputs = {source};
  op.input = input;
  return op;
}

// A random convolution reading `input` (op `source`), with asymmetric padding, a stride, a ReLU and
// sometimes a fused max pooling; no bias now and then.
FloatOp random_conv(std::mt19937& rng, int source, const TensorShape& input) {
  FloatOp op = op_reading("conv", OpKind::kConv, source, input);
  op.kernel_h = pick(rng, 1, std::min(5u, input.h)), op.kernel_w = pick(rng, 1, std::min(5u, input.w));
  op.stride_h = pick(rng, 1, 2), op.stride_w = pick(rng, 1, 3);
  op.pad_top = pick(rng, 0, op.kernel_h - 1), op.pad_bottom = pick(rng, 0, op.kernel_h - 1);
  op.pad_left = pick(rng, 0, op.kernel_w - 1), op.pad_right = pick(rng, 0, op.kernel_w - 1);
  const uint32_t out_c = pick(rng, 1, 40);
  op.weights = uniform(rng, uint64_t{out_c} * input.c * op.kernel_h * op.kernel_w, -0.5f, 0.5f);
  if (pick(rng, 0, 3) != 0) op.bias = uniform(rng, out_c, -1.0f, 1.0f);
  op.relu = pick(rng, 0, 1) == 1;
  op.output = {out_c, op.conv_h(), op.conv_w()};
  if (op.conv_h() >= 4 && op.conv_w() >= 4 && pick(rng, 0, 1) == 1) {
    op.pool_size = 2, op.pool_stride = 2;
    op.output = {out_c, op.conv_h() / 2, op.conv_w() / 2};
  }
  return op;
}

FloatOp random_pool(std::mt19937& rng, int source, const TensorShape& input) {
  FloatOp op = op_reading("pool", OpKind::kPool, source, input);
  op.pool_size = pick(rng, 2, std::min(3u, std::min(input.h, input.w))), op.pool_stride = pick(rng, 1, 2);
  op.pad_top = op.pad_left = pick(rng, 0, op.pool_size - 1);
  op.pad_bottom = op.pad_right = pick(rng, 0, op.pool_size - 1);
  op.average = pick(rng, 0, 1) == 1;
  op.output = {input.c, builder::sweep_length(input.h, op.pad_top, op.pad_bottom, op.pool_size, op.pool_stride),
               builder::sweep_length(input.w, op.pad_left, op.pad_right, op.pool_size, op.pool_stride)};
  return op;
}

FloatOp random_fc(std::mt19937& rng, int source, const TensorShape& input) {
  FloatOp op = op_reading("fc", OpKind::kFc, source, input);
  const uint32_t n_out = pick(rng, 1, 64);
  op.weights = uniform(rng, input.elements() * n_out, -0.2f, 0.2f);
  if (pick(rng, 0, 3) != 0) op.bias = uniform(rng, n_out, -1.0f, 1.0f);
  op.relu = pick(rng, 0, 1) == 1;
  op.output = {n_out, 1, 1};
  return op;
}

// conv -> (pool) -> conv, a second conv of the same shape added to it, both concatenated, -> fc.
FloatGraph random_graph(std::mt19937& rng) {
  FloatGraph g;
  g.input = {pick(rng, 1, 8), pick(rng, 8, 24), pick(rng, 8, 24)};
  g.ops.push_back(random_conv(rng, kGraphInput, g.input));
  if (pick(rng, 0, 1) == 1) g.ops.push_back(random_pool(rng, 0, g.ops.back().output));
  const int trunk = static_cast<int>(g.ops.size()) - 1;
  g.ops.push_back(random_conv(rng, trunk, g.ops[trunk].output));
  FloatOp twin = random_conv(rng, trunk, g.ops[trunk].output);
  // The twin takes the first conv's geometry (Add needs equal shapes), its own weights.
  const FloatOp& first = g.ops.back();
  twin.kernel_h = first.kernel_h, twin.kernel_w = first.kernel_w, twin.stride_h = first.stride_h, twin.stride_w = first.stride_w;
  twin.pad_top = first.pad_top, twin.pad_left = first.pad_left, twin.pad_bottom = first.pad_bottom, twin.pad_right = first.pad_right;
  twin.pool_size = first.pool_size, twin.pool_stride = first.pool_stride, twin.output = first.output;
  twin.weights = uniform(rng, first.weights.size(), -0.5f, 0.5f);
  twin.bias = uniform(rng, first.output.c, -1.0f, 1.0f);
  g.ops.push_back(twin);
  const int a = static_cast<int>(g.ops.size()) - 2, b = a + 1;
  FloatOp add;
  add.name = "add", add.kind = OpKind::kAdd, add.inputs = {a, b}, add.input = add.output = g.ops[a].output;
  add.relu = true;
  g.ops.push_back(add);
  FloatOp concat;
  concat.name = "concat", concat.kind = OpKind::kConcat, concat.inputs = {a, static_cast<int>(g.ops.size()) - 1};
  concat.input = g.ops[a].output;
  concat.output = {2 * g.ops[a].output.c, g.ops[a].output.h, g.ops[a].output.w};
  g.ops.push_back(concat);
  g.ops.push_back(random_fc(rng, static_cast<int>(g.ops.size()) - 1, concat.output));
  return g;
}

// |fast - reference| within float rounding of sums of `terms` products: relative to the largest
// magnitude of the output.
void expect_close(const std::vector<float>& fast, const std::vector<float>& reference, const std::string& what) {
  ASSERT_EQ(fast.size(), reference.size()) << what;
  float scale = 1e-6f;
  for (const float v : reference) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < fast.size(); ++i)
    ASSERT_NEAR(fast[i], reference[i], 1e-5f * scale) << what << " element " << i;
}

TEST(FloatPass, RandomLayersMatchTheReferenceLoopsWithinFloatRounding) {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 40; ++trial) {
    const FloatGraph g = random_graph(rng);
    FloatPass pass(g);
    for (int sample = 0; sample < 2; ++sample) {
      const std::vector<float> input = uniform(rng, g.input.elements(), -1.0f, 1.0f);
      const auto fast = pass.outputs(input);
      const auto reference = run_float(g, input);
      ASSERT_EQ(fast.size(), reference.size());
      for (size_t i = 0; i < fast.size(); ++i)
        expect_close(fast[i], reference[i], "trial " + std::to_string(trial) + " op " + std::to_string(i) + " (" +
                                                to_string(g.ops[i].kind) + ")");
    }
  }
}

TEST(FloatPass, VisitsEveryOpOnceInOrderWithItsWholeOutput) {
  std::mt19937 rng(5);
  const FloatGraph g = random_graph(rng);
  FloatPass pass(g);
  // Every op is visited once, in order, with its full output.
  std::vector<size_t> visited;
  pass.run(uniform(rng, g.input.elements(), 0, 1), [&](size_t i, const std::vector<float>& y) {
    visited.push_back(i);
    EXPECT_EQ(y.size(), g.ops[i].output.elements());
  });
  ASSERT_EQ(visited.size(), g.ops.size());
  for (size_t i = 0; i < visited.size(); ++i) EXPECT_EQ(visited[i], i);
}

// The statistics the reference loops give (what dlvpc computed before the fast pass).
CalibrationStats reference_stats(const FloatGraph& g, const std::vector<std::vector<float>>& inputs) {
  CalibrationStats stats;
  for (const auto& x : inputs) stats.add(centered_input(g, x), run_float(g, x));
  return stats;
}

void expect_same_choices(const FloatGraph& g, const std::vector<std::vector<float>>& inputs) {
  const CalibrationStats fast = calibrate(g, CalibrationInputs::of(inputs));
  const CalibrationStats reference = reference_stats(g, inputs);
  ASSERT_EQ(fast.ops.size(), reference.ops.size());
  for (size_t i = 0; i < fast.ops.size(); ++i) {
    EXPECT_NEAR(fast.ops[i].hi, reference.ops[i].hi, 1e-5 * std::max(1.0f, reference.ops[i].hi)) << "op " << i;
    EXPECT_NEAR(fast.ops[i].lo, reference.ops[i].lo, 1e-5 * std::max(1.0f, -reference.ops[i].lo)) << "op " << i;
  }
  const QuantizedModel a = quantize(g, fast), b = quantize(g, reference);
  EXPECT_EQ(a.input_frac, b.input_frac);
  EXPECT_EQ(a.op_frac, b.op_frac);
  EXPECT_EQ(a.weight_frac, b.weight_frac);
}

TEST(FloatPass, FashionCnnKeepsTheQuantizersChoices) {
  const FloatGraph g = import_onnx_file(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_cnn.onnx");
  std::mt19937 rng(11);
  std::vector<std::vector<float>> inputs;
  for (int i = 0; i < 50; ++i) inputs.push_back(uniform(rng, g.input.elements(), 0.0f, 1.0f));
  expect_same_choices(g, inputs);
}

TEST(FloatPass, ZooGraphsWithPaddingStrideConcatAndResidualsKeepTheQuantizersChoices) {
  for (const auto& model : {test::residual_block(3), test::inception_block(4), test::small_cnn(5)}) {
    const FloatGraph g = import_onnx(model, "zoo");
    std::mt19937 rng(12);
    std::vector<std::vector<float>> inputs;
    for (int i = 0; i < 8; ++i) inputs.push_back(uniform(rng, g.input.elements(), 0.0f, 1.0f));
    expect_same_choices(g, inputs);
  }
}

}  // namespace
}  // namespace dlvp::dlvpc
