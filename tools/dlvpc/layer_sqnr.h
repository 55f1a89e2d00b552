// Per-layer SQNR of a quantized network against its float model (docs/dlvpc.md, "Accuracy"): each
// layer's int8 output (the reference arithmetic, bit-exact with the SoC) dequantized at its radix
// point, against the float pass's output of the same layer, over calibration inputs:
//   SQNR = 10 log10(sum f^2 / sum (f - q)^2)   in dB, over all elements of all inputs measured.
// The quantized side runs the whole quantized network, so a layer's figure includes the error of
// everything before it (what its output really carries on the SoC).
#pragma once
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/quantizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct LayerSqnr {
  double signal = 0;  // sum of the float output's squares
  double noise = 0;   // sum of the squared differences
  // +infinity when there is no error at all (noise 0).
  double db() const;
};

// The first `max_inputs` of `inputs` through both models; one entry per layer. The float graph
// must still hold its weights.
std::vector<LayerSqnr> measure_layer_sqnr(const FloatGraph& graph, const QuantizedModel& model,
                                          const CalibrationInputs& inputs, uint64_t max_inputs,
                                          uint32_t accumulator_bits);

// One warning line per layer whose SQNR is below `threshold_db`, naming the layer and the figure.
std::vector<std::string> sqnr_warnings(const FloatGraph& graph, const std::vector<LayerSqnr>& sqnr,
                                       double threshold_db);

// "23.4", "inf" (no error) or "-" (not measured): the report's column.
std::string sqnr_text(const std::vector<LayerSqnr>& sqnr, size_t layer);

}  // namespace dlvp::dlvpc
