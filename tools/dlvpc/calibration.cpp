#include "tools/dlvpc/calibration.h"

#include "tools/dlvpc/input_file.h"
#include "tools/dlvpc/option_number.h"
#include "tools/dlvpc/digest.h"

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

// The fixed seed of random:N (its inputs are the same on every compile).
constexpr uint32_t kRandomSeed = 7;

CalibrationInputs CalibrationInputs::open(const std::string& source, uint64_t count, float scale,
                                          const builder::TensorShape& shape) {
  InputPreprocessing pre;
  pre.scale = scale;
  return open(source, count, pre, shape);
}

CalibrationInputs CalibrationInputs::open(const std::string& source, uint64_t count, const InputPreprocessing& pre,
                                          const builder::TensorShape& shape) {
  CalibrationInputs in;
  in.elements_ = shape.elements();
  Sha256 sha;
  if (source.rfind("random:", 0) == 0) {
    in.kind_ = Kind::kRandom;
    in.count_ = parse_integer_option("--calib " + source, source.substr(7), 1, kMaxCalibrationInputs);
    require_calibration_fits(source, in.count_, in.elements_);
    in.digest_ = sha.add(std::string_view("random")).add(uint64_t{kRandomSeed}).add(in.count_).add(in.elements_).finish();
    return in;
  }
  const InputFile file(source, "IDX file");
  const IdxHeader header = read_idx_header(file);
  if (header.item_bytes() != in.elements_)
    throw ConfigError(source + ": items have " + std::to_string(header.item_bytes()) + " elements, the model's input " +
                      std::to_string(shape.c) + "x" + std::to_string(shape.h) + "x" + std::to_string(shape.w) + " has " +
                      std::to_string(in.elements_));
  check_image_dims(source, header.dims, shape, pre.layout);
  in.kind_ = Kind::kIdx;
  in.count_ = std::min(count, header.items());
  if (in.count_ == 0) throw ConfigError(source + ": offset 4: the header declares no items");
  require_calibration_fits(source, in.count_, in.elements_);
  in.pre_ = pre;
  in.shape_ = shape;
  in.pixels_ = file.read(header.body_offset, in.count_ * in.elements_);
  sha.add(std::string_view("idx")).add(in.count_).add(in.elements_).add(double{pre.scale});
  // Without mean, std or layout the digest stays what it was (caches made before them still hit).
  if (!pre.mean.empty() || !pre.std.empty() || pre.layout != package::kLayoutChw) sha.add(std::string_view(pre.digest_text()));
  in.digest_ = sha.add(in.pixels_.data(), in.pixels_.size()).finish();
  return in;
}

CalibrationInputs CalibrationInputs::of(std::vector<std::vector<float>> inputs) {
  CalibrationInputs in;
  in.count_ = inputs.size();
  in.elements_ = inputs.empty() ? 0 : inputs.front().size();
  Sha256 sha;
  sha.add(std::string_view("floats")).add(in.count_);
  for (const std::vector<float>& x : inputs) sha.add(uint64_t{x.size()}).add(x.data(), x.size() * sizeof(float));
  in.digest_ = sha.finish();
  in.floats_ = std::move(inputs);
  return in;
}

void CalibrationInputs::for_first(uint64_t n, const std::function<void(uint64_t, const std::vector<float>&)>& visit) const {
  if (kind_ == Kind::kFloats) {
    for (uint64_t i = 0; i < n; ++i) visit(i, floats_[i]);
    return;
  }
  std::mt19937 rng(kRandomSeed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::vector<float> x(elements_);
  for (uint64_t i = 0; i < n; ++i) {
    if (kind_ == Kind::kRandom)
      for (float& v : x) v = uniform(rng);
    else
      x = pre_.image(pixels_.data() + i * elements_, shape_);
    visit(i, x);
  }
}

void CalibrationInputs::for_each(const std::function<void(uint64_t, const std::vector<float>&)>& visit) const {
  for_first(count_, visit);
}

std::vector<float> CalibrationInputs::first() const {
  std::vector<float> x;
  for_first(std::min<uint64_t>(count_, 1), [&](uint64_t, const std::vector<float>& input) { x = input; });
  return x;
}

std::vector<std::vector<float>> load_calibration(const std::string& source, uint64_t count, float scale,
                                                 const builder::TensorShape& shape) {
  std::vector<std::vector<float>> inputs;
  CalibrationInputs::open(source, count, scale, shape).for_each([&](uint64_t, const std::vector<float>& x) {
    inputs.push_back(x);
  });
  return inputs;
}

}  // namespace dlvp::dlvpc
