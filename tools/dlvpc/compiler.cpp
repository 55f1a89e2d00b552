#include "tools/dlvpc/compiler.h"

#include "tools/dlvpc/float_pass.h"

#include "ip/cnn/cnn_timing.h"
#include "ip/common/utf8.h"
#include "tests/reference/network_reference.h"
#include "platform/model_package.h"
#include "tools/package/package_writer.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace dlvp::dlvpc {
namespace {

std::string shape_text(const TensorShape& s) {
  return std::to_string(s.c) + "x" + std::to_string(s.h) + "x" + std::to_string(s.w);
}

std::string bytes_text(uint64_t bytes) {
  char buf[32];
  if (bytes >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  else if (bytes >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else std::snprintf(buf, sizeof buf, "%" PRIu64 " B", bytes);
  return buf;
}

// Where a layer runs (the table's "on" column). LSTM layers have their own compiler and table.
const char* runs_on(builder::LayerKind kind) {
  switch (kind) {
    case builder::LayerKind::kCpu: return "CPU";
    case builder::LayerKind::kConcat:
    case builder::LayerKind::kView: return "view";
    default: return "CNN";
  }
}

std::vector<LayerReport> layer_reports(const Compiled& c, const CompileOptions& options) {
  const cnn::TimingModel timing(options.hw);
  std::vector<LayerReport> reports;
  for (size_t i = 0; i < c.program.layers.size(); ++i) {
    const builder::LayerInfo& info = c.program.layers[i];
    const FloatOp& op = c.graph.ops[i];
    LayerReport r;
    r.name = info.name;
    r.onnx_ops = op.onnx_ops;
    r.kind = builder::to_string(info.kind);
    r.runs_on = runs_on(info.kind);
    r.input = info.input, r.output = info.output;
    r.macs = info.macs, r.weights = info.weight_bytes;
    r.tiles = info.tiles, r.loads = info.loads, r.stores = info.stores;
    r.load_bytes = info.load_bytes, r.store_bytes = info.store_bytes;
    r.input_frac = op.inputs[0] == kGraphInput ? c.model.input_frac : c.model.op_frac[op.inputs[0]];
    r.weight_frac = c.model.weight_frac[i];
    r.weight_frac_max = c.model.weight_frac_max[i];
    r.sqnr_db = sqnr_text(c.sqnr, i);
    r.output_frac = c.model.op_frac[i];
    for (uint32_t k = info.first_instruction; k < info.end_instruction; ++k)
      r.engine_busy_cycles += timing.cost(c.program.instructions[k]).timing.cycles;
    r.predicted.layer = static_cast<uint32_t>(i);
    reports.push_back(std::move(r));
  }
  if (c.schedule)
    for (const ifu::LayerTime& t : c.schedule->layers)
      if (t.layer < reports.size()) reports[t.layer].predicted = t;  // instruction tags are layer indices
  return reports;
}

std::optional<SchedulePrediction> predict(const builder::Program& program, const CompileOptions& options) {
  if (!options.schedule) return std::nullopt;
  std::array<uint64_t, isa::kArgCount> windows{};
  std::copy(program.plan.window_bytes.begin(), program.plan.window_bytes.end(), windows.begin());
  windows[builder::kArgConstants] = program.constants.size();
  ScheduleHardware hw = *options.schedule;
  hw.memory.cnn = options.hw;
  const JobPlacement placement =
      driver_placement(uint64_t{program.instructions.size()} * isa::kInstructionBytes, windows);
  if (program.stages.empty()) return predict_schedule(program.instructions, hw, placement);
  // CPUC: each accelerator stage is a job of its own, one after the other; the CPU stages between
  // them are not predicted (their time is the CPU's: measured on the SoC).
  SchedulePrediction all;
  for (const package::StageRecord& stage : program.stages) {
    if (stage.kind != package::kStageAccelerator) continue;
    const auto first = program.instructions.begin() + stage.first_instruction;
    JobPlacement range = placement;
    range.instructions += uint64_t{stage.first_instruction} * isa::kInstructionBytes;
    SchedulePrediction part = predict_schedule({first, first + stage.instruction_count}, hw, range);
    for (ifu::ExecutedInstruction& e : part.instructions) {
      e.index += stage.first_instruction;
      e.issue += all.job, e.start += all.job, e.end += all.job;
      all.instructions.push_back(e);
    }
    all.layers.insert(all.layers.end(), part.layers.begin(), part.layers.end());
    all.job += part.job;
  }
  return all;
}

// (Re)writes the package with the program, the tensor formats and the test data (if any).
void write_package(Compiled& c, const CompileOptions& options) {
  const package::TestData test{c.test_input, c.test_expected};
  package::TensorFormats formats;
  formats.input_frac_bits = c.model.input_frac;
  formats.output_frac_bits = c.model.output_frac();
  formats.input_zero_point = c.graph.input_zero_point;
  formats.cpu_postprocess = c.graph.softmax_on_cpu ? package::kPostSoftmax : package::kPostNone;
  formats.input_layout = options.input.layout;
  formats.input_scale = options.input.scale;
  formats.input_mean = options.input.mean;
  formats.input_std = options.input.std;
  if (c.graph.input.c <= package::kMaxInputTableChannels || options.input.table_channels(c.graph.input) == 1)
    formats.input_tables = input_tables(options.input, c.graph.input, c.graph.input_zero_point, c.model.input_frac);
  package::Provenance provenance = options.provenance;
  provenance.platform.ddr_size_bytes = options.ddr_bytes;
  package::Prediction prediction;
  if (c.schedule) {
    std::vector<uint32_t> tags(c.program.layers.size());
    for (uint32_t i = 0; i < tags.size(); ++i) tags[i] = i;  // the builder tags instructions with the layer index
    prediction = package_prediction(*c.schedule, tags);
  }
  c.package = package::write_package(c.program, options.hw, c.test_input.empty() ? nullptr : &test, formats, provenance,
                                     prediction);
}

void check_fits_ddr(const Compiled& c, const CompileOptions& options) {
  if (options.ddr_bytes == 0) return;
  const auto& w = c.program.plan.window_bytes;
  const uint64_t needed = c.package.size() + w[builder::kArgInput] + w[builder::kArgOutput] + w[builder::kArgScratch];
  if (needed > options.ddr_bytes)
    throw ConfigError("dlvpc: the model needs " + bytes_text(needed) + " of DDR (package " + bytes_text(c.package.size()) +
                      " incl. " + bytes_text(c.program.constants.size()) + " of weights, activations " +
                      bytes_text(needed - c.package.size()) + ") but the hardware has " + bytes_text(options.ddr_bytes));
}

}  // namespace

CalibrationStats calibrate(const FloatGraph& graph, const CalibrationInputs& inputs,
                           const std::function<void(uint64_t done)>& on_input) {
  CalibrationStats stats;
  stats.ops.resize(graph.ops.size());
  FloatPass pass(graph);
  inputs.for_each([&](uint64_t n, const std::vector<float>& input) {
    pass.run(input, [&](size_t i, const std::vector<float>& output) {
      // Finite weights can still overflow float (1e30 x 1e30): no radix point holds an infinity.
      for (const float v : output)
        if (!std::isfinite(v))
          throw QuantizeError("dlvpc: layer " + std::to_string(i) + " '" + graph.ops[i].name + "' (" + graph.ops[i].onnx_ops +
                              "): the float model's result is " + (std::isnan(v) ? "NaN" : "infinite") +
                              " on calibration input " + std::to_string(n) + " (weights too large for float)");
      stats.ops[i].add(output);
    });
    stats.input.add(centered_input(graph, input));
    ++stats.samples;
    if (on_input) on_input(stats.samples);
  });
  return stats;
}

Compiled compile(FloatGraph graph, const std::vector<std::vector<float>>& calibration, const CompileOptions& options) {
  if (calibration.empty()) throw ConfigError("dlvpc: no calibration inputs");
  const CalibrationStats stats = calibrate(graph, CalibrationInputs::of(calibration));
  return compile(std::move(graph), stats, calibration.front(), options);
}

Compiled compile(FloatGraph graph, const CalibrationStats& stats, const std::vector<float>& first_input,
                 const CompileOptions& options) {
  Compiled c;
  c.graph = std::move(graph);
  const size_t layers = c.graph.ops.size();
  const auto step = [&](const char* name) {
    if (options.on_progress) options.on_progress({name, 0, layers, false});
  };
  const LayerDone quantized = [&](size_t done) {
    if (options.on_progress) options.on_progress({"quantizing", done, layers, true});
  };
  const bool measure_sqnr = options.sqnr_source && options.sqnr_inputs > 0 &&
                            c.graph.macs() <= options.test_data_max_macs;
  // The SQNR runs the float model: its weights are released only after it.
  c.model = options.release_float_weights && !measure_sqnr
                ? quantize_releasing_weights(c.graph, stats, quantized, options.quantize)
                : quantize(c.graph, stats, quantized, options.quantize);
  if (measure_sqnr) {
    step("measuring each layer's SQNR");
    c.sqnr = measure_layer_sqnr(c.graph, c.model, *options.sqnr_source, options.sqnr_inputs,
                                options.hw.accumulator_bits);
    c.warnings = sqnr_warnings(c.graph, c.sqnr, options.sqnr_warn_db);
    if (options.release_float_weights)
      for (FloatOp& op : c.graph.ops) std::vector<float>().swap(op.weights);
  }
  step("building the program");
  c.program = builder::build(c.model.network, options.hw, options.build);
  step("predicting the schedule");
  c.schedule = predict(c.program, options);
  const bool embed = c.graph.macs() <= options.test_data_max_macs;
  step(embed ? "running the test sample on the reference model" : "writing the package");
  if (embed) embed_test_sample(c, first_input, options);
  else write_package(c, options);
  step("reporting");
  c.layers = layer_reports(c, options);
  check_fits_ddr(c, options);
  return c;
}

std::string progress_text(const CompileProgress& p) {
  if (p.per_layer)
    return std::string("dlvpc: ") + p.step + " layer " + std::to_string(p.done) + " of " + std::to_string(p.layers);
  return std::string("dlvpc: ") + p.step + " (" + std::to_string(p.layers) + " layers)";
}

std::vector<int8_t> quantize_input(const Compiled& c, const std::vector<float>& sample) {
  return quantize_tensor(centered_input(c.graph, sample), c.model.input_frac);
}

void embed_test_sample(Compiled& c, const std::vector<float>& sample, const CompileOptions& options) {
  if (sample.size() != c.graph.input.elements())
    throw ConfigError("dlvpc: a test sample has " + std::to_string(sample.size()) + " values, the input " +
                      std::to_string(c.graph.input.elements()));
  c.test_input = quantize_input(c, sample);
  c.test_expected = ref::run_network(c.model.network, c.graph.input, c.test_input, options.hw.accumulator_bits);
  write_package(c, options);
}

std::string format_report(const Compiled& c, const CompileOptions& options) {
  std::string out;
  char line[640];
  // The time columns carry the names of the SoC's layer report (docs/ifu.md, "Layer time").
  std::snprintf(line, sizeof line, "%-3s %-28s %-7s %-4s %-13s %-13s %13s %11s %6s %11s %7s %11s %14s %15s %13s %10s %7s  %s\n",
                "#", "layer", "kind", "on", "input", "output", "MACs", "weights", "tiles", "Q(i,w,o)", "SQNR_dB", "time_ns",
                "engine_busy_ns", "memory_stall_ns", "store_tail_ns", "other_ns", "gops", "fused ONNX nodes");
  out += line;
  uint64_t macs = 0, weights = 0, busy_cycles = 0, tiles = 0, dram = 0;
  auto ns = [](ifu::Picoseconds ps) { return double(ps) * 1e-3; };
  for (size_t i = 0; i < c.layers.size(); ++i) {
    const LayerReport& r = c.layers[i];
    const ifu::LayerTime& t = r.predicted;
    char q[48];
    if (r.weight_frac_max > r.weight_frac)  // per-channel weight radix points: their range
      std::snprintf(q, sizeof q, "%d,%d~%d,%d", r.input_frac, r.weight_frac, r.weight_frac_max, r.output_frac);
    else
      std::snprintf(q, sizeof q, "%d,%d,%d", r.input_frac, r.weight_frac, r.output_frac);
    // The name's column is cut between characters (a byte-wise %-28.28s could split one).
    std::snprintf(line, sizeof line,
                  "%-3zu %s %-7s %-4s %-13s %-13s %13" PRIu64 " %11" PRIu64 " %6u %11s %7s %11.1f %14.1f %15.1f %13.1f %10.1f %7.2f  %s\n",
                  i, utf8::column(r.name, 28).c_str(), r.kind.c_str(), r.runs_on.c_str(), shape_text(r.input).c_str(),
                  shape_text(r.output).c_str(), r.macs, r.weights, r.tiles, q, r.sqnr_db.c_str(), ns(t.time), ns(t.engine_busy), ns(t.memory_stall), ns(t.store_tail),
                  ns(t.other), r.gops(), r.onnx_ops.c_str());
    out += line;
    macs += r.macs, weights += r.weights, busy_cycles += r.engine_busy_cycles, tiles += r.tiles;
    dram += r.load_bytes + r.store_bytes;
  }
  const double busy_seconds = busy_cycles / (options.hw.clock_mhz * 1e6);
  const double job_seconds = c.schedule ? double(c.schedule->job) * 1e-12 : 0.0;
  std::snprintf(line, sizeof line,
                "total: %zu layers, %.3f G MACs, %" PRIu64 " weights (%s int8), %" PRIu64 " tiles, %zu instructions\n"
                "predicted: job %.3f us (%.1f GOPS; peak %.1f GOPS), engine busy %" PRIu64 " cycles = %.3f us at %.0f MHz, "
                "%s DRAM traffic per inference\n"
                "package: %s (constants %s), scratch %s; input Q%d, output Q%d%s\n",
                c.layers.size(), macs * 1e-9, weights, bytes_text(weights).c_str(), tiles, c.program.instructions.size(),
                job_seconds * 1e6, job_seconds > 0 ? 2.0 * macs / job_seconds * 1e-9 : 0.0,
                options.hw.peak_ops_per_second() * 1e-9, busy_cycles, busy_seconds * 1e6, options.hw.clock_mhz,
                bytes_text(dram).c_str(), bytes_text(c.package.size()).c_str(),
                bytes_text(c.program.constants.size()).c_str(), bytes_text(c.scratch_bytes()).c_str(), c.model.input_frac,
                c.model.output_frac(), c.graph.softmax_on_cpu ? ", softmax on the CPU" : "");
  out += line;
  if (c.graph.batch > 1) {
    std::snprintf(line, sizeof line, "batch: the model's batch of %u runs as %u jobs of one sample (figures above: per sample)\n",
                  c.graph.batch, c.graph.batch);
    out += line;
  }
  if (c.graph.input_zero_point != 0) {
    std::snprintf(line, sizeof line, "input zero point: %d (the CPU subtracts it before quantizing)\n", c.graph.input_zero_point);
    out += line;
  }
  return out;
}

}  // namespace dlvp::dlvpc
