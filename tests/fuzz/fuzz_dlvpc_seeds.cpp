// Writes the seeds of the dlvpc fuzz targets into two folders: onnx/ for fuzz_onnx_import (small
// graphs of every kind the importer takes, made with the tests' GraphBuilder helpers, and a small
// LSTM with a classifier head) and idx/ for fuzz_calibration (valid IDX files, the first images and
// labels of Debian's Fashion-MNIST with their counts cut to what is kept, and a header that claims
// more than the file holds). Run at build time; the smoke tests and libFuzzer read the files.
// Usage: fuzz_dlvpc_seeds DIR TRAIN_IMAGES TRAIN_LABELS (the uncompressed IDX files)
#include "tests/support/onnx_test_models.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using dlvp::test::new_model;

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error(path + ": cannot write");
}

// The first `bytes` bytes of a file.
std::vector<uint8_t> head(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> out(bytes);
  if (!in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(bytes)))
    throw std::runtime_error(path + ": cannot read " + std::to_string(bytes) + " bytes");
  return out;
}

void set_count(std::vector<uint8_t>& idx, uint32_t count) {
  for (int i = 0; i < 4; ++i) idx[4 + i] = static_cast<uint8_t>(count >> (24 - 8 * i));
}

onnx::TensorProto& add_initializer(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
                                   float scale) {
  onnx::TensorProto& t = *g.add_initializer();
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (const int64_t d : dims) t.add_dims(d), n *= d;
  for (int64_t i = 0; i < n; ++i) t.add_float_data(scale * static_cast<float>((i * 7) % 11 - 5));
  return t;
}

void set_float_type(onnx::ValueInfoProto& v, const std::string& name, const std::vector<int64_t>& dims) {
  v.set_name(name);
  auto& type = *v.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) type.mutable_shape()->add_dim()->set_dim_value(d);
}

// X [5 steps, 1, 3 features] -> LSTM (4 cells, bias, peepholes) -> Y_h -> Flatten -> Gemm (2) -> Softmax.
onnx::ModelProto small_lstm() {
  onnx::ModelProto m = new_model();
  onnx::GraphProto& g = *m.mutable_graph();
  set_float_type(*g.add_input(), "x", {5, 1, 3});
  add_initializer(g, "W", {1, 16, 3}, 0.1f);
  add_initializer(g, "R", {1, 16, 4}, 0.05f);
  add_initializer(g, "B", {1, 32}, 0.01f);
  add_initializer(g, "P", {1, 12}, 0.02f);
  add_initializer(g, "head.weight", {2, 4}, 0.3f);
  add_initializer(g, "head.bias", {2}, 0.1f);
  onnx::NodeProto& lstm = *g.add_node();
  lstm.set_name("lstm"), lstm.set_op_type("LSTM");
  for (const char* in : {"x", "W", "R", "B", "", "", "", "P"}) lstm.add_input(in);
  lstm.add_output(""), lstm.add_output("y_h");
  onnx::AttributeProto& hidden = *lstm.add_attribute();
  hidden.set_name("hidden_size"), hidden.set_type(onnx::AttributeProto::INT), hidden.set_i(4);
  const auto node = [&](const char* op, std::vector<std::string> inputs, const char* output) -> onnx::NodeProto& {
    onnx::NodeProto& n = *g.add_node();
    n.set_name(output), n.set_op_type(op);
    for (const std::string& in : inputs) n.add_input(in);
    n.add_output(output);
    return n;
  };
  node("Flatten", {"y_h"}, "hidden");
  onnx::AttributeProto& trans = *node("Gemm", {"hidden", "head.weight", "head.bias"}, "logits").add_attribute();
  trans.set_name("transB"), trans.set_type(onnx::AttributeProto::INT), trans.set_i(1);
  node("Softmax", {"logits"}, "probabilities");
  set_float_type(*g.add_output(), "probabilities", {1, 2});
  return m;
}

void write_model(const onnx::ModelProto& m, const std::string& path) {
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw std::runtime_error(path + ": cannot serialize");
  write_bytes(path, {bytes.begin(), bytes.end()});
}

void write_seeds(const std::string& dir, const std::string& images, const std::string& labels) {
  write_model(dlvp::test::small_cnn(1), dir + "/onnx/small_cnn.onnx");
  write_model(dlvp::test::residual_block(1), dir + "/onnx/residual_block.onnx");
  write_model(dlvp::test::inception_block(1, 2), dir + "/onnx/inception_block.onnx");
  write_model(small_lstm(), dir + "/onnx/small_lstm.onnx");

  std::vector<uint8_t> first_images = head(images, 16 + 3 * 784);
  const std::vector<uint8_t> claims_more = first_images;  // the header still says 60000 images
  set_count(first_images, 3);
  write_bytes(dir + "/idx/fashion_images.idx", first_images);
  write_bytes(dir + "/idx/claims_more.idx", claims_more);
  std::vector<uint8_t> first_labels = head(labels, 8 + 10);
  set_count(first_labels, 10);
  write_bytes(dir + "/idx/fashion_labels.idx", first_labels);
  write_bytes(dir + "/idx/tiny.idx", {0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DIR TRAIN_IMAGES TRAIN_LABELS\n", argv[0]);
    return 2;
  }
  try {
    write_seeds(argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
