// Per-layer SQNR and per-channel weight formats in dlvpc (tools/dlvpc/layer_sqnr, quantizer):
// the outlier case — one large weight among ordinary ones (as BatchNorm folding makes when a
// channel's input hardly varies) — zeroes 431 of 432 weights with the paper's per-layer format,
// which the SQNR column shows and the warning names; per-channel formats (the default, auto) fix it,
// and the compiled program stays bit-exact with the reference on the ISA interpreter.
#include "tests/reference/network_reference.h"
#include "tools/dlvpc/compiler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>

namespace dlvp::dlvpc {
namespace {

constexpr double kThresholdDb = 15.0;

// One 3x3 convolution, 3 -> 16 channels (432 weights) on 8x8, weights uniform in +-0.02, but output
// channel 0 reads one tap only, with weight 4, of input channel 2, whose values stay below 0.04: the
// output's range is ordinary, but the layer's weight radix point (4: 1/16) rounds every other weight
// to 0.
FloatGraph outlier_graph() {
  FloatGraph g;
  g.input = {3, 8, 8};
  FloatOp op;
  op.name = "conv_outlier", op.onnx_ops = "Conv", op.kind = OpKind::kConv;
  op.inputs = {kGraphInput};
  op.input = g.input, op.output = {16, 8, 8};
  op.kernel_h = op.kernel_w = 3;
  op.pad_top = op.pad_left = op.pad_bottom = op.pad_right = 1;
  std::mt19937 rng(16);
  std::uniform_real_distribution<float> weight(-0.02f, 0.02f);
  op.weights.resize(16 * 3 * 9);
  for (float& w : op.weights) w = weight(rng);
  std::fill(op.weights.begin(), op.weights.begin() + 27, 0.0f);
  op.weights[(0 * 3 + 2) * 9 + 4] = 4.0f;
  op.bias.assign(16, 0.0f);
  g.ops.push_back(op);
  return g;
}

std::vector<std::vector<float>> outlier_inputs(uint32_t n) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<std::vector<float>> inputs(n, std::vector<float>(3 * 64));
  for (auto& x : inputs)
    for (size_t i = 0; i < x.size(); ++i) x[i] = unit(rng) * (i >= 128 ? 0.04f : 1.0f);  // channel 2 small
  return inputs;
}

Compiled compile_with(WeightFormat format, const CalibrationInputs& inputs) {
  const FloatGraph g = outlier_graph();
  const CalibrationStats stats = calibrate(g, inputs);
  CompileOptions options;
  options.quantize.weight_format = format;
  options.sqnr_source = &inputs;
  options.sqnr_warn_db = kThresholdDb;
  return compile(g, stats, inputs.first(), options);
}

TEST(LayerSqnr, PerLayerFormatZeroesTheOrdinaryWeightsAndWarns) {
  const CalibrationInputs inputs = CalibrationInputs::of(outlier_inputs(8));
  const Compiled c = compile_with(WeightFormat::kPerLayer, inputs);
  const auto& conv = std::get<builder::ConvLayer>(c.model.network.layers[0]);
  EXPECT_EQ(std::count(conv.weights.begin(), conv.weights.end(), int8_t{0}), 431);
  EXPECT_TRUE(conv.channel_shifts.empty());
  ASSERT_EQ(c.sqnr.size(), 1u);
  EXPECT_LT(c.sqnr[0].db(), kThresholdDb);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_NE(c.warnings[0].find("layer 0 'conv_outlier'"), std::string::npos) << c.warnings[0];
  char figure[32];
  std::snprintf(figure, sizeof figure, "SQNR %.1f dB", c.sqnr[0].db());
  EXPECT_NE(c.warnings[0].find(figure), std::string::npos) << c.warnings[0];
  EXPECT_NE(format_report(c, {}).find("SQNR_dB"), std::string::npos);
}

TEST(LayerSqnr, PerChannelFormatsLiftTheSqnrAboveTheThresholdBitExactly) {
  const CalibrationInputs inputs = CalibrationInputs::of(outlier_inputs(8));
  const double per_layer = compile_with(WeightFormat::kPerLayer, inputs).sqnr[0].db();
  for (const WeightFormat format : {WeightFormat::kAuto, WeightFormat::kPerChannel}) {
    SCOPED_TRACE(to_string(format));
    const Compiled c = compile_with(format, inputs);
    const auto& conv = std::get<builder::ConvLayer>(c.model.network.layers[0]);
    ASSERT_EQ(conv.channel_shifts.size(), 16u);
    EXPECT_LT(std::count(conv.weights.begin(), conv.weights.end(), int8_t{0}), 40);
    EXPECT_GT(c.sqnr[0].db(), kThresholdDb);
    EXPECT_GT(c.sqnr[0].db(), per_layer + 10.0);
    std::printf("outlier case: SQNR per-layer %.1f dB, %s %.1f dB\n", per_layer, to_string(format), c.sqnr[0].db());
    EXPECT_TRUE(c.warnings.empty());
    EXPECT_GT(c.model.weight_frac_max[0], c.model.weight_frac[0]);
    // The package's program on the ISA interpreter gives the reference network's output.
    const ref::ProgramRun run = ref::run_program(c.program, CnnConfig{}, c.test_input);
    ASSERT_EQ(run.result.error, isa::kErrNone);
    EXPECT_EQ(run.output, c.test_expected);
  }
}

TEST(LayerSqnr, AutoKeepsPerLayerFormatsWhereTheChannelsAgree) {
  FloatGraph g = outlier_graph();
  g.ops[0].weights[(0 * 3 + 2) * 9 + 4] = 0.01f;  // no outlier
  for (uint32_t oc = 0; oc < 16; ++oc) g.ops[0].weights[oc * 27] = 0.019f;  // every channel's largest is alike
  const CalibrationInputs inputs = CalibrationInputs::of(outlier_inputs(2));
  CompileOptions options;
  const Compiled c = compile(g, calibrate(g, inputs), inputs.first(), options);
  EXPECT_TRUE(std::get<builder::ConvLayer>(c.model.network.layers[0]).channel_shifts.empty());
  EXPECT_TRUE(c.sqnr.empty());  // no SQNR source given: not measured
}

TEST(LayerSqnr, WeightFormatOptionParses) {
  EXPECT_EQ(parse_weight_format("per-layer", "x"), WeightFormat::kPerLayer);
  EXPECT_EQ(parse_weight_format("per-channel", "x"), WeightFormat::kPerChannel);
  EXPECT_EQ(parse_weight_format("auto", "x"), WeightFormat::kAuto);
  EXPECT_THROW(parse_weight_format("channel", "--weight-format channel"), ConfigError);
}

}  // namespace
}  // namespace dlvp::dlvpc
