// dlvpc --float-predictions: the file holds, per image, the argmax of the float model's output
// (CNN: the imported graph; LSTM: the ONNX LSTM's final state through its head), as an IDX1 ubyte
// file a label reader accepts; images of the wrong size are refused naming the file.
#include "tests/reference/lstm_reference.h"
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/float_predictions.h"
#include "tools/dlvpc/lstm_import.h"
#include "tools/dlvpc/lstm_stack_import.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace dlvp::dlvpc {
namespace {

// An IDX3 ubyte file of `count` random images of `rows` x `cols` pixels.
std::string write_images(const std::string& name, uint32_t count, uint32_t rows, uint32_t cols) {
  const std::string path = std::string(DLVP_TEST_OUT_DIR) + "/" + name;
  std::filesystem::create_directories(DLVP_TEST_OUT_DIR);
  std::ofstream out(path, std::ios::binary);
  const auto be32 = [&](uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.write(b, 4);
  };
  out.write("\0\0\x08\x03", 4);
  be32(count), be32(rows), be32(cols);
  std::mt19937 rng(count);
  for (uint64_t i = 0; i < uint64_t{count} * rows * cols; ++i) out.put(static_cast<char>(rng() & 0xff));
  return path;
}

template <typename T>
uint8_t argmax(const std::vector<T>& v) {
  return static_cast<uint8_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// The file as a label reader sees it.
std::vector<uint8_t> read_predictions(const std::string& path) {
  const IdxFile file = read_idx(path);
  EXPECT_EQ(file.header.dims.size(), 1u) << "IDX1";
  return file.data;
}

TEST(FloatPredictions, CnnFileHoldsTheFloatGraphsArgmaxPerImage) {
  const FloatGraph graph = import_onnx(test::small_cnn(3), "small_cnn");
  ASSERT_EQ(graph.input.c, 3u);
  // 3 x 32 x 32 inputs: 40 images of 96 rows x 32 columns hold the same bytes.
  const std::string images_path = write_images("cnn_images", 40, 96, 32);
  const IdxFile images = read_idx(images_path);
  const float scale = 1.0f / 255.0f;
  const std::vector<uint8_t> predicted = float_predictions(graph, images, images_path, scale);
  ASSERT_EQ(predicted.size(), 40u);
  std::vector<uint8_t> expected;
  for (uint64_t i = 0; i < 40; ++i) {
    std::vector<float> x(graph.input.elements());
    for (uint64_t e = 0; e < x.size(); ++e) x[e] = images.data[i * x.size() + e] * scale;
    expected.push_back(argmax(softmax(run_float(graph, x).back())));
  }
  EXPECT_EQ(predicted, expected);
  EXPECT_GT(std::set<uint8_t>(expected.begin(), expected.end()).size(), 1u) << "random images: several classes";

  const std::string out = std::string(DLVP_TEST_OUT_DIR) + "/cnn.predictions";
  write_predictions_file(out, predicted);
  EXPECT_EQ(read_predictions(out), expected);
  EXPECT_EQ(std::filesystem::file_size(out), 8u + 40u);
}

// Image i of a 28 x 28 file as the LSTMs read it: pixel / 255 (in float, as dlvpc scales it).
std::vector<double> scaled_image(const IdxFile& images, uint64_t i) {
  std::vector<double> x(28 * 28);
  for (uint64_t e = 0; e < x.size(); ++e) x[e] = static_cast<double>(images.data[i * x.size() + e] * (1.0f / 255.0f));
  return x;
}

TEST(FloatPredictions, LstmFileHoldsTheOnnxModelsArgmaxPerImage) {
  const LstmModel model = import_onnx_lstm_file(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_lstm.onnx");
  const std::string images_path = write_images("lstm_images", 12, 28, 28);
  const IdxFile images = read_idx(images_path);
  const std::vector<uint8_t> predicted = float_predictions(model, images, images_path, 1.0f / 255.0f);
  ASSERT_EQ(predicted.size(), 12u);
  for (uint64_t i = 0; i < 12; ++i) {
    // X [28 steps][batch 1][28] in ONNX's layout, Y_h through the head, as the ONNX graph computes.
    const std::vector<double> x = scaled_image(images, i);
    const lstm_ref::OnnxLstmOutputs y = lstm_ref::run_float_onnx(model.layer, x, model.seq_length, model.batch,
                                                                 model.layout, model.initial_h, model.initial_c);
    const std::vector<float> y_h(y.y_h.begin(), y.y_h.end());
    EXPECT_EQ(predicted[i], argmax(run_float(model.head, y_h).back())) << "image " << i;
  }
}

TEST(FloatPredictions, LstmStackFileHoldsTheFloatStacksArgmaxPerImage) {
  const LstmStackModel model =
      import_onnx_lstm_stack_file(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_lstm2.onnx");
  const std::string images_path = write_images("lstm_stack_images", 12, 28, 28);
  const IdxFile images = read_idx(images_path);
  const std::vector<uint8_t> predicted = float_predictions(model, images, images_path, 1.0f / 255.0f);
  ASSERT_EQ(predicted.size(), 12u);
  for (uint64_t i = 0; i < 12; ++i) {
    // Layer by layer by the one-layer float model, each reading the previous one's y, then the head.
    std::vector<double> x = scaled_image(images, i);
    for (const auto& level : model.levels) x = lstm_ref::run_float(level[0].layer, x).y;
    const std::vector<float> last(x.end() - model.levels.back()[0].layer.output_size(), x.end());
    EXPECT_EQ(predicted[i], argmax(run_float(model.head, last).back())) << "image " << i;
  }
}

TEST(FloatPredictions, ImagesOfAnotherSizeAreRefusedNamingTheFile) {
  const FloatGraph graph = import_onnx(test::small_cnn(3), "small_cnn");
  const std::string path = write_images("wrong_size", 2, 28, 28);
  const std::string message = test::error_of([&] { float_predictions(graph, read_idx(path), path, 1.0f); });
  EXPECT_NE(message.find("wrong_size: images of 784 pixels, the model's input 3x32x32 has 3072 values"), std::string::npos)
      << message;
  const LstmModel model = import_onnx_lstm_file(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_lstm.onnx");
  const std::string lstm_message =
      test::error_of([&] { float_predictions(model, read_idx(write_images("wrong_size_lstm", 2, 32, 32)), "x.idx", 1.0f); });
  EXPECT_NE(lstm_message.find("x.idx: images of 1024 pixels"), std::string::npos) << lstm_message;
}

}  // namespace
}  // namespace dlvp::dlvpc
