// Whole networks (VGG-16, ResNet-18, AlexNet) as ONNX models with random weights, generated on demand
// so that the compiler (tools/dlvpc) can be tested on real topologies without shipping hundreds of MB
// of model files. Only the generated protobuf classes of libonnx are used.
//
// Every model: IR version 7, opset 13, one float input "input" [1,3,224,224], one output
// "probabilities" [1,1000] from a final Softmax(axis=1). Weights and biases are float initializers
// (raw_data, little-endian) drawn from std::mt19937(seed): weights uniform in +-sqrt(6/fan_in) (He
// scaling, so activations keep their range through deep stacks), biases uniform in +-0.05.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace dlvp::zoo_onnx {

// The names make_model knows: "vgg16", "resnet18", "alexnet".
const std::vector<std::string>& model_names();

// The named network with weights from `seed`; the same name and seed give the same bytes.
// Throws std::invalid_argument, listing the known names, for an unknown name.
onnx::ModelProto make_model(const std::string& name, uint32_t seed);

// Serializes `model` to `path`. Throws std::runtime_error naming the path if it cannot be written.
void write_model(const onnx::ModelProto& model, const std::string& path);

// The learned parameters of a graph as torchvision counts them: the elements of every initializer
// except BatchNormalization's running mean and variance (inputs 3 and 4), which are statistics.
uint64_t count_parameters(const onnx::GraphProto& graph);

// Appends layers to a graph, one call per layer. Each call adds one node with a generated unique
// name ("conv_1", "relu_4", ...), which also names its output tensor and prefixes its initializers
// ("conv_1.weight", "conv_1.bias"); it returns that output tensor's name. The builder tracks every
// tensor's shape (NCHW, or [N, features] after Flatten/Gemm), from which it sizes the weights.
// Throws std::invalid_argument on an unknown tensor or a shape the layer cannot take.
class GraphBuilder {
 public:
  using Shape = std::vector<int64_t>;

  GraphBuilder(onnx::GraphProto& graph, uint32_t seed);

  // Declares a float graph input.
  std::string input(const std::string& name, const Shape& shape);
  // Square kernel, same stride and padding on both axes.
  std::string conv(const std::string& x, int64_t out_channels, int64_t kernel, int64_t stride, int64_t pad,
                   bool with_bias = true);
  // Random scale (0.5..1.5), bias (+-0.1), mean (+-0.1), variance (0.5..1.5); epsilon 1e-5.
  std::string batch_norm(const std::string& x);
  std::string relu(const std::string& x);
  std::string max_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t pad = 0);
  std::string average_pool(const std::string& x, int64_t kernel, int64_t stride, int64_t pad = 0);
  std::string global_average_pool(const std::string& x);
  std::string add(const std::string& a, const std::string& b);  // same shapes, no broadcasting
  std::string concat(const std::vector<std::string>& xs);       // on the channels (axis 1)
  std::string flatten(const std::string& x);                    // axis 1
  std::string gemm(const std::string& x, int64_t out_features); // weight [out, in], transB = 1, bias
  std::string softmax(const std::string& x);                    // axis 1
  // Renames `tensor`, a node's output that no node reads, to `name` and declares it, with its shape, as
  // a graph output.
  void output(const std::string& tensor, const std::string& name);

  const Shape& shape(const std::string& tensor) const;

 private:
  // A node of type `op` reading `inputs`; its output, named after the node, gets `output_shape`.
  onnx::NodeProto& add_node(const std::string& op, const std::vector<std::string>& inputs, const Shape& output_shape);
  // A float initializer `<node>.<role>` of `dims`, uniform in [lo, hi); returns its name.
  std::string add_random_initializer(const onnx::NodeProto& node, const std::string& role, const Shape& dims, float lo,
                                     float hi);
  std::string pool(const std::string& op, const std::string& x, int64_t kernel, int64_t stride, int64_t pad);
  const Shape& image_shape(const std::string& x, const char* op) const;  // a rank-4 tensor's shape

  onnx::GraphProto& graph_;
  std::mt19937 rng_;
  std::map<std::string, Shape> shapes_;
  std::map<std::string, int> node_counts_;  // per node-name prefix, for unique names
};

}  // namespace dlvp::zoo_onnx
