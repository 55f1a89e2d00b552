// The calibration cache (docs/dlvpc.md, "Calibration cache"): the float pass's statistics of a
// model on its calibration inputs, which do not depend on the hardware, kept in a directory given
// by --calib-cache so that compiling one model for many hardware points calibrates it once.
//
// A file DIR/<key>.dlvpcal holds: the magic "DLVPCAL\0", the format version (u32), the key (32
// bytes), the payload's size (u64), the payload, and the payload's SHA-256. Everything is checked
// when it is read; a file that fails a check is reported (a warning naming the file and the
// check) and recomputed. Files are written to a temporary name unique to the writer, then renamed:
// a reader sees no file, or a whole one, whatever the other dlvpc processes do.
#pragma once
#include "tools/dlvpc/digest.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_stack_compiler.h"
#include "tools/dlvpc/quantizer.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dlvp::dlvpc {

// Bumped whenever the payloads or what they are computed from change meaning.
constexpr uint32_t kCalibrationCacheVersion = 2;  // 2: CNN tensors' histograms
// A cache file larger than this is not read. A CNN's payload is 20 bytes per tensor and 28 per
// histogram bin in use: about 1,300 bins at most in practice (40 octaves of float x 16 x 2 signs),
// 36 KB per tensor, so 128 MiB holds 3,500 tensors.
constexpr uint64_t kMaxCalibrationCacheBytes = uint64_t{1} << 27;

// The key of a model's statistics: the cache version, the compile path ("cnn", "lstm"), the model
// file's SHA-256, the calibration inputs' (CalibrationInputs::digest: their bytes, count and scale,
// or the random seed and count), and `options`: whatever else changes what is calibrated (the
// LSTM's pruning).
Digest calibration_key(std::string_view path_kind, const Digest& model, const Digest& inputs, std::string_view options = {});

class CalibrationCache {
 public:
  using Warn = std::function<void(const std::string&)>;
  // Creates `dir` (and its parents) when missing: throws ConfigError naming it if that fails.
  // Warnings go to `warn` (default: a "dlvpc: warning: ..." line on stderr).
  explicit CalibrationCache(std::string dir, Warn warn = {});

  std::string file_of(const Digest& key) const;
  // The payload stored for `key`: nullopt when there is no file, or when it fails a check (warned).
  std::optional<std::vector<uint8_t>> load(const Digest& key) const;
  // Stores the payload (temporary file + rename). A failure is warned, not thrown: the compile
  // does not need the cache.
  void store(const Digest& key, const std::vector<uint8_t>& payload) const;

  // The CNN's statistics and the LSTM's ranges, cached (calibrate() when missing or bad). `why`
  // of a bad payload is warned like a bad file.
  std::optional<CalibrationStats> load_stats(const Digest& key, size_t ops) const;
  std::optional<LstmCalibration> load_lstm(const Digest& key) const;
  // A stacked or bidirectional LSTM's ranges: `layers` layers (a payload of another count is bad).
  std::optional<LstmStackCalibration> load_lstm_stack(const Digest& key, size_t layers) const;

 private:
  void warn(const std::string& file, const std::string& why) const;
  // load(key) decoded; a payload decode() refuses (std::invalid_argument) is warned: nullopt.
  template <typename Decode>
  auto load_decoded(const Digest& key, Decode decode) const -> std::optional<decltype(decode({}))>;

  std::string dir_;
  Warn warn_;
};

std::vector<uint8_t> encode_stats(const CalibrationStats& stats);
// Throws std::invalid_argument saying what is wrong: not `ops` ops, a size that does not match,
// a range that is not finite or does not hold 0.
CalibrationStats decode_stats(const std::vector<uint8_t>& payload, size_t ops);
std::vector<uint8_t> encode_lstm(const LstmCalibration& calibration);
LstmCalibration decode_lstm(const std::vector<uint8_t>& payload);
// The layer count, then each layer's ranges as encode_lstm writes one layer's, then the head's.
std::vector<uint8_t> encode_lstm_stack(const LstmStackCalibration& calibration);
LstmStackCalibration decode_lstm_stack(const std::vector<uint8_t>& payload, size_t layers);

}  // namespace dlvp::dlvpc
