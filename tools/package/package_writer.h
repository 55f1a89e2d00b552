// Writes a model package (platform/model_package.h) from a built program: header, layer table,
// instruction stream, constants and optional test data, with the checksum. CNN programs
// (builder::Program) and LSTM programs (builder::LstmProgram) share the layout and the writer.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "ip/lstm/lstm_config.h"
#include "platform/model_package.h"
#include "tools/builder/lstm_program.h"
#include "tools/builder/program.h"

#include <string>
#include <cstdint>
#include <vector>

namespace dlvp::package {

struct TestData {
  std::vector<int8_t> input;     // the network input tensor
  std::vector<int8_t> expected;  // what the network must produce for it
};

// How the input and output are encoded (shapes come from the program's memory plan).
struct TensorFormats {
  int input_frac_bits = 0, output_frac_bits = 0;  // real value = q x 2^-frac
  uint32_t cpu_postprocess = 0;                   // CpuPostprocess
  int32_t input_zero_point = 0;                   // subtracted from the input before quantizing
  // Version 7 (QUANT): the input's preprocessing (model_package.h); `input_tables` empty: none.
  uint32_t input_layout = kLayoutChw;
  float input_scale = 0;
  std::vector<float> input_mean, input_std;  // at most kMaxInputTableChannels each
  std::vector<int16_t> input_tables;         // [1 or input_c][256]
};

// What a package records besides its program (version 6): the rest of the hardware the tool read
// (the writer adds the engines' clocks from their configurations) and where the package came from.
// Texts longer than their fields (model_package.h) or with control characters are refused.
struct Provenance {
  PlatformRequirements platform{};  // ddr_size_bytes, bus and DDR peaks (0: not used)
  std::string producer, model_file, hardware_file, hardware_overrides, options;
};

// The compiler's prediction of a job (the optional prediction section): per layer index, or none
// (`layers` empty). The writer checks it as every reader will (the parts add up to each layer's
// time, the layers' times to the job's).
struct Prediction {
  uint64_t job_ps = 0;
  std::vector<LayerPrediction> layers;
};

// A job in stages (version 7): accelerator stages (ranges of the program, each ending with END) and
// CPU stages in order. Each CPU stage gets a layer record of kind cpu after the program's layers,
// named by `cpu_layer_names` (one per CPU stage, in order); the writer sets their `layer` fields.
// The CPU stage that makes the job's output writes it where the program's output was (the package's
// output tensor keeps the program's shape and takes `TensorFormats::output_frac_bits`).
struct Stages {
  std::vector<StageRecord> stages;
  std::vector<std::string> cpu_layer_names;
};

// Every package the writer makes carries its layers' whole names (the names section).
std::vector<uint8_t> write_package(const builder::Program& program, const CnnConfig& hw, const TestData* test = nullptr,
                                   const TensorFormats& formats = {}, const Provenance& provenance = {},
                                   const Prediction& prediction = {}, const Stages& stages = {});

// One layer of an LSTM package; the writer finds its instructions by tag.
struct LstmLayerInfo {
  std::string name;
  uint32_t kind = kLayerLstm;  // kLayerLstm or kLayerLstmLinear
  uint32_t tag = 0;
  uint64_t macs = 0;           // dense-equivalent multiply-accumulates of a job
  uint64_t weight_bytes = 0;   // stream images (pointers and entries) in the package
  uint32_t entries = 0;        // stream entries (non-zeros and padding)
  uint32_t in_c = 0, in_h = 0, in_w = 0, out_c = 0, out_h = 0, out_w = 0;
};

// An LSTM package: the program, its layers and what its input and output tensors are (int16).
struct LstmPackageSpec {
  const builder::LstmProgram* program = nullptr;
  std::vector<LstmLayerInfo> layers;
  LstmConfig hw;
  uint32_t steps = 0, sequences = 1, input_size = 0, output_size = 0;
  uint64_t output_offset = 0;  // the output tensor [sequences][output_size] in the output window
  TensorFormats formats;
  std::vector<uint8_t> test_input, test_expected;  // optional: the input window and the output window's bytes
  Provenance provenance;
  Prediction prediction;  // by index of `layers`
};

std::vector<uint8_t> write_lstm_package(const LstmPackageSpec& spec);

// Writes a package image to `path`, every byte checked, the close included (a full disk shows
// there); a file that could not be written whole is removed rather than left truncated. Throws
// ConfigError "<path>: cannot ... (<reason>)".
void write_package_file(const std::string& path, const std::vector<uint8_t>& package);

}  // namespace dlvp::package
