// Calibration and dynamic fixed point of an LSTM layer (docs/lstm.md, "Quantization"): 16-bit
// activations (x, h, c, y) with one radix point per tensor from the ranges the float LSTM takes on
// calibration sequences, 12-bit weights with one radix point per matrix from its largest
// magnitude, and the gate accumulators' radix point chosen so that both products align by a left
// shift and the accumulator covers the LUT's input range.
#pragma once
#include "tests/reference/lstm_reference.h"
#include "tools/dlvpc/quantizer.h"

#include <cstdint>
#include <vector>

namespace dlvp::dlvpc {

// The smallest and largest value seen (0 included).
struct Range {
  double lo = 0, hi = 0;
  void add(double v);
  void add(const std::vector<double>& values);
  double max_abs() const;
};

struct LstmRanges {
  uint32_t sequences = 0;
  Range x, h, c, y;  // y: the projection's output (equals h without a projection)
  Range preact;      // gate pre-activations (informational: how much of the LUTs' [-16, 16)
                     // the gates use; the LUT input format is fixed)
  // One calibration sequence x [T][I] and its float run; the initial state counts too (h0 is a y
  // with a projection).
  void add(const std::vector<double>& x, const lstm_ref::FloatRun& run, const std::vector<double>& h0,
           const std::vector<double>& c0, bool projection);
};

// Runs the float LSTM on every sequence ([T][I] each) from the given initial state (empty: zeros).
LstmRanges calibrate_lstm(const lstm_ref::FloatLstm& model, const std::vector<std::vector<double>>& sequences,
                          const std::vector<double>& h0 = {}, const std::vector<double>& c0 = {});

struct LstmQuantizeOptions {
  uint32_t accumulator_bits = lstm::kDefaultAccumulatorBits;
};

// The largest radix point that holds the range in int16 without saturating (hi x 2^f <= 32767,
// lo x 2^f >= -32768; 15 for an all-zero range), clamped to [kMinFrac, kMaxFrac].
int activation_frac(const Range& range);
// The largest radix point with max_abs x 2^f <= 2047 (11 for zero), clamped likewise.
int weight_frac(double max_abs);
// q = clamp(floor(w x 2^frac + 1/2), -2048, 2047).
lstm_ref::FixedMatrix quantize_matrix(const std::vector<double>& values, uint32_t rows, uint32_t cols, int frac);

// Throws QuantizeError naming the tensor when a radix point falls outside what the formats allow.
lstm_ref::FixedLstm quantize_lstm(const lstm_ref::FloatLstm& model, const LstmRanges& ranges,
                                  const LstmQuantizeOptions& options = {});

}  // namespace dlvp::dlvpc
