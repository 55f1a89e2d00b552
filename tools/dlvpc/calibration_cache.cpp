#include "tools/dlvpc/calibration_cache.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"
#include "tools/dlvpc/input_file.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace dlvp::dlvpc {
namespace {

constexpr char kMagic[8] = {'D', 'L', 'V', 'P', 'C', 'A', 'L', '\0'};
constexpr uint64_t kHeaderBytes = sizeof kMagic + 4 + 32 + 8;  // magic, version, key, payload size
constexpr uint64_t kTrailerBytes = 32;                          // the payload's SHA-256

class ByteWriter {
 public:
  void u32(uint32_t v) { little(v, 4); }
  void u64(uint64_t v) { little(v, 8); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    u64(bits);
  }
  void bytes(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    out.insert(out.end(), p, p + n);
  }
  std::vector<uint8_t> out;

 private:
  void little(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
};

// Reads what ByteWriter wrote; throws std::invalid_argument past the end.
class ByteReader {
 public:
  explicit ByteReader(const std::vector<uint8_t>& in) : in_(in) {}
  uint32_t u32() { return static_cast<uint32_t>(little(4)); }
  uint64_t u64() { return little(8); }
  double f64() {
    const uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  uint64_t left() const { return in_.size() - at_; }
  void end() const {
    if (left() != 0) throw std::invalid_argument(std::to_string(left()) + " bytes more than its contents");
  }

 private:
  uint64_t little(int n) {
    if (left() < static_cast<uint64_t>(n)) throw std::invalid_argument("the payload ends early (offset " + std::to_string(at_) + ")");
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{in_[at_ + i]} << (8 * i);
    at_ += n;
    return v;
  }
  const std::vector<uint8_t>& in_;
  uint64_t at_ = 0;
};

// A range as calibration builds it: finite, 0 inside.
template <typename R>
R read_range(ByteReader& in, const char* what) {
  R r;
  r.lo = static_cast<decltype(r.lo)>(in.f64());
  r.hi = static_cast<decltype(r.hi)>(in.f64());
  if (!std::isfinite(r.lo) || !std::isfinite(r.hi) || r.lo > 0 || r.hi < 0)
    throw std::invalid_argument(std::string("the range of ") + what + " is not a calibrated range");
  return r;
}

template <typename R>
void write_range(ByteWriter& out, const R& r) {
  out.f64(r.lo);
  out.f64(r.hi);
}

// A CNN tensor's range and its histogram: the bins that are not empty, as (index, count, sum, sum
// of squares).
void write_value_range(ByteWriter& out, const ValueRange& r) {
  write_range(out, r);
  uint32_t used = 0;
  for (const HistogramBin& bin : r.histogram) used += bin.count != 0;
  out.u32(used);
  for (size_t index = 0; index < r.histogram.size(); ++index)
    if (const HistogramBin& bin = r.histogram[index]; bin.count != 0) {
      out.u32(static_cast<uint32_t>(index));
      out.u64(bin.count);
      out.f64(bin.sum);
      out.f64(bin.sum_squares);
    }
}

ValueRange read_value_range(ByteReader& in, const char* what) {
  ValueRange r = read_range<ValueRange>(in, what);
  const uint32_t used = in.u32();
  if (used > ValueRange::kHistogramBins) throw std::invalid_argument(std::string("the histogram of ") + what + " has too many bins");
  if (used != 0) r.histogram.resize(ValueRange::kHistogramBins);
  for (uint32_t i = 0, previous = 0; i < used; ++i) {
    const uint32_t index = in.u32();
    HistogramBin bin;
    bin.count = in.u64();
    bin.sum = in.f64();
    bin.sum_squares = in.f64();
    if (index >= ValueRange::kHistogramBins || (i > 0 && index <= previous) || bin.count == 0 ||
        !std::isfinite(bin.sum) || !std::isfinite(bin.sum_squares) || bin.sum_squares < 0)
      throw std::invalid_argument(std::string("the histogram of ") + what + " is not a calibrated histogram");
    r.histogram[index] = bin;
    previous = index;
  }
  return r;
}

}  // namespace

Digest calibration_key(std::string_view path_kind, const Digest& model, const Digest& inputs, std::string_view options) {
  Sha256 sha;
  sha.add(std::string_view(kMagic, sizeof kMagic)).add(uint64_t{kCalibrationCacheVersion}).add(path_kind);
  sha.add(model.data(), model.size()).add(inputs.data(), inputs.size()).add(options);
  return sha.finish();
}

CalibrationCache::CalibrationCache(std::string dir, Warn warn) : dir_(std::move(dir)), warn_(std::move(warn)) {
  if (!warn_) warn_ = [](const std::string& text) { std::fprintf(stderr, "dlvpc: warning: %s\n", text.c_str()); };
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error || !std::filesystem::is_directory(dir_))
    throw ConfigError("--calib-cache " + dir_ + ": cannot create the calibration cache directory" +
                      (error ? " (" + error.message() + ")" : " (it is not a directory)"));
}

std::string CalibrationCache::file_of(const Digest& key) const { return dir_ + "/" + hex(key) + ".dlvpcal"; }

void CalibrationCache::warn(const std::string& file, const std::string& why) const {
  warn_(file + ": " + why + "; the calibration is recomputed");
}

std::optional<std::vector<uint8_t>> CalibrationCache::load(const Digest& key) const {
  const std::string path = file_of(key);
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  try {
    const InputFile file(path, "calibration cache file");
    if (file.size() > kMaxCalibrationCacheBytes) {
      warn(path, std::to_string(file.size()) + " bytes, more than a calibration cache file holds");
      return std::nullopt;
    }
    if (file.size() < kHeaderBytes + kTrailerBytes) {
      warn(path, "truncated (" + std::to_string(file.size()) + " bytes)");
      return std::nullopt;
    }
    const std::vector<uint8_t> bytes = file.read(0, file.size());
    if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
      warn(path, "offset 0: not a calibration cache file (bad magic)");
      return std::nullopt;
    }
    ByteReader header(bytes);
    header.u64();  // the magic
    const uint32_t version = header.u32();
    if (version != kCalibrationCacheVersion) {
      warn(path, "offset 8: format version " + std::to_string(version) + ", this dlvpc writes " +
                     std::to_string(kCalibrationCacheVersion));
      return std::nullopt;
    }
    if (std::memcmp(bytes.data() + 12, key.data(), key.size()) != 0) {
      warn(path, "offset 12: the key inside differs from its name");
      return std::nullopt;
    }
    header.u64(), header.u64(), header.u64(), header.u64();  // the key
    const uint64_t payload_bytes = header.u64();
    if (payload_bytes != file.size() - kHeaderBytes - kTrailerBytes) {
      warn(path, "offset 44: a payload of " + std::to_string(payload_bytes) + " bytes, the file holds " +
                     std::to_string(file.size() - kHeaderBytes - kTrailerBytes) + " (truncated?)");
      return std::nullopt;
    }
    std::vector<uint8_t> payload(bytes.begin() + kHeaderBytes, bytes.begin() + kHeaderBytes + payload_bytes);
    const Digest sum = Sha256().add(payload.data(), payload.size()).finish();
    if (std::memcmp(sum.data(), bytes.data() + kHeaderBytes + payload_bytes, sum.size()) != 0) {
      warn(path, "offset " + std::to_string(kHeaderBytes) + ": the payload's checksum does not match (corrupted)");
      return std::nullopt;
    }
    return payload;
  } catch (const ConfigError& e) {
    warn(path, std::string("cannot be read (") + e.what() + ")");
    return std::nullopt;
  }
}

void CalibrationCache::store(const Digest& key, const std::vector<uint8_t>& payload) const {
  ByteWriter file;
  file.bytes(kMagic, sizeof kMagic);
  file.u32(kCalibrationCacheVersion);
  file.bytes(key.data(), key.size());
  file.u64(payload.size());
  file.bytes(payload.data(), payload.size());
  const Digest sum = Sha256().add(payload.data(), payload.size()).finish();
  file.bytes(sum.data(), sum.size());
  const std::string path = file_of(key);
  const std::string error = write_file_atomically_shared(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(file.out.data()), static_cast<std::streamsize>(file.out.size()));
  });
  if (!error.empty()) warn_(path + ": cannot write the calibration cache file (" + error + ")");
}

template <typename Decode>
auto CalibrationCache::load_decoded(const Digest& key, Decode decode) const -> std::optional<decltype(decode({}))> {
  const std::optional<std::vector<uint8_t>> payload = load(key);
  if (!payload) return std::nullopt;
  try {
    return decode(*payload);
  } catch (const std::invalid_argument& e) {
    warn(file_of(key), e.what());
    return std::nullopt;
  }
}

std::optional<CalibrationStats> CalibrationCache::load_stats(const Digest& key, size_t ops) const {
  return load_decoded(key, [&](const std::vector<uint8_t>& payload) { return decode_stats(payload, ops); });
}

std::optional<LstmCalibration> CalibrationCache::load_lstm(const Digest& key) const {
  return load_decoded(key, [](const std::vector<uint8_t>& payload) { return decode_lstm(payload); });
}

std::optional<LstmStackCalibration> CalibrationCache::load_lstm_stack(const Digest& key, size_t layers) const {
  return load_decoded(key, [&](const std::vector<uint8_t>& payload) { return decode_lstm_stack(payload, layers); });
}

std::vector<uint8_t> encode_stats(const CalibrationStats& stats) {
  ByteWriter out;
  out.u32(stats.samples);
  out.u64(stats.ops.size());
  write_value_range(out, stats.input);
  for (const ValueRange& r : stats.ops) write_value_range(out, r);
  return out.out;
}

CalibrationStats decode_stats(const std::vector<uint8_t>& payload, size_t ops) {
  ByteReader in(payload);
  CalibrationStats stats;
  stats.samples = in.u32();
  if (stats.samples == 0) throw std::invalid_argument("statistics of no samples");
  const uint64_t n = in.u64();
  if (n != ops) throw std::invalid_argument("statistics of " + std::to_string(n) + " ops, the model has " + std::to_string(ops));
  stats.input = read_value_range(in, "the input");
  for (uint64_t i = 0; i < n; ++i) stats.ops.push_back(read_value_range(in, "an op's output"));
  in.end();
  return stats;
}

namespace {

// One LSTM layer's ranges: the sequences, then x, h, c, y, the pre-activations.
void write_lstm_ranges(ByteWriter& out, const LstmRanges& ranges) {
  out.u32(ranges.sequences);
  for (const Range* r : {&ranges.x, &ranges.h, &ranges.c, &ranges.y, &ranges.preact}) write_range(out, *r);
}

LstmRanges read_lstm_ranges(ByteReader& in) {
  LstmRanges ranges;
  ranges.sequences = in.u32();
  if (ranges.sequences == 0) throw std::invalid_argument("ranges of no sequences");
  for (Range* r : {&ranges.x, &ranges.h, &ranges.c, &ranges.y, &ranges.preact}) *r = read_range<Range>(in, "an LSTM tensor");
  return ranges;
}

}  // namespace

std::vector<uint8_t> encode_lstm(const LstmCalibration& c) {
  ByteWriter out;
  write_lstm_ranges(out, c.ranges);
  write_range(out, c.head);
  return out.out;
}

LstmCalibration decode_lstm(const std::vector<uint8_t>& payload) {
  ByteReader in(payload);
  LstmCalibration c;
  c.ranges = read_lstm_ranges(in);
  c.head = read_range<Range>(in, "an LSTM tensor");
  in.end();
  return c;
}

std::vector<uint8_t> encode_lstm_stack(const LstmStackCalibration& c) {
  ByteWriter out;
  out.u32(static_cast<uint32_t>(c.layers.size()));
  for (const LstmRanges& layer : c.layers) write_lstm_ranges(out, layer);
  write_range(out, c.head);
  return out.out;
}

LstmStackCalibration decode_lstm_stack(const std::vector<uint8_t>& payload, size_t layers) {
  ByteReader in(payload);
  const uint32_t n = in.u32();
  if (n != layers) throw std::invalid_argument("ranges of " + std::to_string(n) + " layers, the stack has " + std::to_string(layers));
  LstmStackCalibration c;
  for (uint32_t k = 0; k < n; ++k) c.layers.push_back(read_lstm_ranges(in));
  c.head = read_range<Range>(in, "the head's output");
  in.end();
  return c;
}

}  // namespace dlvp::dlvpc
