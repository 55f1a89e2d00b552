#include "tools/dlvpc/lstm_quantize.h"

#include "tools/dlvpc/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dlvp::dlvpc {

void Range::add(double v) {
  lo = std::min(lo, v);
  hi = std::max(hi, v);
}

void Range::add(const std::vector<double>& values) {
  for (const double v : values) add(v);
}

double Range::max_abs() const { return std::max(-lo, hi); }

void LstmRanges::add(const std::vector<double>& x_seq, const lstm_ref::FloatRun& run, const std::vector<double>& h0,
                     const std::vector<double>& c0, bool projection) {
  ++sequences;
  x.add(x_seq);
  h.add(run.h);
  c.add(run.c);
  c.add(c0);
  y.add(run.y);
  (projection ? y : h).add(h0);
  preact.add(run.preacts);
}

LstmRanges calibrate_lstm(const lstm_ref::FloatLstm& model, const std::vector<std::vector<double>>& sequences,
                          const std::vector<double>& h0, const std::vector<double>& c0) {
  LstmRanges ranges;
  for (size_t n = 0; n < sequences.size(); ++n) {
    const lstm_ref::FloatRun run = lstm_ref::run_float(model, sequences[n], h0, c0);
    // Finite weights can still overflow (1e30 x 1e30): no radix point holds an infinity or a NaN.
    for (const std::vector<double>* values : {&run.preacts, &run.y})
      if (first_non_finite(*values) >= 0)
        throw QuantizeError("dlvpc: LSTM calibration: on sequence " + std::to_string(n) + " the float LSTM's " +
                            (values == &run.y ? "output" : "gate pre-activations") +
                            " are not finite (weights too large for float)");
    ranges.add(sequences[n], run, h0, c0, model.projection_size != 0);
  }
  return ranges;
}

namespace {

int clamp_frac(int frac) { return std::clamp(frac, lstm::kMinFrac, lstm::kMaxFrac); }

// The largest frac with hi x 2^frac <= top and lo x 2^frac >= bottom.
int largest_frac(double lo, double hi, double bottom, double top, int fallback) {
  if (lo == 0 && hi == 0) return fallback;
  int frac = lstm::kMaxFrac;
  while (frac > lstm::kMinFrac && (std::ldexp(hi, frac) > top || std::ldexp(lo, frac) < bottom)) --frac;
  return frac;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (const double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace

int activation_frac(const Range& range) {
  return clamp_frac(largest_frac(range.lo, range.hi, lstm::kActivationMin, lstm::kActivationMax, 15));
}

int weight_frac(double max_abs_value) {
  return clamp_frac(largest_frac(-max_abs_value, max_abs_value, lstm::kWeightMin, lstm::kWeightMax, 11));
}

lstm_ref::FixedMatrix quantize_matrix(const std::vector<double>& values, uint32_t rows, uint32_t cols, int frac) {
  lstm_ref::FixedMatrix m;
  m.rows = rows, m.cols = cols, m.frac = frac;
  m.q.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    m.q[i] = static_cast<int16_t>(std::clamp(std::floor(std::ldexp(values[i], frac) + 0.5), double{lstm::kWeightMin},
                                             double{lstm::kWeightMax}));
  return m;
}

lstm_ref::FixedLstm quantize_lstm(const lstm_ref::FloatLstm& model, const LstmRanges& ranges,
                                  const LstmQuantizeOptions& options) {
  model.check();
  const uint32_t bits = options.accumulator_bits;
  if (bits < lstm::kMinAccumulatorBits || bits > lstm::kMaxAccumulatorBits)
    throw QuantizeError("dlvpc: LSTM accumulator_bits " + std::to_string(bits) + " is outside " +
                        std::to_string(lstm::kMinAccumulatorBits) + ".." + std::to_string(lstm::kMaxAccumulatorBits));
  lstm_ref::FixedLstm q;
  q.input_size = model.input_size, q.hidden_size = model.hidden_size, q.projection_size = model.projection_size;
  q.accumulator_bits = bits;
  q.x_frac = activation_frac(ranges.x);
  q.h_frac = activation_frac(ranges.h);
  q.c_frac = activation_frac(ranges.c);
  q.y_frac = model.projection_size ? activation_frac(ranges.y) : q.h_frac;
  const int rec_frac = q.recurrent_frac();

  // Gate accumulators: the finer of the two products' radix points, but at most bits - 5 (the
  // accumulator then covers the LUT input's [-16, 16)) and at most 15 above the coarser product
  // (the product shifts' range). A matrix whose product radix point lies above it loses bits.
  const int w0 = weight_frac(max_abs(model.w)), r0 = weight_frac(max_abs(model.r));
  const int pw = w0 + q.x_frac, pr = r0 + rec_frac;
  q.gate_frac = std::min({std::max(pw, pr), static_cast<int>(bits) - 5, std::min(pw, pr) + lstm::kMaxProductShift});
  q.w = quantize_matrix(model.w, model.gate_rows(), model.input_size, std::min(w0, q.gate_frac - q.x_frac));
  q.r = quantize_matrix(model.r, model.gate_rows(), model.recurrent_size(), std::min(r0, q.gate_frac - rec_frac));

  const double acc_limit = std::ldexp(1.0, static_cast<int>(bits) - 1) - 1;
  const double bias_limit = std::min(acc_limit, 2147483647.0);
  q.bias.assign(model.gate_rows(), 0);
  for (uint32_t n = 0; n < model.gate_rows() && !model.bias.empty(); ++n)
    q.bias[n] = static_cast<int32_t>(
        std::clamp(std::floor(std::ldexp(model.bias[n], q.gate_frac) + 0.5), -bias_limit - 1, bias_limit));

  if (!model.peephole.empty()) {
    q.peephole_frac = weight_frac(max_abs(model.peephole));
    const lstm_ref::FixedMatrix p = quantize_matrix(model.peephole, 1, static_cast<uint32_t>(model.peephole.size()), q.peephole_frac);
    q.peephole = p.q;
  }
  if (model.projection_size) {
    // The projection's accumulator must cover y's 16-bit range: frac <= bits - 16 + y_frac.
    const int p0 = weight_frac(max_abs(model.projection));
    const int pf = std::min(p0, static_cast<int>(bits) - 16 + q.y_frac - q.h_frac);
    q.projection = quantize_matrix(model.projection, model.projection_size, model.hidden_size, pf);
  }
  try {
    q.check();
  } catch (const std::invalid_argument& e) {
    throw QuantizeError(std::string("dlvpc: LSTM quantization: ") + e.what() +
                        " (the calibrated ranges and weights are too far apart for the formats)");
  }
  return q;
}

}  // namespace dlvp::dlvpc
