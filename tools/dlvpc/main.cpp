// dlvpc: the dlvp model compiler (docs/dlvpc.md; LSTM models: docs/lstm.md, "dlvpc compile").
//   dlvpc compile MODEL.onnx --hw HW -o OUT.dlvp [--calib SRC] [--calib-count N] [--input-scale S]
//                 [--single-buffer] [--density D] [--pruning balanced|global] [--dense]
//                 [--stream-weights] [--sequences N] [--set KEY=VALUE]... [--float-predictions IDX OUT]
//                 [--calib-cache DIR] [--quiet] [--progress-after S]
//                 [--estimate-count N] [--labels IDX] [--prune-warn-pct P]
//                 [--weight-format per-layer|per-channel|auto] [--activation-radix max|mse]
//                 [--sqnr-warn DB] [--sqnr-inputs N]
// HW is a hardware file (scenarios/hw/<name>.yaml, or a bare name); SRC an IDX image file or
// random:N. Exit 0 on success, 2 with one line naming the input at fault (the file and offset, the
// node, the initializer, the layer or the option) for anything refused (docs/dlvpc.md).
#include "ip/common/config_error.h"
#include "ip/common/progress_line.h"
#include "platform/package_binding.h"
#include "platform/platform_config.h"
#include "platform/scenario.h"
#include "tools/dlvpc/calibration.h"
#include "tools/dlvpc/calibration_cache.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/float_predictions.h"
#include "tools/dlvpc/gru_compiler.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_stack_compiler.h"
#include "tools/dlvpc/lstm_estimate.h"
#include "tools/dlvpc/onnx_file.h"
#include "tools/dlvpc/onnx_import.h"
#include "tools/dlvpc/option_number.h"
#include "tools/package/package_writer.h"

#include <onnx/onnx_pb.h>

#include <systemc>  // declares sc_main with C linkage

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace {

using namespace dlvp;

constexpr const char* kUsage =
    "usage: dlvpc compile MODEL.onnx --hw HW -o OUT.dlvp [--calib SOURCE] [--calib-count N]\n"
    "                     [--input-scale S] [--single-buffer] [--calib-cache DIR] [--quiet] [--progress-after S]\n"
    "  --hw HW          hardware file (scenarios/hw/NAME.yaml or a bare NAME)\n"
    "  --calib SOURCE   calibration inputs: an IDX image file (uncompressed) or random:N, N 1..100000 (default random:4)\n"
    "  --calib-count N  images taken from an IDX file, 1..100000 (default 200)\n"
    "  --input-scale S  model input = pixel x S for IDX images, in (0, 1e6] (default 1/255)\n"
    "  --input-mean M[,M...]  subtracted after the scale, one value or one per input channel (at most 4; default 0)\n"
    "  --input-std S[,S...]   divides after the mean, one value or one per input channel (at most 4; default 1)\n"
    "  --input-layout L NCHW (default) or NHWC: the order of the images' elements in IDX files\n"
    "  --single-buffer  one slot per on-chip buffer instead of double buffering\n"
    "  --calib-cache DIR  keep the calibration statistics in DIR, keyed by the model's and the calibration\n"
    "                   data's content: later compiles of the same model and data skip the float pass\n"
    "  --float-predictions IDX OUT  also run the float model on every image of IDX (pixel x --input-scale)\n"
    "                   and write its class per image to OUT (IDX1 ubyte, like a label file)\n"
    "  --set KEY=VALUE  override a parameter of the hardware file, as dlvp run does (repeatable)\n"
    "  --weight-format F  per-layer (one weight radix point per layer, the paper's dynamic fixed point),\n"
    "                   per-channel (one per output channel) or auto (per channel where the channels'\n"
    "                   radix points differ; default)\n"
    "  --activation-radix R  max (each tensor's radix point holds the largest value calibration saw; default)\n"
    "                   or mse (of that and the next 3, the one with the least squared error, saturation\n"
    "                   included, over the calibration values)\n"
    "  --sqnr-warn DB   warn for each layer whose SQNR against the float model is below DB, in [-100, 200]\n"
    "                   (default 15)\n"
    "  --sqnr-inputs N  calibration inputs the SQNR is measured on, 0..10000 (default 8; 0: not measured)\n"
    "  --progress-after S  on a terminal, show the calibration images and layers done after S s of wall time\n"
    "                   (default 2; 0: at once); nothing when stderr is not a terminal\n"
    "LSTM models (an ONNX LSTM node, optionally with a Gemm head) run on the sparse LSTM engine:\n"
    "  --density D      prune W, R (and the projection) to this fraction of weights, in (0, 1] (default 1: keep the model's)\n"
    "  --pruning MODE   balanced (every PE keeps the same number of weights, default) or global\n"
    "  --dense          the engine's dense mode: every weight stored and multiplied, zeros included\n"
    "  --stream-weights stream the weights from DDR every step even when they fit on chip\n"
    "  --sequences N    sequences per job, run together, 1..65535 (default: the ONNX batch)\n"
    "  --estimate-count N  held-back images (the N after the --calib-count ones of the IDX file, 0..100000,\n"
    "                   default 200) on which the compiled model is compared with the float model\n"
    "  --labels IDX     the --calib file's labels (IDX1): the estimate also gives accuracies\n"
    "  --prune-warn-pct P  warn when pruning loses more than P points of top-1 agreement with the float\n"
    "                   model, in [0, 100] (default 2)\n";

struct Args {
  std::string model, hw, out, calib = "random:4";
  uint64_t calib_count = 200;
  float input_scale = 1.0f / 255.0f;
  bool single_buffer = false, quiet = false;
  double progress_after_s = 2.0;  // --progress-after
  double density = 1.0;
  std::string pruning = "balanced";
  bool dense = false, stream_weights = false;
  uint32_t sequences = 0;  // 0: the ONNX batch
  uint64_t estimate_count = 200;  // held-back images of an LSTM compile (0: no estimate)
  std::string labels;             // --labels: the --calib file's labels (empty: none)
  double prune_warn_pct = 2.0;
  dlvpc::WeightFormat weight_format = dlvpc::WeightFormat::kAuto;
  dlvpc::ActivationRadix activation_radix = dlvpc::ActivationRadix::kMax;
  std::vector<float> input_mean, input_std;  // --input-mean, --input-std (empty: 0 and 1)
  uint32_t input_layout = package::kLayoutChw;
  double sqnr_warn_db = 15.0;
  uint64_t sqnr_inputs = 8;
  std::string predict_images, predictions_out;  // --float-predictions (empty: none)
  std::string calib_cache;  // --calib-cache DIR (empty: none; the compile is then a pure function of its inputs)
  std::vector<std::string> overrides;  // --set KEY=VALUE
  std::string options;  // the options that shape the program, as shell words (recorded in the package)
};

// The largest --input-scale: pixels (0..255) times it stay far inside float's range.
constexpr double kMaxInputScale = 1e6;

Args parse(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], "compile") != 0) throw ConfigError(kUsage);
  Args a;
  a.model = argv[2];
  for (int i = 3; i < argc; ++i) {
    const std::string flag = argv[i];
    const auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw ConfigError("dlvpc: " + flag + " needs a value\n" + kUsage);
      return argv[++i];
    };
    // An option that shapes the program, recorded for the command that recompiles the package.
    const auto recorded = [&](const std::string& value) {
      a.options += (a.options.empty() ? "" : " ") + flag + " " + shell_word(value);
      return value;
    };
    const auto integer = [&](uint64_t min, uint64_t max) {
      const std::string text = recorded(next());
      return dlvpc::parse_integer_option(flag + " " + text, text, min, max);
    };
    const auto real = [&](double min, double max) {
      const std::string text = recorded(next());
      return dlvpc::parse_real_option(flag + " " + text, text, min, max);
    };
    const auto recorded_flag = [&] {
      a.options += (a.options.empty() ? "" : " ") + flag;
      return true;
    };
    if (flag == "--hw") a.hw = next();
    else if (flag == "-o" || flag == "--out") a.out = next();
    else if (flag == "--set") a.overrides.push_back(next());
    else if (flag == "--calib") a.calib = recorded(next());
    else if (flag == "--calib-count") a.calib_count = integer(1, dlvpc::kMaxCalibrationInputs);
    else if (flag == "--input-scale") a.input_scale = static_cast<float>(real(0, kMaxInputScale));
    else if (flag == "--single-buffer") a.single_buffer = recorded_flag();
    else if (flag == "--quiet") a.quiet = true;
    else if (flag == "--progress-after") {
      const std::string text = next();
      a.progress_after_s = dlvpc::parse_real_option(flag + " " + text, text, 0, 1e6, true);
    }
    else if (flag == "--calib-cache") a.calib_cache = next();
    else if (flag == "--float-predictions") {
      a.predict_images = next();
      a.predictions_out = next();
    }
    else if (flag == "--density") a.density = real(0, 1);
    else if (flag == "--pruning") a.pruning = recorded(next());
    else if (flag == "--dense") a.dense = recorded_flag();
    else if (flag == "--stream-weights") a.stream_weights = recorded_flag();
    else if (flag == "--sequences") a.sequences = static_cast<uint32_t>(integer(1, dlvpc::kMaxSequences));
    else if (flag == "--estimate-count" || flag == "--prune-warn-pct") {  // not recorded: they shape no program
      const std::string text = next();
      if (flag == "--estimate-count")
        a.estimate_count = dlvpc::parse_integer_option(flag + " " + text, text, 0, dlvpc::kMaxCalibrationInputs);
      else
        a.prune_warn_pct = dlvpc::parse_real_option(flag + " " + text, text, 0, 100, true);
    }
    else if (flag == "--labels") a.labels = next();
    else if (flag == "--input-mean") a.input_mean = dlvpc::parse_channel_values(flag, recorded(next()), false);
    else if (flag == "--input-std") a.input_std = dlvpc::parse_channel_values(flag, recorded(next()), true);
    else if (flag == "--input-layout") a.input_layout = dlvpc::parse_input_layout(flag, recorded(next()));
    else if (flag == "--weight-format") {
      const std::string text = recorded(next());
      a.weight_format = dlvpc::parse_weight_format(text, "dlvpc: " + flag + " " + text);
    }
    else if (flag == "--activation-radix") {
      const std::string text = recorded(next());
      a.activation_radix = dlvpc::parse_activation_radix(text, "dlvpc: " + flag + " " + text);
    }
    else if (flag == "--sqnr-warn" || flag == "--sqnr-inputs") {  // not recorded: they shape no program
      const std::string text = next();
      if (flag == "--sqnr-warn") a.sqnr_warn_db = dlvpc::parse_real_option(flag + " " + text, text, -100, 200, true);
      else a.sqnr_inputs = dlvpc::parse_integer_option(flag + " " + text, text, 0, 10000);
    }
    else throw ConfigError("dlvpc: unknown option " + flag + "\n" + kUsage);
  }
  if (a.hw.empty() || a.out.empty()) throw ConfigError(std::string("dlvpc: --hw and -o are required\n") + kUsage);
  if (a.pruning != "balanced" && a.pruning != "global")
    throw ConfigError("dlvpc: --pruning " + a.pruning + ": expected balanced or global");
  return a;
}

std::string hardware_file(const std::string& hw) {
  if (hw.find('/') != std::string::npos || hw.find('.') != std::string::npos) return hw;
  return Scenario::data_dir() + "/hw/" + hw + ".yaml";
}

// The input's preprocessing as the options give it (the model's input shape checks it).
dlvpc::InputPreprocessing preprocessing_of(const Args& a, const builder::TensorShape& shape) {
  dlvpc::InputPreprocessing pre;
  pre.scale = a.input_scale;
  pre.mean = a.input_mean;
  pre.std = a.input_std;
  pre.layout = a.input_layout;
  pre.check(shape);
  return pre;
}

// --float-predictions: the float model (a FloatGraph or an LstmModel) on every image of the file.
void write_predictions(const Args& a, const std::vector<uint8_t>& classes) {
  dlvpc::write_predictions_file(a.predictions_out, classes);
  if (!a.quiet)
    std::printf("dlvpc: float model's class for %zu images of %s -> %s\n", classes.size(), a.predict_images.c_str(),
                a.predictions_out.c_str());
}
void write_float_predictions(const Args& a, const dlvpc::FloatGraph& graph) {
  const dlvpc::IdxFile images = dlvpc::read_idx(a.predict_images);
  write_predictions(a, dlvpc::float_predictions(graph, images, a.predict_images, preprocessing_of(a, graph.input)));
}
template <typename RecurrentModel>  // LstmModel, GruModel or LstmStackModel
void write_float_predictions(const Args& a, const RecurrentModel& model) {
  const dlvpc::IdxFile images = dlvpc::read_idx(a.predict_images);
  write_predictions(a, dlvpc::float_predictions(model, images, a.predict_images, a.input_scale));
}

// What the package records of its origin (its hardware values come from the compile options).
package::Provenance provenance_of(const Args& a) {
  package::Provenance p;
  p.producer = "dlvpc";
  p.model_file = a.model;
  p.hardware_file = a.hw;
  for (const std::string& o : a.overrides) p.hardware_overrides += (p.hardware_overrides.empty() ? "" : " ") + ("--set " + shell_word(o));
  p.options = a.options;
  return p;
}

// One line: the hardware the package was bound to, every parameter it recorded.
void print_binding(const Args& a, const std::vector<uint8_t>& package) {
  package::PackageHeader h;
  std::memcpy(&h, package.data(), sizeof h);  // the writer read the package back: it is valid
  std::printf("dlvpc: %s bound to %s%s%s: %s\n", a.out.c_str(), a.hw.c_str(), h.origin.hardware_overrides[0] ? " " : "",
              h.origin.hardware_overrides, recorded_hardware_text(h).c_str());
}

// --calib-cache: the cache file of this model's statistics on these calibration inputs (no cache
// without the option).
struct CalibrationSlot {
  std::optional<dlvpc::CalibrationCache> cache;
  dlvpc::Digest key{};

  CalibrationSlot(const Args& a, std::string_view path_kind, const dlvpc::Digest& inputs, std::string_view options = {}) {
    if (a.calib_cache.empty()) return;
    cache.emplace(a.calib_cache);
    key = dlvpc::calibration_key(path_kind, dlvpc::file_digest(a.model, "model file"), inputs, options);
  }
  // Stores what was computed (on a miss) and says where the statistics came from.
  void finish(const Args& a, bool hit, const std::vector<uint8_t>& computed) const {
    if (!cache) return;
    if (!hit) cache->store(key, computed);
    if (!a.quiet)
      std::printf("dlvpc: calibration statistics %s %s\n", hit ? "from" : "computed, cached in", cache->file_of(key).c_str());
  }
};

// The estimate's held-back inputs: the --estimate-count images after the --calib-count ones of the
// --calib IDX file (never the ones that set the ranges), with their labels from --labels.
struct HeldBack {
  std::vector<std::vector<double>> inputs;
  std::vector<uint8_t> labels;
  std::string what;  // which images, or why there are none
};

HeldBack held_back_inputs(const Args& a, uint64_t elements) {
  HeldBack h;
  if (a.calib.rfind("random:", 0) == 0) {
    h.what = "random calibration inputs hold no data to compare on (--calib IDX)";
    return h;
  }
  if (a.estimate_count == 0) {
    h.what = "--estimate-count 0";
    return h;
  }
  if (a.estimate_count * elements > dlvpc::kMaxCalibrationValues)
    throw ConfigError("dlvpc: --estimate-count " + std::to_string(a.estimate_count) + ": " +
                      std::to_string(a.estimate_count * elements) + " values, more than " +
                      std::to_string(dlvpc::kMaxCalibrationValues));
  const dlvpc::IdxFile images = dlvpc::read_idx(a.calib, a.calib_count + a.estimate_count);
  const uint64_t first = std::min(a.calib_count, images.items()), count = images.items() - first;
  char what[256];
  std::snprintf(what, sizeof what, "images %llu..%llu of %s, after the %llu calibration images",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(first + count - 1),
                a.calib.c_str(), static_cast<unsigned long long>(first));
  h.what = count ? what : a.calib + " holds no image after the calibration ones";
  for (uint64_t i = first; i < first + count; ++i) {
    const uint8_t* pixels = images.data.data() + i * elements;
    std::vector<double>& x = h.inputs.emplace_back(elements);
    for (uint64_t k = 0; k < elements; ++k) x[k] = double{pixels[k] * a.input_scale};
  }
  if (a.labels.empty() || count == 0) return h;
  const dlvpc::IdxFile labels = dlvpc::read_idx(a.labels, first + count);
  if (labels.header.dims.size() != 1 || labels.items() < first + count)
    throw ConfigError(a.labels + ": not a label file (IDX1) holding the " + std::to_string(first + count) +
                      " labels of the calibration and held-back images");
  h.labels.assign(labels.data.begin() + static_cast<std::ptrdiff_t>(first), labels.data.end());
  h.what += ", labels from " + a.labels;
  return h;
}

// The LSTM compile options of the command line and the hardware (one-layer and stacked LSTMs).
dlvpc::LstmCompileOptions lstm_options(const Args& a, const PlatformConfig& platform) {
  dlvpc::LstmCompileOptions options;
  options.hw = platform.lstm;
  options.density = a.density;
  options.pruning = a.pruning == "global" ? dlvpc::Pruning::kGlobal : dlvpc::Pruning::kBalanced;
  options.dense = a.dense;
  options.stream_weights = a.stream_weights;
  options.sequences = a.sequences;
  options.ddr_bytes = platform.ddr.size_bytes;
  options.provenance = provenance_of(a);
  options.schedule = dlvpc::schedule_hardware(platform.ifu, platform.dma, platform.bus, platform.ddr,
                                               platform.ddr_timing, platform.cnn, platform.lstm);
  return options;
}

// The calibration inputs as the LSTM compilers take them.
std::vector<std::vector<double>> calibration_vectors(const dlvpc::CalibrationInputs& inputs) {
  std::vector<std::vector<double>> calibration;
  inputs.for_each([&](uint64_t, const std::vector<float>& x) { calibration.emplace_back(x.begin(), x.end()); });
  return calibration;
}

// The calibration cache's slot of an LSTM compile: the ranges are measured on the pruned model, so
// its pruning is part of the key (the density exactly: %a prints every bit of it).
CalibrationSlot lstm_calibration_slot(const Args& a, std::string_view path_kind, const dlvpc::CalibrationInputs& inputs,
                                      const dlvpc::LstmCompileOptions& options) {
  char pruning[96];
  std::snprintf(pruning, sizeof pruning, "density=%a pruning=%s pes=%u", a.density, a.pruning.c_str(), options.hw.pes);
  return CalibrationSlot(a, path_kind, inputs.digest(), pruning);
}

// What every LSTM compile (one layer or a stack) ends with: the pruning estimate on the held-back
// inputs (estimate_of(held_back)) before the package is written (a refused --labels leaves no
// package behind, exit 2), the package, the report, the estimate's warning.
template <typename EstimateOf>
int finish_lstm_compile(const Args& a, uint64_t input_elements, size_t calibration_count, const std::vector<uint8_t>& package,
                        const std::string& report, const EstimateOf& estimate_of) {
  const HeldBack held_back = held_back_inputs(a, input_elements);
  std::optional<dlvpc::PruneEstimate> estimate;
  if (!held_back.inputs.empty()) estimate = estimate_of(held_back);
  package::write_package_file(a.out, package);
  if (!a.quiet) {
    std::printf("dlvpc: %s -> %s for %s, calibrated on %zu inputs (%s)\n", a.model.c_str(), a.out.c_str(),
                a.hw.c_str(), calibration_count, a.calib.c_str());
    std::fputs(report.c_str(), stdout);
    if (estimate) std::fputs(dlvpc::format_estimate(*estimate, held_back.what).c_str(), stdout);
    else std::printf("  no accuracy estimate: %s\n", held_back.what.c_str());
    print_binding(a, package);
  }
  if (estimate && estimate->warns()) std::fprintf(stderr, "%s\n", dlvpc::estimate_warning(*estimate).c_str());
  return 0;
}

// A one-layer LSTM, or a GRU (gru_compiler.h: the same steps; `path` keys its calibration cache).
template <typename Model, typename Compiled>
int compile_recurrent_command(const Args& a, Model model, const PlatformConfig& platform, const char* path,
                              void (*check_fits)(const Model&, const dlvpc::LstmCompileOptions&),
                              Compiled (*compile)(Model, const std::vector<std::vector<double>>&, const dlvpc::LstmCompileOptions&),
                              std::string (*format_report)(const Compiled&, const dlvpc::LstmCompileOptions&)) {
  if (!platform.lstm.enabled) throw ConfigError(a.hw + ": this hardware has no sparse LSTM engine (lstm.enabled)");
  if (!a.predict_images.empty()) write_float_predictions(a, model);
  dlvpc::LstmCompileOptions options = lstm_options(a, platform);
  check_fits(model, options);  // before the calibration inputs are read
  builder::TensorShape shape{1, 1, static_cast<uint32_t>(dlvpc::element_count(model.input_dims))};
  const auto inputs = dlvpc::CalibrationInputs::open(a.calib, a.calib_count, a.input_scale, shape);
  const std::vector<std::vector<double>> calibration = calibration_vectors(inputs);
  const CalibrationSlot slot = lstm_calibration_slot(a, path, inputs, options);
  if (slot.cache) options.calibrated = slot.cache->load_lstm(slot.key);
  const Compiled c = compile(std::move(model), calibration, options);
  slot.finish(a, options.calibrated.has_value(), dlvpc::encode_lstm(c.calibration));
  return finish_lstm_compile(a, shape.elements(), calibration.size(), c.package, format_report(c, options),
                             [&](const HeldBack& h) {
                               return dlvpc::estimate_pruning(c, calibration, h.inputs, h.labels, options, a.prune_warn_pct);
                             });
}

// A stacked or bidirectional LSTM (docs/lstm.md, "Stacked and bidirectional LSTMs"): the same options,
// calibration cache, pruning estimate and float predictions as compile_recurrent_command.
int compile_lstm_stack_command(const Args& a, const onnx::ModelProto& proto, const PlatformConfig& platform) {
  if (!platform.lstm.enabled) throw ConfigError(a.hw + ": this hardware has no sparse LSTM engine (lstm.enabled)");
  dlvpc::LstmStackModel model = dlvpc::import_onnx_lstm_stack(proto, a.model);
  if (!a.predict_images.empty()) write_float_predictions(a, model);
  const dlvpc::LstmCompileOptions options = lstm_options(a, platform);
  builder::TensorShape shape{1, 1, static_cast<uint32_t>(dlvpc::element_count(model.levels[0][0].input_dims))};
  const auto inputs = dlvpc::CalibrationInputs::open(a.calib, a.calib_count, a.input_scale, shape);
  const std::vector<std::vector<double>> calibration = calibration_vectors(inputs);
  size_t layers = 0;
  for (const auto& level : model.levels) layers += level.size();
  const CalibrationSlot slot = lstm_calibration_slot(a, "lstm_stack", inputs, options);
  const std::optional<dlvpc::LstmStackCalibration> cached = slot.cache ? slot.cache->load_lstm_stack(slot.key, layers) : std::nullopt;
  const dlvpc::LstmStackCompiled c =
      dlvpc::compile_lstm_stack(std::move(model), calibration, options, cached ? &*cached : nullptr);
  slot.finish(a, cached.has_value(), dlvpc::encode_lstm_stack(c.calibration));
  return finish_lstm_compile(a, shape.elements(), calibration.size(), c.package, dlvpc::format_lstm_stack_report(c, options),
                             [&](const HeldBack& h) {
                               return dlvpc::estimate_stack_pruning(c, calibration, h.inputs, h.labels, options,
                                                                    a.prune_warn_pct);
                             });
}

int compile_command(const Args& a) {
  const Scenario scenario = Scenario::load(hardware_file(a.hw), a.overrides);
  const PlatformConfig platform = load_platform_config(scenario, "");
  std::optional<dlvpc::OnnxFile> file(std::in_place, a.model);
  if (dlvpc::needs_lstm_stack(file->model())) return compile_lstm_stack_command(a, std::move(*file).full_model(), platform);
  if (dlvpc::has_lstm_node(file->model()))
    return compile_recurrent_command(a, dlvpc::import_onnx_lstm(std::move(*file).full_model(), a.model), platform, "lstm",
                                     dlvpc::check_lstm_fits, dlvpc::compile_lstm, dlvpc::format_lstm_report);
  if (dlvpc::has_gru_node(file->model()))
    return compile_recurrent_command(a, dlvpc::import_onnx_gru(std::move(*file).full_model(), a.model), platform, "gru",
                                     dlvpc::check_gru_fits, dlvpc::compile_gru, dlvpc::format_gru_report);
  dlvpc::CompileOptions options;
  options.hw = platform.cnn;
  options.build.double_buffer = !a.single_buffer;
  options.release_float_weights = true;
  options.quantize.weight_format = a.weight_format;
  options.quantize.activation_radix = a.activation_radix;
  options.sqnr_inputs = a.sqnr_inputs;
  options.sqnr_warn_db = a.sqnr_warn_db;
  options.ddr_bytes = platform.ddr.size_bytes;
  options.schedule = dlvpc::schedule_hardware(platform.ifu, platform.dma, platform.bus, platform.ddr,
                                               platform.ddr_timing, platform.cnn, platform.lstm);
  options.provenance = provenance_of(a);
  options.provenance.platform.bus_bytes_per_second =
      static_cast<uint64_t>(std::llround(bus_peak_bytes_per_second(platform)));
  options.provenance.platform.ddr_peak_bytes_per_second =
      static_cast<uint64_t>(std::llround(ddr_peak_bytes_per_second(platform)));

  dlvpc::FloatGraph graph = dlvpc::import_onnx(*file);
  file.reset();  // the parsed model is not needed past the import
  if (!a.predict_images.empty()) write_float_predictions(a, graph);
  options.input = preprocessing_of(a, graph.input);
  const auto inputs = dlvpc::CalibrationInputs::open(a.calib, a.calib_count, options.input, graph.input);
  const CalibrationSlot slot(a, "cnn", inputs.digest());
  std::optional<dlvpc::CalibrationStats> stats;
  if (slot.cache) stats = slot.cache->load_stats(slot.key, graph.ops.size());
  const bool hit = stats.has_value();
  // One line from the calibration to the package; it is erased before the report is printed.
  std::optional<dlvp::ProgressLine> progress;
  progress.emplace(std::cerr, !a.quiet && dlvp::ProgressLine::stderr_is_terminal(), a.progress_after_s);
  if (!hit) {
    stats = dlvpc::calibrate(graph, inputs, [&](uint64_t done) {
      progress->update([&] {
        return "dlvpc: calibration image " + std::to_string(done) + " of " + std::to_string(inputs.size()) + " (" +
               std::to_string(graph.ops.size()) + " layers)";
      });
    });
  }
  progress->clear();  // slot.finish may print a line
  slot.finish(a, hit, dlvpc::encode_stats(*stats));
  options.on_progress = [&](const dlvpc::CompileProgress& p) { progress->update([&] { return dlvpc::progress_text(p); }); };
  options.sqnr_source = &inputs;
  const dlvpc::Compiled c = dlvpc::compile(std::move(graph), *stats, inputs.first(), options);
  progress.reset();

  package::write_package_file(a.out, c.package);
  if (!a.quiet) {
    std::printf("dlvpc: %s -> %s for %s (%u PEs x %u convolvers %ux%u @ %.0f MHz; buffers %llu/%llu/%llu B), "
                "calibrated on %llu inputs (%s)\n",
                a.model.c_str(), a.out.c_str(), a.hw.c_str(), options.hw.pes, options.hw.convolvers, options.hw.kernel,
                options.hw.kernel, options.hw.clock_mhz, static_cast<unsigned long long>(options.hw.input_buffer_bytes),
                static_cast<unsigned long long>(options.hw.weight_buffer_bytes),
                static_cast<unsigned long long>(options.hw.output_buffer_bytes),
                static_cast<unsigned long long>(inputs.size()), a.calib.c_str());
    std::fputs(dlvpc::format_report(c, options).c_str(), stdout);
    print_binding(a, c.package);
  }
  for (const std::string& warning : c.warnings) std::fprintf(stderr, "%s\n", warning.c_str());
  return 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  // Line by line, so the report (stdout) and the warnings (stderr) keep their order in one file.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const std::string model = argc > 2 ? argv[2] : "dlvpc";
  try {
    return compile_command(parse(argc, argv));
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "dlvpc: %s: out of memory\n", model.c_str());
    return 2;
  } catch (const std::exception& e) {
    // Every refusal is meant to be a ConfigError naming the input; anything else is a dlvpc bug
    // (the fuzz targets look for them), still reported as a message rather than an abort.
    std::fprintf(stderr, "dlvpc: %s: internal error (please report it with the model): %s\n", model.c_str(), e.what());
    return 2;
  }
}
