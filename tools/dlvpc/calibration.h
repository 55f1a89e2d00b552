// Calibration (and evaluation) inputs for dlvpc: images from an IDX file (the MNIST family's
// format: big-endian header, uint8 pixels) scaled to floats, or uniform random tensors. What is
// read is bounded before it is allocated (docs/dlvpc.md, "Limits"): only the images asked for are
// read, the header's counts are checked against the file's size, and the inputs held together
// never exceed kMaxCalibrationValues.
#pragma once
#include "ip/common/config_error.h"
#include "tools/builder/network.h"
#include "tools/dlvpc/digest.h"
#include "tools/dlvpc/input_preprocessing.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

class InputFile;

// --calib-count and random:N take 1..kMaxCalibrationInputs inputs.
constexpr uint64_t kMaxCalibrationInputs = 100000;
// The calibration inputs together hold at most this many values (256 MiB as floats).
constexpr uint64_t kMaxCalibrationValues = uint64_t{1} << 26;

struct IdxHeader {
  std::vector<uint32_t> dims;  // e.g. {10000, 28, 28} for images, {10000} for labels
  uint64_t body_offset = 0;    // where the first item starts
  uint64_t items() const { return dims.empty() ? 0 : dims[0]; }
  uint64_t item_bytes() const;  // elements of one item (product of dims[1..])
};

struct IdxFile {
  IdxHeader header;
  std::vector<uint8_t> data;  // the items read, row-major uint8 elements
  uint64_t items() const;     // how many data holds
};

// The header of an uncompressed IDX file of unsigned bytes (type 0x08), checked against the file:
// throws ConfigError naming the file and the offset for a bad magic, another element type, a
// truncated header or items the file does not hold (header.items() x item_bytes() past its end).
IdxHeader read_idx_header(const InputFile& file);

// The header and the first `max_items` items of an IDX file (all by default). Throws ConfigError
// naming the file as read_idx_header does, and for a path that is not a regular file.
IdxFile read_idx(const std::string& path, uint64_t max_items = UINT64_MAX);

// The calibration inputs of a compile, produced one at a time: what is held is the IDX file's
// pixel bytes (count x elements), never every input as floats at once (random inputs are generated
// again on every pass). The digest says what the inputs are made of (the cache key's part).
class CalibrationInputs {
 public:
  // A --calib source, checked as load_calibration says.
  static CalibrationInputs open(const std::string& source, uint64_t count, float scale, const builder::TensorShape& shape);
  // The same with the input's whole preprocessing (an IDX file's images also checked against the
  // model's channels in pre.layout, check_image_dims).
  static CalibrationInputs open(const std::string& source, uint64_t count, const InputPreprocessing& pre,
                                const builder::TensorShape& shape);
  // Inputs already in memory (the library's callers: tests, the conformance runner).
  static CalibrationInputs of(std::vector<std::vector<float>> inputs);

  uint64_t size() const { return count_; }
  // visit(index, input) for every input in order.
  void for_each(const std::function<void(uint64_t, const std::vector<float>&)>& visit) const;
  std::vector<float> first() const;
  // SHA-256 of the inputs' content: the IDX bytes read and the scale, the random seed and count,
  // or the floats given.
  const Digest& digest() const { return digest_; }

 private:
  void for_first(uint64_t n, const std::function<void(uint64_t, const std::vector<float>&)>& visit) const;

  enum class Kind { kIdx, kRandom, kFloats };
  Kind kind_ = Kind::kFloats;
  uint64_t count_ = 0, elements_ = 0;
  InputPreprocessing pre_;
  builder::TensorShape shape_;
  std::vector<uint8_t> pixels_;              // kIdx
  std::vector<std::vector<float>> floats_;   // kFloats
  Digest digest_{};
};

// A calibration source: "random:N" (N uniform tensors in [0, 1), fixed seed) or the path of an IDX
// image file, whose first `count` items become inputs x = pixel x `scale`. Every input must have
// `shape`'s element count, and count x elements must stay within kMaxCalibrationValues; throws
// ConfigError naming the source (and --calib-count) otherwise, before reading the images.
std::vector<std::vector<float>> load_calibration(const std::string& source, uint64_t count, float scale,
                                                 const builder::TensorShape& shape);

}  // namespace dlvp::dlvpc
