// ONNX's node tests (Debian's libonnx-testdata) as the LSTM and GRU import tests read them: the
// model, the fed inputs and the expected outputs, every fed input but the data input bound as a
// constant.
#pragma once
#include "tools/dlvpc/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#ifndef ONNX_NODE_TESTS_DIR
#define ONNX_NODE_TESTS_DIR "/usr/share/libonnx-testdata/data/node"
#endif

namespace dlvp::dlvpc {

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream s;
  s << file.rdbuf();
  return s.str();
}

inline ConstTensor read_tensor(const std::filesystem::path& path) {
  onnx::TensorProto t;
  if (!t.ParseFromString(read_bytes(path))) ADD_FAILURE() << path << " is not a TensorProto";
  return decode_tensor(t, path.string());
}

struct NodeTest {
  onnx::ModelProto model;
  std::vector<ConstTensor> inputs;   // input_N.pb: the data input first, then W, R, ...
  std::vector<ConstTensor> outputs;  // output_N.pb, in the graph's output order
  ImportOptions bindings;            // every fed input but the first, as a constant
};

inline NodeTest load_node_test(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(ONNX_NODE_TESTS_DIR) / name;
  NodeTest t;
  EXPECT_TRUE(t.model.ParseFromString(read_bytes(dir / "model.onnx"))) << dir;
  for (int i = 0; std::filesystem::exists(dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb")); ++i)
    t.inputs.push_back(read_tensor(dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb")));
  for (int i = 0; std::filesystem::exists(dir / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb")); ++i)
    t.outputs.push_back(read_tensor(dir / "test_data_set_0" / ("output_" + std::to_string(i) + ".pb")));
  std::set<std::string> initializers;
  for (const auto& init : t.model.graph().initializer()) initializers.insert(init.name());
  int fed = 0;
  for (const auto& input : t.model.graph().input()) {
    if (initializers.count(input.name())) continue;
    if (fed > 0) t.bindings.bindings[input.name()] = t.inputs.at(fed);
    ++fed;
  }
  return t;
}

inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace dlvp::dlvpc
