// dlvpc's pipeline (DESIGN.md section 7, docs/dlvpc.md): float graph + calibration inputs +
// hardware -> quantized network -> program (tiles, schedule, memory plan) -> model package, with
// a per-layer report of shapes, MACs, weights, tiles and predicted cycles.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "tools/builder/program.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/quantizer.h"
#include "tools/package/package_writer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct CompileOptions {
  CnnConfig hw;
  builder::BuildOptions build;
  uint64_t ddr_bytes = 0;               // DDR the package and its tensors must fit in (0: unchecked)
  double memory_bytes_per_second = 0;   // sustainable DDR/bus bandwidth for the cycle prediction (0: ignore)
  // The package carries the first calibration input and the output the reference model computes
  // for it (so run_package can check the SoC bit for bit) when the network has at most this many MACs.
  uint64_t test_data_max_macs = 300'000'000;
  // Recorded in the package (its ddr_size_bytes: set from the above).
  package::Provenance provenance;
};

// What dlvpc prints per layer (and puts in its JSON report).
struct LayerReport {
  std::string name, onnx_ops, kind;
  TensorShape input, output;
  uint64_t macs = 0, weights = 0;
  uint32_t tiles = 0, loads = 0, stores = 0;
  uint64_t load_bytes = 0, store_bytes = 0;
  int input_frac = 0, weight_frac = 0, output_frac = 0;
  uint64_t compute_cycles = 0;   // the engine's timing model, summed over the layer's compute instructions
  uint64_t memory_cycles = 0;    // the layer's LOAD/STORE bytes at the memory bandwidth, in engine cycles
  uint64_t predicted_cycles() const { return compute_cycles > memory_cycles ? compute_cycles : memory_cycles; }
};

struct Compiled {
  FloatGraph graph;
  QuantizedModel model;
  builder::Program program;
  std::vector<uint8_t> package;
  std::vector<LayerReport> layers;
  std::vector<int8_t> test_input, test_expected;  // empty when not embedded
  uint64_t scratch_bytes() const { return program.plan.window_bytes[builder::kArgScratch]; }
};

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
