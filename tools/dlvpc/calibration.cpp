#include "tools/dlvpc/calibration.h"

#include <fstream>
#include <iterator>
#include <random>

namespace dlvp::dlvpc {

uint64_t IdxFile::item_bytes() const {
  uint64_t n = 1;
  for (size_t i = 1; i < dims.size(); ++i) n *= dims[i];
  return n;
}

IdxFile read_idx(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw ConfigError(path + ": cannot open the IDX file");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    throw ConfigError(path + ": not an IDX file (offset 0: expected the magic 00 00 <type> <rank>)" +
                      std::string(bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b ? "; it is gzip-compressed, gunzip it first" : ""));
  if (bytes[2] != 0x08) throw ConfigError(path + ": offset 2: IDX element type " + std::to_string(bytes[2]) + ", only unsigned bytes (8) are supported");
  IdxFile idx;
  const uint32_t rank = bytes[3];
  if (rank == 0 || bytes.size() < 4 + 4ull * rank) throw ConfigError(path + ": offset 4: truncated IDX header");
  uint64_t elements = 1;
  for (uint32_t i = 0; i < rank; ++i) {
    const uint8_t* d = bytes.data() + 4 + 4 * i;
    idx.dims.push_back(uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3]);
    elements *= idx.dims.back();
  }
  const uint64_t body = 4 + 4ull * rank;
  if (bytes.size() - body < elements)
    throw ConfigError(path + ": offset " + std::to_string(body) + ": the header promises " + std::to_string(elements) +
                      " bytes, the file has " + std::to_string(bytes.size() - body));
  idx.data.assign(bytes.begin() + body, bytes.begin() + body + elements);
  return idx;
}

std::vector<std::vector<float>> load_calibration(const std::string& source, uint32_t count, float scale,
                                                 const builder::TensorShape& shape) {
  std::vector<std::vector<float>> inputs;
  const uint64_t elements = shape.elements();
  if (source.rfind("random:", 0) == 0) {
    int n = 0;
    try {
      n = std::stoi(source.substr(7));
    } catch (const std::exception&) {
    }
    if (n < 1 || n > 10000) throw ConfigError("--calib " + source + ": expected random:N with N in 1..10000");
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    for (int i = 0; i < n; ++i) {
      std::vector<float> x(elements);
      for (float& v : x) v = uniform(rng);
      inputs.push_back(std::move(x));
    }
    return inputs;
  }
  const IdxFile idx = read_idx(source);
  if (idx.item_bytes() != elements)
    throw ConfigError(source + ": items have " + std::to_string(idx.item_bytes()) + " elements, the model's input " +
                      std::to_string(shape.c) + "x" + std::to_string(shape.h) + "x" + std::to_string(shape.w) + " has " +
                      std::to_string(elements));
  const uint32_t n = std::min<uint32_t>(count, idx.dims[0]);
  if (n == 0) throw ConfigError(source + ": no items");
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<float> x(elements);
    for (uint64_t e = 0; e < elements; ++e) x[e] = idx.data[i * elements + e] * scale;
    inputs.push_back(std::move(x));
  }
  return inputs;
}

}  // namespace dlvp::dlvpc
