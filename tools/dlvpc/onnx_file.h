// ONNX model files read in bounded memory (docs/dlvpc.md, "Import"). The protobuf is parsed without
// the raw_data of its large initializers, which stays in the file until the importer reads it
// straight into the float graph's weights: VGG-16's 553 MB of weights are then held once, as
// floats, instead of as file bytes plus parsed message plus decoded copies. Files the split does not
// understand as a plain ModelProto (groups, a tensor with two raw_data fields, truncation) are parsed
// whole, so every refusal reads as read_onnx_model's always did.
#pragma once
#include "tools/dlvpc/input_file.h"

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace dlvp::dlvpc {

// Where an initializer's raw_data lies in the model file.
struct FilePayload {
  uint64_t offset = 0, bytes = 0;
};

// raw_data of fewer bytes than this is parsed with the rest of the model (a read per small tensor
// would cost more than its bytes).
constexpr uint64_t kLeftInFileBytes = 4096;

class OnnxFile {
 public:
  // Reads `path`. Throws ImportError naming the file for what read_onnx_model refuses (the same
  // checks, in the same order, with the same messages).
  explicit OnnxFile(const std::string& path);

  const std::string& path() const { return path_; }
  // Initializers whose payload was left in the file have an empty raw_data.
  const onnx::ModelProto& model() const { return model_; }
  // Initializer `index` of model().graph(): where its raw_data lies when it was left in the file,
  // else nullptr.
  const FilePayload* payload(int index) const;
  // A payload's bytes into `out` (payload.bytes of them). Throws ImportError naming the file when
  // it can no longer deliver them (it shrank).
  void read(const FilePayload& payload, void* out) const;
  // The model with every payload back in its tensor: what parsing the whole file gives.
  onnx::ModelProto full_model() &&;

 private:
  std::string path_;
  std::unique_ptr<InputFile> file_;
  onnx::ModelProto model_;
  std::map<int, FilePayload> payloads_;  // by initializer index
};

}  // namespace dlvp::dlvpc
