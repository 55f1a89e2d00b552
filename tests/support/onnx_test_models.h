// Small ONNX graphs built in code (tools/onnx_zoo's GraphBuilder) that dlvpc's tests and fuzz seeds
// share, and the message an import or a compile refuses one with.
#pragma once
#include "ip/common/config_error.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/onnx_zoo/onnx_zoo.h"

#include <string>

namespace dlvp::test {

using zoo_onnx::GraphBuilder;

inline onnx::ModelProto new_model() {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  return m;
}

// conv3x3+BN+ReLU+maxpool -> conv3x3+ReLU -> flatten -> gemm -> softmax.
inline onnx::ModelProto small_cnn(uint32_t seed) {
  onnx::ModelProto m = new_model();
  GraphBuilder g(*m.mutable_graph(), seed);
  std::string x = g.input("image", {1, 3, 32, 32});
  x = g.max_pool(g.relu(g.batch_norm(g.conv(x, 8, 3, 1, 1))), 2, 2);
  x = g.relu(g.conv(x, 12, 3, 1, 1));
  x = g.softmax(g.gemm(g.flatten(x), 10));
  g.output(x, "probabilities");
  return m;
}

// A downsampling residual block followed by global average pooling and a classifier.
inline onnx::ModelProto residual_block(uint32_t seed) {
  onnx::ModelProto m = new_model();
  GraphBuilder g(*m.mutable_graph(), seed);
  const std::string in = g.relu(g.batch_norm(g.conv(g.input("image", {1, 4, 12, 12}), 16, 3, 1, 1)));
  const std::string main = g.batch_norm(g.conv(g.relu(g.batch_norm(g.conv(in, 24, 3, 2, 1))), 24, 3, 1, 1));
  const std::string shortcut = g.batch_norm(g.conv(in, 24, 1, 2, 0));
  const std::string out = g.global_average_pool(g.relu(g.add(main, shortcut)));
  g.output(g.gemm(g.flatten(out), 5), "logits");
  return m;
}

// An inception-style block: 1x1, 3x3 and pooled-1x1 branches joined on the channels, then a ReLU
// (not fusable into the concatenation) and a classifier; with batch `batch`.
inline onnx::ModelProto inception_block(uint32_t seed, int64_t batch = 1) {
  onnx::ModelProto m = new_model();
  GraphBuilder g(*m.mutable_graph(), seed);
  const std::string in = g.relu(g.conv(g.input("image", {batch, 3, 10, 10}), 8, 3, 1, 1));
  const std::string a = g.relu(g.conv(in, 6, 1, 1, 0));
  const std::string b = g.relu(g.conv(in, 10, 3, 1, 1));
  const std::string c = g.conv(g.max_pool(in, 3, 1, 1), 4, 1, 1, 0);
  const std::string joined = g.relu(g.concat({a, b, c}));
  g.output(g.gemm(g.flatten(g.global_average_pool(joined)), 5), "logits");
  return m;
}

// The message of the ConfigError `action` throws, or "(no error)".
template <typename Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

inline std::string import_error(const onnx::ModelProto& model) {
  return error_of([&] { dlvpc::import_onnx(model, "model.onnx"); });
}

}  // namespace dlvp::test
