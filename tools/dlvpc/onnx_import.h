// ONNX -> dlvpc's float graph (docs/dlvpc.md, "Import"). Reads the protobuf through Debian's
// libonnx, evaluates constant subgraphs (constant_fold.h), folds BatchNormalization and constant
// bias adds into the preceding Conv/Gemm and zero Pads into the padding of the Conv or pooling
// after them, fuses ReLU and max pooling into their producer where the engine's pipeline does the
// same (conv -> ReLU -> max pool), splits pooling windows larger than the engine's into stages,
// drops Flatten/Reshape/Squeeze/Unsqueeze/Dropout/Identity (they move no data in [c][h][w] order)
// and leaves a final Softmax to the CPU. Anything the accelerator cannot express is refused with
// one ImportError naming every refused node, its operator and the reason.
#pragma once
#include "ip/common/config_error.h"
#include "tools/dlvpc/float_graph.h"

#include <map>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
class TensorProto;
}

namespace dlvp::dlvpc {

class OnnxFile;

class ImportError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// A constant tensor (float32, or integer types converted exactly to double).
struct ConstTensor {
  std::vector<int64_t> dims;
  std::vector<double> values;
  // CPUC: an integer element type (int64 shapes, indices): a fold's Div truncates as ONNX's
  // integer Div does (torch's x.chunk divides a channel count).
  bool integer = false;
};

// What dlvpc accepts from an ONNX file (docs/dlvpc.md, "Limits"): the bounds keep a hostile model
// from making it allocate without bound before anything is computed.
constexpr uint64_t kMaxModelFileBytes = (uint64_t{1} << 31) - 1;  // protobuf's 2 GiB message limit
constexpr int64_t kMaxIrVersion = 8;   // ONNX 1.12's IR version (Debian's libonnx)
constexpr int64_t kMaxOpsetVersion = 17;  // ONNX 1.12's default-domain operator set
// One tensor (an initializer, the input, a layer's result or weights): at most 2^27 elements
// (VGG-16's largest weight matrix has 103 M).
constexpr int64_t kMaxTensorElements = int64_t{1} << 27;
// One sample's activations, all layers together (the float calibration holds them all): 2^28.
constexpr uint64_t kMaxActivationElements = uint64_t{1} << 28;
// A model's initializers together (decoded as doubles: 2 GiB; VGG-16 has 138 M), and the weights
// dlvpc makes itself (a BatchNormalization on its own becomes a depthwise 1x1 convolution, an
// average that counts padding a depthwise box filter: import_depthwise_forms.h).
constexpr uint64_t kMaxConstantElements = uint64_t{1} << 28;
constexpr uint64_t kMaxSynthesizedWeights = uint64_t{1} << 27;
// Attributes that become instruction fields or loop counts (kernels, strides, pads): 0..65535.
constexpr int64_t kMaxWindowAttribute = 65535;

struct ImportOptions {
  // Graph inputs given as constants at compile time (weights that a test passes as inputs).
  std::map<std::string, ConstTensor> bindings;
};

// Decodes a tensor (float, double, int64, int32, int8, uint8; raw_data or typed fields) exactly
// into doubles. Throws ImportError "<origin>: tensor '<name>' ..." for another element type,
// external data, a shape shape_problem refuses or a data size that does not match the shape
// (checked before anything is allocated).
ConstTensor decode_tensor(const onnx::TensorProto& tensor, const std::string& origin);
// decode_tensor for a model's initializer (weights, biases, shapes): also refuses NaN and
// infinities, naming the initializer and the first bad index.
ConstTensor decode_initializer(const onnx::TensorProto& tensor, const std::string& origin);
// Every initializer of `graph` by name, refused before decoding once they hold more than
// kMaxConstantElements together.
std::map<std::string, ConstTensor> decode_initializers(const onnx::GraphProto& graph, const std::string& origin);

// Reads and parses a model file. Throws ImportError naming the file when it is not a regular file,
// is larger than kMaxModelFileBytes, cannot be read or is not an onnx.ModelProto (truncated or
// corrupt), or has an IR or operator set version above what dlvpc knows.
onnx::ModelProto read_onnx_model(const std::string& path);
// The same for bytes already in memory; `origin` names them in messages.
onnx::ModelProto parse_onnx_model(const std::string& bytes, const std::string& origin);
// Throws ImportError "<origin>: ir_version 99 ..." / "... operator set 99 ..." naming what dlvpc supports.
void check_versions(const onnx::ModelProto& model, const std::string& origin);
// What parse_onnx_model checks once the bytes parsed: the versions, and that the graph has nodes.
void check_parsed_model(const onnx::ModelProto& model, const std::string& origin);

// Reads and imports a model file. Throws ImportError naming the file (and node) for an unreadable
// or truncated file, dynamic shapes and unsupported operators or attributes.
FloatGraph import_onnx_file(const std::string& path, const ImportOptions& options = {});
FloatGraph import_onnx(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options = {});
// The same for a file read in bounded memory (onnx_file.h): the initializers left in the file are
// read from it, float32 ones straight into the weights.
FloatGraph import_onnx(const OnnxFile& file, const ImportOptions& options = {});

// "[1,3,224,224]": an ONNX shape in messages.
std::string dims_text(const std::vector<int64_t>& dims);
// Why `dims` cannot be a tensor's shape ("" when it can): a negative dimension, or more than
// kMaxTensorElements elements, counted without overflow (a zero dimension hides no other).
std::string shape_problem(const std::vector<int64_t>& dims);
// Elements of a tensor of shape `dims` (1 for a scalar), saturated at INT64_MAX: meant for shapes
// that shape_problem accepts, but never overflows on others.
int64_t element_count(const std::vector<int64_t>& dims);
// What Reshape makes of `dims` with the target `shape` (its constant input's values; 0 copies the
// input's dimension unless allow_zero, one -1 is inferred): the problem ("" when none) and `out`.
std::string reshape_target(const std::vector<double>& shape, const std::vector<int64_t>& dims, bool allow_zero,
                           std::vector<int64_t>& out);
// A constant's value in a message: "2" for integers, "1.5", "1e+300", "nan" otherwise.
std::string value_text(double value);
// The index of the first NaN or infinity in `values`, or -1.
int64_t first_non_finite(const std::vector<double>& values);

// The operators import_onnx accepts (for messages and docs).
const std::vector<std::string>& supported_operators();

}  // namespace dlvp::dlvpc
