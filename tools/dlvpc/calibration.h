// Calibration (and evaluation) inputs for dlvpc: images from an IDX file (the MNIST family's
// format: big-endian header, uint8 pixels) scaled to floats, or uniform random tensors.
#pragma once
#include "ip/common/config_error.h"
#include "tools/builder/network.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct IdxFile {
  std::vector<uint32_t> dims;  // e.g. {10000, 28, 28} for images, {10000} for labels
  std::vector<uint8_t> data;   // uint8 elements, row-major
  uint64_t item_bytes() const;  // elements of one item (product of dims[1..])
};

// Reads an uncompressed IDX file of unsigned bytes (type 0x08). Throws ConfigError naming the file
// and offset for a bad magic, an unsupported type or a truncated body.
IdxFile read_idx(const std::string& path);

// A calibration source: "random:N" (N uniform tensors in [0, 1), fixed seed) or the path of an IDX
// image file, whose first `count` items become inputs x = pixel x `scale`. Every input must have
// `shape`'s element count; throws ConfigError naming the source otherwise.
std::vector<std::vector<float>> load_calibration(const std::string& source, uint32_t count, float scale,
                                                 const builder::TensorShape& shape);

}  // namespace dlvp::dlvpc
