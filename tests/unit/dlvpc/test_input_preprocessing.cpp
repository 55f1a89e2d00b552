// dlvpc's input preprocessing (tools/dlvpc/input_preprocessing): the package's tables give exactly
// the quantized input dlvpc computes from a preprocessed image (what its reference model and the
// package's test data were given), per channel and in either layout; options and image files that
// do not fit the model are refused naming them.
#include "ip/common/config_error.h"
#include "platform/package_file.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/input_preprocessing.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

namespace dlvp::dlvpc {
namespace {

// A 1x1 convolution 3 -> 2 channels on 5x4.
FloatGraph three_channel_graph() {
  FloatGraph g;
  g.input = {3, 5, 4};
  FloatOp op;
  op.name = "conv", op.onnx_ops = "Conv", op.kind = OpKind::kConv, op.inputs = {kGraphInput};
  op.input = g.input, op.output = {2, 5, 4};
  op.weights = {0.5f, -0.25f, 0.125f, 0.3f, 0.2f, -0.1f};
  op.bias = {0.1f, -0.2f};
  g.ops.push_back(op);
  return g;
}

TEST(InputPreprocessing, ThePackagesTablesGiveExactlyDlvpcsQuantizedInput) {
  for (const uint32_t layout : {uint32_t{package::kLayoutChw}, uint32_t{package::kLayoutHwc}}) {
    InputPreprocessing pre;
    pre.scale = 2.0f / 255.0f;
    pre.mean = {0.485f, 0.456f, 0.406f};
    pre.std = {0.229f, 0.224f, 0.225f};
    pre.layout = layout;
    const FloatGraph g = three_channel_graph();
    std::mt19937 rng(layout + 1);
    std::vector<uint8_t> pixels(g.input.elements());
    for (auto& p : pixels) p = static_cast<uint8_t>(rng());
    const std::vector<float> image = pre.image(pixels.data(), g.input);
    CompileOptions options;
    options.input = pre;
    const Compiled c = compile(g, {image}, options);
    const package::PackageContents contents = package::read_package(c.package, "pkg");
    const package::PackageHeader& h = contents.header;
    ASSERT_EQ(h.input_table_channels, 3u);
    EXPECT_EQ(h.input_layout, layout);
    EXPECT_EQ(h.input_mean[2], 0.406f);
    std::vector<int16_t> tables(3 * 256);
    std::memcpy(tables.data(), c.package.data() + h.input_table_offset, tables.size() * 2);
    // Element (ch, i) of the model's input from the file's pixel in its layout, through table ch.
    const uint64_t plane = 20;
    for (uint32_t ch = 0; ch < 3; ++ch)
      for (uint64_t i = 0; i < plane; ++i) {
        const uint8_t p = layout == package::kLayoutHwc ? pixels[i * 3 + ch] : pixels[ch * plane + i];
        ASSERT_EQ(tables[ch * 256 + p], c.test_input[ch * plane + i]) << "channel " << ch << " pixel " << int(p);
      }
  }
}

TEST(InputPreprocessing, OneMeanAndStdForEveryChannelMakeOneTable) {
  InputPreprocessing pre;
  pre.mean = {0.5f};
  EXPECT_EQ(pre.table_channels({3, 5, 4}), 1u);
  const std::vector<int16_t> t = input_tables(pre, {3, 5, 4}, 0, 7);
  ASSERT_EQ(t.size(), 256u);
  EXPECT_EQ(t[0], -64);   // (0 - 0.5) x 128
  EXPECT_EQ(t[255], 64);  // (1 - 0.5) x 128
}

TEST(InputPreprocessing, OptionsAndFilesThatDoNotFitAreRefusedNamingThem) {
  EXPECT_EQ(parse_channel_values("--input-mean", "0.5,-1,2", false), (std::vector<float>{0.5f, -1.0f, 2.0f}));
  EXPECT_THROW(parse_channel_values("--input-std", "0.5,0", true), ConfigError);
  EXPECT_THROW(parse_channel_values("--input-mean", "1,2,3,4,5", false), ConfigError);
  EXPECT_THROW(parse_channel_values("--input-mean", "1,,2", false), ConfigError);
  EXPECT_EQ(parse_input_layout("--input-layout", "NHWC"), uint32_t{package::kLayoutHwc});
  EXPECT_THROW(parse_input_layout("--input-layout", "HWC"), ConfigError);
  InputPreprocessing two;
  two.mean = {0.1f, 0.2f};
  try {
    two.check({3, 5, 4});
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--input-mean gives 2 values; the model's input has 3 channels"),
              std::string::npos) << e.what();
  }
  try {
    check_image_dims("x.idx", {10, 5, 4, 3}, {3, 5, 4}, package::kLayoutChw);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "x.idx: images are 5x4x3; the model's input in NCHW order (--input-layout) is 3x5x4 "
                           "(the file is in NHWC order); NCHW 3x5x4, NHWC 5x4x3");
  }
  EXPECT_NO_THROW(check_image_dims("x.idx", {10, 5, 4, 3}, {3, 5, 4}, package::kLayoutHwc));
  EXPECT_NO_THROW(check_image_dims("x.idx", {10, 20}, {1, 5, 4}, package::kLayoutChw));  // one channel: any shape
}

}  // namespace
}  // namespace dlvp::dlvpc
