// dlvpc's GRU pipeline (docs/lstm.md, "GRU: dlvpc compile"): an imported ONNX GRU (gru_import.h,
// the LSTM import's torch forms), optionally with a classifier head -> pruning, calibration,
// quantization, CSC encoding (gru_compress.h) -> the GRU program (tools/builder/gru_program.h),
// the head on the same engine after the last step -> a model package for the sparse LSTM engine,
// as the LSTM path does (lstm_compiler.h): the same options, head, package writer, report lines,
// cycle and schedule predictions, calibration cache payload and pruning estimate.
#pragma once
#include "tools/builder/gru_program.h"
#include "tools/dlvpc/gru_compress.h"
#include "tools/dlvpc/gru_import.h"
#include "tools/dlvpc/lstm_compiler.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct GruCompiled {
  GruModel model;
  CompressedGru gru;                  // pruned, calibrated, quantized, encoded
  LstmCalibration calibration;        // the ranges used: x, h and the pre-activations in LstmRanges'
                                      // fields of those names (c, y unused), the head's output
  bool has_head = false;
  std::string head_name;
  lstm_ref::FixedLinear head;
  lstm_ref::CscMatrix head_sparse;
  uint32_t sequences = 1;
  builder::GruProgram program;
  std::vector<uint8_t> package;
  std::vector<int16_t> test_input;     // the input window of the embedded test (empty: none)
  std::vector<uint8_t> test_expected;  // the output window the reference model computes for it
  uint64_t output_offset = 0;
  uint32_t output_size = 0;
  int output_frac = 0;
  std::map<uint32_t, lstm::LstmTiming> predicted;
  std::optional<SchedulePrediction> schedule;
};

// check_lstm_fits for a GRU: sequences, vector buffer, DDR windows, the float runs' memory.
void check_gru_fits(const GruModel& model, const LstmCompileOptions& options);

// compile_lstm for a GRU (options.stream_weights is refused: a GRU's weights are resident).
GruCompiled compile_gru(GruModel model, const std::vector<std::vector<double>>& calibration,
                        const LstmCompileOptions& options);

// prepare_lstm_weights for a GRU: fills c.gru, c.calibration, c.has_head, c.head_name, c.head, c.head_sparse.
void prepare_gru_weights(GruCompiled& c, const std::vector<std::vector<double>>& calibration,
                         const LstmCompileOptions& options);
// The float model as imported on one sequence: the head's output, or the last h.
std::vector<double> gru_float_output(const GruModel& model, const std::vector<double>& sequence, uint32_t b);
// The same through the quantized model (bit-exact with the engine), as real values.
std::vector<double> gru_quantized_output(const GruCompiled& compiled, const std::vector<double>& sequence, uint32_t b);

// The package's input window for ONNX input tensors, and the output window the reference computes.
std::vector<int16_t> gru_job_input(const GruCompiled& compiled, const std::vector<double>& onnx_input);
std::vector<uint8_t> gru_expected_output(const GruCompiled& compiled, const std::vector<int16_t>& job_input);

// The calibration cache's payload form of a GRU's ranges, and back.
LstmRanges lstm_ranges_of(const GruRanges& ranges);
GruRanges gru_ranges_of(const LstmRanges& ranges);

// What `dlvpc compile` prints (format_lstm_report's lines for a GRU).
std::string format_gru_report(const GruCompiled& compiled, const LstmCompileOptions& options);

}  // namespace dlvp::dlvpc
