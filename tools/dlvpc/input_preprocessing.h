// The model input's preprocessing (docs/dlvpc.md "Input preprocessing", docs/package.md "Version
// 7: input preprocessing"): as the ML engineer gives it to dlvpc (--input-scale, --input-mean,
// --input-std, --input-layout), the model's input from an 8-bit image is
//   x[c][y][x] = (pixel(c, y, x) x scale - mean[c]) / std[c]
// with the pixel taken from the image in its file's layout ([c][h][w] or [h][w][c]). dlvpc applies
// it to calibration and evaluation images, and records it in the package with one quantization
// table per channel (every pixel value's quantized input), so that the apps apply exactly the
// same without floating point.
#pragma once
#include "platform/model_package.h"
#include "tools/builder/network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct InputPreprocessing {
  float scale = 1.0f / 255.0f;
  std::vector<float> mean, std;  // empty (0 / 1), one for every channel, or one per channel (<= 4)
  uint32_t layout = package::kLayoutChw;

  float mean_of(uint32_t channel) const { return mean.empty() ? 0.0f : mean[mean.size() == 1 ? 0 : channel]; }
  float std_of(uint32_t channel) const { return std.empty() ? 1.0f : std[std.size() == 1 ? 0 : channel]; }
  // One pixel of channel c as the model's input.
  float apply(uint8_t pixel, uint32_t channel) const {
    return (static_cast<float>(pixel) * scale - mean_of(channel)) / std_of(channel);
  }
  // One image (its file's bytes, in `layout`) as the model's input [c][h][w].
  std::vector<float> image(const uint8_t* pixels, const builder::TensorShape& shape) const;
  // Tables needed: 1 when every channel is treated alike, else the channel count.
  uint32_t table_channels(const builder::TensorShape& shape) const;
  // Throws ConfigError naming the option when mean/std do not fit the model's channels.
  void check(const builder::TensorShape& shape) const;
  // What makes its inputs differ: part of the calibration data's digest.
  std::string digest_text() const;
};

// "--input-mean 0.485,0.456,0.406": 1..4 finite numbers (std: positive). Throws ConfigError
// naming the option otherwise.
std::vector<float> parse_channel_values(const std::string& option, const std::string& text, bool positive);
// "NCHW" or "NHWC" (the file's image order, as ONNX / image files name it).
uint32_t parse_input_layout(const std::string& option, const std::string& text);
const char* layout_name(uint32_t layout);

// Checks an IDX file's image dimensions (dims[1..]) against the model's input in `layout`:
// throws ConfigError naming the file, its dimensions and both layouts when they do not match. A
// one-channel model takes any dimensions holding its h x w elements.
void check_image_dims(const std::string& path, const std::vector<uint32_t>& idx_dims,
                      const builder::TensorShape& shape, uint32_t layout);

// The package's tables: int16 [table_channels][256], entry p of table c the quantized input of a
// pixel p in channel c — exactly what dlvpc's quantization of a preprocessed image gives (minus
// the zero point, x 2^input_frac, rounded half up, saturated to int8).
std::vector<int16_t> input_tables(const InputPreprocessing& pre, const builder::TensorShape& shape,
                                  int32_t zero_point, int input_frac);

}  // namespace dlvp::dlvpc
