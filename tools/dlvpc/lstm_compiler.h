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
#include "tools/dlvpc/schedule_predictor.h"
#include "tools/package/package_writer.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// --sequences: the engine's channels.
constexpr uint32_t kMaxSequences = builder::kMaxLstmChannels;
// The float LSTM's run over one calibration sequence keeps every step's state and gates
// (about projection + 10 x hidden values per step): at most 2^27 values (1 GiB).
constexpr uint64_t kMaxLstmRunValues = uint64_t{1} << 27;

// What the LSTM path's float runs measure (the calibration cache's payload): the LSTM's tensor
// ranges and the range of the head's output (0..0 without a head).
struct LstmCalibration {
  LstmRanges ranges;
  Range head;
};

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
  // The IFU, DMA, bus and DDR the job runs on (their LSTM engine: `hw`): the schedule prediction,
  // recorded in the package. Without it only the engine's cycles are predicted.
  std::optional<ScheduleHardware> schedule;
  // The calibration cache's ranges of this model, pruning and calibration input: no float runs.
  std::optional<LstmCalibration> calibrated;
};

struct LstmCompiled {
  LstmModel model;
  CompressedLstm lstm;                // pruned, calibrated, quantized, encoded
  LstmCalibration calibration;        // the ranges used (computed, or LstmCompileOptions::calibrated)
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
  // The predicted job with its transfers (when LstmCompileOptions::schedule is given): a warm job,
  // from the first instruction after the resident weights' LOADs, as the driver runs every job
  // after the first.
  std::optional<SchedulePrediction> schedule;
};

// What the engine will count for one job of `program`, by instruction tag (lstm_cycles.h, summed):
// the engine-only cycles, the per-PE load and the effective GOPS dlvpc's report prints. The job's
// time with its transfers is the schedule prediction's (LstmCompiled::schedule).
std::map<uint32_t, lstm::LstmTiming> predict_lstm_cycles(const builder::LstmProgram& program, const LstmConfig& hw);

// The schedule prediction of a warm job of `program` (nullopt without options.schedule): the
// driver's placement, the job from the first instruction after the resident weights' LOADs.
std::optional<SchedulePrediction> predict_lstm_schedule(const builder::LstmProgram& program,
                                                        const LstmCompileOptions& options);

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

// The model pruned (options.density, options.pruning), calibrated on the ONNX inputs `calibration`
// (or options.calibrated's ranges), quantized and encoded, with its head: fills c.lstm,
// c.calibration, c.has_head, c.head_name, c.head and c.head_sparse (c.model set). compile_lstm's
// first step; the pruning estimate (lstm_estimate.h) also prepares the unpruned model with it.
void prepare_lstm_weights(LstmCompiled& c, const std::vector<std::vector<double>>& calibration, const LstmCompileOptions& options);
// One sequence ([T][I], batch entry b's initial state) through the float model as imported (no
// pruning): the head's output, or the LSTM's last output (y, = h without a projection).
std::vector<double> lstm_float_output(const LstmModel& model, const std::vector<double>& sequence, uint32_t b);
// The same through the quantized model (the reference model, bit-exact with the engine), the
// int16 result as real values.
std::vector<double> lstm_quantized_output(const LstmCompiled& compiled, const std::vector<double>& sequence, uint32_t b);

// The compiled package's input window for ONNX input tensors, one per sequence (X as the ONNX
// model takes it, sequence b of X for the job's sequence b), quantized to the LSTM's input format.
std::vector<int16_t> lstm_job_input(const LstmCompiled& compiled, const std::vector<double>& onnx_input);
// The output window the reference model computes for a job input (bit-exact with the engine).
std::vector<uint8_t> lstm_expected_output(const LstmCompiled& compiled, const std::vector<int16_t>& job_input);

// The classifier head the engine runs after the last step: the graph's one fully connected layer
// (a Gemm / MatMul without ReLU, optionally followed by the CPU's Softmax) reading `inputs` values.
// Throws ImportError "<where>: the classifier head's ..." otherwise.
const FloatOp& lstm_head_op(const FloatGraph& head, uint32_t inputs, const std::string& where);
// y = W x + b in float.
std::vector<double> lstm_head_float(const FloatOp& op, const std::vector<double>& x);
// The head on a run's outputs y [steps][width]: on the last step's, or on every step's
// ([steps][outputs], a head on every step), in float and in fixed point (lstm_ref::run_linear).
template <typename Value, typename Head>
std::vector<Value> head_on_steps(const std::vector<Value>& y, uint32_t width, bool every_step, Head head) {
  std::vector<Value> out;
  for (uint64_t at = every_step ? 0 : y.size() - width; at + width <= y.size(); at += width) {
    const std::vector<Value> step = head(std::vector<Value>(y.begin() + static_cast<std::ptrdiff_t>(at),
                                                            y.begin() + static_cast<std::ptrdiff_t>(at + width)));
    out.insert(out.end(), step.begin(), step.end());
  }
  return out;
}
// The head quantized like the projection: 12-bit weights, products at acc_frac = weights' + input_frac
// (no shift), the bias at acc_frac in 32 bits, the output's radix point from its calibrated range
// `out`. Throws QuantizeError naming `node`.
// The per-layer report row of the head (kind lstm_linear) for `sequences` sequences: its MACs,
// encoded bytes and stream entries (one-layer and stacked LSTM packages).
package::LstmLayerInfo lstm_head_layer_info(const std::string& name, uint32_t tag, uint32_t sequences,
                                            const lstm_ref::FixedLinear& head, const lstm_ref::CscMatrix& sparse);
lstm_ref::FixedLinear quantize_lstm_head(const FloatOp& op, int input_frac, uint32_t accumulator_bits, const Range& out,
                                         const std::string& node);

// The sequences per job: options.sequences, else the ONNX batch; with initial states (given per
// batch entry) a multiple of the batch, else ConfigError naming `where`.
uint32_t job_sequences(const LstmCompileOptions& options, uint32_t batch, bool initial_states, const std::string& where);

// What a one-layer recurrent job (LSTM or GRU) records in its package header.
struct RecurrentJob {
  uint32_t steps = 0, sequences = 1, input_size = 0, output_size = 0;
  uint64_t output_offset = 0;  // the output tensor in the output window
  int input_frac = 0, output_frac = 0;
  bool softmax_on_cpu = false;
};
// The package spec of `program` (it must outlive the spec) with its layer records, the hardware,
// provenance and schedule prediction of `options`, the job's sizes and formats; shared by the LSTM
// and GRU paths.
package::LstmPackageSpec recurrent_package_spec(const builder::LstmProgram& program,
                                                std::vector<package::LstmLayerInfo> layers,
                                                const std::optional<SchedulePrediction>& schedule,
                                                const LstmCompileOptions& options, const RecurrentJob& job);
// The embedded test: the job's input window (int16) and the output window the reference computes.
void embed_test(package::LstmPackageSpec& spec, const std::vector<int16_t>& input, const std::vector<uint8_t>& expected);

// What `dlvpc compile` prints: the engine, the layer, density before / after padding, non-zeros
// per PE (min / mean / max, imbalance), bytes, resident or streamed, and the head.
std::string format_lstm_report(const LstmCompiled& compiled, const LstmCompileOptions& options);
// Its lines on the compression (the table, or "the model's own weights" without dlvpc's pruning)
// and the head (nullptr: none), shared with the GRU's report.
std::string format_weights_and_head(const CompressionReport& report, const LstmCompileOptions& options,
                                   const lstm_ref::FixedLinear* head, const lstm_ref::CscMatrix& head_sparse,
                                   const std::string& head_name, bool softmax_on_cpu);
// Its lines on the program, the predicted engine cycles per layer tag and the predicted job, shared
// with the GRU's report (`layer`: "LSTM" or "GRU", the gates instruction's prefix).
std::string format_engine_job(const builder::LstmProgram& program, const std::map<uint32_t, lstm::LstmTiming>& predicted,
                              const std::optional<SchedulePrediction>& schedule, uint32_t steps,
                              const LstmCompileOptions& options, const std::string& layer);

}  // namespace dlvp::dlvpc
