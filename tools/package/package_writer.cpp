#include "package_writer.h"

#include "ip/common/config_error.h"
#include "ip/common/utf8.h"
#include "platform/model_package.h"
#include "platform/package_file.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dlvp::package {
namespace {

constexpr uint64_t kSectionAlign = 64;

uint64_t align(uint64_t v) { return (v + kSectionAlign - 1) / kSectionAlign * kSectionAlign; }

// Appends `bytes` at the next aligned offset; returns that offset.
uint64_t append(std::vector<uint8_t>& blob, const void* bytes, uint64_t size) {
  const uint64_t offset = align(blob.size());
  blob.resize(offset + size);
  if (size) std::memcpy(blob.data() + offset, bytes, size);
  return offset;
}

uint32_t kind_of(builder::LayerKind kind) {
  switch (kind) {
    case builder::LayerKind::kConv: return kLayerConv;
    case builder::LayerKind::kFc: return kLayerFc;
    case builder::LayerKind::kPool: return kLayerPool;
    case builder::LayerKind::kEltwise: return kLayerEltwise;
    case builder::LayerKind::kConcat: return kLayerConcat;
    case builder::LayerKind::kView: return kLayerView;
    case builder::LayerKind::kCopy: return kLayerCopy;
    case builder::LayerKind::kCpu: return kLayerCpu;
  }
  return 0;
}

// The header's common fields, the layer table, the instructions and the constants; returns the
// blob so far and the constants' offset. The caller completes the header and calls finish().
struct Assembly {
  PackageHeader h{};
  std::vector<uint8_t> blob;
  uint64_t constants_offset = 0;
};

Assembly assemble(const std::vector<LayerRecord>& layers, const std::vector<uint8_t>& instructions,
                  uint32_t instruction_count, const std::vector<uint8_t>& constants) {
  Assembly a;
  PackageHeader& h = a.h;
  std::memcpy(h.magic, kMagic, sizeof h.magic);
  h.version = kVersion;
  h.header_bytes = sizeof(PackageHeader);
  h.layer_count = static_cast<uint32_t>(layers.size());
  h.instruction_count = instruction_count;
  h.hardware.isa_version = isa::kVersion;
  h.sequences = 1;
  h.input_element_bytes = h.output_element_bytes = 1;
  a.blob.assign(sizeof(PackageHeader), 0);
  h.layers_offset = append(a.blob, layers.data(), layers.size() * sizeof(LayerRecord));
  h.instructions_offset = append(a.blob, instructions.data(), instructions.size());
  a.constants_offset = append(a.blob, constants.data(), constants.size());
  return a;
}

// The names section: an entry per layer, then the names' bytes (each whole, at most
// kMaxLayerNameBytes: a longer one keeps its tail, as LayerRecord::name does).
std::vector<uint8_t> names_section(const std::vector<std::string>& names) {
  std::vector<LayerNameEntry> entries(names.size());
  std::string text;
  const uint64_t table_bytes = names.size() * sizeof(LayerNameEntry);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string valid = utf8::printable(names[i]);
    const std::string_view kept = utf8::tail(valid, kMaxLayerNameBytes);
    entries[i] = LayerNameEntry{static_cast<uint32_t>(table_bytes + text.size()), static_cast<uint32_t>(kept.size())};
    text += kept;
  }
  std::vector<uint8_t> section(table_bytes + text.size());
  if (table_bytes) std::memcpy(section.data(), entries.data(), table_bytes);
  if (!text.empty()) std::memcpy(section.data() + table_bytes, text.data(), text.size());
  return section;
}

// The optional sections after the constants: the layers' whole names, the prediction (if any).
void append_layer_sections(Assembly& a, const std::vector<std::string>& names, const Prediction& prediction) {
  PackageHeader& h = a.h;
  const std::vector<uint8_t> section = names_section(names);
  if (!section.empty()) {
    h.names_offset = append(a.blob, section.data(), section.size());
    h.names_size = section.size();
  }
  if (prediction.layers.empty()) return;
  if (prediction.layers.size() != names.size())
    throw ConfigError("package writer: a prediction of " + std::to_string(prediction.layers.size()) + " layers for " +
                      std::to_string(names.size()) + " layers");
  h.prediction_offset = append(a.blob, prediction.layers.data(), prediction.layers.size() * sizeof(LayerPrediction));
  h.prediction_size = prediction.layers.size() * sizeof(LayerPrediction);
  h.predicted_job_ps = prediction.job_ps;
}

std::vector<uint8_t> finish(Assembly& a, const void* test_input, uint64_t test_input_bytes, const void* test_expected,
                            uint64_t test_expected_bytes) {
  PackageHeader& h = a.h;
  if (test_input_bytes || test_expected_bytes) {
    h.test_input_offset = append(a.blob, test_input, test_input_bytes);
    h.test_input_size = test_input_bytes;
    h.test_expected_offset = append(a.blob, test_expected, test_expected_bytes);
    h.test_expected_size = test_expected_bytes;
  }
  a.blob.resize(align(a.blob.size()));
  h.total_bytes = a.blob.size();
  std::memcpy(a.blob.data(), &h, sizeof h);
  seal(a.blob.data(), a.blob.size());
  // Never write a package the driver would refuse (e.g. a tensor with a zero dimension).
  read_package(a.blob, "the package being written");
  return std::move(a.blob);
}

// Long names (ONNX paths) keep their tail, which says what the node is, cut at a character
// boundary (and ill-formed UTF-8 replaced), so that the name is valid UTF-8 wherever it goes.
void set_name(LayerRecord& r, const std::string& name) {
  const std::string text = utf8::valid(name);
  const std::string_view kept = utf8::tail(text, sizeof r.name - 1);
  std::memcpy(r.name, kept.data(), kept.size());
}

void set_formats(PackageHeader& h, const TensorFormats& formats) {
  h.input_frac_bits = formats.input_frac_bits;
  h.output_frac_bits = formats.output_frac_bits;
  h.cpu_postprocess = formats.cpu_postprocess;
  h.input_zero_point = formats.input_zero_point;
  h.input_layout = formats.input_layout;
  h.input_scale = formats.input_scale;
  for (uint32_t c = 0; c < kMaxInputTableChannels; ++c) {
    h.input_mean[c] = c < formats.input_mean.size() ? formats.input_mean[c] : 0.0f;
    h.input_std[c] = c < formats.input_std.size() ? formats.input_std[c] : 0.0f;
  }
}

uint32_t khz(double mhz) { return static_cast<uint32_t>(std::llround(mhz * 1000.0)); }

// One text of the origin, whole or refused: a cut path would give a command that does not work.
void set_text(char* field, size_t bytes, const std::string& text, const char* name) {
  if (text.size() >= bytes)
    throw ConfigError("package origin: the " + std::string(name) + " (" + std::to_string(text.size()) +
                      " bytes) is longer than the " + std::to_string(bytes - 1) + " bytes a package records: " + text);
  if (utf8::printable(text) != text)
    throw ConfigError("package origin: the " + std::string(name) + " is not UTF-8 text without control characters");
  std::memcpy(field, text.data(), text.size());
}

void set_provenance(PackageHeader& h, const Provenance& p) {
  h.platform.ddr_size_bytes = p.platform.ddr_size_bytes;
  h.platform.bus_bytes_per_second = p.platform.bus_bytes_per_second;
  h.platform.ddr_peak_bytes_per_second = p.platform.ddr_peak_bytes_per_second;
  PackageOrigin& o = h.origin;
  set_text(o.producer, sizeof o.producer, p.producer, "producer");
  set_text(o.model_file, sizeof o.model_file, p.model_file, "model file name");
  set_text(o.hardware_file, sizeof o.hardware_file, p.hardware_file, "hardware file name");
  set_text(o.hardware_overrides, sizeof o.hardware_overrides, p.hardware_overrides, "hardware overrides");
  set_text(o.options, sizeof o.options, p.options, "options");
}

// The CPU stages' layer records (kind cpu, tags after the program's), appended to `layers`; returns
// the stages with their `layer` fields set.
std::vector<StageRecord> add_cpu_layers(const Stages& s, std::vector<LayerRecord>& layers,
                                        std::vector<std::string>& names) {
  std::vector<StageRecord> stages = s.stages;
  size_t named = 0;
  for (StageRecord& stage : stages) {
    if (stage.kind != kStageCpu) continue;
    if (named == s.cpu_layer_names.size())
      throw ConfigError("package writer: more CPU stages than the " + std::to_string(named) + " CPU layer names");
    stage.layer = static_cast<uint32_t>(layers.size());
    LayerRecord r{};
    set_name(r, s.cpu_layer_names[named]);
    names.push_back(s.cpu_layer_names[named++]);
    r.kind = kLayerCpu;
    r.tag = stage.layer;
    r.in_c = stage.inputs[0].c, r.in_h = stage.inputs[0].h, r.in_w = stage.inputs[0].w;
    r.out_c = stage.output.c, r.out_h = stage.output.h, r.out_w = stage.output.w;
    layers.push_back(r);
  }
  if (named != s.cpu_layer_names.size())
    throw ConfigError("package writer: " + std::to_string(s.cpu_layer_names.size()) + " CPU layer names for " +
                      std::to_string(named) + " CPU stages");
  return stages;
}

}  // namespace

std::vector<uint8_t> write_package(const builder::Program& program, const CnnConfig& hw, const TestData* test,
                                   const TensorFormats& formats, const Provenance& provenance,
                                   const Prediction& prediction, const Stages& stage_list) {
  std::vector<LayerRecord> layers(program.layers.size());
  std::vector<std::string> names(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const builder::LayerInfo& info = program.layers[i];
    LayerRecord& r = layers[i];
    names[i] = info.name;
    set_name(r, info.name);
    r.kind = kind_of(info.kind);
    r.tag = static_cast<uint32_t>(i);
    r.first_instruction = info.first_instruction;
    r.instruction_count = info.instructions();
    r.macs = info.macs;
    r.weight_bytes = info.weight_bytes;
    r.in_c = info.input.c, r.in_h = info.input.h, r.in_w = info.input.w;
    r.out_c = info.output.c, r.out_h = info.output.h, r.out_w = info.output.w;
    r.tiles = info.tiles;
  }
  // A program with CPU layers (dlvpc's) carries its stages; the tests' programs get theirs here.
  if (!program.stages.empty() && !stage_list.stages.empty())
    throw ConfigError("package writer: the program has its own stages; no others can be added");
  const std::vector<StageRecord> stages =
      program.stages.empty() ? add_cpu_layers(stage_list, layers, names) : program.stages;
  Assembly a = assemble(layers, program.instruction_bytes(), static_cast<uint32_t>(program.instructions.size()),
                        program.constants);
  PackageHeader& h = a.h;
  if (!stages.empty()) {
    h.stages_offset = append(a.blob, stages.data(), stages.size() * sizeof(StageRecord));
    h.stage_count = static_cast<uint32_t>(stages.size());
  }
  h.hardware = HardwareRequirements{isa::kVersion, hw.pes, hw.convolvers, hw.kernel, hw.input_buffer_bytes,
                                    hw.weight_buffer_bytes, hw.output_buffer_bytes, hw.accumulator_bits, 0};
  set_provenance(h, provenance);
  h.platform.cnn_clock_khz = khz(hw.clock_mhz);
  const auto& window = program.plan.window_bytes;
  h.args[builder::kArgConstants] = ArgWindow{kArgInPackage, 0, a.constants_offset,
                                             std::max<uint64_t>(window[builder::kArgConstants], program.constants.size())};
  h.args[builder::kArgInput] = ArgWindow{kArgInput, 0, 0, window[builder::kArgInput]};
  h.args[builder::kArgOutput] = ArgWindow{kArgOutput, 0, 0, window[builder::kArgOutput]};
  h.args[builder::kArgScratch] = ArgWindow{window[builder::kArgScratch] ? kArgScratch : kArgUnused, 0, 0,
                                           window[builder::kArgScratch]};
  h.input_arg = builder::kArgInput;
  h.output_arg = builder::kArgOutput;
  set_formats(h, formats);
  const builder::TensorShape& in = program.plan.input.shape;
  const builder::TensorShape& out = program.plan.output.shape;
  h.input_c = in.c, h.input_h = in.h, h.input_w = in.w;
  h.output_c = out.c, h.output_h = out.h, h.output_w = out.w;
  append_layer_sections(a, names, prediction);
  if (!formats.input_tables.empty()) {
    h.input_table_channels = static_cast<uint32_t>(formats.input_tables.size() / kInputTableEntries);
    h.input_table_offset = append(a.blob, formats.input_tables.data(), formats.input_tables.size() * sizeof(int16_t));
  }
  return test ? finish(a, test->input.data(), test->input.size(), test->expected.data(), test->expected.size())
              : finish(a, nullptr, 0, nullptr, 0);
}

std::vector<uint8_t> write_lstm_package(const LstmPackageSpec& spec) {
  const builder::LstmProgram& program = *spec.program;
  std::vector<LayerRecord> layers(spec.layers.size());
  std::vector<std::string> names(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    const LstmLayerInfo& info = spec.layers[i];
    LayerRecord& r = layers[i];
    names[i] = info.name;
    set_name(r, info.name);
    r.kind = info.kind;
    r.tag = info.tag;
    r.macs = info.macs;
    r.weight_bytes = info.weight_bytes;
    r.entries = info.entries;
    r.in_c = info.in_c, r.in_h = info.in_h, r.in_w = info.in_w;
    r.out_c = info.out_c, r.out_h = info.out_h, r.out_w = info.out_w;
    // The layer's instructions are those carrying its tag (set-up LOADs come first in the stream).
    bool first = true;
    for (size_t k = 0; k < program.instructions.size(); ++k) {
      const isa::Header& header = program.instructions[k].header;
      if (header.tag != info.tag || header.opcode == isa::kOpEnd) continue;
      if (first) r.first_instruction = static_cast<uint32_t>(k), first = false;
      ++r.instruction_count;
      r.tiles += isa::queue_of(header.opcode) == isa::kQueueCompute;
    }
  }
  Assembly a = assemble(layers, program.instruction_bytes(), static_cast<uint32_t>(program.instructions.size()),
                        program.constants);
  PackageHeader& h = a.h;
  h.lstm = LstmRequirements{spec.hw.pes, spec.hw.accumulator_bits, spec.hw.weight_memory_bytes,
                            spec.hw.vector_buffer_bytes};
  set_provenance(h, spec.provenance);
  h.platform.lstm_clock_khz = khz(spec.hw.clock_mhz);
  h.args[builder::kArgConstants] = ArgWindow{kArgInPackage, 0, a.constants_offset, program.constants.size()};
  h.args[builder::kArgInput] = ArgWindow{kArgInput, 0, 0, program.input_bytes};
  h.args[builder::kArgOutput] = ArgWindow{kArgOutput, 0, 0, program.output_bytes};
  h.input_arg = builder::kArgInput;
  h.output_arg = builder::kArgOutput;
  set_formats(h, spec.formats);
  h.input_element_bytes = h.output_element_bytes = 2;
  h.sequences = spec.sequences;
  h.input_c = 1, h.input_h = spec.steps, h.input_w = spec.input_size;
  h.output_c = spec.output_size, h.output_h = 1, h.output_w = 1;
  h.output_offset = spec.output_offset;
  h.weight_load_instructions = program.weight_load_instructions;
  append_layer_sections(a, names, spec.prediction);
  return finish(a, spec.test_input.data(), spec.test_input.size(), spec.test_expected.data(),
                spec.test_expected.size());
}

void write_package_file(const std::string& path, const std::vector<uint8_t>& package) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw ConfigError(path + ": cannot create the package file (" + std::strerror(errno) + ")");
  file.write(reinterpret_cast<const char*>(package.data()), static_cast<std::streamsize>(package.size()));
  file.close();
  if (!file) {
    const std::string reason = std::strerror(errno);
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) std::filesystem::remove(path, ec);
    throw ConfigError(path + ": cannot write the package's " + std::to_string(package.size()) + " bytes (" + reason + ")");
  }
}

}  // namespace dlvp::package
