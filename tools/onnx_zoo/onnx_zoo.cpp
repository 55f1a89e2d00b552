#include "tools/onnx_zoo/onnx_zoo.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

namespace dlvp::zoo_onnx {

namespace {

using Shape = GraphBuilder::Shape;

constexpr int64_t kOpsetVersion = 13;
constexpr const char* kProducer = "dlvp make_onnx_zoo";
const Shape kInputShape = {1, 3, 224, 224};
constexpr float kBiasRange = 0.05f;

std::string shape_text(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Uniform between lo and hi from the top 24 bits of one draw. Written out rather than
// std::uniform_real_distribution, whose algorithm the standard leaves to each library: the same
// seed must give the same model everywhere.
float uniform(std::mt19937& rng, float lo, float hi) {
  const float unit = static_cast<float>(rng() >> 8) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * unit;
}

void set_float_type(onnx::ValueInfoProto& value, const std::string& name, const Shape& shape) {
  value.set_name(name);
  onnx::TypeProto_Tensor& tensor = *value.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) tensor.mutable_shape()->add_dim()->set_dim_value(d);
}

void set_int(onnx::NodeProto& node, const char* name, int64_t value) {
  onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
}

void set_float(onnx::NodeProto& node, const char* name, float value) {
  onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(value);
}

void set_ints(onnx::NodeProto& node, const char* name, const std::vector<int64_t>& values) {
  onnx::AttributeProto& a = *node.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a.add_ints(v);
}

// kernel_shape, strides and pads of a square window applied alike to both spatial axes.
void set_window(onnx::NodeProto& node, int64_t kernel, int64_t stride, int64_t pad) {
  set_ints(node, "kernel_shape", {kernel, kernel});
  set_ints(node, "strides", {stride, stride});
  set_ints(node, "pads", {pad, pad, pad, pad});
}

// Output size of a window sliding over `size` (no dilation, floor rounding as ONNX's default).
int64_t window_output(int64_t size, int64_t kernel, int64_t stride, int64_t pad, const std::string& where) {
  if (kernel < 1 || stride < 1 || pad < 0)
    throw std::invalid_argument(where + ": bad window (kernel " + std::to_string(kernel) + ", stride " +
                                std::to_string(stride) + ", pad " + std::to_string(pad) + ")");
  const int64_t padded = size + 2 * pad;
  if (padded < kernel)
    throw std::invalid_argument(where + ": kernel " + std::to_string(kernel) + " larger than the padded input " +
                                std::to_string(padded));
  return (padded - kernel) / stride + 1;
}

// ---- the networks: each maps the input tensor to the logits ----

std::string vgg16(GraphBuilder& b, std::string x) {
  constexpr int64_t kPool = 0;  // a 2x2 stride-2 max pool; any other entry is a 3x3 conv's channels
  const int64_t features[] = {64,  64,  kPool, 128, 128, kPool, 256, 256, 256, kPool,
                              512, 512, 512,   kPool, 512, 512, 512, kPool};
  for (int64_t channels : features) x = channels == kPool ? b.max_pool(x, 2, 2) : b.relu(b.conv(x, channels, 3, 1, 1));
  x = b.flatten(x);
  x = b.relu(b.gemm(x, 4096));
  x = b.relu(b.gemm(x, 4096));
  return b.gemm(x, 1000);
}

// conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU. The shortcut is a 1x1 conv + BN where the
// block changes the resolution or the channel count.
std::string basic_block(GraphBuilder& b, const std::string& x, int64_t channels, int64_t stride) {
  constexpr bool kNoBias = false;  // BN follows every conv
  std::string y = b.relu(b.batch_norm(b.conv(x, channels, 3, stride, 1, kNoBias)));
  y = b.batch_norm(b.conv(y, channels, 3, 1, 1, kNoBias));
  const bool downsample = stride != 1 || b.shape(x)[1] != channels;
  const std::string shortcut = downsample ? b.batch_norm(b.conv(x, channels, 1, stride, 0, kNoBias)) : x;
  return b.relu(b.add(y, shortcut));
}

std::string resnet18(GraphBuilder& b, std::string x) {
  x = b.relu(b.batch_norm(b.conv(x, 64, 7, 2, 3, false)));
  x = b.max_pool(x, 3, 2, 1);
  for (int64_t channels : {64, 128, 256, 512}) {
    x = basic_block(b, x, channels, channels == 64 ? 1 : 2);
    x = basic_block(b, x, channels, 1);
  }
  x = b.flatten(b.global_average_pool(x));
  return b.gemm(x, 1000);
}

// torchvision's single-tower layout, without dropout and adaptive pooling (the features are 6x6 already).
std::string alexnet(GraphBuilder& b, std::string x) {
  x = b.max_pool(b.relu(b.conv(x, 64, 11, 4, 2)), 3, 2);
  x = b.max_pool(b.relu(b.conv(x, 192, 5, 1, 2)), 3, 2);
  x = b.relu(b.conv(x, 384, 3, 1, 1));
  x = b.relu(b.conv(x, 256, 3, 1, 1));
  x = b.max_pool(b.relu(b.conv(x, 256, 3, 1, 1)), 3, 2);
  x = b.flatten(x);
  x = b.relu(b.gemm(x, 4096));
  x = b.relu(b.gemm(x, 4096));
  return b.gemm(x, 1000);
}

struct Network {
  const char* name;
  const char* title;
  std::string (*logits)(GraphBuilder&, std::string input);
};

const Network kNetworks[] = {
    {"vgg16", "VGG-16", vgg16},
    {"resnet18", "ResNet-18", resnet18},
    {"alexnet", "AlexNet (single tower)", alexnet},
};

}  // namespace

const std::vector<std::string>& model_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Network& n : kNetworks) v.push_back(n.name);
    return v;
  }();
  return names;
}

onnx::ModelProto make_model(const std::string& name, uint32_t seed) {
  const Network* network = nullptr;
  for (const Network& n : kNetworks)
    if (name == n.name) network = &n;
  if (!network) {
    std::string known;
    for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown model '" + name + "' (known: " + known + ")");
  }
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION_2020_5_8);  // 7: the IR version of ONNX 1.8, which brought opset 13
  model.set_producer_name(kProducer);
  onnx::OperatorSetIdProto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOpsetVersion);
  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name(name);
  graph.set_doc_string(std::string(network->title) + " with random weights (seed " + std::to_string(seed) + ")");
  GraphBuilder b(graph, seed);
  b.output(b.softmax(network->logits(b, b.input("input", kInputShape))), "probabilities");
  return model;
}

void write_model(const onnx::ModelProto& model, const std::string& path) {
  if (model.ByteSizeLong() > static_cast<size_t>(INT_MAX))
    throw std::runtime_error("cannot write " + path + ": the model exceeds protobuf's 2 GB limit");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot open " + path + " for writing: " + std::strerror(errno));
  const bool serialized = model.SerializeToOstream(&out);
  out.close();
  if (!serialized || !out) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
}

uint64_t count_parameters(const onnx::GraphProto& graph) {
  std::set<std::string> statistics;
  for (const onnx::NodeProto& node : graph.node())
    if (node.op_type() == "BatchNormalization")
      for (int i = 3; i < node.input_size() && i <= 4; ++i) statistics.insert(node.input(i));
  uint64_t count = 0;
  for (const onnx::TensorProto& t : graph.initializer())
    if (!statistics.count(t.name())) count += static_cast<uint64_t>(element_count({t.dims().begin(), t.dims().end()}));
  return count;
}

// ---- GraphBuilder ----

GraphBuilder::GraphBuilder(onnx::GraphProto& graph, uint32_t seed) : graph_(graph), rng_(seed) {}

const Shape& GraphBuilder::shape(const std::string& tensor) const {
  const auto it = shapes_.find(tensor);
  if (it == shapes_.end()) throw std::invalid_argument("graph '" + graph_.name() + "' has no tensor '" + tensor + "'");
  return it->second;
}

const Shape& GraphBuilder::image_shape(const std::string& x, const char* op) const {
  const Shape& s = shape(x);
  if (s.size() != 4)
    throw std::invalid_argument(std::string(op) + " needs an NCHW tensor, '" + x + "' is " + shape_text(s));
  return s;
}

onnx::NodeProto& GraphBuilder::add_node(const std::string& op, const std::vector<std::string>& inputs,
                                        const Shape& output_shape) {
  std::string prefix;
  for (char c : op) prefix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string name = prefix + "_" + std::to_string(++node_counts_[prefix]);
  onnx::NodeProto& node = *graph_.add_node();
  node.set_name(name);
  node.set_op_type(op);
  for (const std::string& in : inputs) node.add_input(in);
  node.add_output(name);
  shapes_[name] = output_shape;
  return node;
}

std::string GraphBuilder::add_random_initializer(const onnx::NodeProto& node, const std::string& role,
                                                 const Shape& dims, float lo, float hi) {
  onnx::TensorProto& t = *graph_.add_initializer();
  t.set_name(node.name() + "." + role);
  t.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t.add_dims(d);
  const size_t n = static_cast<size_t>(element_count(dims));
  std::string& raw = *t.mutable_raw_data();
  raw.resize(n * sizeof(float));
  for (size_t i = 0; i < n; ++i) {
    const float value = uniform(rng_, lo, hi);
    uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    for (size_t byte = 0; byte < sizeof bits; ++byte)  // little-endian whatever the host's order
      raw[i * sizeof bits + byte] = static_cast<char>(bits >> (8 * byte));
  }
  return t.name();
}

std::string GraphBuilder::input(const std::string& name, const Shape& shape) {
  if (shapes_.count(name))
    throw std::invalid_argument("graph '" + graph_.name() + "' already has a tensor '" + name + "'");
  set_float_type(*graph_.add_input(), name, shape);
  shapes_[name] = shape;
  return name;
}

std::string GraphBuilder::conv(const std::string& x, int64_t out_channels, int64_t kernel, int64_t stride, int64_t pad,
                               bool with_bias) {
  const Shape& in = image_shape(x, "Conv");
  const Shape out = {in[0], out_channels, window_output(in[2], kernel, stride, pad, "Conv on '" + x + "'"),
                     window_output(in[3], kernel, stride, pad, "Conv on '" + x + "'")};
  onnx::NodeProto& node = add_node("Conv", {x}, out);
  set_window(node, kernel, stride, pad);
  const int64_t fan_in = in[1] * kernel * kernel;
  const float limit = std::sqrt(6.0f / static_cast<float>(fan_in));
  node.add_input(add_random_initializer(node, "weight", {out_channels, in[1], kernel, kernel}, -limit, limit));
  if (with_bias) node.add_input(add_random_initializer(node, "bias", {out_channels}, -kBiasRange, kBiasRange));
  return node.output(0);
}

std::string GraphBuilder::batch_norm(const std::string& x) {
  const Shape in = image_shape(x, "BatchNormalization");
  onnx::NodeProto& node = add_node("BatchNormalization", {x}, in);
  set_float(node, "epsilon", 1e-5f);
  const Shape channels = {in[1]};
  node.add_input(add_random_initializer(node, "scale", channels, 0.5f, 1.5f));
  node.add_input(add_random_initializer(node, "bias", channels, -0.1f, 0.1f));
  node.add_input(add_random_initializer(node, "mean", channels, -0.1f, 0.1f));
  node.add_input(add_random_initializer(node, "var", channels, 0.5f, 1.5f));
  return node.output(0);
}

std::string GraphBuilder::relu(const std::string& x) { return add_node("Relu", {x}, shape(x)).output(0); }

std::string GraphBuilder::pool(const std::string& op, const std::string& x, int64_t kernel, int64_t stride,
                               int64_t pad) {
  const Shape& in = image_shape(x, op.c_str());
  const std::string where = op + " on '" + x + "'";
  const Shape out = {in[0], in[1], window_output(in[2], kernel, stride, pad, where),
                     window_output(in[3], kernel, stride, pad, where)};
  onnx::NodeProto& node = add_node(op, {x}, out);
  set_window(node, kernel, stride, pad);
  return node.output(0);
}

std::string GraphBuilder::max_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t pad) {
  return pool("MaxPool", x, kernel, stride, pad);
}

std::string GraphBuilder::average_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t pad) {
  return pool("AveragePool", x, kernel, stride, pad);
}

std::string GraphBuilder::global_average_pool(const std::string& x) {
  const Shape& in = image_shape(x, "GlobalAveragePool");
  return add_node("GlobalAveragePool", {x}, {in[0], in[1], 1, 1}).output(0);
}

std::string GraphBuilder::add(const std::string& a, const std::string& b) {
  if (shape(a) != shape(b))
    throw std::invalid_argument("Add of '" + a + "' " + shape_text(shape(a)) + " and '" + b + "' " +
                                shape_text(shape(b)) + ": shapes differ");
  return add_node("Add", {a, b}, shape(a)).output(0);
}

std::string GraphBuilder::concat(const std::vector<std::string>& xs) {
  if (xs.empty()) throw std::invalid_argument("Concat of no tensors");
  Shape out = shape(xs.front());
  out.at(1) = 0;
  for (const std::string& x : xs) {
    const Shape& s = shape(x);
    for (size_t d = 0; d < out.size(); ++d)
      if (s.size() != out.size() || (d != 1 && s[d] != out[d]))
        throw std::invalid_argument("Concat of '" + xs.front() + "' " + shape_text(shape(xs.front())) + " and '" + x +
                                    "' " + shape_text(s) + ": shapes differ outside axis 1");
    out[1] += s[1];
  }
  onnx::NodeProto& node = add_node("Concat", xs, out);
  set_int(node, "axis", 1);
  return node.output(0);
}

std::string GraphBuilder::flatten(const std::string& x) {
  const Shape& in = shape(x);
  if (in.size() < 2) throw std::invalid_argument("Flatten needs a batch axis, '" + x + "' is " + shape_text(in));
  onnx::NodeProto& node = add_node("Flatten", {x}, {in[0], element_count({in.begin() + 1, in.end()})});
  set_int(node, "axis", 1);
  return node.output(0);
}

std::string GraphBuilder::gemm(const std::string& x, int64_t out_features) {
  const Shape& in = shape(x);
  if (in.size() != 2)
    throw std::invalid_argument("Gemm needs an [N, features] tensor, '" + x + "' is " + shape_text(in));
  const int64_t in_features = in[1];
  onnx::NodeProto& node = add_node("Gemm", {x}, {in[0], out_features});
  set_int(node, "transB", 1);
  const float limit = std::sqrt(6.0f / static_cast<float>(in_features));
  node.add_input(add_random_initializer(node, "weight", {out_features, in_features}, -limit, limit));
  node.add_input(add_random_initializer(node, "bias", {out_features}, -kBiasRange, kBiasRange));
  return node.output(0);
}

std::string GraphBuilder::softmax(const std::string& x) {
  onnx::NodeProto& node = add_node("Softmax", {x}, shape(x));
  set_int(node, "axis", 1);
  return node.output(0);
}

void GraphBuilder::output(const std::string& tensor, const std::string& name) {
  const Shape tensor_shape = shape(tensor);
  if (tensor != name && shapes_.count(name))
    throw std::invalid_argument("graph '" + graph_.name() + "' already has a tensor '" + name + "'");
  bool produced = false;
  for (onnx::NodeProto& node : *graph_.mutable_node()) {
    for (const std::string& in : node.input())
      if (in == tensor)
        throw std::invalid_argument("cannot rename '" + tensor + "' to '" + name + "': node '" + node.name() +
                                    "' reads it");
    for (std::string& out : *node.mutable_output())
      if (out == tensor) out = name, produced = true;
  }
  if (!produced) throw std::invalid_argument("'" + tensor + "' is no node's output");
  shapes_.erase(tensor);
  shapes_[name] = tensor_shape;
  set_float_type(*graph_.add_output(), name, tensor_shape);
}

}  // namespace dlvp::zoo_onnx
