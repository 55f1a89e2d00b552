#include "tools/dlvpc/layer_sqnr.h"

#include "tests/reference/network_reference.h"
#include "tools/dlvpc/float_pass.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace dlvp::dlvpc {

double LayerSqnr::db() const {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

std::vector<LayerSqnr> measure_layer_sqnr(const FloatGraph& graph, const QuantizedModel& model,
                                          const CalibrationInputs& inputs, uint64_t max_inputs,
                                          uint32_t accumulator_bits) {
  std::vector<LayerSqnr> sqnr(graph.ops.size());
  FloatPass pass(graph);
  uint64_t done = 0;
  inputs.for_each([&](uint64_t, const std::vector<float>& input) {
    if (done++ >= max_inputs) return;
    const std::vector<int8_t> q_input = quantize_tensor(centered_input(graph, input), model.input_frac);
    const std::vector<std::vector<int8_t>> quantized =
        ref::run_network_layers(model.network, graph.input, q_input, accumulator_bits);
    pass.run(input, [&](size_t i, const std::vector<float>& f) {
      const double scale = std::ldexp(1.0, -model.op_frac[i]);
      const std::vector<int8_t>& q = quantized[i];
      for (size_t k = 0; k < f.size() && k < q.size(); ++k) {
        const double d = double{f[k]} - q[k] * scale;
        sqnr[i].signal += double{f[k]} * f[k];
        sqnr[i].noise += d * d;
      }
    });
  });
  return sqnr;
}

std::vector<std::string> sqnr_warnings(const FloatGraph& graph, const std::vector<LayerSqnr>& sqnr,
                                       double threshold_db) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < sqnr.size() && i < graph.ops.size(); ++i) {
    const double db = sqnr[i].db();
    if (!(db < threshold_db)) continue;
    char line[512];
    std::snprintf(line, sizeof line,
                  "dlvpc: warning: layer %zu '%s' (%s): SQNR %.1f dB against the float model, below --sqnr-warn %.1f dB",
                  i, graph.ops[i].name.c_str(), graph.ops[i].onnx_ops.c_str(), db, threshold_db);
    lines.emplace_back(line);
  }
  return lines;
}

std::string sqnr_text(const std::vector<LayerSqnr>& sqnr, size_t layer) {
  if (layer >= sqnr.size()) return "-";
  const double db = sqnr[layer].db();
  if (std::isinf(db)) return "inf";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", db);
  return text;
}

}  // namespace dlvp::dlvpc
