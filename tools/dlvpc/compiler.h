// dlvpc's pipeline (docs/dlvpc.md): float graph + calibration inputs +
// hardware -> quantized network -> program (tiles, schedule, memory plan) -> model package, with
// a per-layer report of shapes, MACs, weights, tiles and the predicted layer time.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "tools/dlvpc/calibration.h"
#include "tools/builder/program.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/input_preprocessing.h"
#include "tools/dlvpc/layer_sqnr.h"
#include "tools/dlvpc/quantizer.h"
#include "tools/dlvpc/schedule_predictor.h"
#include "tools/package/package_writer.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// Where a compilation is: a step of compile() and, for the per-layer ones, the layers done.
struct CompileProgress {
  const char* step = "";  // "quantizing", "building the program", ...
  size_t done = 0, layers = 0;
  bool per_layer = false;  // `done` counts layers (else the step is only begun)
};
// The progress line's text: "dlvpc: quantizing layer 5 of 21", "dlvpc: predicting the schedule (21 layers)".
std::string progress_text(const CompileProgress& progress);

struct CompileOptions {
  CnnConfig hw;
  builder::BuildOptions build;
  uint64_t ddr_bytes = 0;               // DDR the package and its tensors must fit in (0: unchecked)
  // The IFU, DMA, bus and DDR the job runs on (options.hw is its engine): the schedule prediction
  // (schedule_predictor.h). Without it nothing is predicted but the engine's busy time.
  std::optional<ScheduleHardware> schedule;
  // The package carries the first calibration input and the output the reference model computes
  // for it (so run_package can check the SoC bit for bit) when the network has at most this many MACs.
  uint64_t test_data_max_macs = 300'000'000;
  // Free each layer's float weights once it is quantized (Compiled::graph then has none): what the
  // dlvpc command does; a caller that runs the float model afterwards keeps them.
  bool release_float_weights = false;
  // QUANT: the weights' radix points; the per-layer SQNR against the float model, measured on the
  // first sqnr_inputs of `sqnr_source` (none: not measured) when the network has at most
  // test_data_max_macs MACs (the reference arithmetic runs it); layers below sqnr_warn_db warn.
  QuantizeOptions quantize;
  // The input's preprocessing, recorded in the package with its quantization tables (version 7).
  InputPreprocessing input;
  const CalibrationInputs* sqnr_source = nullptr;
  uint64_t sqnr_inputs = 8;
  double sqnr_warn_db = 15.0;
  // Recorded in the package (its ddr_size_bytes: set from the above).
  package::Provenance provenance;
  // Called as compile() goes (dlvpc's progress line); may be empty.
  std::function<void(const CompileProgress&)> on_progress;
};

// What dlvpc prints per layer (and puts in its JSON report).
struct LayerReport {
  std::string name, onnx_ops, kind;
  std::string runs_on;  // CPUC: "CNN" (the engine), "CPU" (a CPU stage), "view" (no data moves)
  TensorShape input, output;
  uint64_t macs = 0, weights = 0;
  uint32_t tiles = 0, loads = 0, stores = 0;
  uint64_t load_bytes = 0, store_bytes = 0;
  int input_frac = 0, weight_frac = 0, output_frac = 0;
  int weight_frac_max = 0;  // > weight_frac: per-channel weight radix points from weight_frac to this
  std::string sqnr_db;      // the SQNR column: "23.4", "inf" or "-" (not measured)
  uint64_t engine_busy_cycles = 0;  // the engine's timing model, summed over the layer's compute instructions
  ifu::LayerTime predicted;         // the layer's share of the predicted job (zero without a schedule)
  // Operations (2 per MAC) per predicted layer time, in G/s (0 without a prediction).
  double gops() const { return predicted.time > 0 ? 2.0 * double(macs) / double(predicted.time) * 1e3 : 0.0; }
};

struct Compiled {
  FloatGraph graph;
  QuantizedModel model;
  builder::Program program;
  std::vector<uint8_t> package;
  std::vector<LayerReport> layers;
  std::optional<SchedulePrediction> schedule;  // when CompileOptions::schedule is given
  std::vector<int8_t> test_input, test_expected;  // empty when not embedded
  std::vector<LayerSqnr> sqnr;       // per layer; empty when not measured
  std::vector<std::string> warnings; // one line per layer below CompileOptions::sqnr_warn_db
  uint64_t scratch_bytes() const { return program.plan.window_bytes[builder::kArgScratch]; }
};

// The calibration statistics: the float pass (float_pass.h) over every input, one at a time.
// Throws QuantizeError naming the layer and the input when a result is not finite. `on_input` (if
// given) is called after each input with the number done (dlvpc's progress line).
CalibrationStats calibrate(const FloatGraph& graph, const CalibrationInputs& inputs,
                           const std::function<void(uint64_t done)>& on_input = {});

// Compiles with the statistics given (calibrate's, or the calibration cache's); `first_input` (the
// first calibration input) becomes the package's test input when the network is small enough.
Compiled compile(FloatGraph graph, const CalibrationStats& stats, const std::vector<float>& first_input,
                 const CompileOptions& options);

// Calibrates on `calibration`, then compiles as above.
// Throws ConfigError subclasses (QuantizeError, builder::BuildError, or ConfigError for a model that
// does not fit the DDR) with messages naming the layer or the sizes at fault.
Compiled compile(FloatGraph graph, const std::vector<std::vector<float>>& calibration, const CompileOptions& options);

// One ONNX input sample as the package's input tensor: minus the input zero point, quantized to the
// input's radix point (what the CPU does before a job).
std::vector<int8_t> quantize_input(const Compiled& compiled, const std::vector<float>& sample);

// Makes `sample` the package's test input and the reference model's output for it the expected
// output (rewrites Compiled::package): how a batch of N samples is checked as N jobs.
void embed_test_sample(Compiled& compiled, const std::vector<float>& sample, const CompileOptions& options);

// The per-layer table (fixed-width text) and totals that `dlvpc compile` prints.
std::string format_report(const Compiled& compiled, const CompileOptions& options);

}  // namespace dlvp::dlvpc
