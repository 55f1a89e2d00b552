// The ONNX zoo: each network's structure, parameter count and MACs (read back from the graph by an
// independent shape walk), its weights' ranges, determinism per seed, serialization, and errors.
#include "tools/onnx_zoo/onnx_zoo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace dlvp::zoo_onnx;
using Shape = std::vector<int64_t>;
using OpCounts = std::map<std::string, int>;

int64_t elements(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

OpCounts op_counts(const onnx::GraphProto& graph) {
  OpCounts counts;
  for (const onnx::NodeProto& node : graph.node()) ++counts[node.op_type()];
  return counts;
}

Shape declared_shape(const onnx::ValueInfoProto& value) {
  Shape s;
  for (const auto& d : value.type().tensor_type().shape().dim()) s.push_back(d.dim_value());
  return s;
}

Shape ints_attribute(const onnx::NodeProto& node, const std::string& name, const Shape& fallback) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return Shape(a.ints().begin(), a.ints().end());
  return fallback;
}

int64_t int_attribute(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

std::vector<float> values(const onnx::TensorProto& t) {
  std::vector<float> v(t.raw_data().size() / 4);
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t bits = 0;
    for (int byte = 0; byte < 4; ++byte) bits |= uint32_t(uint8_t(t.raw_data()[4 * i + byte])) << (8 * byte);
    std::memcpy(&v[i], &bits, 4);
  }
  return v;
}

// What a compiler's import would find: every tensor's shape from the input's, per ONNX's operator
// definitions, and the multiply-accumulates of Conv and Gemm. Throws on an inconsistent graph.
struct GraphWalk {
  std::map<std::string, Shape> shapes;
  int64_t macs = 0;

  explicit GraphWalk(const onnx::GraphProto& graph) {
    for (const onnx::TensorProto& t : graph.initializer()) shapes[t.name()] = Shape(t.dims().begin(), t.dims().end());
    for (const onnx::ValueInfoProto& in : graph.input()) shapes[in.name()] = declared_shape(in);
    for (const onnx::NodeProto& node : graph.node()) {
      std::vector<Shape> in;
      for (const std::string& name : node.input()) {
        if (!shapes.count(name)) throw std::runtime_error(node.name() + " reads '" + name + "' before it exists");
        in.push_back(shapes.at(name));
      }
      if (node.output_size() != 1 || shapes.count(node.output(0)))
        throw std::runtime_error(node.name() + ": not one new output");
      shapes[node.output(0)] = infer(node, in);
    }
  }

  Shape infer(const onnx::NodeProto& node, const std::vector<Shape>& in) {
    const std::string& op = node.op_type();
    const Shape& x = in.at(0);
    if (op == "Conv" || op == "MaxPool" || op == "AveragePool") {
      const Shape k = op == "Conv" ? Shape{in.at(1)[2], in.at(1)[3]} : ints_attribute(node, "kernel_shape", {});
      const Shape s = ints_attribute(node, "strides", {1, 1});
      const Shape p = ints_attribute(node, "pads", {0, 0, 0, 0});
      if (op == "Conv" && ints_attribute(node, "kernel_shape", k) != k)
        throw std::runtime_error(node.name() + ": kernel_shape differs from the weight's");
      const Shape out = {x[0], op == "Conv" ? in.at(1)[0] : x[1], (x[2] + p[0] + p[2] - k[0]) / s[0] + 1,
                         (x[3] + p[1] + p[3] - k[1]) / s[1] + 1};
      if (op == "Conv") {
        if (in.at(1)[1] != x[1]) throw std::runtime_error(node.name() + ": weight channels differ from the input's");
        macs += elements(out) * x[1] * k[0] * k[1];
      }
      return out;
    }
    if (op == "Gemm") {
      if (int_attribute(node, "transB", 0) != 1 || in.at(1)[1] != x[1])
        throw std::runtime_error(node.name() + ": weight not [out, in] with transB = 1");
      macs += x[0] * in.at(1)[0] * x[1];
      return {x[0], in.at(1)[0]};
    }
    if (op == "Add" && in.at(1) != x) throw std::runtime_error(node.name() + ": shapes differ");
    if (op == "Add" || op == "Relu" || op == "BatchNormalization" || op == "Softmax") return x;
    if (op == "GlobalAveragePool") return {x[0], x[1], 1, 1};
    if (op == "Flatten") return {x[0], elements(x) / x[0]};
    throw std::runtime_error(node.name() + ": unexpected op " + op);
  }
};

// The contract every zoo model keeps (onnx_zoo.h), and the structure its figures depend on.
void expect_zoo_model(const onnx::ModelProto& model, const OpCounts& ops, uint64_t parameters, int64_t macs) {
  EXPECT_EQ(model.ir_version(), 7);
  EXPECT_EQ(model.producer_name(), "dlvp make_onnx_zoo");
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).domain(), "");
  EXPECT_EQ(model.opset_import(0).version(), 13);
  const onnx::GraphProto& graph = model.graph();
  ASSERT_EQ(graph.input_size(), 1);
  EXPECT_EQ(graph.input(0).name(), "input");
  EXPECT_EQ(graph.input(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(declared_shape(graph.input(0)), (Shape{1, 3, 224, 224}));
  ASSERT_EQ(graph.output_size(), 1);
  EXPECT_EQ(graph.output(0).name(), "probabilities");
  EXPECT_EQ(graph.output(0).type().tensor_type().elem_type(), onnx::TensorProto::FLOAT);
  EXPECT_EQ(declared_shape(graph.output(0)), (Shape{1, 1000}));
  const onnx::NodeProto& last = graph.node(graph.node_size() - 1);
  EXPECT_EQ(last.op_type(), "Softmax");
  EXPECT_EQ(int_attribute(last, "axis", -1), 1);

  EXPECT_EQ(op_counts(graph), ops);
  EXPECT_EQ(count_parameters(graph), parameters);

  std::set<std::string> node_names, consumed;
  for (const onnx::NodeProto& node : graph.node()) {
    EXPECT_TRUE(node_names.insert(node.name()).second) << "duplicate node name " << node.name();
    consumed.insert(node.input().begin(), node.input().end());
  }
  for (const onnx::TensorProto& t : graph.initializer()) {
    EXPECT_EQ(t.data_type(), onnx::TensorProto::FLOAT) << t.name();
    EXPECT_EQ(t.raw_data().size(), 4u * elements(Shape(t.dims().begin(), t.dims().end()))) << t.name();
    EXPECT_TRUE(consumed.count(t.name())) << t.name() << " is read by no node";
  }

  const GraphWalk walk(graph);
  EXPECT_EQ(walk.shapes.at("probabilities"), (Shape{1, 1000}));
  EXPECT_EQ(walk.macs, macs);
}

TEST(OnnxZoo, Vgg16) {
  const onnx::ModelProto model = make_model("vgg16", 7);
  expect_zoo_model(model,
                   {{"Conv", 13}, {"Relu", 15}, {"MaxPool", 5}, {"Flatten", 1}, {"Gemm", 3}, {"Softmax", 1}},
                   138'357'544, 15'470'264'320);
  const GraphWalk walk(model.graph());
  EXPECT_EQ(walk.shapes.at("flatten_1"), (Shape{1, 25088}));
}

TEST(OnnxZoo, Resnet18) {
  const onnx::ModelProto model = make_model("resnet18", 7);
  // 17 convs on the main path + 3 downsample shortcuts, each followed by BN.
  expect_zoo_model(model,
                   {{"Conv", 20}, {"BatchNormalization", 20}, {"Relu", 17}, {"MaxPool", 1}, {"Add", 8},
                    {"GlobalAveragePool", 1}, {"Flatten", 1}, {"Gemm", 1}, {"Softmax", 1}},
                   11'689'512, 1'814'073'344);
  // Running statistics are initializers, not parameters: 2 x the 4800 BN channels.
  uint64_t all_elements = 0;
  for (const onnx::TensorProto& t : model.graph().initializer())
    all_elements += elements(Shape(t.dims().begin(), t.dims().end()));
  EXPECT_EQ(all_elements - count_parameters(model.graph()), 2u * 4800);
}

TEST(OnnxZoo, Alexnet) {
  const onnx::ModelProto model = make_model("alexnet", 7);
  expect_zoo_model(model,
                   {{"Conv", 5}, {"Relu", 7}, {"MaxPool", 3}, {"Flatten", 1}, {"Gemm", 3}, {"Softmax", 1}},
                   61'100'840, 714'188'480);
  const GraphWalk walk(model.graph());
  EXPECT_EQ(walk.shapes.at("conv_1"), (Shape{1, 64, 55, 55}));
  EXPECT_EQ(walk.shapes.at("flatten_1"), (Shape{1, 9216}));
}

// Each initializer fills its documented range: weights +-sqrt(6/fan_in) (and reach near its edges,
// i.e. are not scaled down further), biases +-0.05, BN scale/var 0.5..1.5, BN bias/mean +-0.1.
TEST(OnnxZoo, WeightRangesFollowTheirRoles) {
  const onnx::ModelProto model = make_model("resnet18", 3);
  std::set<std::string> roles;
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    const std::string node = t.name().substr(0, t.name().find('.'));
    const std::string role = t.name().substr(t.name().find('.') + 1);
    roles.insert(node.substr(0, node.find('_')) + "." + role);
    float lo, hi;
    if (role == "weight") {
      const int64_t fan_in = elements(Shape(t.dims().begin() + 1, t.dims().end()));
      hi = std::sqrt(6.0f / static_cast<float>(fan_in)), lo = -hi;
    } else if (role == "scale" || role == "var") {
      lo = 0.5f, hi = 1.5f;
    } else if (node.rfind("batchnormalization", 0) == 0 || role == "mean") {
      lo = -0.1f, hi = 0.1f;
    } else {
      lo = -0.05f, hi = 0.05f;
    }
    float min = hi, max = lo;
    double sum = 0;
    for (float v : values(t)) min = std::min(min, v), max = std::max(max, v), sum += v;
    EXPECT_GE(min, lo) << t.name();
    EXPECT_LE(max, hi) << t.name();
    const double n = static_cast<double>(t.raw_data().size() / 4);
    if (n >= 256) {  // enough draws to come near both edges and centre on the middle
      EXPECT_LT(min, lo + 0.1f * (hi - lo)) << t.name();
      EXPECT_GT(max, hi - 0.1f * (hi - lo)) << t.name();
      EXPECT_NEAR(sum / n, (lo + hi) / 2, 0.1 * (hi - lo)) << t.name();
    }
  }
  EXPECT_EQ(roles, (std::set<std::string>{"conv.weight", "batchnormalization.scale", "batchnormalization.bias",
                                          "batchnormalization.mean", "batchnormalization.var", "gemm.weight",
                                          "gemm.bias"}));
}

TEST(OnnxZoo, SameSeedSameBytesOtherSeedOtherWeights) {
  const std::string a = make_model("resnet18", 11).SerializeAsString();
  const std::string b = make_model("resnet18", 11).SerializeAsString();
  onnx::ModelProto other = make_model("resnet18", 12);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, other.SerializeAsString());
  // Only the weights (and the doc string naming the seed) differ.
  other.mutable_graph()->clear_initializer();
  other.mutable_graph()->clear_doc_string();
  onnx::ModelProto first;
  ASSERT_TRUE(first.ParseFromString(a));
  first.mutable_graph()->clear_initializer();
  first.mutable_graph()->clear_doc_string();
  EXPECT_EQ(first.SerializeAsString(), other.SerializeAsString());
}

TEST(OnnxZoo, SerializationRoundTrips) {
  const onnx::ModelProto model = make_model("resnet18", 5);
  const std::string bytes = model.SerializeAsString();
  onnx::ModelProto parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.SerializeAsString(), bytes);
  EXPECT_EQ(op_counts(parsed.graph()), op_counts(model.graph()));
  EXPECT_EQ(count_parameters(parsed.graph()), 11'689'512u);

  const std::string path = (std::filesystem::path(testing::TempDir()) / "resnet18.onnx").string();
  write_model(model, path);
  std::ifstream in(path, std::ios::binary);
  std::string file(std::filesystem::file_size(path), '\0');
  in.read(file.data(), static_cast<std::streamsize>(file.size()));
  EXPECT_EQ(file, bytes);
}

TEST(OnnxZoo, UnknownModelNamesTheKnownOnes) {
  try {
    make_model("lenet", 1);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("lenet"), std::string::npos) << message;
    for (const std::string& name : model_names()) EXPECT_NE(message.find(name), std::string::npos) << message;
  }
  EXPECT_EQ(model_names(), (std::vector<std::string>{"vgg16", "resnet18", "alexnet"}));
}

TEST(OnnxZoo, WriteFailureNamesThePath) {
  onnx::ModelProto model;
  model.set_ir_version(7);
  const std::string path = (std::filesystem::path(testing::TempDir()) / "no_such_dir" / "m.onnx").string();
  try {
    write_model(model, path);
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(GraphBuilder, TracksShapesAndNamesNodesUniquely) {
  onnx::GraphProto graph;
  GraphBuilder b(graph, 1);
  const std::string x = b.input("x", {1, 8, 10, 10});
  const std::string c = b.conv(x, 4, 3, 2, 1, false);
  EXPECT_EQ(b.shape(c), (Shape{1, 4, 5, 5}));
  const std::string p = b.average_pool(b.relu(c), 2, 2);
  EXPECT_EQ(b.shape(p), (Shape{1, 4, 2, 2}));
  const std::string g = b.global_average_pool(b.relu(p));
  EXPECT_EQ(b.shape(g), (Shape{1, 4, 1, 1}));
  b.output(b.gemm(b.flatten(g), 3), "y");
  EXPECT_EQ(b.shape("y"), (Shape{1, 3}));
  std::vector<std::string> names;
  for (const onnx::NodeProto& node : graph.node()) names.push_back(node.name());
  EXPECT_EQ(names, (std::vector<std::string>{"conv_1", "relu_1", "averagepool_1", "relu_2", "globalaveragepool_1",
                                             "flatten_1", "gemm_1"}));
  EXPECT_EQ(graph.node(graph.node_size() - 1).output(0), "y");
  ASSERT_EQ(graph.output_size(), 1);
  EXPECT_EQ(declared_shape(graph.output(0)), (Shape{1, 3}));
  // The conv has no bias: one weight [4, 8, 3, 3]; the Gemm a weight [3, 4] and a bias.
  ASSERT_EQ(graph.initializer_size(), 3);
  EXPECT_EQ(graph.initializer(0).name(), "conv_1.weight");
  EXPECT_EQ(count_parameters(graph), 4u * 8 * 9 + 3 * 4 + 3);
}

TEST(GraphBuilder, RejectsWhatTheLayerCannotTake) {
  onnx::GraphProto graph;
  GraphBuilder b(graph, 1);
  const std::string x = b.input("x", {1, 8, 4, 4});
  const std::string f = b.flatten(x);
  EXPECT_THROW(b.conv(f, 4, 3, 1, 1), std::invalid_argument);           // not NCHW
  EXPECT_THROW(b.gemm(x, 4), std::invalid_argument);                    // not [N, features]
  EXPECT_THROW(b.max_pool(x, 7, 1), std::invalid_argument);             // kernel beyond the input
  EXPECT_THROW(b.add(x, b.conv(x, 4, 1, 1, 0)), std::invalid_argument);  // channel counts differ
  EXPECT_THROW(b.relu("nothing"), std::invalid_argument);
  EXPECT_THROW(b.input("x", {1}), std::invalid_argument);
  EXPECT_THROW(b.output(x, "y"), std::invalid_argument);  // a graph input, no node's output
  const std::string r = b.relu(x);
  b.relu(r);
  EXPECT_THROW(b.output(r, "y"), std::invalid_argument);  // another node reads it
}

}  // namespace
