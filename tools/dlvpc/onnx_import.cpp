#include "tools/dlvpc/onnx_import.h"
#include "tools/dlvpc/import_conv_groups.h"
#include "tools/dlvpc/import_depthwise_forms.h"

#include "ip/common/utf8.h"
#include "tools/dlvpc/constant_fold.h"
#include "platform/cpu_ops.h"
#include "tools/dlvpc/cpu_stage.h"
#include "tools/dlvpc/import_channel_view.h"
#include "tools/dlvpc/input_file.h"
#include "tools/dlvpc/onnx_file.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>

namespace dlvp::dlvpc {

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

int64_t element_count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (const int64_t d : dims)
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
  return n;
}

std::string shape_problem(const std::vector<int64_t>& dims) {
  int64_t nonzero = 1;  // the product of the non-zero dimensions: [0, 2^40] is no shape either
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) return "dimension " + std::to_string(i) + " is negative (" + std::to_string(dims[i]) + ")";
    if (dims[i] != 0 && (__builtin_mul_overflow(nonzero, dims[i], &nonzero) || nonzero > kMaxTensorElements))
      return "has more than " + std::to_string(kMaxTensorElements) + " elements, dlvpc's limit for one tensor";
  }
  return "";
}

std::string value_text(double value) {
  if (value == std::floor(value) && std::fabs(value) < 9.2e18) return std::to_string(static_cast<int64_t>(value));
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

namespace {

template <typename T>
int64_t first_non_finite_of(const std::vector<T>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return static_cast<int64_t>(i);
  return -1;
}

}  // namespace

int64_t first_non_finite(const std::vector<double>& values) { return first_non_finite_of(values); }

std::string reshape_target(const std::vector<double>& shape, const std::vector<int64_t>& dims, bool allow_zero,
                           std::vector<int64_t>& out) {
  out.clear();
  const int64_t total = element_count(dims);
  int64_t known = 1;
  int64_t infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    const double v = shape[i];
    if (!(v >= -1 && v <= static_cast<double>(kMaxTensorElements)) || v != std::floor(v))
      return "shape value " + value_text(v) + " at index " + std::to_string(i) + " is not -1, 0 or a size up to " +
             std::to_string(kMaxTensorElements);
    int64_t d = static_cast<int64_t>(v);
    if (d == 0 && !allow_zero) {
      if (i >= dims.size())
        return "shape value 0 at index " + std::to_string(i) + " copies a dimension the input " + dims_text(dims) + " lacks";
      d = dims[i];
    }
    if (d == -1) {
      if (infer >= 0) return "shape has more than one -1";
      infer = static_cast<int64_t>(i);
    } else if (__builtin_mul_overflow(known, d, &known) || known > kMaxTensorElements) {
      return "shape " + dims_text(out) + "... has more than " + std::to_string(kMaxTensorElements) + " elements";
    }
    out.push_back(d);
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      return "shape cannot infer its -1: " + std::to_string(total) + " elements are not a multiple of " + std::to_string(known);
    out[static_cast<size_t>(infer)] = total / known;
  }
  if (element_count(out) != total)
    return "shape " + dims_text(out) + " does not hold the input's " + std::to_string(total) + " elements";
  return "";
}

const std::vector<std::string>& supported_operators() {
  static const std::vector<std::string> ops = {
      "Conv", "Gemm", "MatMul", "Relu", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
      "BatchNormalization", "Add", "Concat", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Dropout", "Identity", "Pad",
      "ReduceMean", "Softmax", "ConvInteger", "MatMulInteger",
      // ACT (import_activation.h)
      "Clip", "LeakyRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Mul",
      // ZOO: channel views (import_channel_view.h)
      "Split", "Slice",
      // CPUC: CPU stages (cpu_stage.h)
      "Transpose", "Resize", "Upsample", "ReduceMax", "Sub", "Div", "LayerNormalization"};
  return ops;
}

namespace {

// A tensor's raw_data: in its TensorProto, or left in the model file (onnx_file.h).
class RawData {
 public:
  RawData(const onnx::TensorProto& t, const OnnxFile* file = nullptr, const FilePayload* payload = nullptr)
      : in_proto_(t.raw_data()), file_(file), payload_(payload) {}
  uint64_t size() const { return payload_ ? payload_->bytes : in_proto_.size(); }
  void read(void* out) const {
    if (payload_) file_->read(*payload_, out);
    else std::memcpy(out, in_proto_.data(), in_proto_.size());
  }
  // The bytes where they are: in the TensorProto, or read from the file into `scratch`.
  const char* bytes(std::vector<char>& scratch) const {
    if (!payload_) return in_proto_.data();
    scratch.resize(payload_->bytes);
    read(scratch.data());
    return scratch.data();
  }

 private:
  const std::string& in_proto_;
  const OnnxFile* file_;
  const FilePayload* payload_;
};

// A constant as the importer holds it: a float32 tensor as floats (weights move into their op
// with no double copy), other element types as doubles (exact for every type dlvpc reads). A
// float32 tensor's doubles are made when a reader asks for them (biases, shapes,
// BatchNormalization's parameters: small).
struct Constant {
  std::vector<int64_t> dims;
  bool float32 = false;
  std::vector<float> floats;                   // float32
  mutable std::optional<ConstTensor> doubles;  // other types; float32 ones on the first tensor()
  const ConstTensor& tensor() const {
    if (!doubles) doubles = ConstTensor{dims, std::vector<double>(floats.begin(), floats.end())};
    return *doubles;
  }
};

Constant decode_constant(const onnx::TensorProto& t, const RawData& raw, const std::string& origin, bool float32_as_floats);
void check_finite(const onnx::TensorProto& t, const Constant& c, const std::string& origin);
void check_constant_total(const onnx::GraphProto& graph, const std::string& origin);

// What a value name stands for while the nodes are walked.
struct Value {
  bool constant = false;
  bool refused = false;            // made by a node dlvpc refused, or computed from one
  std::shared_ptr<Constant> data;  // constant (shared by the names Identity and Dropout give it)
  int op = kGraphInput;            // tensor: the producing op (kGraphInput: the graph input)
  std::vector<int64_t> dims;       // ONNX shape (both kinds; with a pending Pad, the padded shape)
  // A zero Pad not yet folded (top, left, bottom, right): the Conv or pooling reading this value
  // takes it into its own padding; pad_node names the Pad ("" when none).
  uint32_t pad[4] = {0, 0, 0, 0};
  std::string pad_node;
};

// Refusals listed in one error: at most this many lines (nodes with the same operator and reason
// share one, naming kNamesPerRefusal of them), the count of the others after them.
constexpr size_t kMaxListedRefusals = 32;
constexpr size_t kNamesPerRefusal = 3;
constexpr size_t kMaxListedBytes = 400;  // each name and reason in the list, cut between characters
constexpr const char* kUnsupportedOperator = "operator not supported by dlvpc";

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string origin, const ImportOptions& options, const OnnxFile* file = nullptr)
      : model_(model), origin_(std::move(origin)), options_(options), file_(file) {}

  FloatGraph run();

 private:
  // Names in messages come from the file: utf8::printable keeps them one valid line.
  [[noreturn]] void fail(const std::string& what) const { throw ImportError(utf8::printable(origin_ + ": " + what)); }
  [[noreturn]] void fail(const onnx::NodeProto& node, const std::string& what) const {
    last_refusal_ = Refusal{node_name(node), utf8::printable(node.op_type()), utf8::printable(what)};
    fail("node '" + node_name(node) + "' (" + node.op_type() + "): " + what);
  }
  std::string node_name(const onnx::NodeProto& node) const {
    return utf8::printable(node.name().empty() ? node.op_type() + "#" + std::to_string(node_index_) : node.name());
  }

  void add_graph_input(const onnx::ValueInfoProto& input);
  const Value& value(const onnx::NodeProto& node, int index) const;
  const Constant& constant(const onnx::NodeProto& node, int index, const char* role) const;
  const ConstTensor& constant_input(const onnx::NodeProto& node, int index, const char* role) const {
    return constant(node, index, role).tensor();
  }
  // A Conv's or Gemm's weights as floats: a float32 constant's moved out when this node is its only
  // reader (the graph then holds the model's weights once), else copied; other element types
  // converted from their doubles.
  std::vector<float> weight_floats(const onnx::NodeProto& node, int index);
  const Value& tensor_input(const onnx::NodeProto& node, int index) const;
  void define(const onnx::NodeProto& node, Value v) { values_[node.output(0)] = std::move(v); }
  // The node's output is the same op's result under a new name (a fused or data-free node): the
  // node consumed one use of the op and its output's consumers become the op's.
  void alias(const onnx::NodeProto& node, const Value& v) {
    if (!v.constant && v.op != kGraphInput) op_uses_[v.op] += uses_[node.output(0)] - 1;
    define(node, v);
  }
  int64_t int_attr(const onnx::NodeProto& node, const char* name, int64_t fallback) const;
  float float_attr(const onnx::NodeProto& node, const char* name, float fallback) const;
  std::vector<int64_t> ints_attr(const onnx::NodeProto& node, const char* name) const;
  // kernel_shape / strides / pads: empty when absent, else `count` values in min..kMaxWindowAttribute.
  std::vector<uint32_t> window_attr(const onnx::NodeProto& node, const char* name, size_t count, int64_t min) const;
  std::string string_attr(const onnx::NodeProto& node, const char* name, const std::string& fallback) const;
  void allow_attributes(const onnx::NodeProto& node, const std::set<std::string>& known) const;
  TensorShape image_shape(const onnx::NodeProto& node, const Value& v) const;
  // image_shape without a pending Pad's borders.
  TensorShape unpadded_shape(const onnx::NodeProto& node, const Value& v) const;
  // The op producing `v` when this node may modify it in place (sole consumer of its output).
  FloatOp* fusable_producer(const std::string& name, const Value& v);
  int add_op(FloatOp op, const onnx::NodeProto& node, const std::vector<int64_t>& dims);
  // add_op's checks and bookkeeping for an op with `uses` readers, defining no value name (an
  // intermediate piece of a split node).
  int push_op(FloatOp op, const onnx::NodeProto& node, const std::vector<int64_t>& dims, int uses);
  // Every op's weights and bias are finite (folding divides by variances and scales by attributes).
  void check_folded_weights() const;

  void conv(const onnx::NodeProto& node, bool integer);
  // What a Conv needs no shapes for (also checked on a Conv reading a refused value).
  void check_conv_attributes(const onnx::NodeProto& node) const;
  void gemm(const onnx::NodeProto& node, bool matmul, bool integer);
  void concat(const onnx::NodeProto& node);
  // Split / Slice of the channels of a computed tensor: views (import_channel_view.h).
  void channel_view(const onnx::NodeProto& node);
  // A copy of `source` (a shape `dims` value) as a new op with one reader: what a concatenation
  // takes where its input cannot be a slice of it.
  int copy_for_concat(const onnx::NodeProto& node, int source, const std::vector<int64_t>& dims, int index);
  void quantized_linear(const onnx::NodeProto& node);
  // ConvInteger / MatMulInteger: the weights minus their zero point (scalar or one per output);
  // the data's zero point becomes the graph's input zero point.
  std::vector<float> integer_weights(const onnx::NodeProto& node, const ConstTensor& w, int zero_point_input,
                                     int64_t outputs, int64_t per_output, int64_t output_stride, int64_t element_stride) const;
  void integer_input_zero_point(const onnx::NodeProto& node, const Value& x, int zero_point_input);
  // The shape of one sample of a tensor (its ONNX dims without the batch).
  TensorShape sample_shape(const Value& v) const;
  std::vector<int64_t> batched(std::vector<int64_t> sample_dims) const;
  void import_node(const onnx::NodeProto& node);
  // Evaluates the node when its inputs are constants (constant_fold.h); false when it is not one
  // to fold.
  bool fold(const onnx::NodeProto& node);
  // Every output of a refused node (or of one reading a refused value) becomes refused.
  void mark_refused(const onnx::NodeProto& node);
  // The one error listing every refusal (each "node '<name>' (<op>): <reason>").
  [[noreturn]] void fail_with_refusals() const;
  void relu(const onnx::NodeProto& node);
  void pad(const onnx::NodeProto& node);
  // ReduceMean over height and width (torch's x.mean([2, 3])): a global average pooling.
  void reduce_mean(const onnx::NodeProto& node);
  void pool(const onnx::NodeProto& node, bool average, bool global);
  void batch_norm(const onnx::NodeProto& node);
  // Counts `count` weights the importer is about to make for `what` (kMaxSynthesizedWeights).
  void synthesize_weights(const onnx::NodeProto& node, uint64_t count, const std::string& what);
  void add(const onnx::NodeProto& node);
  void reshape(const onnx::NodeProto& node, bool flatten);
  void squeeze(const onnx::NodeProto& node, bool unsqueeze);
  // The node's output is `x` with the shape `dims` (no data moves): refused when it mixes samples.
  void alias_reshaped(const onnx::NodeProto& node, const Value& x, const std::vector<int64_t>& dims);
  void softmax(const onnx::NodeProto& node);
  // ACT (import_activation.h): an activation fused into its producer's output stage, or x * gate(x)
  // into x's producer, or standalone; Mul of two tensors (one may be per channel) or by a
  // per-channel constant folded into a Conv/Gemm.
  void activation(const onnx::NodeProto& node);
  const onnx::NodeProto* gating_mul(const onnx::NodeProto& gate) const;
  bool fuse_activation(const onnx::NodeProto& node, FloatOp* p, const ActivationFn& f);
  void mul(const onnx::NodeProto& node);
  void mul_by_constant(const onnx::NodeProto& node, int constant_index);
  // Add or Mul of two computed tensors, equal or the second one value per channel of the first
  // ([N,C,1,1]: ELTWISE with channel broadcast).
  void eltwise_op(const onnx::NodeProto& node, OpKind kind, const Value& a, const Value& b);
  // CPUC (cpu_stage.h): nodes no engine form takes, as CPU stages. One sample's dims of a value
  // (refused when its first dimension is not the batch); the op made by a cpu_stage.h function
  // (`why` its refusal) reading `inputs`.
  std::vector<int64_t> sample_dims(const onnx::NodeProto& node, const Value& v) const;
  int64_t opset_version() const;  // the default domain's operator set
  void add_cpu_op(const onnx::NodeProto& node, const std::string& why, FloatOp op, std::vector<int> inputs,
                  const std::vector<int64_t>& sample_out);
  void transpose(const onnx::NodeProto& node);
  void resize(const onnx::NodeProto& node);
  void reduce_on_cpu(const onnx::NodeProto& node, bool mean, const std::vector<int64_t>& axes);
  std::vector<int64_t> reduce_axes(const onnx::NodeProto& node, const Value& x) const;
  void arithmetic(const onnx::NodeProto& node, uint32_t which);
  // LayerNorm: torch 1.13's opset-13 decomposition ReduceMean -> Sub -> Pow 2 -> ReduceMean -> Add eps
  // -> Sqrt -> Div (false when `mean` does not start one: then an ordinary ReduceMean), and ONNX's
  // LayerNormalization (its Scale and B as arithmetic stages after it).
  bool torch_layer_norm(const onnx::NodeProto& mean);
  void layer_normalization(const onnx::NodeProto& node);
  // The one node reading `value` when there is one and it is an `op` (else nullptr).
  const onnx::NodeProto* sole_reader(const std::string& value, const char* op) const;
  std::set<std::string> fused_outputs_;  // outputs of nodes a fused pattern took (skipped)
  // Add or Mul: the engine's forms (add, mul) first; what they refuse, on the CPU (else the
  // engine's reason is the refusal).
  void engine_or_cpu(const onnx::NodeProto& node, uint32_t which);

  const onnx::ModelProto& model_;
  std::string origin_;
  const ImportOptions& options_;
  const OnnxFile* file_;  // the initializers' payloads left in the file (nullptr: all in model_)
  FloatGraph graph_;
  std::map<std::string, Value> values_;
  std::map<std::string, int> uses_;  // consumers of each value name (graph outputs count)
  std::vector<int> op_uses_;         // consumers of each op's result, under all its names
  std::vector<int> concat_of_;       // the concatenation each op's output is a slice of (-1: none)
  int64_t batch_ = 1;                // dims[0] of the graph input: every tensor's batch
  uint64_t activation_elements_ = 0; // one sample's op outputs so far (kMaxActivationElements)
  uint64_t synthesized_weights_ = 0; // weights made by the importer (kMaxSynthesizedWeights)
  uint64_t folded_elements_ = 0;     // constants made by folding (kMaxConstantElements)
  std::map<std::string, std::string> gates_;  // ACT: a fused gate's output -> the tensor it gates
  // A refused node: its name and operator, and why (printable).
  struct Refusal {
    std::string node, op, reason;
  };
  std::vector<Refusal> refusals_;
  mutable std::optional<Refusal> last_refusal_;  // what fail(node, ...) threw last
  int node_index_ = 0;
};

void Importer::add_graph_input(const onnx::ValueInfoProto& input) {
  if (!graph_.input_name.empty())
    fail("graph inputs '" + graph_.input_name + "' and '" + input.name() +
         "' are both data inputs; a dlvp job takes one input tensor (bind the others as constants)");
  const auto& type = input.type().tensor_type();
  const int element = type.elem_type();
  if (element != onnx::TensorProto::FLOAT && element != onnx::TensorProto::UINT8 && element != onnx::TensorProto::INT8)
    fail("graph input '" + input.name() + "' has element type " + std::to_string(element) +
         "; dlvpc takes float, uint8 or int8 inputs (element types 1, 2, 3)");
  std::vector<int64_t> dims;
  for (const auto& d : type.shape().dim()) {
    if (!d.has_dim_value())
      fail("graph input '" + input.name() + "' has a dynamic dimension" +
           (d.dim_param().empty() ? "" : " '" + d.dim_param() + "'") + "; dlvpc compiles fixed shapes (batch 1)");
    if (d.dim_value() <= 0)
      fail("graph input '" + input.name() + "' has dimension " + std::to_string(dims.size()) + " = " +
           std::to_string(d.dim_value()) + "; dlvpc compiles tensors whose dimensions are >= 1");
    dims.push_back(d.dim_value());
  }
  if (dims.empty()) fail("graph input '" + input.name() + "' has no shape");
  if (const std::string problem = shape_problem(dims); !problem.empty())
    fail("graph input '" + input.name() + "' " + dims_text(dims) + " " + problem);
  // The first dimension of a tensor of rank >= 2 is the batch: every sample is one job.
  if (dims.size() >= 2) batch_ = dims[0];
  graph_.batch = static_cast<uint32_t>(batch_);
  graph_.input_name = input.name();
  graph_.input_dims = dims;
  Value v;
  v.dims = dims;
  values_[input.name()] = v;
  uint64_t rest[3] = {1, 1, 1};  // c, h, w
  if (dims.size() == 4) rest[0] = dims[1], rest[1] = dims[2], rest[2] = dims[3];
  else if (dims.size() == 3) rest[0] = dims[1], rest[2] = dims[2];
  else if (dims.size() == 2) rest[0] = dims[1];
  else if (dims.size() == 1) rest[0] = dims[0];
  else fail("graph input '" + input.name() + "' has rank " + std::to_string(dims.size()) + " (supported: 1 to 4)");
  graph_.input = {static_cast<uint32_t>(rest[0]), static_cast<uint32_t>(rest[1]), static_cast<uint32_t>(rest[2])};
}

const Value& Importer::value(const onnx::NodeProto& node, int index) const {
  if (index >= node.input_size() || node.input(index).empty()) fail(node, "input " + std::to_string(index) + " is missing");
  const auto it = values_.find(node.input(index));
  if (it == values_.end()) fail(node, "input '" + node.input(index) + "' is not produced before this node");
  return it->second;
}

const Constant& Importer::constant(const onnx::NodeProto& node, int index, const char* role) const {
  const Value& v = value(node, index);
  if (!v.constant)
    fail(node, std::string(role) + " '" + node.input(index) +
                   "' is computed at run time; the accelerator needs it as a constant (an initializer)");
  return *v.data;
}

std::vector<float> Importer::weight_floats(const onnx::NodeProto& node, int index) {
  Value& v = values_.at(node.input(index));  // constant() found it
  Constant& c = *v.data;
  if (!c.float32) return {c.tensor().values.begin(), c.tensor().values.end()};
  if (uses_[node.input(index)] == 1 && v.data.use_count() == 1) return std::move(c.floats);
  return c.floats;
}

const Value& Importer::tensor_input(const onnx::NodeProto& node, int index) const {
  const Value& v = value(node, index);
  if (v.constant) fail(node, "input '" + node.input(index) + "' is a constant; dlvpc expects the data tensor here");
  return v;
}

int64_t Importer::int_attr(const onnx::NodeProto& node, const char* name, int64_t fallback) const {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

float Importer::float_attr(const onnx::NodeProto& node, const char* name, float fallback) const {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.f();
  return fallback;
}

std::vector<int64_t> Importer::ints_attr(const onnx::NodeProto& node, const char* name) const {
  for (const auto& a : node.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

std::string Importer::string_attr(const onnx::NodeProto& node, const char* name, const std::string& fallback) const {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.s();
  return fallback;
}

std::vector<uint32_t> Importer::window_attr(const onnx::NodeProto& node, const char* name, size_t count,
                                            int64_t min) const {
  const std::vector<int64_t> values = ints_attr(node, name);
  if (values.empty()) return {};
  if (values.size() != count) fail(node, std::string(name) + " must have " + std::to_string(count) + " values");
  std::vector<uint32_t> out;
  for (const int64_t v : values) {
    if (v < min || v > kMaxWindowAttribute)
      fail(node, std::string(name) + " " + dims_text(values) + ": every value must lie in " + std::to_string(min) + ".." +
                     std::to_string(kMaxWindowAttribute));
    out.push_back(static_cast<uint32_t>(v));
  }
  return out;
}

void Importer::allow_attributes(const onnx::NodeProto& node, const std::set<std::string>& known) const {
  for (const auto& a : node.attribute())
    if (!known.count(a.name())) fail(node, "attribute '" + a.name() + "' is not supported");
}

TensorShape Importer::image_shape(const onnx::NodeProto& node, const Value& v) const {
  if (v.dims.size() != 4 || v.dims[0] != batch_)
    fail(node, "input '" + node.input(0) + "' has shape " + dims_text(v.dims) + "; dlvpc supports 2-D images [" +
                   std::to_string(batch_) + ",C,H,W] here");
  for (int i = 1; i < 4; ++i)
    if (v.dims[i] > 65535) fail(node, "dimension " + std::to_string(v.dims[i]) + " exceeds the ISA's 16-bit fields");
  return {static_cast<uint32_t>(v.dims[1]), static_cast<uint32_t>(v.dims[2]), static_cast<uint32_t>(v.dims[3])};
}

TensorShape Importer::unpadded_shape(const onnx::NodeProto& node, const Value& v) const {
  TensorShape in = image_shape(node, v);
  in.h -= v.pad[0] + v.pad[2];
  in.w -= v.pad[1] + v.pad[3];
  return in;
}

TensorShape Importer::sample_shape(const Value& v) const {
  return v.op == kGraphInput ? graph_.input : graph_.ops[v.op].output;
}

std::vector<int64_t> Importer::batched(std::vector<int64_t> sample_dims) const {
  sample_dims.insert(sample_dims.begin(), batch_);
  return sample_dims;
}

FloatOp* Importer::fusable_producer(const std::string& name, const Value& v) {
  if (v.constant || v.op == kGraphInput) return nullptr;
  const auto it = uses_.find(name);
  if (it == uses_.end() || it->second != 1 || op_uses_[v.op] != 1) return nullptr;
  return &graph_.ops[v.op];
}

int Importer::add_op(FloatOp op, const onnx::NodeProto& node, const std::vector<int64_t>& dims) {
  Value v;
  v.op = push_op(std::move(op), node, dims, uses_[node.output(0)]);
  v.dims = dims;
  define(node, v);
  return v.op;
}

int Importer::push_op(FloatOp op, const onnx::NodeProto& node, const std::vector<int64_t>& dims, int uses) {
  // Before the op is kept: its shape must be a tensor's, and the float calibration holds every
  // op's result at once.
  if (const std::string problem = shape_problem(dims); !problem.empty()) fail(node, "result " + dims_text(dims) + " " + problem);
  for (const int64_t d : dims)
    if (d == 0) fail(node, "result " + dims_text(dims) + " is empty");
  activation_elements_ += static_cast<uint64_t>(element_count(dims) / batch_);
  if (activation_elements_ > kMaxActivationElements)
    fail(node, "the activations up to here hold " + std::to_string(activation_elements_) + " values per sample, more than " +
                   std::to_string(kMaxActivationElements) + " (dlvpc's limit for the float calibration)");
  if (op.name.empty()) op.name = node_name(node);
  if (op.onnx_ops.empty()) op.onnx_ops = node.op_type();
  graph_.ops.push_back(std::move(op));
  op_uses_.push_back(uses);
  concat_of_.push_back(-1);
  return static_cast<int>(graph_.ops.size()) - 1;
}

// Pads [top, left, bottom, right] from ONNX pads [x1_begin, x2_begin, x1_end, x2_end] or auto_pad.
void explicit_pads(const std::vector<uint32_t>& pads, uint32_t out[4]) {
  out[0] = pads[0], out[1] = pads[1], out[2] = pads[2], out[3] = pads[3];
}

// ONNX auto_pad SAME_UPPER / SAME_LOWER: the padding that makes the output ceil(size / stride) long,
// the odd element at the end (UPPER) or the beginning (LOWER).
void same_padding(bool upper, uint32_t size, uint32_t window, uint32_t stride, uint32_t& before, uint32_t& after) {
  const int64_t out = (int64_t{size} + stride - 1) / stride;
  const int64_t total = std::max<int64_t>((out - 1) * stride + window - size, 0);
  const int64_t small = total / 2;
  before = static_cast<uint32_t>(upper ? small : total - small);
  after = static_cast<uint32_t>(total - before);
}

struct Window {
  uint32_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1;
  uint32_t pads[4] = {0, 0, 0, 0};  // top, left, bottom, right
};

void Importer::conv(const onnx::NodeProto& node, bool integer) {
  allow_attributes(node, {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"});
  const Value& x = tensor_input(node, 0);
  const TensorShape in = unpadded_shape(node, x);
  const Constant& w = constant(node, 1, "weight");
  if (w.dims.size() != 4) fail(node, "weight has shape " + dims_text(w.dims) + "; expected [M,C,kH,kW]");
  if (integer) integer_input_zero_point(node, x, 2);
  check_conv_attributes(node);
  const std::string group_problem = conv_group_problem(int_attr(node, "group", 1), w.dims, in.c);
  if (!group_problem.empty()) fail(node, group_problem);
  FloatOp op;
  op.kind = OpKind::kConv;
  op.groups = static_cast<uint32_t>(int_attr(node, "group", 1));
  op.inputs = {x.op};
  op.input = in;
  op.kernel_h = static_cast<uint32_t>(w.dims[2]), op.kernel_w = static_cast<uint32_t>(w.dims[3]);
  const std::vector<uint32_t> strides = window_attr(node, "strides", 2, 1);
  if (!strides.empty()) op.stride_h = strides[0], op.stride_w = strides[1];
  const std::string auto_pad = string_attr(node, "auto_pad", "NOTSET");
  const std::vector<uint32_t> pads = window_attr(node, "pads", 4, 0);
  if (auto_pad == "NOTSET") {
    if (!pads.empty()) {
      uint32_t p4[4];
      explicit_pads(pads, p4);
      op.pad_top = p4[0], op.pad_left = p4[1], op.pad_bottom = p4[2], op.pad_right = p4[3];
    }
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    same_padding(auto_pad == "SAME_UPPER", in.h, op.kernel_h, op.stride_h, op.pad_top, op.pad_bottom);
    same_padding(auto_pad == "SAME_UPPER", in.w, op.kernel_w, op.stride_w, op.pad_left, op.pad_right);
  } else if (auto_pad != "VALID") {
    fail(node, "auto_pad '" + auto_pad + "' is not supported");
  }
  if (!x.pad_node.empty()) {
    if (auto_pad != "NOTSET") fail(node, "auto_pad '" + auto_pad + "' after Pad '" + x.pad_node + "' is not supported");
    op.pad_top += x.pad[0], op.pad_left += x.pad[1], op.pad_bottom += x.pad[2], op.pad_right += x.pad[3];
    if (op.pad_top >= op.kernel_h || op.pad_bottom >= op.kernel_h || op.pad_left >= op.kernel_w || op.pad_right >= op.kernel_w)
      fail(node, "with Pad '" + x.pad_node + "' folded in its padding [" + std::to_string(op.pad_top) + "," +
                     std::to_string(op.pad_left) + "," + std::to_string(op.pad_bottom) + "," + std::to_string(op.pad_right) +
                     "] is not less than the kernel " + std::to_string(op.kernel_h) + "x" + std::to_string(op.kernel_w) +
                     " (the engine's padding limit)");
    op.onnx_ops = "Pad+" + node.op_type();
  }
  op.output = {static_cast<uint32_t>(w.dims[0]), op.conv_h(), op.conv_w()};
  if (op.output.h == 0 || op.output.w == 0) fail(node, "the kernel does not fit the padded input");
  if (integer) {
    const int64_t per_output = w.dims[1] * w.dims[2] * w.dims[3];
    op.weights = integer_weights(node, w.tensor(), 3, w.dims[0], per_output, per_output, 1);
  } else {
    op.weights = weight_floats(node, 1);
  }
  op.bias.assign(op.output.c, 0.0f);
  if (!integer && node.input_size() > 2 && !node.input(2).empty()) {
    const ConstTensor& b = constant_input(node, 2, "bias");
    if (b.values.size() != op.output.c) fail(node, "bias has " + std::to_string(b.values.size()) + " values");
    op.bias.assign(b.values.begin(), b.values.end());
  }
  add_op(std::move(op), node, batched({w.dims[0], op.conv_h(), op.conv_w()}));
}

void Importer::check_conv_attributes(const onnx::NodeProto& node) const {
  for (const int64_t d : ints_attr(node, "dilations"))
    if (d != 1) fail(node, "dilation " + std::to_string(d) + " is not supported (the convolvers slide dense windows)");
}

void Importer::gemm(const onnx::NodeProto& node, bool matmul, bool integer) {
  if (!matmul) allow_attributes(node, {"alpha", "beta", "transA", "transB"});
  const Value& a = tensor_input(node, 0);
  if (a.dims.size() >= 2 && a.dims[0] != batch_)
    fail(node, "input '" + node.input(0) + "' has " + std::to_string(a.dims[0]) + " rows " + dims_text(a.dims) +
                   "; dlvpc computes one row per sample of the batch (" + std::to_string(batch_) + ")");
  const int64_t n_in = element_count(a.dims) / (a.dims.size() >= 2 ? batch_ : 1);
  if (integer) integer_input_zero_point(node, a, 2);
  if (!matmul && int_attr(node, "transA", 0) != 0) fail(node, "transA = 1 is not supported (the input is a row)");
  const Constant& b = constant(node, 1, "weight");
  if (b.dims.size() != 2) fail(node, "weight has shape " + dims_text(b.dims) + "; expected a matrix");
  const bool trans_b = !matmul && int_attr(node, "transB", 0) != 0;
  const int64_t k = trans_b ? b.dims[1] : b.dims[0], n_out = trans_b ? b.dims[0] : b.dims[1];
  if (k != n_in) fail(node, "weight " + dims_text(b.dims) + " does not match the input's " + std::to_string(n_in) + " elements");
  const double alpha = matmul ? 1.0 : float_attr(node, "alpha", 1.0f);
  const double beta = matmul ? 1.0 : float_attr(node, "beta", 1.0f);
  FloatOp op;
  op.kind = OpKind::kFc;
  op.inputs = {a.op};
  op.input = {static_cast<uint32_t>(n_in), 1, 1};
  if (a.op != kGraphInput) op.input = graph_.ops[a.op].output;
  op.output = {static_cast<uint32_t>(n_out), 1, 1};
  // [n_out][n_in] from B ([n_in][n_out], or [n_out][n_in] when transposed) times alpha, in double.
  const auto scaled = [&](const auto& values) {
    op.weights.resize(static_cast<size_t>(n_out * n_in));
    for (int64_t o = 0; o < n_out; ++o)
      for (int64_t i = 0; i < n_in; ++i)
        op.weights[o * n_in + i] = static_cast<float>(alpha * (trans_b ? values[o * n_in + i] : values[i * n_out + o]));
  };
  if (integer) op.weights = integer_weights(node, b.tensor(), 3, n_out, n_in, 1, n_out);
  else if (!b.float32) scaled(b.tensor().values);
  else if (trans_b && alpha == 1.0) op.weights = weight_floats(node, 1);  // alpha x float is the float
  else scaled(weight_floats(node, 1));
  op.bias.assign(n_out, 0.0f);
  if (!matmul && node.input_size() > 2 && !node.input(2).empty()) {
    const ConstTensor& c = constant_input(node, 2, "bias");
    const int64_t count = element_count(c.dims);
    // One row for every sample: a scalar, a row, or a [batch, n_out] matrix whose rows agree.
    bool one_row = count == 1 || count == n_out;
    if (!one_row && count == batch_ * n_out) {
      one_row = true;
      for (int64_t i = n_out; i < count; ++i) one_row = one_row && c.values[i] == c.values[i % n_out];
    }
    if (!one_row)
      fail(node, "bias " + dims_text(c.dims) + " is not one row of " + std::to_string(n_out) +
                     " for every sample (a job computes one sample)");
    for (int64_t o = 0; o < n_out; ++o) op.bias[o] = static_cast<float>(beta * c.values[count == 1 ? 0 : o]);
  }
  add_op(std::move(op), node, batched({n_out}));
}

std::vector<float> Importer::integer_weights(const onnx::NodeProto& node, const ConstTensor& w, int zero_point_input,
                                             int64_t outputs, int64_t per_output, int64_t output_stride,
                                             int64_t element_stride) const {
  std::vector<double> zero(static_cast<size_t>(outputs), 0.0);
  if (node.input_size() > zero_point_input && !node.input(zero_point_input).empty()) {
    const ConstTensor& z = constant_input(node, zero_point_input, "weight zero point");
    if (z.values.size() != 1 && static_cast<int64_t>(z.values.size()) != outputs)
      fail(node, "weight zero point " + dims_text(z.dims) + " is neither one value nor one per output");
    for (int64_t o = 0; o < outputs; ++o) zero[o] = z.values[z.values.size() == 1 ? 0 : o];
  }
  std::vector<float> weights(static_cast<size_t>(outputs * per_output));
  for (int64_t o = 0; o < outputs; ++o)
    for (int64_t i = 0; i < per_output; ++i)
      weights[o * per_output + i] = static_cast<float>(w.values[o * output_stride + i * element_stride] - zero[o]);
  return weights;
}

void Importer::integer_input_zero_point(const onnx::NodeProto& node, const Value& x, int zero_point_input) {
  if (node.input_size() <= zero_point_input || node.input(zero_point_input).empty()) return;
  const ConstTensor& z = constant_input(node, zero_point_input, "input zero point");
  if (z.values.size() != 1) fail(node, "input zero point " + dims_text(z.dims) + " is not one value");
  if (!(z.values[0] >= -128 && z.values[0] <= 255))
    fail(node, "input zero point " + value_text(z.values[0]) + " is outside -128..255 (int8 or uint8 data)");
  const auto zero = static_cast<int32_t>(z.values[0]);
  if (zero == 0) return;
  if (x.op != kGraphInput)
    fail(node, "has input zero point " + std::to_string(zero) + " on a computed tensor; the CPU subtracts a zero point "
               "only from the graph input");
  if (graph_.input_zero_point != 0 && graph_.input_zero_point != zero)
    fail(node, "input zero point " + std::to_string(zero) + " differs from another reader's " +
                   std::to_string(graph_.input_zero_point));
  graph_.input_zero_point = zero;
}

void Importer::concat(const onnx::NodeProto& node) {
  allow_attributes(node, {"axis"});
  const Value& first = tensor_input(node, 0);
  int64_t axis = int_attr(node, "axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(first.dims.size());
  if (axis != 1)
    fail(node, "concatenation on axis " + std::to_string(axis) + " of " + dims_text(first.dims) +
                   "; dlvpc joins channels (axis 1), where each input is a contiguous slice of the result");
  FloatOp op;
  op.kind = OpKind::kConcat;
  std::vector<int64_t> dims = first.dims;
  dims[1] = 0;
  std::vector<int> sources;
  for (int i = 0; i < node.input_size(); ++i) {
    const Value& v = tensor_input(node, i);
    for (size_t d = 0; d < dims.size(); ++d)
      if (v.dims.size() != dims.size() || (d != 1 && v.dims[d] != dims[d]))
        fail(node, "inputs " + dims_text(first.dims) + " and " + dims_text(v.dims) + " differ outside axis 1");
    dims[1] += v.dims[1];
    sources.push_back(v.op);
  }
  // DenseNet: an earlier concatenation of the first inputs becomes this one's first slice (no copy).
  size_t i = 0;
  if (const int prefix = prefix_concatenation(graph_.ops, concat_of_, sources, i); prefix >= 0) op.inputs.push_back(prefix);
  for (; i < sources.size(); ++i) {
    const int s = sources[i];
    // A slice must be a tensor of its own that no other concatenation holds: else a copy of it.
    const bool own = s != kGraphInput && concat_of_[s] < 0 && graph_.ops[s].kind != OpKind::kView &&
                     !std::count(op.inputs.begin(), op.inputs.end(), s);
    op.inputs.push_back(own ? s : copy_for_concat(node, s, tensor_input(node, static_cast<int>(i)).dims, static_cast<int>(i)));
  }
  op.input = sample_shape(first);
  op.output = {static_cast<uint32_t>(dims[1]), op.input.h, op.input.w};
  const int index = add_op(std::move(op), node, dims);
  for (const int source : graph_.ops[index].inputs) concat_of_[source] = index;
}

int Importer::copy_for_concat(const onnx::NodeProto& node, int source, const std::vector<int64_t>& dims, int index) {
  FloatOp op = copy_op(source, source == kGraphInput ? graph_.input : graph_.ops[source].output);
  op.name = node_name(node) + "/copy" + std::to_string(index);
  return push_op(std::move(op), node, dims, 1);
}

void Importer::channel_view(const onnx::NodeProto& node) {
  const bool split = node.op_type() == "Split";
  allow_attributes(node, split ? std::set<std::string>{"axis", "split"} : std::set<std::string>{});
  const Value& x = tensor_input(node, 0);
  std::vector<ChannelRange> ranges(1);
  std::string why;
  const auto integers = [&](int index, const char* role) {
    std::vector<int64_t> values;
    if (node.input_size() > index && !node.input(index).empty())
      if (const std::string bad = int64_values(constant_input(node, index, role), role, values); !bad.empty()) fail(node, bad);
    return values;
  };
  if (split) {
    std::vector<int64_t> sizes = integers(1, "split");
    if (sizes.empty()) sizes = ints_attr(node, "split");
    why = split_channel_ranges(x.dims, int_attr(node, "axis", 0), sizes, node.output_size(), ranges);
  } else {
    why = slice_channel_range(x.dims, integers(1, "starts"), integers(2, "ends"), integers(3, "axes"), integers(4, "steps"),
                              ranges[0]);
  }
  if (!why.empty()) fail(node, why);
  // The graph input is not in the scratch window: the views read a copy of it.
  const int source = x.op != kGraphInput ? x.op : push_op(copy_op(kGraphInput, graph_.input), node, x.dims, 1);
  for (size_t k = 0; k < ranges.size(); ++k) {
    std::vector<int64_t> dims = x.dims;
    dims[1] = ranges[k].count;
    FloatOp op = channel_view_op(source, sample_shape(x), ranges[k]);
    if (ranges.size() > 1) op.name = node_name(node) + "/" + std::to_string(k);
    Value v;
    v.op = push_op(std::move(op), node, dims, uses_[node.output(static_cast<int>(k))]);
    v.dims = dims;
    values_[node.output(static_cast<int>(k))] = v;
  }
}

void Importer::quantized_linear(const onnx::NodeProto& node) {
  // y = saturate(round(x_scale w_scale / y_scale x acc) + y_zero_point): exact on the engine only
  // when the scale ratio is a power of two (a shift) and the output zero point is 0.
  const auto scalar = [&](int index, const char* role) {
    const ConstTensor& t = constant_input(node, index, role);
    if (t.values.size() != 1) fail(node, std::string(role) + " " + dims_text(t.dims) + " is not one value");
    return t.values[0];
  };
  const double x_scale = scalar(1, "x_scale");
  const ConstTensor& w_scale = constant_input(node, 4, "w_scale");
  const double y_scale = scalar(6, "y_scale");
  for (const double ws : w_scale.values) {
    const double ratio = x_scale * ws / y_scale;
    int exponent = 0;
    if (!(ratio > 0) || std::frexp(ratio, &exponent) != 0.5)
      fail(node, "requantization scale x_scale*w_scale/y_scale = " + std::to_string(ratio) +
                     " is not a power of two; the engine rescales by shifts only");
  }
  fail(node, "power-of-two requantization with zero points is not implemented by dlvpc");
}

void Importer::relu(const onnx::NodeProto& node) {
  const Value& x = tensor_input(node, 0);
  // (Not after an activation: the engine's ReLU comes before its activation unit.)
  if (FloatOp* p = fusable_producer(node.input(0), x);
      p && !p->relu && p->kind != OpKind::kConcat && p->activation.none()) {
    // Conv -> max pool -> ReLU equals conv -> ReLU -> max pool (both monotonic): the engine's order.
    p->relu = true;
    p->onnx_ops += "+Relu";
    alias(node, x);
    return;
  }
  // A ReLU on its own: a 1x1 pooling with the ReLU flag.
  FloatOp op;
  op.kind = OpKind::kPool;
  op.inputs = {x.op};
  op.input = op.output = x.op == kGraphInput ? graph_.input : graph_.ops[x.op].output;
  op.pool_size = op.pool_stride = 1;
  op.relu = true;
  add_op(std::move(op), node, x.dims);
}

// One POOL the engine runs: a square window of at most kMaxPoolWindow, one stride, padding less
// than the window (docs/isa.md, "Field ranges").
struct PoolStage {
  uint32_t size = 1, stride = 1;
  uint32_t pads[4] = {0, 0, 0, 0};  // top, left, bottom, right
};
constexpr uint32_t kMaxPoolWindow = 15;

// The largest divisor of both a and b in 2..kMaxPoolWindow (0: none).
uint32_t common_window(uint32_t a, uint32_t b) {
  for (uint32_t k = kMaxPoolWindow; k >= 2; --k)
    if (a % k == 0 && b % k == 0) return k;
  return 0;
}

// Global pooling over h x w as engine-sized stages, exactly: while the map is larger than a window,
// windows that divide it (for a maximum, any windows: padding never wins); then one window over
// what is left, the shorter side padded (an average counts the non-padding elements only). Empty,
// with `why`, when an average cannot be split into equal windows.
std::vector<PoolStage> global_pool_stages(uint32_t h, uint32_t w, bool average, std::string& why) {
  std::vector<PoolStage> stages;
  while (std::max(h, w) > kMaxPoolWindow) {
    PoolStage s;
    s.size = s.stride = common_window(h, w);
    if (s.size == 0) {
      if (average) {
        why = "global average pooling over " + std::to_string(h) + "x" + std::to_string(w) +
              ": the engine's POOL windows are at most 15x15 and no size 2..15 divides both sides, so it cannot be "
              "split into averages of equal windows";
        return {};
      }
      s.size = s.stride = kMaxPoolWindow;
    }
    s.pads[2] = (h + s.size - 1) / s.size * s.size - h;
    s.pads[3] = (w + s.size - 1) / s.size * s.size - w;
    h = (h + s.size - 1) / s.size, w = (w + s.size - 1) / s.size;
    stages.push_back(s);
  }
  PoolStage last;  // one window: its stride is never applied (1, as packages have always had it)
  last.size = std::max(h, w);
  last.pads[2] = last.size - h, last.pads[3] = last.size - w;
  stages.push_back(last);
  return stages;
}

// A regular window of `size` and `stride` with `pads`: itself when the engine takes it; a window
// larger than 15 that tiles the map (stride = size, no padding) as a chain of windows whose sizes
// multiply to it. Empty, with `why`, otherwise.
std::vector<PoolStage> window_pool_stages(uint32_t size, uint32_t stride, const uint32_t pads[4], std::string& why) {
  PoolStage s;
  s.size = size, s.stride = stride;
  std::copy(pads, pads + 4, s.pads);
  if (size <= kMaxPoolWindow && stride <= kMaxPoolWindow) {
    for (int i = 0; i < 4; ++i)
      if (pads[i] >= size) {
        why = "padding " + std::to_string(pads[i]) + " is not less than the window " + std::to_string(size) +
              " (the engine's padding limit)";
        return {};
      }
    return {s};
  }
  std::vector<PoolStage> stages;
  uint32_t rest = size;
  while (stride == size && !pads[0] && !pads[1] && !pads[2] && !pads[3] && rest > 1) {
    uint32_t k = std::min(rest, kMaxPoolWindow);
    while (rest % k) --k;
    if (k == 1) break;
    PoolStage piece;
    piece.size = piece.stride = k;
    stages.push_back(piece);
    rest /= k;
  }
  if (rest == 1) return stages;
  why = "window " + std::to_string(size) + " stride " + std::to_string(stride) +
        ": the engine's POOL takes windows and strides up to 15; a larger one splits exactly only when its stride "
        "equals it, it has no padding and it is a product of sizes up to 15";
  return {};
}

void Importer::pool(const onnx::NodeProto& node, bool average, bool global) {
  if (!global) allow_attributes(node, {"kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad", "dilations", "storage_order", "auto_pad"});
  if (node.output_size() > 1 && !node.output(1).empty()) fail(node, "the Indices output is not supported");
  const Value& x = tensor_input(node, 0);
  const TensorShape in = unpadded_shape(node, x);
  const bool after_pad = !x.pad_node.empty();
  if (after_pad && average && global)
    fail(node, "averages over the zeros of Pad '" + x.pad_node + "' (what torch's AvgPool2d with count_include_pad "
               "exports): the engine's POOL averages over the non-padding elements only, so border windows would "
               "differ; exact only as a depthwise convolution of 1/k^2 weights, which the engine lacks");
  if (after_pad && !average && (x.op == kGraphInput || !graph_.ops[x.op].relu))
    fail(node, "takes the maximum over the zeros of Pad '" + x.pad_node + "', which win where the input is negative; "
               "the engine's max pooling never picks padding, so the Pad folds only after a ReLU");
  Window win;
  std::vector<PoolStage> stages;
  std::string why;
  if (global) {
    stages = global_pool_stages(in.h, in.w, average, why);
  } else {
    const std::vector<uint32_t> k = window_attr(node, "kernel_shape", 2, 1);
    if (k.empty()) fail(node, "kernel_shape is missing (2-D pooling needs 2 values)");
    win.kernel_h = k[0], win.kernel_w = k[1];
    const std::vector<uint32_t> s = window_attr(node, "strides", 2, 1);
    if (!s.empty()) win.stride_h = s[0], win.stride_w = s[1];
    const std::vector<uint32_t> p = window_attr(node, "pads", 4, 0);
    if (!p.empty()) explicit_pads(p, win.pads);
    const std::string auto_pad = string_attr(node, "auto_pad", "NOTSET");
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      same_padding(auto_pad == "SAME_UPPER", in.h, win.kernel_h, win.stride_h, win.pads[0], win.pads[2]);
      same_padding(auto_pad == "SAME_UPPER", in.w, win.kernel_w, win.stride_w, win.pads[1], win.pads[3]);
    } else if (auto_pad != "NOTSET" && auto_pad != "VALID") {
      fail(node, "auto_pad '" + auto_pad + "' is not supported");
    }
    const bool own_padding = win.pads[0] || win.pads[1] || win.pads[2] || win.pads[3];
    for (int i = 0; i < 4; ++i) win.pads[i] += x.pad[i];
    const uint32_t pads_before_ceil[4] = {win.pads[0], win.pads[1], win.pads[2], win.pads[3]};
    for (const int64_t d : ints_attr(node, "dilations"))
      if (d != 1) fail(node, "dilated pooling is not supported");
    if (int_attr(node, "ceil_mode", 0) != 0) {
      // The partial windows at the end: more padding at the bottom and right, which a maximum never
      // picks and an average does not count (ONNX's semantics for count_include_pad = 0).
      const auto extend = [&](uint32_t size, uint32_t before, uint32_t& after, uint32_t window, uint32_t stride, const char* axis) {
        const int64_t span = int64_t{size} + before + after - window;
        if (span < 0) return;
        const int64_t out = (span + stride - 1) / stride + 1;
        if ((out - 1) * stride >= int64_t{size} + before)
          fail(node, std::string("ceil_mode = 1 makes a last window along ") + axis +
                         " that holds only padding (torch drops it, ONNX 1.12 keeps it): ambiguous, refused");
        after += static_cast<uint32_t>((out - 1) * stride + window - (int64_t{size} + before + after));
      };
      extend(in.h, win.pads[0], win.pads[2], win.kernel_h, win.stride_h, "the height");
      extend(in.w, win.pads[1], win.pads[3], win.kernel_w, win.stride_w, "the width");
    }
    const bool padded = win.pads[0] || win.pads[1] || win.pads[2] || win.pads[3];
    const bool counts_own_padding = own_padding && int_attr(node, "count_include_pad", 0) != 0;
    if (average && (after_pad || counts_own_padding)) {
      // The zeros count: a box filter (the engine's POOL divides by the non-padding elements only).
      const std::string problem = box_filter_problem(win.kernel_h, win.kernel_w, pads_before_ceil, win.pads,
                                                     own_padding && !counts_own_padding);
      if (!problem.empty()) fail(node, problem);
      synthesize_weights(node, uint64_t{in.c} * win.kernel_h * win.kernel_w, "averaging over padding it becomes a depthwise convolution");
      FloatOp op = box_filter_op(x.op, in, win.kernel_h, win.kernel_w, win.stride_h, win.stride_w, win.pads);
      if (op.output.h == 0 || op.output.w == 0) fail(node, "the pooling window does not fit the input");
      if (after_pad) op.onnx_ops = "Pad+" + node.op_type();
      const std::vector<int64_t> dims = batched({in.c, op.output.h, op.output.w});
      add_op(std::move(op), node, dims);
      return;
    }
    // A window over the whole map (what torch's adaptive pooling to 1x1 exports): global pooling.
    if (!padded && win.kernel_h == in.h && win.kernel_w == in.w) stages = global_pool_stages(in.h, in.w, average, why);
    else if (win.kernel_h != win.kernel_w || win.stride_h != win.stride_w)
      fail(node, "window " + std::to_string(win.kernel_h) + "x" + std::to_string(win.kernel_w) + " stride " +
                     std::to_string(win.stride_h) + "x" + std::to_string(win.stride_w) +
                     ": the engine pools square windows with one stride");
    else stages = window_pool_stages(win.kernel_h, win.stride_h, win.pads, why);
  }
  if (stages.empty()) fail(node, why);
  // Each stage's result shape, checked before any op is kept.
  std::vector<TensorShape> shapes;
  TensorShape shape = in;
  for (const PoolStage& s : stages) {
    shape.h = builder::sweep_length(shape.h, s.pads[0], s.pads[2], s.size, s.stride);
    shape.w = builder::sweep_length(shape.w, s.pads[1], s.pads[3], s.size, s.stride);
    if (shape.h == 0 || shape.w == 0) fail(node, "the pooling window does not fit the input");
    shapes.push_back(shape);
  }
  const std::vector<int64_t> out_dims = batched({in.c, shape.h, shape.w});
  const PoolStage& first = stages[0];
  const bool padded = first.pads[0] || first.pads[1] || first.pads[2] || first.pads[3];
  if (FloatOp* p = fusable_producer(node.input(0), x);
      p && stages.size() == 1 && !average && !padded && !after_pad && p->kind == OpKind::kConv && !p->pool_size) {
    p->pool_size = first.size, p->pool_stride = first.stride;
    p->output = {in.c, shape.h, shape.w};
    p->onnx_ops += "+" + node.op_type();
    Value v = x;
    v.dims = out_dims;
    alias(node, v);
    return;
  }
  int source = x.op;
  TensorShape source_shape = in;
  for (size_t i = 0; i < stages.size(); ++i) {
    const PoolStage& s = stages[i];
    FloatOp op;
    op.kind = OpKind::kPool;
    op.inputs = {source};
    op.input = source_shape;
    op.output = shapes[i];
    op.pool_size = s.size, op.pool_stride = s.stride;
    op.pad_top = s.pads[0], op.pad_left = s.pads[1], op.pad_bottom = s.pads[2], op.pad_right = s.pads[3];
    op.average = average;
    if (stages.size() > 1) op.name = node_name(node) + "/" + std::to_string(i + 1);
    if (after_pad) op.onnx_ops = "Pad+" + node.op_type();
    if (i + 1 < stages.size()) source = push_op(std::move(op), node, batched({in.c, shapes[i].h, shapes[i].w}), 1);
    else add_op(std::move(op), node, out_dims);
    source_shape = shapes[i];
  }
}

void Importer::reduce_mean(const onnx::NodeProto& node) {
  allow_attributes(node, {"axes", "keepdims"});
  const Value& x = tensor_input(node, 0);
  std::vector<int64_t> axes = ints_attr(node, "axes");
  for (int64_t& a : axes) a += a < 0 ? static_cast<int64_t>(x.dims.size()) : 0;
  std::sort(axes.begin(), axes.end());
  // The engine's global average pooling takes a mean over height and width; the CPU any other.
  if (x.dims.size() != 4 || axes != std::vector<int64_t>{2, 3}) return reduce_on_cpu(node, true, reduce_axes(node, x));
  const std::vector<int64_t> flat = {x.dims[0], x.dims[1]};
  pool(node, true, true);
  if (int_attr(node, "keepdims", 1) == 0) values_[node.output(0)].dims = flat;
}

void Importer::pad(const onnx::NodeProto& node) {
  allow_attributes(node, {"mode", "pads", "value"});
  const std::string mode = string_attr(node, "mode", "constant");
  if (mode != "constant")
    fail(node, "mode '" + mode + "': only zero padding folds into the padding of the next Conv or pooling");
  const Value& x = tensor_input(node, 0);
  std::vector<double> pads;
  if (node.input_size() > 1 && !node.input(1).empty()) pads = constant_input(node, 1, "pads").values;
  else
    for (const int64_t v : ints_attr(node, "pads")) pads.push_back(static_cast<double>(v));
  double value = float_attr(node, "value", 0.0f);
  if (node.input_size() > 2 && !node.input(2).empty()) {
    const ConstTensor& c = constant_input(node, 2, "constant_value");
    if (c.values.size() != 1) fail(node, "constant_value " + dims_text(c.dims) + " is not one value");
    value = c.values[0];
  }
  if (value != 0)
    fail(node, "pads with " + value_text(value) + "; only zero padding folds into the next Conv or pooling");
  const size_t rank = x.dims.size();
  if (pads.size() != 2 * rank) fail(node, "pads has " + std::to_string(pads.size()) + " values, the input's rank is " + std::to_string(rank));
  if (rank != 4) fail(node, "pads a tensor of rank " + std::to_string(rank) + "; dlvpc folds Pad on 2-D images [N,C,H,W]");
  if (pads[0] || pads[1] || pads[4] || pads[5]) fail(node, "pads the batch or channel axis; only height and width fold");
  Value v = x;
  const double order[4] = {pads[2], pads[3], pads[6], pads[7]};  // top, left, bottom, right
  for (int i = 0; i < 4; ++i) {
    if (!(order[i] >= 0 && order[i] <= kMaxWindowAttribute) || order[i] != std::floor(order[i]))
      fail(node, "pads " + dims_text({pads.begin(), pads.end()}) + ": a spatial pad " + value_text(order[i]) +
                     " is not in 0.." + std::to_string(kMaxWindowAttribute) + " (negative pads crop)");
    v.pad[i] += static_cast<uint32_t>(order[i]);
  }
  v.dims[2] += static_cast<int64_t>(order[0] + order[2]);
  v.dims[3] += static_cast<int64_t>(order[1] + order[3]);
  if (v.pad[0] || v.pad[1] || v.pad[2] || v.pad[3]) v.pad_node = node_name(node);
  alias(node, v);  // all zero (torch's AvgPool2d emits such a Pad): the tensor itself
}

void Importer::batch_norm(const onnx::NodeProto& node) {
  allow_attributes(node, {"epsilon", "momentum", "training_mode", "spatial"});
  if (int_attr(node, "training_mode", 0) != 0) fail(node, "training_mode = 1: dlvpc compiles inference graphs");
  const Value& x = tensor_input(node, 0);
  FloatOp* p = fusable_producer(node.input(0), x);
  const bool standalone = !p || (p->kind != OpKind::kConv && p->kind != OpKind::kFc) || p->relu || p->pool_size;
  if (standalone) {
    // Nothing to fold into: a depthwise 1x1 convolution, one weight per channel.
    synthesize_weights(node, sample_shape(x).c, "on its own it becomes a depthwise 1x1 convolution");
    FloatOp op = channel_scale_op(x.op, sample_shape(x));
    const int index = add_op(std::move(op), node, x.dims);
    p = &graph_.ops[index];
  }
  const uint32_t channels = p->output.c;
  const ConstTensor* param[4];
  const char* roles[4] = {"scale", "B", "mean", "var"};
  for (int i = 0; i < 4; ++i) {
    param[i] = &constant_input(node, i + 1, roles[i]);
    if (param[i]->values.size() != channels)
      fail(node, std::string(roles[i]) + " has " + std::to_string(param[i]->values.size()) + " values, expected " + std::to_string(channels));
  }
  const double epsilon = float_attr(node, "epsilon", 1e-5f);
  const size_t per_channel = p->weights.size() / channels;
  for (uint32_t c = 0; c < channels; ++c) {
    const double scale = param[0]->values[c] / std::sqrt(param[3]->values[c] + epsilon);
    for (size_t i = 0; i < per_channel; ++i) p->weights[c * per_channel + i] = static_cast<float>(p->weights[c * per_channel + i] * scale);
    p->bias[c] = static_cast<float>((p->bias[c] - param[2]->values[c]) * scale + param[1]->values[c]);
  }
  if (standalone) return;  // the op made above is this node
  p->onnx_ops += "+BatchNormalization";
  alias(node, x);
}

void Importer::synthesize_weights(const onnx::NodeProto& node, uint64_t count, const std::string& what) {
  synthesized_weights_ += count;
  if (synthesized_weights_ > kMaxSynthesizedWeights)
    fail(node, what + " of " + std::to_string(count) + " weights; with those dlvpc made before, " +
                   std::to_string(synthesized_weights_) + ", more than " + std::to_string(kMaxSynthesizedWeights));
}

void Importer::add(const onnx::NodeProto& node) {
  const Value& a = value(node, 0);
  const Value& b = value(node, 1);
  if (!a.constant && !b.constant) {
    if (a.dims != b.dims) return eltwise_op(node, OpKind::kAdd, a, b);  // ACT
    if (a.op == kGraphInput && b.op == kGraphInput) fail(node, "adds the graph input to itself; nothing for the accelerator");
    FloatOp op;
    op.kind = OpKind::kAdd;
    op.inputs = {a.op, b.op};
    op.input = op.output = a.op == kGraphInput ? graph_.input : graph_.ops[a.op].output;
    add_op(std::move(op), node, a.dims);
    return;
  }
  // A constant addend folds into the producer's bias when it is one value per channel.
  const Value& t = a.constant ? b : a;
  const ConstTensor& c = (a.constant ? a : b).data->tensor();
  FloatOp* p = fusable_producer(node.input(a.constant ? 1 : 0), t);
  if (!p || (p->kind != OpKind::kConv && p->kind != OpKind::kFc) || p->relu || p->pool_size)
    fail(node, "adds a constant; dlvpc folds a constant only into the bias of a Conv or Gemm it alone follows");
  const int64_t count = element_count(c.dims);
  if (count != 1 && count != p->output.c)
    fail(node, "constant " + dims_text(c.dims) + " is not one value per channel; only a bias can be folded");
  for (uint32_t o = 0; o < p->output.c; ++o) p->bias[o] += static_cast<float>(c.values[count == 1 ? 0 : o]);
  p->onnx_ops += "+Add";
  alias(node, t);
}

void Importer::reshape(const onnx::NodeProto& node, bool flatten) {
  const Value& x = value(node, 0);
  if (x.constant) fail(node, "reshapes a constant by a shape computed at run time");
  const int64_t total = element_count(x.dims);
  std::vector<int64_t> dims;
  if (flatten) {
    int64_t axis = int_attr(node, "axis", 1);
    if (axis < 0) axis += static_cast<int64_t>(x.dims.size());
    if (axis < 0 || axis > static_cast<int64_t>(x.dims.size())) fail(node, "axis out of range");
    const int64_t outer = element_count({x.dims.begin(), x.dims.begin() + axis});
    dims = {outer, total / std::max<int64_t>(outer, 1)};
  } else {
    const std::string problem =
        reshape_target(constant_input(node, 1, "shape").values, x.dims, int_attr(node, "allowzero", 0) != 0, dims);
    if (!problem.empty()) fail(node, problem);
  }
  alias_reshaped(node, x, dims);
}

void Importer::alias_reshaped(const onnx::NodeProto& node, const Value& x, const std::vector<int64_t>& dims) {
  if (dims.size() >= 2 && dims[0] != batch_)
    fail(node, "result " + dims_text(dims) + " mixes samples: its first dimension is not the batch " + std::to_string(batch_));
  if (dims.size() < 2 && batch_ != 1)
    fail(node, "result " + dims_text(dims) + " mixes the batch's " + std::to_string(batch_) + " samples");
  Value v = x;
  v.dims = dims;
  alias(node, v);
}

void Importer::squeeze(const onnx::NodeProto& node, bool unsqueeze) {
  const Value& x = tensor_input(node, 0);
  const bool given = node.input_size() > 1 && !node.input(1).empty();
  std::vector<int64_t> dims;
  const std::string why =
      squeeze_dims(x.dims, squeeze_axes(node, given ? &constant_input(node, 1, "axes") : nullptr), unsqueeze, dims);
  if (!why.empty()) fail(node, why);
  alias_reshaped(node, x, dims);
}

// ---- ACT: activations and Mul (import_activation.h, docs/dlvpc.md "Activations") ----

// Whether `p` takes activation f in its output stage: a Conv, Gemm, Add or Mul without one, whose
// pooling (if any) commutes with f (max pooling does with a non-decreasing f).
bool Importer::fuse_activation(const onnx::NodeProto& node, FloatOp* p, const ActivationFn& f) {
  if (!p || !p->activation.none() || p->kind == OpKind::kPool || p->kind == OpKind::kConcat) return false;
  const bool monotonic = f.kind != ActivationKind::kSilu && f.kind != ActivationKind::kHardSwish &&
                         f.kind != ActivationKind::kGatedHardSigmoid;
  if (p->pool_size && !monotonic) return false;
  p->activation = f;
  p->onnx_ops += "+" + node.op_type();
  return true;
}

// The Mul making x * gate(x) of a Sigmoid/HardSigmoid node: it reads x and the gate's output,
// which nothing else reads, and x is read by these two only.
const onnx::NodeProto* Importer::gating_mul(const onnx::NodeProto& gate) const {
  const std::string& x = gate.input(0);
  const std::string& s = gate.output(0);
  const auto used = [&](const std::string& name) { const auto it = uses_.find(name); return it == uses_.end() ? 0 : it->second; };
  if (used(s) != 1 || used(x) != 2) return nullptr;
  for (const auto& n : model_.graph().node())
    if (n.op_type() == "Mul" && n.input_size() == 2 &&
        ((n.input(0) == x && n.input(1) == s) || (n.input(0) == s && n.input(1) == x)))
      return &n;
  return nullptr;
}

void Importer::activation(const onnx::NodeProto& node) {
  const std::string& type = node.op_type();
  allow_attributes(node, type == "Clip" ? std::set<std::string>{"min", "max"}
                         : type == "LeakyRelu" ? std::set<std::string>{"alpha"}
                         : type == "HardSigmoid" ? std::set<std::string>{"alpha", "beta"}
                                                 : std::set<std::string>{});
  const Value& x = tensor_input(node, 0);
  ActivationFn f;
  const std::string why = parse_activation(
      node, [&](int i) { const Value& v = value(node, i); return v.constant ? &v.data->tensor() : nullptr; }, f);
  if (!why.empty()) fail(node, why);
  if (x.op != kGraphInput && !x.constant) {
    FloatOp* p = &graph_.ops[x.op];
    // x * gate(x): the gate and the Mul become one function in x's producer (x read by both only).
    if (const ActivationFn g = gated(f); !g.none() && gating_mul(node) && op_uses_[x.op] == 2 &&
                                          fuse_activation(node, p, g)) {
      p->onnx_ops += "+Mul";
      gates_[node.output(0)] = node.input(0);
      alias(node, x);
      return;
    }
    if (fuse_activation(node, fusable_producer(node.input(0), x), f)) {
      alias(node, x);
      return;
    }
  }
  // On its own: ELTWISE's (x + x) / 2 = x exactly, then the unit (docs/isa.md).
  FloatOp op;
  op.kind = OpKind::kAdd;
  op.mean = true;
  op.inputs = {x.op, x.op};
  op.input = op.output = x.op == kGraphInput ? graph_.input : graph_.ops[x.op].output;
  op.activation = f;
  add_op(std::move(op), node, x.dims);
}

void Importer::eltwise_op(const onnx::NodeProto& node, OpKind kind, const Value& a, const Value& b) {
  const bool b_first = element_count(b.dims) > element_count(a.dims);  // the full tensor first
  const Value& big = b_first ? b : a;
  const Value& small = b_first ? a : b;
  const bool per_channel = big.dims.size() == 4 && small.dims.size() == 4 && small.dims[0] == big.dims[0] &&
                           small.dims[1] == big.dims[1] && small.dims[2] == 1 && small.dims[3] == 1;
  if (big.dims != small.dims && !per_channel)
    fail(node, "operands " + dims_text(a.dims) + " and " + dims_text(b.dims) +
                   " differ; the engine takes equal shapes or a tensor and one value per channel ([N,C,1,1])");
  FloatOp op;
  op.kind = kind;
  op.inputs = {big.op, small.op};
  op.channel_broadcast = big.dims != small.dims;
  op.input = op.output = big.op == kGraphInput ? graph_.input : graph_.ops[big.op].output;
  add_op(std::move(op), node, big.dims);
}

void Importer::mul(const onnx::NodeProto& node) {
  for (int g = 0; g < 2; ++g) {  // the Mul of a fused x * gate(x): x's producer already made it
    const auto it = gates_.find(node.input(g));
    if (it == gates_.end() || node.input(1 - g) != it->second) continue;
    const Value& x = value(node, 1 - g);
    --op_uses_[x.op];  // it read x twice (directly and through the gate)
    alias(node, x);
    return;
  }
  const Value& a = value(node, 0);
  const Value& b = value(node, 1);
  if (a.constant != b.constant) return mul_by_constant(node, a.constant ? 0 : 1);
  if (a.constant) fail(node, "multiplies two constants at run time");
  eltwise_op(node, OpKind::kMul, a, b);
}

// x * k with k one value or one per channel: exact in the Conv's or Gemm's weights and bias when x
// is its output alone (no ReLU, pooling or activation in between).
void Importer::mul_by_constant(const onnx::NodeProto& node, int constant_index) {
  const Value& t = value(node, 1 - constant_index);
  const ConstTensor& c = value(node, constant_index).data->tensor();
  FloatOp* p = fusable_producer(node.input(1 - constant_index), t);
  if (!p || (p->kind != OpKind::kConv && p->kind != OpKind::kFc) || p->relu || p->pool_size || !p->activation.none())
    fail(node, "multiplies by a constant; dlvpc folds a per-channel constant only into the weights of a Conv or "
               "Gemm it alone follows (no ReLU, pooling or activation between)");
  const int64_t count = element_count(c.dims);
  if (count != 1 && count != p->output.c)
    fail(node, "constant " + dims_text(c.dims) + " is not one value per channel; only a channel scale can be folded");
  const uint64_t per_output = p->weights.size() / std::max<uint32_t>(p->output.c, 1);
  for (uint32_t o = 0; o < p->output.c; ++o) {
    const float k = static_cast<float>(c.values[count == 1 ? 0 : o]);
    for (uint64_t i = 0; i < per_output; ++i) p->weights[o * per_output + i] *= k;
    if (!p->bias.empty()) p->bias[o] *= k;
  }
  p->onnx_ops += "+Mul";
  alias(node, t);
}

void Importer::softmax(const onnx::NodeProto& node) {
  const Value& x = tensor_input(node, 0);
  const bool is_output = std::any_of(model_.graph().output().begin(), model_.graph().output().end(),
                                     [&](const onnx::ValueInfoProto& o) { return o.name() == node.output(0); });
  int64_t axis = int_attr(node, "axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(x.dims.size());
  // A final softmax over each sample's one vector of logits stays the CPU's postprocessing after the
  // job (argmax needs none); any other is a CPU stage (CPUC).
  bool one_vector = is_output && x.op != kGraphInput;
  const size_t first = x.dims.size() >= 2 && axis != 0 ? 1 : 0;  // each sample's softmax is its own
  for (size_t i = first; i < x.dims.size(); ++i) one_vector = one_vector && (static_cast<int64_t>(i) == axis || x.dims[i] == 1);
  if (one_vector) {
    graph_.softmax_on_cpu = true;
    return alias(node, x);
  }
  FloatOp op;
  const std::string why = axis == 0 ? "softmax over the batch axis; each sample is a job of its own"
                                    : cpu_softmax(sample_dims(node, x), axis - 1, opset_version() < 13, op);
  add_cpu_op(node, why, std::move(op), {x.op}, sample_dims(node, x));
}

int64_t Importer::opset_version() const {
  for (const auto& opset : model_.opset_import())
    if (opset.domain().empty() || opset.domain() == "ai.onnx") return opset.version();
  return 1;
}

std::vector<int64_t> Importer::sample_dims(const onnx::NodeProto& node, const Value& v) const {
  if (v.dims.size() < 2 || v.dims[0] != batch_)
    fail(node, "input " + dims_text(v.dims) + " is not a batch of " + std::to_string(batch_) + " samples");
  return {v.dims.begin() + 1, v.dims.end()};
}

void Importer::add_cpu_op(const onnx::NodeProto& node, const std::string& why, FloatOp op, std::vector<int> inputs,
                          const std::vector<int64_t>& sample_out) {
  if (!why.empty()) fail(node, why);
  op.inputs = std::move(inputs);
  op.input = op.inputs[0] == kGraphInput ? graph_.input : graph_.ops[op.inputs[0]].output;
  add_op(std::move(op), node, batched(sample_out));
}

void Importer::transpose(const onnx::NodeProto& node) {
  allow_attributes(node, {"perm"});
  const Value& x = tensor_input(node, 0);
  std::vector<int64_t> perm = ints_attr(node, "perm");
  if (perm.empty())  // ONNX's default: the axes reversed
    for (size_t i = x.dims.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  if (perm.size() != x.dims.size() || perm[0] != 0)
    fail(node, "perm " + dims_text(perm) + " of " + dims_text(x.dims) +
                   " moves the batch axis; each sample is a job of its own");
  std::vector<int64_t> sample_perm, out;
  for (size_t i = 1; i < perm.size(); ++i) sample_perm.push_back(perm[i] - 1);
  FloatOp op;
  const std::string why = cpu_transpose(sample_dims(node, x), sample_perm, op, out);
  if (why.empty() && op.cpu_op == 0) return alias_reshaped(node, x, batched(out));  // no byte moves
  add_cpu_op(node, why, std::move(op), {x.op}, out);
}

void Importer::resize(const onnx::NodeProto& node) {
  const bool upsample = node.op_type() == "Upsample";
  allow_attributes(node, {"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                          "extrapolation_value", "scales"});
  const Value& x = tensor_input(node, 0);
  if (string_attr(node, "mode", "nearest") != "nearest")
    fail(node, "mode '" + string_attr(node, "mode", "") + "'; the CPU resizes nearest-neighbour only");
  if (!upsample && (string_attr(node, "coordinate_transformation_mode", "half_pixel") != "asymmetric" ||
                    string_attr(node, "nearest_mode", "round_prefer_floor") != "floor"))
    fail(node, "coordinates '" + string_attr(node, "coordinate_transformation_mode", "half_pixel") + "', rounding '" +
                   string_attr(node, "nearest_mode", "round_prefer_floor") +
                   "'; the CPU resizes as torch's nearest exports it: asymmetric, floor");
  const int sizes_input = 3, scales_input = upsample ? 1 : 2;
  std::vector<int64_t> out = x.dims;
  if (!upsample && node.input_size() > sizes_input && !node.input(sizes_input).empty()) {
    const ConstTensor& sizes = constant_input(node, sizes_input, "sizes");
    if (sizes.values.size() != x.dims.size()) fail(node, "sizes " + dims_text(sizes.dims) + " do not match the input's axes");
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int64_t>(sizes.values[i]);
  } else {
    std::vector<double> scales;
    if (node.input_size() > scales_input && !node.input(scales_input).empty())
      scales = constant_input(node, scales_input, "scales").values;
    for (const auto& a : node.attribute())
      if (a.name() == "scales") scales.assign(a.floats().begin(), a.floats().end());
    if (scales.size() != x.dims.size()) fail(node, "scales do not match the input's " + dims_text(x.dims));
    // Nearest with asymmetric coordinates reads floor(dst / scale): floor(dst x in / out) when the
    // scale makes a whole output size.
    for (size_t i = 0; i < out.size(); ++i) {
      const double size = x.dims[i] * scales[i];
      if (!(size >= 1 && size <= 65535) || size != std::floor(size))
        fail(node, "scale " + value_text(scales[i]) + " of axis " + std::to_string(i) + " (" + std::to_string(x.dims[i]) +
                       ") makes no whole size; the CPU resizes to whole sizes");
      out[i] = static_cast<int64_t>(size);
    }
  }
  if (out[0] != x.dims[0]) fail(node, "resizes the batch axis");
  FloatOp op;
  const std::vector<int64_t> sample_out(out.begin() + 1, out.end());
  const std::string why = cpu_resize_nearest(sample_dims(node, x), sample_out, op);
  add_cpu_op(node, why, std::move(op), {x.op}, sample_out);
}

std::vector<int64_t> Importer::reduce_axes(const onnx::NodeProto& node, const Value& x) const {
  allow_attributes(node, {"axes", "keepdims"});
  std::vector<int64_t> axes = ints_attr(node, "axes");
  if (axes.empty())  // ONNX's default: every axis
    for (size_t i = 0; i < x.dims.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  for (int64_t& a : axes) a += a < 0 ? static_cast<int64_t>(x.dims.size()) : 0;
  std::sort(axes.begin(), axes.end());
  return axes;
}

void Importer::reduce_on_cpu(const onnx::NodeProto& node, bool mean, const std::vector<int64_t>& axes) {
  const Value& x = tensor_input(node, 0);
  const bool keepdims = int_attr(node, "keepdims", 1) != 0;
  if (!mean && x.dims.size() == 4 && axes == std::vector<int64_t>{2, 3}) {  // the engine's global max pooling
    pool(node, false, true);
    if (!keepdims) values_[node.output(0)].dims = {x.dims[0], x.dims[1]};
    return;
  }
  std::vector<int64_t> sample_axes, out;
  for (const int64_t a : axes) {
    if (a <= 0 || a >= static_cast<int64_t>(x.dims.size()))
      fail(node, "axes " + dims_text(axes) + " of " + dims_text(x.dims) + ": the batch axis or none; each sample is a job of its own");
    sample_axes.push_back(a - 1);
  }
  FloatOp op;
  const std::string why = cpu_reduce(sample_dims(node, x), sample_axes, keepdims, mean, op, out);
  add_cpu_op(node, why, std::move(op), {x.op}, out);
}

void Importer::arithmetic(const onnx::NodeProto& node, uint32_t which) {
  const bool commutes = which == cpu::kAdd || which == cpu::kMul;
  const Value* a = &value(node, 0);
  const Value* b = &value(node, 1);
  // The CPU broadcasts its second operand: the larger (or the computed) one goes first where the
  // operation commutes.
  if (commutes && (a->constant || (!b->constant && element_count(b->dims) > element_count(a->dims)))) std::swap(a, b);
  if (a->constant) fail(node, "the first operand is a constant; the CPU takes a computed tensor first");
  if (a->op == kGraphInput && b->constant == false && b->op == kGraphInput)
    fail(node, "combines the graph input with itself; nothing for the accelerator");
  const std::vector<int64_t> a_sample = sample_dims(node, *a);
  std::vector<int64_t> b_dims = b->dims;
  if (b_dims.size() == a->dims.size() && !b_dims.empty()) {  // the batch axis: the same for every sample
    if (b_dims[0] != 1 && (b->constant || b_dims[0] != batch_))
      fail(node, "second operand " + dims_text(b->dims) + " differs between samples");
    b_dims.erase(b_dims.begin());
  }
  FloatOp op;
  const std::string why = cpu_arithmetic(a_sample, b_dims, which, op);
  std::vector<int> inputs = {a->op};
  if (b->constant) {
    const ConstTensor& c = b->data->tensor();
    op.weights.assign(c.values.begin(), c.values.end());
  } else {
    inputs.push_back(b->op);
  }
  add_cpu_op(node, why, std::move(op), std::move(inputs), a_sample);
}

const onnx::NodeProto* Importer::sole_reader(const std::string& value, const char* op) const {
  const onnx::NodeProto* found = nullptr;
  int readers = 0;
  for (const auto& n : model_.graph().node())
    for (const auto& in : n.input())
      if (in == value) ++readers, found = &n;
  for (const auto& out : model_.graph().output()) readers += out.name() == value;
  return readers == 1 && found && found->op_type() == op ? found : nullptr;
}

bool Importer::torch_layer_norm(const onnx::NodeProto& mean) {
  // A scalar input: a known constant, or a Constant node further on (the pattern is matched at its
  // first node, before torch's Constants for the exponent and epsilon).
  const auto constant_value = [&](const onnx::NodeProto* n, int index, double& v) {
    if (!n || index >= n->input_size()) return false;
    const std::string& name = n->input(index);
    if (const auto it = values_.find(name); it != values_.end()) {
      if (!it->second.constant || it->second.data->tensor().values.size() != 1) return false;
      v = it->second.data->tensor().values[0];
      return true;
    }
    for (const auto& c : model_.graph().node()) {
      std::vector<ConstTensor> out;
      if (c.op_type() != "Constant" || c.output_size() != 1 || c.output(0) != name) continue;
      if (!fold_node(c, {}, out).empty() || out.size() != 1 || out[0].values.size() != 1) return false;
      v = out[0].values[0];
      return true;
    }
    return false;
  };
  const std::string& x = mean.input(0);
  const onnx::NodeProto* sub = sole_reader(mean.output(0), "Sub");
  if (!sub || sub->input(0) != x || sub->input(1) != mean.output(0)) return false;
  // The centred values feed the Pow and the Div.
  const onnx::NodeProto *pow = nullptr, *div = nullptr;
  int readers = 0;
  for (const auto& n : model_.graph().node())
    for (const auto& in : n.input())
      if (in == sub->output(0)) ++readers, (n.op_type() == "Pow" ? pow : div) = &n;
  double exponent = 0, epsilon = 0;
  if (readers != 2 || !pow || !div || div->op_type() != "Div" || div->input(0) != sub->output(0) ||
      !constant_value(pow, 1, exponent) || exponent != 2)
    return false;
  const onnx::NodeProto* variance = sole_reader(pow->output(0), "ReduceMean");
  if (!variance || ints_attr(*variance, "axes") != ints_attr(mean, "axes") || int_attr(mean, "keepdims", 1) != 1) return false;
  const onnx::NodeProto* add = sole_reader(variance->output(0), "Add");
  const onnx::NodeProto* sqrt = add ? sole_reader(add->output(0), "Sqrt") : nullptr;
  if (!sqrt || !constant_value(add, add->input(0) == variance->output(0) ? 1 : 0, epsilon) ||
      sole_reader(sqrt->output(0), "Div") != div || div->input(1) != sqrt->output(0))
    return false;
  const Value& v = tensor_input(mean, 0);
  const std::vector<int64_t> axes = reduce_axes(mean, v);
  if (axes.size() != 1 || axes[0] == 0) fail(mean, "LayerNorm over axes " + dims_text(axes) + "; the CPU normalizes one axis of a sample");
  FloatOp op;
  const std::vector<int64_t> sample = sample_dims(mean, v);
  const std::string why = cpu_layer_norm(sample, axes[0] - 1, false, static_cast<float>(epsilon), op);
  if (!why.empty()) fail(mean, why);
  op.inputs = {v.op};
  op.input = sample_shape(v);
  op.onnx_ops = "ReduceMean+Sub+Pow+ReduceMean+Add+Sqrt+Div";
  Value out;
  out.op = push_op(std::move(op), mean, v.dims, uses_[div->output(0)]);
  out.dims = v.dims;
  values_[div->output(0)] = out;
  for (const onnx::NodeProto* n : {sub, pow, variance, add, sqrt, div}) fused_outputs_.insert(n->output(0));
  return true;
}

void Importer::layer_normalization(const onnx::NodeProto& node) {
  allow_attributes(node, {"axis", "epsilon", "stash_type"});
  if (node.output_size() > 1 && (!node.output(1).empty() || (node.output_size() > 2 && !node.output(2).empty())))
    fail(node, "the Mean and InvStdDev outputs are not supported");
  const Value& x = tensor_input(node, 0);
  int64_t axis = int_attr(node, "axis", -1);
  if (axis < 0) axis += static_cast<int64_t>(x.dims.size());
  if (axis <= 0) fail(node, "normalizes over the batch axis; each sample is a job of its own");
  const std::vector<int64_t> sample = sample_dims(node, x);
  FloatOp norm;
  std::string why = cpu_layer_norm(sample, axis - 1, true, float_attr(node, "epsilon", 1e-5f), norm);
  if (!why.empty()) fail(node, why);
  norm.inputs = {x.op};
  norm.input = sample_shape(x);
  // Scale and B, broadcast over the normalized axes: arithmetic stages on the normalized values.
  const std::vector<int64_t> normalized(sample.begin() + (axis - 1), sample.end());
  const std::vector<int64_t> flat = {element_count({sample.begin(), sample.begin() + (axis - 1)}), element_count(normalized), 1};
  int source = push_op(std::move(norm), node, x.dims, 1);
  for (int input = 1; input < std::min(node.input_size(), 3); ++input) {
    if (node.input(input).empty()) continue;
    const ConstTensor& c = constant_input(node, input, input == 1 ? "Scale" : "B");
    if (element_count(c.dims) != element_count(normalized))
      fail(node, (input == 1 ? "Scale " : "B ") + dims_text(c.dims) + " does not match the normalized axes " + dims_text(normalized));
    FloatOp op;
    why = cpu_arithmetic(flat, {1, flat[1], 1}, input == 1 ? cpu::kMul : cpu::kAdd, op);
    if (!why.empty()) fail(node, why);
    op.weights.assign(c.values.begin(), c.values.end());
    op.inputs = {source};
    op.input = op.output = graph_.ops[source].output;
    op.name = node_name(node) + (input == 1 ? "/scale" : "/bias");
    source = push_op(std::move(op), node, x.dims, 1);
  }
  Value out;
  out.op = source;
  out.dims = x.dims;
  op_uses_[source] = uses_[node.output(0)];
  values_[node.output(0)] = out;
}

void Importer::engine_or_cpu(const onnx::NodeProto& node, uint32_t which) {
  try {
    if (which == cpu::kAdd) add(node);
    else mul(node);
  } catch (const ImportError&) {
    const std::optional<Refusal> engine = last_refusal_;
    try {
      last_refusal_.reset();
      arithmetic(node, which);
    } catch (const ImportError&) {
      last_refusal_ = engine;
      throw;
    }
  }
}

void Importer::check_folded_weights() const {
  for (const FloatOp& op : graph_.ops)
    for (const std::vector<float>* values : {&op.weights, &op.bias}) {
      const auto bad = std::find_if(values->begin(), values->end(), [](float v) { return !std::isfinite(v); });
      if (bad != values->end())
        fail("node '" + op.name + "' (" + op.onnx_ops + "): " + (values == &op.weights ? "weight " : "bias ") +
             std::to_string(bad - values->begin()) + " is " + (std::isnan(*bad) ? "NaN" : "infinite") +
             " once folded (alpha, beta, epsilon or a BatchNormalization's variance and scale make it so)");
    }
}

void Importer::import_node(const onnx::NodeProto& node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") fail(node, "operator domain '" + node.domain() + "' is not supported");
  if (node.output_size() == 0 || node.output(0).empty()) fail(node, "has no output");
  const std::string& op = node.op_type();
  const auto known = [&] {
    // Shape arithmetic on a refused value (Shape, Cast, ConstantOfShape) would fold had its
    // producer been accepted: not a blocker of its own.
    return std::count(supported_operators().begin(), supported_operators().end(), op) || op == "QLinearConv" ||
           op == "QLinearMatMul" || op == "Shape" || op == "Cast" || op == "ConstantOfShape";
  };
  const auto unsupported = [&] { fail(node, kUnsupportedOperator); };
  const std::string on_constants_only =
      "operator " + op + " on a tensor computed at run time is not supported (dlvpc evaluates it on constants only)";
  // A node reading a refused value: its operator is still checked, its shapes cannot be.
  for (const auto& in : node.input()) {
    const auto it = values_.find(in);
    if (it != values_.end() && it->second.refused) {
      if (!known() && is_foldable(op)) fail(node, on_constants_only);
      if (!known()) unsupported();
      if (op == "Conv" || op == "ConvInteger") check_conv_attributes(node);  // needs no shape
      mark_refused(node);
      return;
    }
  }
  if (fused_outputs_.count(node.output(0))) return;  // taken by a fused pattern (LayerNorm)
  if (fold(node)) return;
  const bool folds_pad = op == "Conv" || op == "ConvInteger" || op == "MaxPool" || op == "AveragePool" ||
                         op == "GlobalMaxPool" || op == "GlobalAveragePool" || op == "Pad";
  for (const auto& in : node.input()) {
    const auto it = values_.find(in);
    if (!folds_pad && it != values_.end() && !it->second.pad_node.empty())
      fail(node, "reads '" + in + "', the output of Pad '" + it->second.pad_node +
                     "'; dlvpc folds a zero Pad only into the padding of the Conv or pooling that reads it");
  }
  if (op == "Conv") conv(node, false);
  else if (op == "ConvInteger") conv(node, true);
  else if (op == "Gemm") gemm(node, false, false);
  else if (op == "MatMul") gemm(node, true, false);
  else if (op == "MatMulInteger") gemm(node, true, true);
  else if (op == "QLinearConv" || op == "QLinearMatMul") quantized_linear(node);
  else if (op == "Concat") concat(node);
  else if (op == "Split" || op == "Slice") channel_view(node);
  else if (op == "Relu") relu(node);
  else if (is_activation_operator(op)) activation(node);
  else if (op == "Mul") engine_or_cpu(node, cpu::kMul);
  else if (op == "Pad") pad(node);
  else if (op == "MaxPool") pool(node, false, false);
  else if (op == "AveragePool") pool(node, true, false);
  else if (op == "GlobalAveragePool") pool(node, true, true);
  else if (op == "GlobalMaxPool") pool(node, false, true);
  else if (op == "ReduceMean") {
    if (!torch_layer_norm(node)) reduce_mean(node);
  } else if (op == "LayerNormalization") layer_normalization(node);
  else if (op == "BatchNormalization") batch_norm(node);
  else if (op == "Add") engine_or_cpu(node, cpu::kAdd);
  else if (op == "Sub") arithmetic(node, cpu::kSub);
  else if (op == "Div") arithmetic(node, cpu::kDiv);
  else if (op == "Transpose") transpose(node);
  else if (op == "Resize" || op == "Upsample") resize(node);
  else if (op == "ReduceMax") reduce_on_cpu(node, false, reduce_axes(node, tensor_input(node, 0)));
  else if (op == "Flatten") reshape(node, true);
  else if (op == "Reshape") reshape(node, false);
  else if (op == "Squeeze") squeeze(node, false);
  else if (op == "Unsqueeze") squeeze(node, true);
  else if (op == "Dropout" || op == "Identity") {
    if (node.output_size() > 1 && !node.output(1).empty()) fail(node, "the mask output is not supported");
    alias(node, value(node, 0));
  } else if (op == "Softmax") softmax(node);
  else if (is_foldable(op)) fail(node, on_constants_only);
  else unsupported();
}

bool Importer::fold(const onnx::NodeProto& node) {
  const auto input_of = [&](const std::string& name) -> std::optional<FoldInput> {
    const auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;  // the node's handler names the missing input
    if (it->second.constant) return FoldInput{&it->second.data->tensor(), false, {}};
    return FoldInput{nullptr, true, it->second.dims};
  };
  std::vector<ConstTensor> outputs;
  bool folded = false;
  if (const std::string why = try_fold(node, input_of, folded_elements_, outputs, folded); !why.empty()) fail(node, why);
  if (!folded) return false;
  for (size_t i = 0; i < outputs.size() && static_cast<int>(i) < node.output_size(); ++i) {
    Value v;
    v.constant = true;
    v.data = std::make_shared<Constant>();
    v.data->dims = v.dims = outputs[i].dims;
    v.data->doubles = std::move(outputs[i]);
    values_[node.output(static_cast<int>(i))] = std::move(v);
  }
  return true;
}

void Importer::mark_refused(const onnx::NodeProto& node) {
  for (const auto& out : node.output()) {
    if (out.empty()) continue;
    Value v;
    v.refused = true;
    values_[out] = v;
  }
}

// The operators in a message: those import_onnx maps, and those it folds on constants.
std::string supported_text() {
  std::string list;
  for (const auto& s : supported_operators()) list += (list.empty() ? "" : ", ") + s;
  return "supported: " + list + "; on constant inputs, folded: Constant, Shape, Gather, Cast, Expand, ConstantOfShape, "
         "Slice, Transpose, Add, Sub, Mul, Div";
}

void Importer::fail_with_refusals() const {
  const auto line = [](const Refusal& r) {
    return r.reason == kUnsupportedOperator ? r.reason + " (" + supported_text() + ")" : r.reason;
  };
  if (refusals_.size() == 1) {
    const Refusal& r = refusals_[0];
    fail(r.node.empty() ? r.reason : "node '" + r.node + "' (" + r.op + "): " + line(r));
  }
  // Nodes with the same operator and reason share a line, in the order they were met.
  std::vector<std::pair<const Refusal*, std::vector<std::string>>> groups;
  for (const Refusal& r : refusals_) {
    const auto same = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return g.first->op == r.op && g.first->reason == r.reason;
    });
    if (same == groups.end()) groups.push_back({&r, {r.node}});
    else same->second.push_back(r.node);
  }
  std::string text = utf8::printable(origin_) + ": " + std::to_string(refusals_.size()) +
                     " nodes are not supported (nodes reading a refused node's result are checked for their operator only):";
  bool unsupported = false;
  for (size_t i = 0; i < groups.size() && i < kMaxListedRefusals; ++i) {
    const auto& [r, names] = groups[i];
    text += "\n  node" + std::string(names.size() > 1 ? "s" : "");
    for (size_t k = 0; k < names.size() && k < kNamesPerRefusal; ++k)
      text += (k ? ", '" : " '") + utf8::prefix(names[k], kMaxListedBytes) + "'";
    if (names.size() > kNamesPerRefusal) text += " and " + std::to_string(names.size() - kNamesPerRefusal) + " more";
    const std::string reason = utf8::prefix(r->reason, kMaxListedBytes);
    text += r->node.empty() ? ": " + reason : " (" + utf8::prefix(r->op, kMaxListedBytes) + "): " + reason;
    unsupported = unsupported || r->reason == kUnsupportedOperator;
  }
  if (groups.size() > kMaxListedRefusals)
    text += "\n  ... and " + std::to_string(groups.size() - kMaxListedRefusals) + " more kinds of refusal";
  if (unsupported) text += "\n  (" + supported_text() + ")";
  throw ImportError(text);
}

FloatGraph Importer::run() {
  check_versions(model_, origin_);
  const onnx::GraphProto& g = model_.graph();
  check_constant_total(g, origin_);
  for (int i = 0; i < g.initializer_size(); ++i) {
    const onnx::TensorProto& t = g.initializer(i);
    Value v;
    v.constant = true;
    v.data = std::make_shared<Constant>(
        decode_constant(t, RawData(t, file_, file_ ? file_->payload(i) : nullptr), origin_, true));
    check_finite(t, *v.data, origin_);
    v.dims = v.data->dims;
    values_[t.name()] = std::move(v);
  }
  for (const auto& [name, tensor] : options_.bindings) {
    Value v;
    v.constant = true;
    v.data = std::make_shared<Constant>();
    v.data->dims = tensor.dims;
    v.data->doubles = tensor;
    v.dims = tensor.dims;
    values_[name] = v;
  }
  for (const auto& input : g.input())
    if (!values_.count(input.name())) add_graph_input(input);
  if (graph_.input_name.empty()) fail("the graph has no data input (every input is a constant)");
  if (g.output_size() != 1)
    fail("the graph has " + std::to_string(g.output_size()) + " outputs; dlvpc compiles graphs with one output");
  for (const auto& node : g.node())
    for (const auto& in : node.input()) ++uses_[in];
  for (const auto& out : g.output()) ++uses_[out.name()];

  // Every node is looked at: a refused one is listed with the others in one error at the end.
  for (const auto& node : g.node()) {
    try {
      import_node(node);
    } catch (const ImportError& e) {
      const std::string prefix = utf8::printable(origin_ + ": ");
      const std::string what = e.what();
      refusals_.push_back(last_refusal_ ? *last_refusal_
                                        : Refusal{"", "", what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what});
      last_refusal_.reset();
      mark_refused(node);
    }
    ++node_index_;
  }
  if (!refusals_.empty()) fail_with_refusals();
  const auto out = values_.find(g.output(0).name());
  if (out == values_.end()) fail("graph output '" + g.output(0).name() + "' is never produced");
  if (out->second.constant || out->second.op == kGraphInput)
    fail("graph output '" + g.output(0).name() + "' involves no computation for the accelerator");
  if (out->second.op + 1 != static_cast<int>(graph_.ops.size()))
    fail("graph output '" + g.output(0).name() + "' is not produced by the last operation; dlvpc compiles graphs whose "
         "output comes last");
  if (graph_.ops.empty()) fail("the graph has no operation for the accelerator");
  check_folded_weights();
  graph_.output_name = g.output(0).name();
  graph_.output_dims = out->second.dims;
  const int output_type = g.output(0).type().tensor_type().elem_type();
  graph_.integer_output = output_type != onnx::TensorProto::FLOAT && output_type != onnx::TensorProto::DOUBLE &&
                          output_type != onnx::TensorProto::FLOAT16 && output_type != onnx::TensorProto::UNDEFINED;
  return std::move(graph_);
}

}  // namespace

namespace {

// Little-endian reads of raw_data.
template <typename T>
std::vector<double> raw_values(const char* raw, size_t count) {
  std::vector<double> out(count);
  for (size_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, raw + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
  return out;
}

bool is_integer_type(int32_t type) {
  return type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32 || type == onnx::TensorProto::INT8 ||
         type == onnx::TensorProto::UINT8 || type == onnx::TensorProto::BOOL;
}

Constant decode_constant(const onnx::TensorProto& t, const RawData& raw, const std::string& origin, bool float32_as_floats) {
  const auto fail = [&](const std::string& what) -> void {
    throw ImportError(utf8::printable(origin + ": tensor '" + t.name() + "' " + what));
  };
  Constant c;
  c.dims.assign(t.dims().begin(), t.dims().end());
  if (const std::string problem = shape_problem(c.dims); !problem.empty()) fail(dims_text(c.dims) + " " + problem);
  const size_t n = static_cast<size_t>(element_count(c.dims));
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    fail("keeps its data in an external file; dlvpc reads self-contained models");
  size_t width = 0;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: width = 4; break;
    case onnx::TensorProto::DOUBLE: width = 8; break;
    case onnx::TensorProto::INT64: width = 8; break;
    case onnx::TensorProto::INT32: width = 4; break;
    case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: width = 1; break;
    default: fail("has element type " + std::to_string(t.data_type()) + " (supported: float, double, int64, int32, int8, uint8)");
  }
  const auto check_count = [&](size_t values) {
    if (values != n)
      fail("has " + std::to_string(values) + " values, its shape " + dims_text(c.dims) + " needs " + std::to_string(n));
  };
  c.float32 = float32_as_floats && t.data_type() == onnx::TensorProto::FLOAT;
  if (raw.size() != 0) {
    if (raw.size() != n * width)
      fail("has " + std::to_string(raw.size()) + " bytes of raw data, its shape " + dims_text(c.dims) + " needs " +
           std::to_string(n * width));
    if (c.float32) {
      c.floats.resize(n);
      raw.read(c.floats.data());  // little-endian, as raw_values reads it
      return c;
    }
    std::vector<char> scratch;
    const char* bytes = raw.bytes(scratch);
    std::vector<double>& values = c.doubles.emplace(ConstTensor{c.dims, {}, is_integer_type(t.data_type())}).values;
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: values = raw_values<float>(bytes, n); break;
      case onnx::TensorProto::DOUBLE: values = raw_values<double>(bytes, n); break;
      case onnx::TensorProto::INT64: values = raw_values<int64_t>(bytes, n); break;
      case onnx::TensorProto::INT32: values = raw_values<int32_t>(bytes, n); break;
      case onnx::TensorProto::INT8: values = raw_values<int8_t>(bytes, n); break;
      default: values = raw_values<uint8_t>(bytes, n); break;
    }
    return c;
  }
  if (c.float32) {
    c.floats.assign(t.float_data().begin(), t.float_data().end());
    check_count(c.floats.size());
    return c;
  }
  std::vector<double>& values = c.doubles.emplace(ConstTensor{c.dims, {}, is_integer_type(t.data_type())}).values;
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: values.assign(t.float_data().begin(), t.float_data().end()); break;
    case onnx::TensorProto::DOUBLE: values.assign(t.double_data().begin(), t.double_data().end()); break;
    case onnx::TensorProto::INT64: values.assign(t.int64_data().begin(), t.int64_data().end()); break;
    default: values.assign(t.int32_data().begin(), t.int32_data().end()); break;  // int32, int8, uint8
  }
  check_count(values.size());
  return c;
}

template <typename T>
void check_finite_values(const onnx::TensorProto& t, const std::vector<T>& values, const std::string& origin) {
  if (const int64_t bad = first_non_finite_of(values); bad >= 0)
    throw ImportError(utf8::printable(origin + ": initializer '" + t.name() + "' " +
                                     dims_text({t.dims().begin(), t.dims().end()}) + " holds " +
                                     (std::isnan(values[bad]) ? "NaN" : "an infinity") + " at index " +
                                     std::to_string(bad) + " (the first; dlvpc quantizes finite weights only)"));
}

void check_finite(const onnx::TensorProto& t, const Constant& c, const std::string& origin) {
  if (c.float32) check_finite_values(t, c.floats, origin);
  else check_finite_values(t, c.doubles->values, origin);
}

void check_constant_total(const onnx::GraphProto& graph, const std::string& origin) {
  uint64_t total = 0;  // all counted before any is decoded
  for (const onnx::TensorProto& t : graph.initializer()) {
    const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    if (shape_problem(dims).empty()) total += static_cast<uint64_t>(element_count(dims));  // else decode names it
    if (total > kMaxConstantElements)
      throw ImportError(utf8::printable(origin + ": the initializers up to '" + t.name() + "' hold " + std::to_string(total) +
                                       " elements, more than " + std::to_string(kMaxConstantElements) +
                                       " (dlvpc's limit for a model's constants)"));
  }
}

}  // namespace

ConstTensor decode_tensor(const onnx::TensorProto& t, const std::string& origin) {
  return std::move(*decode_constant(t, RawData(t), origin, false).doubles);
}

ConstTensor decode_initializer(const onnx::TensorProto& t, const std::string& origin) {
  ConstTensor c = decode_tensor(t, origin);
  check_finite_values(t, c.values, origin);
  return c;
}

std::map<std::string, ConstTensor> decode_initializers(const onnx::GraphProto& graph, const std::string& origin) {
  check_constant_total(graph, origin);
  std::map<std::string, ConstTensor> out;
  for (const onnx::TensorProto& t : graph.initializer()) out[t.name()] = decode_initializer(t, origin);
  return out;
}

void check_versions(const onnx::ModelProto& model, const std::string& origin) {
  if (model.ir_version() > kMaxIrVersion)
    throw ImportError(origin + ": ir_version " + std::to_string(model.ir_version()) + " is newer than dlvpc reads (IR versions up to " +
                      std::to_string(kMaxIrVersion) + ", ONNX 1.12)");
  for (const auto& opset : model.opset_import())
    if ((opset.domain().empty() || opset.domain() == "ai.onnx") && opset.version() > kMaxOpsetVersion)
      throw ImportError(origin + ": operator set " + std::to_string(opset.version()) +
                        " is newer than dlvpc knows (the default domain's operator sets up to " +
                        std::to_string(kMaxOpsetVersion) + ", ONNX 1.12)");
}

FloatGraph import_onnx(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options) {
  return Importer(model, origin, options).run();
}

FloatGraph import_onnx(const OnnxFile& file, const ImportOptions& options) {
  return Importer(file.model(), file.path(), options, &file).run();
}

void check_parsed_model(const onnx::ModelProto& model, const std::string& origin) {
  check_versions(model, origin);
  if (!model.has_graph() || model.graph().node_size() == 0) throw ImportError(origin + ": the model has no graph nodes");
}

onnx::ModelProto parse_onnx_model(const std::string& bytes, const std::string& origin) {
  if (bytes.size() > kMaxModelFileBytes)
    throw ImportError(origin + ": " + std::to_string(bytes.size()) + " bytes; dlvpc reads ONNX models up to " +
                      std::to_string(kMaxModelFileBytes) + " bytes (protobuf's 2 GiB limit)");
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    throw ImportError(origin + ": not a valid ONNX model (" + std::to_string(bytes.size()) +
                      " bytes that do not parse as an onnx.ModelProto: truncated or corrupt?)");
  check_parsed_model(model, origin);
  return model;
}

onnx::ModelProto read_onnx_model(const std::string& path) { return OnnxFile(path).full_model(); }

FloatGraph import_onnx_file(const std::string& path, const ImportOptions& options) {
  return import_onnx(OnnxFile(path), options);
}

}  // namespace dlvp::dlvpc
