// ONNX -> dlvpc's float graph (docs/dlvpc.md, "Import"). Reads the protobuf through Debian's
// libonnx, folds BatchNormalization and constant bias adds into the preceding Conv/Gemm, fuses
// ReLU and max pooling into their producer where the engine's pipeline does the same (conv -> ReLU
// -> max pool), drops Flatten/Reshape/Dropout/Identity (they move no data in [c][h][w] order) and
// leaves a final Softmax to the CPU. Anything the accelerator cannot express is refused with an
// ImportError naming the node, its operator and the reason.
#pragma once
#include "ip/common/config_error.h"
#include "tools/dlvpc/float_graph.h"

#include <map>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
class TensorProto;
}

namespace dlvp::dlvpc {

class ImportError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// A constant tensor (float32, or integer types converted exactly to double).
struct ConstTensor {
  std::vector<int64_t> dims;
  std::vector<double> values;
};

struct ImportOptions {
  // Graph inputs given as constants at compile time (weights that a test passes as inputs).
  std::map<std::string, ConstTensor> bindings;
};

// Decodes a tensor (float, double, int64, int32, int8, uint8; raw_data or typed fields) exactly
// into doubles. Throws ImportError "<origin>: tensor '<name>' ..." for another element type,
// external data or a data size that does not match the shape.
ConstTensor decode_tensor(const onnx::TensorProto& tensor, const std::string& origin);

// Reads and parses a model file. Throws ImportError naming the file when it cannot be read or is
// not an onnx.ModelProto (truncated or corrupt).
onnx::ModelProto read_onnx_model(const std::string& path);

// Reads and imports a model file. Throws ImportError naming the file (and node) for an unreadable
// or truncated file, dynamic shapes and unsupported operators or attributes.
FloatGraph import_onnx_file(const std::string& path, const ImportOptions& options = {});
FloatGraph import_onnx(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options = {});

// "[1,3,224,224]": an ONNX shape in messages.
std::string dims_text(const std::vector<int64_t>& dims);
// Elements of a tensor of shape `dims` (1 for a scalar).
int64_t element_count(const std::vector<int64_t>& dims);

// The operators import_onnx accepts (for messages and docs).
const std::vector<std::string>& supported_operators();

}  // namespace dlvp::dlvpc
