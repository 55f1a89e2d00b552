// dlvpc's pipeline for stacked and bidirectional LSTMs (docs/lstm.md, "Stacked and bidirectional
// LSTMs: dlvpc compile"): an imported stack (lstm_stack_import.h) with its head -> pruning,
// calibration and quantization with tied radix points (lstm_stack_compress.h) -> one job
// (build_lstm_stack_program) -> a model package for the sparse LSTM engine, a layer record per
// layer (each its own tag) and the head's, with the reference model's output for an embedded test
// input.
#pragma once
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_stack_compress.h"
#include "tools/dlvpc/lstm_stack_import.h"

#include <map>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// What the stack's float runs measure (the calibration cache's payload, as LstmCalibration is one
// layer's): every layer's ranges after tying (levels in order, directions in order) and the range
// of the head's output.
struct LstmStackCalibration {
  std::vector<LstmRanges> layers;
  Range head;
};

struct LstmStackCompiled {
  LstmStackModel model;
  CompressedStack stack;
  LstmStackCalibration calibration;  // the ranges used (computed, or compile_lstm_stack's `cached`)
  std::string head_name;
  lstm_ref::FixedLinear head;
  lstm_ref::CscMatrix head_sparse;
  uint32_t sequences = 1;
  builder::LstmStackProgram program;
  std::vector<uint8_t> package;
  std::vector<int16_t> test_input;     // the input window of the embedded test (empty: none)
  std::vector<uint8_t> test_expected;  // the output window the reference computes for it
  uint64_t output_offset = 0;          // the head's output in the output window
  uint32_t output_size = 0;
  int output_frac = 0;
  std::map<uint32_t, lstm::LstmTiming> predicted;  // engine cycles per job, by tag
};

// Throws ConfigError subclasses naming the node and the reason: a stack without a head (not yet),
// non-zero initial states (not yet), a head the engine cannot run, a stack that does not fit the
// engine (vector buffer, sequences). Uses options.hw, density, pruning, dense, stream_weights,
// sequences, embed_test, test_data_max_bytes, provenance and schedule; `cached` (the calibration
// cache's ranges of this model, pruning and calibration input) skips the float runs.
LstmStackCompiled compile_lstm_stack(LstmStackModel model, const std::vector<std::vector<double>>& calibration,
                                     const LstmCompileOptions& options, const LstmStackCalibration* cached = nullptr);

// compile_lstm_stack's first step (c.model set): every layer pruned, calibrated (or `cached`'s
// ranges), quantized and encoded, and the head: fills c.stack, c.calibration, c.head_name, c.head,
// c.head_sparse and c.sequences. The pruning estimate also prepares the unpruned stack with it.
void prepare_lstm_stack_weights(LstmStackCompiled& c, const std::vector<std::vector<double>>& calibration,
                                const LstmCompileOptions& options, const LstmStackCalibration* cached = nullptr);

// The job's input window for ONNX inputs (sequence s of the job: batch entry s mod batch), quantized.
std::vector<int16_t> lstm_stack_job_input(const LstmStackCompiled& c, const std::vector<double>& onnx_input);
// The output window the reference model computes for a job input (bit-exact with the engine).
std::vector<uint8_t> lstm_stack_expected_output(const LstmStackCompiled& c, const std::vector<int16_t>& job_input);
// One sequence [T][I] through the float stack as imported and its head; through the quantized one.
std::vector<double> lstm_stack_float_output(const LstmStackModel& m, const std::vector<double>& sequence);
std::vector<double> lstm_stack_quantized_output(const LstmStackCompiled& c, const std::vector<double>& sequence);

// What `dlvpc compile` prints for a stack: every layer's shape, density and predicted cycles, the
// head, the program and the package.
std::string format_lstm_stack_report(const LstmStackCompiled& c, const LstmCompileOptions& options);

}  // namespace dlvp::dlvpc
