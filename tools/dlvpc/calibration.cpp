#include "tools/dlvpc/calibration.h"

#include "tools/dlvpc/input_file.h"
#include "tools/dlvpc/option_number.h"

#include <algorithm>
#include <random>

namespace dlvp::dlvpc {

namespace {

constexpr uint8_t kIdxUnsignedByte = 0x08;

// Product of dims[first..], saturated at UINT64_MAX (so that an absurd header cannot wrap around
// to a small size).
uint64_t saturated_product(const std::vector<uint32_t>& dims, size_t first) {
  uint64_t n = 1;
  for (size_t i = first; i < dims.size(); ++i)
    if (__builtin_mul_overflow(n, uint64_t{dims[i]}, &n)) return UINT64_MAX;
  return n;
}

// n inputs of `elements` values each must fit the calibration limit (checked before allocating).
void require_calibration_fits(const std::string& source, uint64_t n, uint64_t elements) {
  if (n <= kMaxCalibrationValues / std::max<uint64_t>(elements, 1)) return;
  const uint64_t most = kMaxCalibrationValues / std::max<uint64_t>(elements, 1);
  throw ConfigError("dlvpc: --calib " + source + ": " + std::to_string(n) + " inputs of " + std::to_string(elements) +
                    " values exceed the " + std::to_string(kMaxCalibrationValues) +
                    " calibration values dlvpc holds; " +
                    (most == 0 ? std::string("the model's input alone is larger")
                               : "take at most " + std::to_string(most) + " (--calib-count " + std::to_string(most) + ")"));
}

}  // namespace

uint64_t IdxHeader::item_bytes() const { return saturated_product(dims, 1); }

uint64_t IdxFile::items() const {
  const uint64_t bytes = header.item_bytes();
  return bytes == 0 ? 0 : data.size() / bytes;
}

IdxHeader read_idx_header(const InputFile& file) {
  const std::string& path = file.path();
  if (file.size() < 4) throw ConfigError(path + ": offset 0: not an IDX file (" + std::to_string(file.size()) + " bytes)");
  const std::vector<uint8_t> magic = file.read(0, 4);
  if (magic[0] != 0 || magic[1] != 0)
    throw ConfigError(path + ": not an IDX file (offset 0: expected the magic 00 00 <type> <rank>)" +
                      std::string(magic[0] == 0x1f && magic[1] == 0x8b ? "; it is gzip-compressed, gunzip it first" : ""));
  if (magic[2] != kIdxUnsignedByte)
    throw ConfigError(path + ": offset 2: IDX element type " + std::to_string(magic[2]) + ", only unsigned bytes (8) are supported");
  const uint32_t rank = magic[3];
  if (rank == 0) throw ConfigError(path + ": offset 3: IDX rank 0 (an IDX file holds at least one dimension)");
  IdxHeader h;
  h.body_offset = 4 + 4ull * rank;
  if (file.size() < h.body_offset)
    throw ConfigError(path + ": offset 4: truncated IDX header (rank " + std::to_string(rank) + " needs " +
                      std::to_string(h.body_offset) + " bytes, the file has " + std::to_string(file.size()) + ")");
  const std::vector<uint8_t> d = file.read(4, 4ull * rank);
  for (uint32_t i = 0; i < rank; ++i)
    h.dims.push_back(uint32_t{d[4 * i]} << 24 | uint32_t{d[4 * i + 1]} << 16 | uint32_t{d[4 * i + 2]} << 8 | d[4 * i + 3]);
  const uint64_t body = file.size() - h.body_offset;
  const uint64_t promised = saturated_product(h.dims, 0);
  if (promised > body)
    throw ConfigError(path + ": offset " + std::to_string(h.body_offset) + ": the header promises " +
                      std::to_string(h.items()) + " items of " + std::to_string(h.item_bytes()) + " bytes" +
                      (promised == UINT64_MAX ? "" : " (" + std::to_string(promised) + " bytes)") + ", the file holds " +
                      std::to_string(body));
  return h;
}

IdxFile read_idx(const std::string& path, uint64_t max_items) {
  const InputFile file(path, "IDX file");
  IdxFile idx;
  idx.header = read_idx_header(file);
  const uint64_t items = std::min(max_items, idx.header.items());
  idx.data = file.read(idx.header.body_offset, items * idx.header.item_bytes());  // within the file: checked above
  return idx;
}

std::vector<std::vector<float>> load_calibration(const std::string& source, uint64_t count, float scale,
                                                 const builder::TensorShape& shape) {
  std::vector<std::vector<float>> inputs;
  const uint64_t elements = shape.elements();
  if (source.rfind("random:", 0) == 0) {
    const uint64_t n = parse_integer_option("--calib " + source, source.substr(7), 1, kMaxCalibrationInputs);
    require_calibration_fits(source, n, elements);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (uint64_t i = 0; i < n; ++i) {
      std::vector<float> x(elements);
      for (float& v : x) v = uniform(rng);
      inputs.push_back(std::move(x));
    }
    return inputs;
  }
  const InputFile file(source, "IDX file");
  const IdxHeader header = read_idx_header(file);
  if (header.item_bytes() != elements)
    throw ConfigError(source + ": items have " + std::to_string(header.item_bytes()) + " elements, the model's input " +
                      std::to_string(shape.c) + "x" + std::to_string(shape.h) + "x" + std::to_string(shape.w) + " has " +
                      std::to_string(elements));
  const uint64_t n = std::min(count, header.items());
  if (n == 0) throw ConfigError(source + ": offset 4: the header declares no items");
  require_calibration_fits(source, n, elements);
  const std::vector<uint8_t> pixels = file.read(header.body_offset, n * elements);
  for (uint64_t i = 0; i < n; ++i) {
    std::vector<float> x(elements);
    for (uint64_t e = 0; e < elements; ++e) x[e] = pixels[i * elements + e] * scale;
    inputs.push_back(std::move(x));
  }
  return inputs;
}

}  // namespace dlvp::dlvpc
