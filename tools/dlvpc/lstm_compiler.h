// dlvpc's LSTM pipeline (docs/lstm.md, "dlvpc compile"): an imported ONNX LSTM (lstm_import.h),
// optionally with a classifier head -> pruning, calibration, 16/12-bit quantization, CSC encoding
// (lstm_compress.h) -> the LSTM program (tools/builder/lstm_program.h), the head running on the
// same engine after the last step -> a model package for the sparse LSTM engine, with the
// reference model's output for an embedded test input and a report of what compression did.
#pragma once
#include "ip/lstm/lstm_config.h"
#include "ip/lstm/lstm_timing.h"
#include "tests/reference/lstm_reference.h"
#include "tools/builder/lstm_program.h"
#include "tools/dlvpc/lstm_compress.h"
#include "tools/dlvpc/lstm_import.h"
#include "tools/package/package_writer.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// --sequences: the engine's channels.
constexpr uint32_t kMaxSequences = builder::kMaxLstmChannels;
// The float LSTM's run over one calibration sequence keeps every step's state and gates
// (about projection + 10 x hidden values per step): at most 2^27 values (1 GiB).
constexpr uint64_t kMaxLstmRunValues = uint64_t{1} << 27;

struct LstmCompileOptions {
  LstmConfig hw;
  // Pruning applied by dlvpc (density 1: keep every non-zero weight of the model, which is what an
  // already pruned model wants).
  double density = 1.0;
  Pruning pruning = Pruning::kBalanced;
  bool dense = false;            // the engine's dense mode: every weight an entry, zeros included
  bool stream_weights = false;   // stream the weights from DDR every step even when they fit
  uint32_t sequences = 0;        // sequences per job (the engine's channels); 0: the ONNX batch
  uint64_t ddr_bytes = 0;        // DDR the job's input and output windows must fit in (0: unchecked)
  bool embed_test = true;        // the first calibration input and its expected output in the package,
  uint64_t test_data_max_bytes = uint64_t{64} << 20;  // when the job's windows and the reference run
                                                      // over it take at most this (a DDR-sized job
                                                      // would double dlvpc's memory and the package)
  package::Provenance provenance;  // recorded in the package (ddr_size_bytes: set from ddr_bytes)
};

struct LstmCompiled {
  LstmModel model;
  CompressedLstm lstm;                // pruned, calibrated, quantized, encoded
  bool has_head = false;
  std::string head_name;              // the head's ONNX node(s)
  lstm_ref::FixedLinear head;         // quantized head
  lstm_ref::CscMatrix head_sparse;    // its encoding
  uint32_t sequences = 1;
  builder::LstmProgram program;
  std::vector<uint8_t> package;
  std::vector<int16_t> test_input;    // the input window of the embedded test (empty: none)
  std::vector<uint8_t> test_expected; // the output window the reference model computes for it
  uint64_t output_offset = 0;         // the output tensor in the output window
  uint32_t output_size = 0;           // elements per sequence of the output tensor
  int output_frac = 0;
  // The engine's cycles per job, by layer tag (predict_lstm_cycles).
  std::map<uint32_t, lstm::LstmTiming> predicted;
};

// What the engine will count for one job of `program`, by instruction tag: the program's weight
// LOADs replayed in program order into an image of the PEs' memories, then every LSTM_SPMV's
// streams walked and timed by the engine's own functions (lstm::check_spmv_streams,
// lstm::spmv_timing, lstm::gates_timing). Compute cycles only: the DMA's LOADs and STOREs overlap
// them or not (the SoC's job time tells). Throws ConfigError if a stream does not validate.
std::map<uint32_t, lstm::LstmTiming> predict_lstm_cycles(const builder::LstmProgram& program, const LstmConfig& hw);

// What the model's sizes alone decide, checked before calibration allocates anything for its
// sequences: the job's sequences (1..kMaxSequences), the vector buffer, the job's DDR windows
// (options.ddr_bytes), the float runs' memory (kMaxLstmRunValues). Throws ConfigError naming the
// node and the sizes.
void check_lstm_fits(const LstmModel& model, const LstmCompileOptions& options);

// Throws ConfigError subclasses naming the node, the tensor or the sizes at fault: a head other than
// one fully connected layer (optionally followed by a Softmax), a model that does not fit the
// engine, radix points outside the formats. `calibration` holds ONNX input tensors (X). The sizes
// (sequences, vector buffer, DDR windows, the float runs' memory) are checked before calibrating.
LstmCompiled compile_lstm(LstmModel model, const std::vector<std::vector<double>>& calibration,
                          const LstmCompileOptions& options);

// The compiled package's input window for ONNX input tensors, one per sequence (X as the ONNX
// model takes it, sequence b of X for the job's sequence b), quantized to the LSTM's input format.
std::vector<int16_t> lstm_job_input(const LstmCompiled& compiled, const std::vector<double>& onnx_input);
// The output window the reference model computes for a job input (bit-exact with the engine).
std::vector<uint8_t> lstm_expected_output(const LstmCompiled& compiled, const std::vector<int16_t>& job_input);

// What `dlvpc compile` prints: the engine, the layer, density before / after padding, non-zeros
// per PE (min / mean / max, imbalance), bytes, resident or streamed, and the head.
std::string format_lstm_report(const LstmCompiled& compiled, const LstmCompileOptions& options);

}  // namespace dlvp::dlvpc
