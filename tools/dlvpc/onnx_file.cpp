#include "tools/dlvpc/onnx_file.h"

#include "tools/dlvpc/onnx_import.h"

#include <algorithm>
#include <vector>

namespace dlvp::dlvpc {
namespace {

// The protobuf fields the split walks into (onnx.proto): ModelProto.graph, GraphProto.initializer,
// TensorProto.raw_data.
constexpr uint64_t kModelGraph = 7, kGraphInitializer = 5, kTensorRawData = 9;
constexpr uint64_t kWindowBytes = 1 << 16;
// A rewritten message's length: a varint padded to 5 bytes (protobuf reads it like a minimal one,
// and it holds any length below the 2 GiB file limit), written once the message is.
constexpr size_t kLengthBytes = 5;

// Rewrites the model's bytes without the large raw_data payloads, recording where each lies. Each
// message it walks is checked field by field against its bounds; anything else (groups, a field
// running past its message, a second raw_data in one tensor) makes it give up: split() is false
// and the file is parsed whole.
class Splitter {
 public:
  explicit Splitter(const InputFile& file) : file_(file) {}

  bool split(std::string& skeleton) { return file_.size() > 0 && message(Level::kModel, 0, file_.size(), skeleton, nullptr); }
  std::map<int, FilePayload> payloads;

 private:
  enum class Level { kModel, kGraph, kTensor };

  // The fields of the message in [begin, end) into `out`; `raw` receives a tensor's payload.
  bool message(Level level, uint64_t begin, uint64_t end, std::string& out, FilePayload* raw) {
    bool raw_seen = false;
    for (uint64_t pos = begin; pos < end;) {
      const uint64_t field = pos;
      uint64_t tag = 0, value = 0;
      if (!varint(pos, end, tag, kTagBytes) || tag > UINT32_MAX || (tag >> 3) == 0) return false;
      switch (tag & 7) {
        case 0: if (!varint(pos, end, value, kValueBytes)) return false; break;
        case 1: if (end - pos < 8) return false; pos += 8; break;
        case 5: if (end - pos < 4) return false; pos += 4; break;
        case 2: {
          if (!varint(pos, end, value, kTagBytes) || value > end - pos) return false;
          const uint64_t payload = pos;
          pos += value;
          const uint64_t number = tag >> 3;
          if (level == Level::kModel && number == kModelGraph) {
            if (!nested(Level::kGraph, tag, payload, pos, out, nullptr)) return false;
            continue;
          }
          if (level == Level::kGraph && number == kGraphInitializer) {
            FilePayload tensor_raw;
            const int index = initializers_++;
            if (!nested(Level::kTensor, tag, payload, pos, out, &tensor_raw)) return false;
            if (tensor_raw.bytes) payloads[index] = tensor_raw;
            continue;
          }
          if (level == Level::kTensor && number == kTensorRawData) {
            if (raw_seen) return false;  // protobuf keeps the last: left to its own parse
            raw_seen = true;
            if (value >= kLeftInFileBytes) {
              *raw = {payload, value};
              continue;
            }
          }
          break;
        }
        default: return false;  // groups (3, 4) and invalid wire types
      }
      copy(field, pos - field, out);
    }
    return true;
  }

  // A length-delimited field whose payload [begin, end) is a message of `level`, rewritten in
  // place (no copy of the graph beside the skeleton).
  bool nested(Level level, uint64_t tag, uint64_t begin, uint64_t end, std::string& out, FilePayload* raw) {
    put_varint(tag, out);
    const size_t length_at = out.size();
    out.append(kLengthBytes, '\0');
    if (!message(level, begin, end, out, raw)) return false;
    uint64_t length = out.size() - length_at - kLengthBytes;
    for (size_t i = 0; i < kLengthBytes; ++i, length >>= 7)
      out[length_at + i] = static_cast<char>((length & 0x7f) | (i + 1 < kLengthBytes ? 0x80 : 0));
    return true;
  }

  static void put_varint(uint64_t value, std::string& out) {
    for (; value >= 0x80; value >>= 7) out += static_cast<char>((value & 0x7f) | 0x80);
    out += static_cast<char>(value);
  }

  // At most `bytes` bytes: tags and lengths are 32-bit varints of up to 5 (longer ones protobuf
  // refuses, and the split must not rewrite them into ones it accepts), values up to 10.
  static constexpr int kTagBytes = 5, kValueBytes = 10;
  bool varint(uint64_t& pos, uint64_t end, uint64_t& value, int bytes) {
    value = 0;
    for (int shift = 0; shift < 7 * bytes; shift += 7) {
      if (pos >= end) return false;
      const uint8_t byte = at(pos++);
      value |= uint64_t{byte & 0x7fu} << shift;
      if (!(byte & 0x80)) return true;
    }
    return false;
  }

  // One byte through a window of the file (the fields between the payloads are small).
  uint8_t at(uint64_t pos) {
    if (pos < window_begin_ || pos >= window_begin_ + window_.size()) {
      window_begin_ = pos;
      window_.resize(std::min<uint64_t>(kWindowBytes, file_.size() - pos));
      file_.read_into(window_.data(), pos, window_.size());
    }
    return window_[pos - window_begin_];
  }

  void copy(uint64_t pos, uint64_t count, std::string& out) {
    const size_t done = out.size();
    out.resize(done + count);
    file_.read_into(out.data() + done, pos, count);
  }

  const InputFile& file_;
  std::vector<uint8_t> window_;
  uint64_t window_begin_ = 0;
  int initializers_ = 0;  // index in the graph as protobuf merges repeated graph fields
};

}  // namespace

OnnxFile::OnnxFile(const std::string& path) : path_(path) {
  try {
    file_ = std::make_unique<InputFile>(path, "model file");
    if (file_->size() > kMaxModelFileBytes)
      throw ImportError(path + ": " + std::to_string(file_->size()) + " bytes; dlvpc reads ONNX models up to " +
                        std::to_string(kMaxModelFileBytes) + " bytes (protobuf's 2 GiB limit)");
    Splitter splitter(*file_);
    std::string skeleton;
    if (splitter.split(skeleton) && model_.ParseFromString(skeleton)) {
      payloads_ = std::move(splitter.payloads);
      check_parsed_model(model_, path);
      return;
    }
    model_ = parse_onnx_model(file_->read_text(0, file_->size()), path);
  } catch (const ImportError&) {
    throw;
  } catch (const ConfigError& e) {
    throw ImportError(e.what());  // the file's own problems are the import's
  }
}

const FilePayload* OnnxFile::payload(int index) const {
  const auto it = payloads_.find(index);
  return it == payloads_.end() ? nullptr : &it->second;
}

void OnnxFile::read(const FilePayload& payload, void* out) const {
  try {
    file_->read_into(out, payload.offset, payload.bytes);
  } catch (const ConfigError& e) {
    throw ImportError(e.what());
  }
}

onnx::ModelProto OnnxFile::full_model() && {
  for (const auto& [index, payload] : payloads_) {
    std::string* raw = model_.mutable_graph()->mutable_initializer(index)->mutable_raw_data();
    raw->resize(payload.bytes);
    read(payload, raw->data());
  }
  payloads_.clear();
  return std::move(model_);
}

}  // namespace dlvp::dlvpc
