#include "tools/dlvpc/gru_compress.h"

#include "tools/dlvpc/onnx_import.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace dlvp::dlvpc {
namespace {

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (const double x : v) m = std::max(m, std::fabs(x));
  return m;
}

double at(const std::vector<double>& v, size_t n) { return v.empty() ? 0.0 : v[n]; }

}  // namespace

GruRanges calibrate_gru(const lstm_ref::FloatGru& model, const std::vector<std::vector<double>>& sequences,
                        const std::vector<double>& h0) {
  GruRanges ranges;
  for (size_t n = 0; n < sequences.size(); ++n) {
    const lstm_ref::FloatGruRun run = lstm_ref::run_float(model, sequences[n], h0);
    if (first_non_finite(run.preacts) >= 0 || first_non_finite(run.h) >= 0)
      throw QuantizeError("dlvpc: GRU calibration: on sequence " + std::to_string(n) +
                          " the float GRU's values are not finite (weights too large for float)");
    ++ranges.sequences;
    ranges.x.add(sequences[n]);
    ranges.h.add(run.h);
    ranges.h.add(h0);
    ranges.preact.add(run.preacts);
  }
  return ranges;
}

lstm_ref::FixedGru quantize_gru(const lstm_ref::FloatGru& model, const GruRanges& ranges,
                                const LstmQuantizeOptions& options) {
  model.check();
  const uint32_t bits = options.accumulator_bits;
  if (bits < lstm::kMinAccumulatorBits || bits > lstm::kMaxAccumulatorBits)
    throw QuantizeError("dlvpc: GRU accumulator_bits " + std::to_string(bits) + " is outside " +
                        std::to_string(lstm::kMinAccumulatorBits) + ".." + std::to_string(lstm::kMaxAccumulatorBits));
  const uint32_t H = model.hidden_size, G = model.gate_rows();
  lstm_ref::FixedGru q;
  q.input_size = model.input_size, q.hidden_size = H, q.accumulator_bits = bits;
  q.linear_before_reset = model.linear_before_reset;
  q.x_frac = activation_frac(ranges.x);
  q.h_frac = activation_frac(ranges.h);
  const int w0 = weight_frac(max_abs(model.w)), r0 = weight_frac(max_abs(model.r));
  const int pw = w0 + q.x_frac, pr = r0 + q.h_frac;
  q.gate_frac = std::min({std::max(pw, pr), static_cast<int>(bits) - 5, std::min(pw, pr) + lstm::kMaxProductShift});
  q.w = quantize_matrix(model.w, G, model.input_size, std::min(w0, q.gate_frac - q.x_frac));
  q.r = quantize_matrix(model.r, G, H, std::min(r0, q.gate_frac - q.h_frac));

  const double limit = std::min(std::ldexp(1.0, static_cast<int>(bits) - 1) - 1, 2147483647.0);
  auto fixed_bias = [&](double b) {
    return static_cast<int32_t>(std::clamp(std::floor(std::ldexp(b, q.gate_frac) + 0.5), -limit - 1, limit));
  };
  q.bias_x.resize(G);
  for (uint32_t n = 0; n < G; ++n) {
    const bool recurrent_apart = model.linear_before_reset && n >= 2 * H;  // Rb_h goes to bias_n
    q.bias_x[n] = fixed_bias(at(model.wb, n) + (recurrent_apart ? 0.0 : at(model.rb, n)));
  }
  if (model.linear_before_reset)
    for (uint32_t k = 0; k < H; ++k) q.bias_n.push_back(fixed_bias(at(model.rb, 2 * H + k)));
  try {
    q.check();
  } catch (const std::invalid_argument& e) {
    throw QuantizeError(std::string("dlvpc: GRU quantization: ") + e.what() +
                        " (the calibrated ranges and weights are too far apart for the formats)");
  }
  return q;
}

lstm_ref::FloatGru prune_gru(const lstm_ref::FloatGru& model, const PruneOptions& options) {
  model.check();
  lstm_ref::FloatGru p = model;
  p.w = prune_matrix(model.w, model.gate_rows(), model.input_size, options);
  p.r = prune_matrix(model.r, model.gate_rows(), model.hidden_size, options);
  return p;
}

lstm_ref::SparseGru encode_gru(const lstm_ref::FixedGru& m, uint32_t pes, bool store_zeros) {
  const uint32_t H = m.hidden_size;
  return {encode_csc(m.w, pes, store_zeros), encode_csc(m.r_rows(0, 2 * H), pes, store_zeros),
          encode_csc(m.r_rows(2 * H, H), pes, store_zeros)};
}

CompressedGru compress_gru(const lstm_ref::FloatGru& model, const std::vector<std::vector<double>>& calibration,
                           const CompressOptions& options, const GruRanges* ranges) {
  CompressedGru c;
  c.pruned = prune_gru(model, options.prune);
  c.ranges = ranges ? *ranges : calibrate_gru(c.pruned, calibration);
  c.fixed = quantize_gru(c.pruned, c.ranges, options.quantize);
  c.sparse = encode_gru(c.fixed, options.prune.pes, options.store_zeros);
  c.report = compression_report({matrix_report(c.sparse.w, "W"), matrix_report(c.sparse.r_zr, "R_zr"),
                                 matrix_report(c.sparse.r_h, "R_h")},
                                options.prune.pes, options.prune.mode, options.prune.density);
  return c;
}

}  // namespace dlvp::dlvpc
