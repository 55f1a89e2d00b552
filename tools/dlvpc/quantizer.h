// Dynamic fixed point (docs/dlvpc.md, "Quantization"; seeds/000's Aristotle scheme): every tensor
// is int8 with its own radix point, real = q x 2^-frac. Activations get the largest frac that
// holds the largest magnitude seen on the calibration inputs; each layer's weights the largest
// frac that holds its largest weight — or, per output channel (ISA version 3), each channel's
// weights theirs; biases are int32 at the accumulator's radix point. The shifts of the ISA then
// move between radix points exactly as docs/isa.md computes them.
#pragma once
#include "ip/common/config_error.h"
#include "tools/builder/network.h"
#include "tools/dlvpc/float_graph.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace dlvp::dlvpc {

class QuantizeError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// One bin of a tensor's histogram: how many values fell in it, their sum and sum of squares (the
// squared error of a bin that rounds to one level follows from these exactly).
struct HistogramBin {
  uint64_t count = 0;
  double sum = 0, sum_squares = 0;
  bool operator==(const HistogramBin& o) const { return count == o.count && sum == o.sum && sum_squares == o.sum_squares; }
};

// The smallest and largest value a tensor took (0 included), and how its non-zero values were
// spread: a histogram over the float's sign, exponent and top kHistogramMantissaBits mantissa bits
// (bins 1/16 of an octave wide), what --activation-radix mse weighs candidate radix points with.
struct ValueRange {
  static constexpr int kHistogramMantissaBits = 4;
  static constexpr int kHistogramShift = 23 - kHistogramMantissaBits;
  static constexpr size_t kHistogramBins = size_t{1} << (32 - kHistogramShift);
  float lo = 0, hi = 0;
  std::vector<HistogramBin> histogram;  // kHistogramBins bins, or empty: no value seen
  void add(const std::vector<float>& values);
};

// The range of every tensor over the calibration inputs.
struct CalibrationStats {
  uint32_t samples = 0;
  ValueRange input;            // the input as the first layer reads it (zero point subtracted)
  std::vector<ValueRange> ops; // per FloatGraph op output
  void add(const std::vector<float>& input, const std::vector<std::vector<float>>& op_outputs);
};

// How the weights of a CONV/FC layer get their radix points (--weight-format).
enum class WeightFormat {
  kPerLayer,    // one radix point per layer: the paper's dynamic fixed point
  kPerChannel,  // one per output channel (ISA v3 per-channel output shifts)
  kAuto,        // per channel where the channels' radix points differ (then no weight rounds worse), else per layer
};
const char* to_string(WeightFormat format);
// "per-layer", "per-channel" or "auto"; throws ConfigError naming `what` otherwise.
WeightFormat parse_weight_format(const std::string& text, const std::string& what);

// How activations get their radix points (--activation-radix).
enum class ActivationRadix {
  kMax,  // the largest frac that holds the largest magnitude seen: nothing saturates (the paper's)
  kMse,  // of that frac and the next kMseExtraBits, the one with the least squared error over the
         // calibration values (rounding and saturation): a rare outlier no longer costs every value
};
const char* to_string(ActivationRadix radix);
// "max" or "mse"; throws ConfigError naming `what` otherwise.
ActivationRadix parse_activation_radix(const std::string& text, const std::string& what);
constexpr int kMseExtraBits = 3;

struct QuantizeOptions {
  WeightFormat weight_format = WeightFormat::kAuto;
  ActivationRadix activation_radix = ActivationRadix::kMax;
};

struct QuantizedModel {
  builder::Network network;     // one builder layer per float op, same order
  int input_frac = 0;           // the network input's radix point
  std::vector<int> op_frac;     // each op output's radix point; the last is the output's
  std::vector<int> weight_frac; // each conv/fc op's weights' (smallest) radix point (0 for others)
  std::vector<int> weight_frac_max;  // the largest: > weight_frac where channels have their own
  int output_frac() const { return op_frac.back(); }
};

// The radix point that holds `max_abs` in int8 without saturating: the largest frac with
// max_abs x 2^frac <= 127 (7 for an all-zero tensor), clamped to [-24, 24]. For weights.
int frac_for(float max_abs);
// The same for a range, using int8's asymmetry: hi x 2^frac <= 127 and lo x 2^frac >= -128 (so
// integer data in [-128, 127] keeps radix point 0 and stays exact). For activations.
int frac_for(const ValueRange& range);
// The radix point --activation-radix picks for a calibrated tensor (kMax: frac_for(range)).
int frac_for(const ValueRange& range, ActivationRadix radix);
// The squared error of holding the histogram's values as int8 at radix point `frac` (rounding to
// nearest, saturating at -128 / 127), summed over the values.
double quantization_error(const ValueRange& range, int frac);

// Called with the number of layers quantized so far, after each (dlvpc's progress line).
using LayerDone = std::function<void(size_t done)>;

// Throws QuantizeError naming the layer when a shift falls outside the ISA's ranges.
QuantizedModel quantize(const FloatGraph& graph, const CalibrationStats& stats, const LayerDone& on_layer = {},
                        const QuantizeOptions& options = {});
// The same, freeing each op's float weights once its int8 weights are made (the graph keeps its
// structure and biases): a model's weights are then held about once at any time, not float + int8.
QuantizedModel quantize_releasing_weights(FloatGraph& graph, const CalibrationStats& stats,
                                          const LayerDone& on_layer = {}, const QuantizeOptions& options = {});

// q = clamp(floor(x x 2^frac + 1/2), -128, 127), and back.
std::vector<int8_t> quantize_tensor(const std::vector<float>& values, int frac);
std::vector<float> dequantize(const std::vector<int8_t>& values, int frac);

}  // namespace dlvp::dlvpc
