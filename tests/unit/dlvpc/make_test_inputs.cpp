// Writes the hostile inputs of dlvpc's command-line tests (tests/unit/dlvpc/CMakeLists.txt): the
// shipped models (scenarios/models) with one thing broken each, IDX files whose headers lie, and a
// FIFO. Usage: dlvpc_make_test_inputs MODELS_DIR OUT_DIR. Exit 0, or 1 naming what failed.
#include "tools/onnx_zoo/onnx_zoo.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using dlvp::zoo_onnx::write_model;

onnx::ModelProto read_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  onnx::ModelProto m;
  if (!in || !m.ParseFromString(bytes.str())) throw std::runtime_error(path + ": cannot read the model");
  return m;
}

onnx::TensorProto& initializer(onnx::ModelProto& m, const std::string& name) {
  for (onnx::TensorProto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == name) return t;
  throw std::runtime_error("no initializer " + name);
}

void set_float(onnx::TensorProto& t, size_t index, float value) {
  std::memcpy(&(*t.mutable_raw_data())[index * sizeof value], &value, sizeof value);
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) throw std::runtime_error(path + ": cannot write");
}

// An IDX header of unsigned bytes with `dims`, followed by `body` bytes of pixels.
std::vector<uint8_t> idx(const std::vector<uint32_t>& dims, size_t body) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (const uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
  bytes.resize(bytes.size() + body, 7);
  return bytes;
}

void write_models(const std::string& models, const std::string& out) {
  const onnx::ModelProto cnn = read_model(models + "/fashion_cnn.onnx");
  const onnx::ModelProto lstm = read_model(models + "/fashion_lstm.onnx");
  onnx::ModelProto m;

  m = cnn;  // weight 7 of the first convolution
  set_float(initializer(m, "onnx::Conv_33"), 7, std::numeric_limits<float>::quiet_NaN());
  write_model(m, out + "/nan_weight.onnx");
  m = cnn;  // bias 3 of the classifier
  set_float(initializer(m, "logits_model.classifier.4.bias"), 3, std::numeric_limits<float>::infinity());
  write_model(m, out + "/inf_bias.onnx");
  m = lstm;  // an LSTM's recurrent weights
  set_float(initializer(m, "lstm.R"), 100, -std::numeric_limits<float>::infinity());
  write_model(m, out + "/lstm_inf_weight.onnx");

  m = cnn;
  m.mutable_opset_import(0)->set_version(99);
  write_model(m, out + "/opset99.onnx");
  m = cnn;
  m.set_ir_version(99);
  write_model(m, out + "/ir99.onnx");

  m = cnn;  // 2^64 elements: an unchecked product wraps to 0 and "needs 0 bytes"
  onnx::TensorProto& huge = *m.mutable_graph()->add_initializer();
  huge.set_name("huge");
  huge.set_data_type(onnx::TensorProto::FLOAT);
  huge.add_dims(int64_t{1} << 32);
  huge.add_dims(int64_t{1} << 32);
  write_model(m, out + "/huge_dims.onnx");
  m = cnn;
  initializer(m, "onnx::Conv_34").set_dims(0, -16);
  write_model(m, out + "/negative_dim.onnx");
  m = cnn;
  initializer(m, "onnx::Conv_36").mutable_raw_data()->resize(18432 - 4);
  write_model(m, out + "/short_raw_data.onnx");
  m = cnn;
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(0);
  write_model(m, out + "/zero_dim_input.onnx");

  for (const int64_t steps : {int64_t{65536}, int64_t{10000000}}) {  // layout 0: X is [steps, batch, features]
    m = lstm;
    m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(
        steps);
    write_model(m, out + "/lstm_" + std::to_string(steps) + "_steps.onnx");
  }

  // Node names of 30 three-byte characters: a byte-wise cut of the report's 28-wide column would
  // split the tenth.
  m = cnn;
  const std::string digits = "\xE4\xB8\x80\xE4\xBA\x8C\xE4\xB8\x89\xE5\x9B\x9B\xE4\xBA\x94\xE5\x85\xAD\xE4\xB8\x83\xE5\x85\xAB"
                             "\xE4\xB9\x9D\xE5\x8D\x81";  // 一二三四五六七八九十
  for (onnx::NodeProto& node : *m.mutable_graph()->mutable_node()) node.set_name(digits + digits + digits + "/" + node.op_type());
  write_model(m, out + "/non_ascii_names.onnx");
}

void write_idx_files(const std::string& out) {
  write_bytes(out + "/promises_more.idx", idx({1000000, 28, 28}, 100));  // 784 MB promised
  write_bytes(out + "/overflowing_dims.idx", idx({0xffffffff, 0xffffffff, 0xffffffff}, 10));
  write_bytes(out + "/wrong_item_size.idx", idx({4, 32, 32}, 4 * 32 * 32));
  write_bytes(out + "/no_items.idx", idx({0, 28, 28}, 0));
  write_bytes(out + "/truncated_header.idx", {0, 0, 0x08, 3, 0, 0, 0, 1});
  write_bytes(out + "/gzip.idx", {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0});
  write_bytes(out + "/float_elements.idx", {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0});
  const std::string fifo = out + "/fifo.idx";
  ::unlink(fifo.c_str());
  if (::mkfifo(fifo.c_str(), 0600) != 0) throw std::runtime_error(fifo + ": mkfifo: " + std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: dlvpc_make_test_inputs MODELS_DIR OUT_DIR\n");
    return 1;
  }
  try {
    write_models(argv[1], argv[2]);
    write_idx_files(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlvpc_make_test_inputs: %s\n", e.what());
    return 1;
  }
  return 0;
}
