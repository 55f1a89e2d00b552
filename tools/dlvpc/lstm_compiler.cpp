#include "tools/dlvpc/lstm_compiler.h"

#include "tools/dlvpc/lstm_cycles.h"

#include "ip/common/utf8.h"
#include "tools/package/package_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace dlvp::dlvpc {
namespace {

constexpr uint32_t kLstmTag = 0, kHeadTag = 1;
constexpr size_t kReportNameBytes = 64;  // names in the report's fixed-size lines, cut between characters
constexpr uint64_t kValueBytes = 2;

// "MODEL: node 'lstm' (LSTM)": where a message's problem lies.
std::string where(const LstmModel& m) {
  return (m.origin.empty() ? "" : m.origin + ": ") + "node '" + m.node + "' (LSTM)";
}

const FloatOp& head_op(const LstmModel& m) { return lstm_head_op(m.head, m.layer.output_size(), where(m)); }

std::vector<std::vector<double>> calibration_sequences(const LstmModel& m, const std::vector<std::vector<double>>& inputs) {
  std::vector<std::vector<double>> sequences;
  for (const std::vector<double>& x : inputs)
    for (uint32_t b = 0; b < m.batch; ++b) sequences.push_back(m.sequence(x, b));
  return sequences;
}

// The range of the head's output over the calibration sequences (the float LSTM, then the head).
Range head_output_range(const FloatOp& op, const lstm_ref::FloatLstm& lstm, const std::vector<std::vector<double>>& sequences,
                        bool every_step) {
  Range out;
  for (const std::vector<double>& x : sequences)
    out.add(head_on_steps(lstm_ref::run_float(lstm, x).y, lstm.output_size(), every_step,
                          [&](const std::vector<double>& y) { return lstm_head_float(op, y); }));
  return out;
}

void put16(std::vector<uint8_t>& bytes, uint64_t at, int16_t v) {
  bytes[at] = static_cast<uint8_t>(v);
  bytes[at + 1] = static_cast<uint8_t>(static_cast<uint16_t>(v) >> 8);
}

// Sequence s of the job takes ONNX batch entry s mod batch.
uint32_t batch_entry(const LstmCompiled& c, uint32_t s) { return s % c.model.batch; }

// ONNX batch entry b's initial state, quantized.
lstm_ref::FixedState initial_state(const LstmCompiled& c, uint32_t b) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  const std::vector<double> h = c.model.initial_h_of(b), cell = c.model.initial_c_of(b);
  lstm_ref::FixedState state;
  state.recurrent = h.empty() ? std::vector<int16_t>(f.recurrent_size(), 0) : lstm_ref::quantize16(h, f.recurrent_frac());
  state.c = cell.empty() ? std::vector<int16_t>(f.hidden_size, 0) : lstm_ref::quantize16(cell, f.c_frac);
  return state;
}

std::vector<lstm_ref::FixedState> initial_states(const LstmCompiled& c) {
  std::vector<lstm_ref::FixedState> states;
  for (uint32_t s = 0; s < c.sequences; ++s) states.push_back(initial_state(c, batch_entry(c, s)));
  return states;
}

// The program's initial-state region: r [sequences][recurrent], c [sequences][hidden].
void write_initial_states(LstmCompiled& c) {
  const std::vector<lstm_ref::FixedState> states = initial_states(c);
  uint64_t at = c.program.initial_state_offset;
  for (const auto& s : states)
    for (const int16_t v : s.recurrent) put16(c.program.constants, at, v), at += kValueBytes;
  for (const auto& s : states)
    for (const int16_t v : s.c) put16(c.program.constants, at, v), at += kValueBytes;
}

bool wants_sequence(const LstmModel& m) {
  if (m.has_head) return false;
  for (const auto& o : m.outputs)
    if (o.what == LstmOutput::kY) return true;
  return false;
}


// The output tensor the header describes: the head's output, else the model's first output.
void describe_output(LstmCompiled& c) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  const uint64_t y_bytes = uint64_t{c.sequences} * f.output_size() * kValueBytes;
  if (c.has_head) {
    c.output_offset = c.program.head_output_offset, c.output_frac = c.head.output_frac;
    c.output_size = c.head.outputs() * (c.model.head_every_step ? c.model.seq_length : 1);
  } else if (!c.model.outputs.empty() && c.model.outputs[0].what == LstmOutput::kYc) {
    c.output_offset = c.program.final_c_offset, c.output_size = f.hidden_size, c.output_frac = f.c_frac;
  } else {
    c.output_offset = (c.program.stored_steps - 1) * y_bytes, c.output_size = f.output_size(), c.output_frac = f.output_frac();
  }
}

std::vector<package::LstmLayerInfo> layer_infos(const LstmCompiled& c) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  const uint32_t T = c.model.seq_length, S = c.sequences;
  package::LstmLayerInfo lstm;
  lstm.name = c.model.node;
  lstm.kind = package::kLayerLstm;
  lstm.tag = kLstmTag;
  lstm.macs = uint64_t{T} * S *
              (uint64_t{f.gate_rows()} * (f.input_size + f.recurrent_size()) + uint64_t{f.projection_size} * f.hidden_size);
  const MatrixReport& total = c.lstm.report.total;
  lstm.weight_bytes = total.weight_bytes + total.pointer_bytes;
  lstm.entries = static_cast<uint32_t>(total.nonzeros + total.padding);
  lstm.in_c = 1, lstm.in_h = T, lstm.in_w = f.input_size;
  lstm.out_c = f.output_size(), lstm.out_h = 1, lstm.out_w = 1;
  std::vector<package::LstmLayerInfo> layers{lstm};
  if (c.has_head) {
    layers.push_back(lstm_head_layer_info(c.head_name, kHeadTag, S * (c.model.head_every_step ? T : 1), c.head, c.head_sparse));
  }
  return layers;
}

// The outputs of the head (0 without one).
uint32_t head_rows(const LstmModel& m) { return m.has_head ? static_cast<uint32_t>(head_op(m).output.elements()) : 0; }
// The head's outputs per sequence: its rows on the last step, or on every step.
uint64_t head_outputs(const LstmModel& m) { return uint64_t{head_rows(m)} * (m.head_every_step ? m.seq_length : 1); }

// Bytes of a job's input window (x of every step) and output window (the stored y, the last c,
// the head's output) with `sequences` sequences.
uint64_t job_window_bytes(const LstmModel& m, uint32_t sequences) {
  const lstm_ref::FloatLstm& l = m.layer;
  const uint64_t steps = m.seq_length, stored_steps = wants_sequence(m) ? steps : 1;
  return (steps * l.input_size + stored_steps * l.recurrent_size() + l.hidden_size + head_outputs(m)) * sequences * kValueBytes;
}

// "; at most N fit (--sequences N)": the most sequences below `sequences` for which `bytes` (a
// growing function of the count) stays within `capacity`.
template <typename Bytes>
std::string most_sequences(uint32_t sequences, uint64_t capacity, Bytes bytes) {
  uint32_t lo = 0, hi = sequences;  // bytes(lo) fits (or lo = 0), bytes(hi) does not
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    (bytes(mid) <= capacity ? lo : hi) = mid;
  }
  return lo == 0 ? "; not even one sequence fits" : "; at most " + std::to_string(lo) + " fit (--sequences " + std::to_string(lo) + ")";
}

}  // namespace

// One Gemm (a kFc op without ReLU), optionally followed by the CPU's Softmax: what one LSTM_SPMV
// from the bias can compute after the last step.
package::LstmLayerInfo lstm_head_layer_info(const std::string& name, uint32_t tag, uint32_t sequences,
                                            const lstm_ref::FixedLinear& head, const lstm_ref::CscMatrix& sparse) {
  const MatrixReport r = matrix_report(sparse, "head");
  package::LstmLayerInfo info;
  info.name = name;
  info.kind = package::kLayerLstmLinear;
  info.tag = tag;
  info.macs = uint64_t{sequences} * head.outputs() * head.inputs();
  info.weight_bytes = r.weight_bytes + r.pointer_bytes;
  info.entries = static_cast<uint32_t>(r.nonzeros + r.padding);
  info.in_c = head.inputs(), info.in_h = info.in_w = 1;
  info.out_c = head.outputs(), info.out_h = info.out_w = 1;
  return info;
}

const FloatOp& lstm_head_op(const FloatGraph& g, uint32_t inputs, const std::string& where) {
  const auto refuse = [&](const FloatOp& op, const std::string& why) {
    throw ImportError(where + ": the classifier head's '" + op.name + "' (" + op.onnx_ops + "): " + why);
  };
  if (g.ops.empty()) throw ImportError(where + ": the classifier head computes nothing the engine can run");
  for (size_t i = 1; i < g.ops.size(); ++i)
    refuse(g.ops[i], "the LSTM engine runs one fully connected layer after the last step, not a second layer");
  const FloatOp& op = g.ops[0];
  if (op.kind != OpKind::kFc) refuse(op, "only a fully connected layer (Gemm / MatMul) can follow the LSTM");
  if (op.relu) refuse(op, "the LSTM engine's output has no ReLU");
  if (op.input.elements() != inputs)
    refuse(op, "reads " + std::to_string(op.input.elements()) + " values, the LSTM's state has " +
                   std::to_string(inputs));
  return op;
}

// y = W x + b in float (the head's calibration).
std::vector<double> lstm_head_float(const FloatOp& op, const std::vector<double>& x) {
  const uint64_t outputs = op.output.elements(), inputs = op.input.elements();
  std::vector<double> y(outputs, 0.0);
  for (uint64_t n = 0; n < outputs; ++n) {
    double sum = op.bias.empty() ? 0.0 : op.bias[n];
    for (uint64_t k = 0; k < inputs; ++k) sum += double{op.weights[n * inputs + k]} * x[k];
    y[n] = sum;
  }
  return y;
}

// The head quantized like the projection: 12-bit weights, products at acc_frac = w + input frac
// (no shift), the bias at acc_frac in 32 bits, the output's radix point from its calibrated range.
lstm_ref::FixedLinear quantize_lstm_head(const FloatOp& op, int input_frac, uint32_t accumulator_bits, const Range& out,
                                         const std::string& node) {
  lstm_ref::FixedLinear head;
  const uint32_t outputs = static_cast<uint32_t>(op.output.elements()), inputs = static_cast<uint32_t>(op.input.elements());
  double max_abs = 0;
  for (const float w : op.weights) max_abs = std::max(max_abs, std::fabs(double{w}));
  const std::vector<double> weights(op.weights.begin(), op.weights.end());
  head.matrix = quantize_matrix(weights, outputs, inputs, weight_frac(max_abs));
  head.input_frac = input_frac;
  head.acc_frac = head.matrix.frac + head.input_frac;
  head.output_frac = activation_frac(out);
  head.accumulator_bits = accumulator_bits;
  for (const float b : op.bias) {
    const double q = std::floor(std::ldexp(double{b}, head.acc_frac) + 0.5);
    if (std::fabs(q) > 2147483647.0)
      throw QuantizeError(node + ": the head's bias " + std::to_string(b) + " does not fit 32 bits at radix point " +
                          std::to_string(head.acc_frac));
    head.bias.push_back(static_cast<int32_t>(q));
  }
  try {
    head.check();
  } catch (const std::invalid_argument& e) {
    throw QuantizeError(node + ": " + e.what());
  }
  return head;
}

void check_lstm_fits(const LstmModel& m, const LstmCompileOptions& options) {
  const lstm_ref::FloatLstm& l = m.layer;
  const uint32_t sequences = options.sequences ? options.sequences : m.batch;
  const auto refuse = [&](const std::string& why) { throw ConfigError(where(m) + ": " + why); };
  if (sequences < 1 || sequences > kMaxSequences)
    refuse(std::to_string(sequences) + " sequences per job (the ONNX batch unless --sequences sets it); the engine runs 1.." +
           std::to_string(kMaxSequences));
  builder::LstmVectorSizes sizes;
  sizes.input = l.input_size, sizes.hidden = l.hidden_size, sizes.projection = l.projection_size;
  sizes.peepholes = static_cast<uint32_t>(l.peephole.size());
  sizes.head_rows = head_rows(m), sizes.head_bias = m.has_head;
  sizes.head_steps = m.head_every_step ? m.seq_length : 0;
  const auto vector_bytes = [&](uint32_t n) { return builder::lstm_vector_buffer_bytes(sizes, n); };
  if (vector_bytes(sequences) > options.hw.vector_buffer_bytes)
    refuse(std::to_string(sequences) + " sequences of " + std::to_string(l.input_size) + " inputs and " +
           std::to_string(l.hidden_size) + " cells need " + std::to_string(vector_bytes(sequences)) +
           " B of the vector buffer, the engine has " + std::to_string(options.hw.vector_buffer_bytes) + " B" +
           most_sequences(sequences, options.hw.vector_buffer_bytes, vector_bytes));
  const uint64_t steps = m.seq_length, recurrent = l.recurrent_size();
  const auto window_bytes = [&](uint32_t n) { return job_window_bytes(m, n); };
  if (options.ddr_bytes != 0 && window_bytes(sequences) > options.ddr_bytes)
    refuse("a job's input and output (" + std::to_string(steps) + " steps x " + std::to_string(sequences) + " sequences) need " +
           std::to_string(window_bytes(sequences)) + " B of DDR, the hardware has " + std::to_string(options.ddr_bytes) + " B" +
           most_sequences(sequences, options.ddr_bytes, window_bytes));
  const uint64_t run_values = steps * (recurrent + 10 * uint64_t{l.hidden_size});
  if (run_values > kMaxLstmRunValues)
    refuse("the float calibration of " + std::to_string(steps) + " steps of " + std::to_string(l.hidden_size) +
           " cells keeps " + std::to_string(run_values) + " values per sequence, more than dlvpc's " +
           std::to_string(kMaxLstmRunValues));
}

std::map<uint32_t, lstm::LstmTiming> predict_lstm_cycles(const builder::LstmProgram& program, const LstmConfig& hw) {
  const std::vector<lstm::LstmTiming> timings =
      lstm_instruction_timings(program.instructions, program.constants, builder::kArgConstants, hw);
  std::map<uint32_t, lstm::LstmTiming> cycles;
  for (size_t k = 0; k < timings.size(); ++k)
    if (isa::is_lstm_opcode(program.instructions[k].header.opcode)) cycles[program.instructions[k].header.tag] += timings[k];
  return cycles;
}

std::optional<SchedulePrediction> predict_lstm_schedule(const builder::LstmProgram& program,
                                                        const LstmCompileOptions& options) {
  if (!options.schedule) return std::nullopt;
  std::array<uint64_t, isa::kArgCount> windows{};
  windows[builder::kArgConstants] = program.constants.size();
  windows[builder::kArgInput] = program.input_bytes;
  windows[builder::kArgOutput] = program.output_bytes;
  ScheduleHardware hw = *options.schedule;
  hw.memory.lstm = options.hw;
  JobPlacement where = driver_placement(uint64_t{program.instructions.size()} * isa::kInstructionBytes, windows);
  where.first_instruction = program.weight_load_instructions;
  return predict_schedule(program.instructions, hw, where, program.constants);
}

std::vector<int16_t> lstm_job_input(const LstmCompiled& c, const std::vector<double>& onnx_input) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  const uint32_t T = c.model.seq_length, S = c.sequences, I = f.input_size;
  std::vector<int16_t> window(uint64_t{T} * S * I, 0);
  for (uint32_t s = 0; s < S; ++s) {
    const std::vector<int16_t> x = lstm_ref::quantize16(c.model.sequence(onnx_input, batch_entry(c, s)), f.x_frac);
    for (uint32_t t = 0; t < T; ++t)
      std::copy_n(x.begin() + uint64_t{t} * I, I, window.begin() + (uint64_t{t} * S + s) * I);
  }
  return window;
}

namespace {

// The fixed-point head on a run's y [steps][output] (its last step, or every step).
std::vector<int16_t> run_head(const LstmCompiled& c, const std::vector<int16_t>& y) {
  return head_on_steps(y, c.lstm.fixed.output_size(), c.model.head_every_step,
                       [&](const std::vector<int16_t>& v) { return lstm_ref::run_linear(c.head, &c.head_sparse, v); });
}

}  // namespace

std::vector<uint8_t> lstm_expected_output(const LstmCompiled& c, const std::vector<int16_t>& job_input) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  const uint32_t T = c.model.seq_length, S = c.sequences, I = f.input_size, Y = f.output_size(), H = f.hidden_size;
  std::vector<std::vector<int16_t>> channels(S, std::vector<int16_t>(uint64_t{T} * I));
  for (uint32_t s = 0; s < S; ++s)
    for (uint32_t t = 0; t < T; ++t)
      std::copy_n(job_input.begin() + (uint64_t{t} * S + s) * I, I, channels[s].begin() + uint64_t{t} * I);
  const std::vector<lstm_ref::FixedState> initial = initial_states(c);
  const std::vector<lstm_ref::FixedRun> runs = lstm_ref::run_fixed_channels(f, &c.lstm.sparse, channels, &initial);

  std::vector<uint8_t> window(c.program.output_bytes, 0);
  const uint32_t first_stored = T - c.program.stored_steps;
  for (uint32_t t = first_stored; t < T; ++t)
    for (uint32_t s = 0; s < S; ++s)
      for (uint32_t k = 0; k < Y; ++k)
        put16(window, (((uint64_t{t} - first_stored) * S + s) * Y + k) * kValueBytes, runs[s].y[uint64_t{t} * Y + k]);
  for (uint32_t s = 0; s < S; ++s)
    for (uint32_t k = 0; k < H; ++k)
      put16(window, c.program.final_c_offset + (uint64_t{s} * H + k) * kValueBytes, runs[s].last.c[k]);
  if (c.has_head)
    for (uint32_t s = 0; s < S; ++s) {
      const std::vector<int16_t> out = run_head(c, runs[s].y);
      for (uint64_t k = 0; k < out.size(); ++k)
        put16(window, c.program.head_output_offset + (uint64_t{s} * out.size() + k) * kValueBytes, out[k]);
    }
  return window;
}

void prepare_lstm_weights(LstmCompiled& c, const std::vector<std::vector<double>>& calibration, const LstmCompileOptions& options) {
  const LstmModel& m = c.model;
  const std::vector<std::vector<double>> sequences = calibration_sequences(m, calibration);
  CompressOptions compress;
  compress.prune.density = options.density;
  compress.prune.mode = options.pruning;
  compress.prune.pes = options.hw.pes;
  compress.quantize.accumulator_bits = options.hw.accumulator_bits;
  compress.store_zeros = options.dense;
  const std::optional<LstmCalibration>& cached = options.calibrated;
  c.lstm = compress_lstm(m.layer, sequences, compress, cached ? &cached->ranges : nullptr);
  c.calibration.ranges = c.lstm.ranges;
  if (!m.has_head) return;
  const FloatOp& op = head_op(m);
  c.has_head = true;
  c.head_name = op.name;
  c.calibration.head = cached ? cached->head : head_output_range(op, c.lstm.pruned, sequences, m.head_every_step);
  c.head = quantize_lstm_head(op, c.lstm.fixed.output_frac(), c.lstm.fixed.accumulator_bits, c.calibration.head, where(m));
  c.head_sparse = encode_csc(c.head.matrix, options.hw.pes, options.dense);
}

std::vector<double> lstm_float_output(const LstmModel& m, const std::vector<double>& sequence, uint32_t b) {
  const lstm_ref::FloatRun run = lstm_ref::run_float(m.layer, sequence, m.initial_h_of(b), m.initial_c_of(b));
  const uint32_t n = m.layer.output_size();
  if (m.has_head)
    return head_on_steps(run.y, n, m.head_every_step, [&](const std::vector<double>& y) { return lstm_head_float(head_op(m), y); });
  return {run.y.end() - n, run.y.end()};
}

std::vector<double> lstm_quantized_output(const LstmCompiled& c, const std::vector<double>& sequence, uint32_t b) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  const lstm_ref::FixedState initial = initial_state(c, b);
  const lstm_ref::FixedRun run = lstm_ref::run_fixed(f, &c.lstm.sparse, lstm_ref::quantize16(sequence, f.x_frac), &initial);
  std::vector<int16_t> out = run.last.recurrent;
  int frac = f.recurrent_frac();
  if (c.has_head) out = run_head(c, run.y), frac = c.head.output_frac;
  std::vector<double> values;
  for (const int16_t q : out) values.push_back(std::ldexp(static_cast<double>(q), -frac));
  return values;
}

uint32_t job_sequences(const LstmCompileOptions& options, uint32_t batch, bool initial_states, const std::string& where) {
  const uint32_t sequences = options.sequences ? options.sequences : batch;
  if (initial_states && sequences % batch != 0)
    throw ConfigError(where + ": initial states are given per batch entry; sequences per job (" +
                      std::to_string(sequences) + ") must be a multiple of the batch (" + std::to_string(batch) + ")");
  return sequences;
}

LstmCompiled compile_lstm(LstmModel model, const std::vector<std::vector<double>>& calibration,
                          const LstmCompileOptions& options) {
  if (calibration.empty()) throw ConfigError(where(model) + ": no calibration input");
  LstmCompiled c;
  c.model = std::move(model);
  const LstmModel& m = c.model;
  check_lstm_fits(m, options);
  c.sequences = job_sequences(options, m.batch, !m.initial_h.empty() || !m.initial_c.empty(), where(m));

  prepare_lstm_weights(c, calibration, options);
  builder::LstmHead head;
  if (c.has_head) {
    head.layer = &c.head;
    head.sparse = &c.head_sparse;
  }
  builder::LstmProgramOptions program;
  program.steps = m.seq_length;
  program.channels = c.sequences;
  program.stream_weights = options.stream_weights;
  program.store_sequence = wants_sequence(m);
  program.tag = kLstmTag;
  program.head_tag = kHeadTag;
  program.head_every_step = m.head_every_step;
  c.program = builder::build_lstm_program(c.lstm.fixed, c.lstm.sparse, options.hw, program, head);
  write_initial_states(c);
  describe_output(c);
  c.predicted = predict_lstm_cycles(c.program, options.hw);
  c.schedule = predict_lstm_schedule(c.program, options);

  const RecurrentJob job{m.seq_length, c.sequences, c.lstm.fixed.input_size, c.output_size, c.output_offset,
                         c.lstm.fixed.x_frac, c.output_frac, m.has_head && m.head.softmax_on_cpu};
  package::LstmPackageSpec spec = recurrent_package_spec(c.program, layer_infos(c), c.schedule, options, job);
  // The reference run over the test input keeps every step's y and c of every sequence.
  const uint64_t reference_run_bytes =
      uint64_t{c.sequences} * m.seq_length * (c.lstm.fixed.recurrent_size() + c.lstm.fixed.hidden_size) * kValueBytes;
  if (options.embed_test && job_window_bytes(m, c.sequences) + reference_run_bytes <= options.test_data_max_bytes) {
    c.test_input = lstm_job_input(c, calibration.front());
    c.test_expected = lstm_expected_output(c, c.test_input);
    embed_test(spec, c.test_input, c.test_expected);
  }
  c.package = package::write_lstm_package(spec);
  return c;
}

package::LstmPackageSpec recurrent_package_spec(const builder::LstmProgram& program,
                                                std::vector<package::LstmLayerInfo> layers,
                                                const std::optional<SchedulePrediction>& schedule,
                                                const LstmCompileOptions& options, const RecurrentJob& job) {
  package::LstmPackageSpec spec;
  spec.program = &program;
  spec.layers = std::move(layers);
  spec.hw = options.hw;
  spec.provenance = options.provenance;
  if (schedule) {
    std::vector<uint32_t> tags;
    for (const package::LstmLayerInfo& layer : spec.layers) tags.push_back(layer.tag);
    spec.prediction = package_prediction(*schedule, tags);
  }
  spec.provenance.platform.ddr_size_bytes = options.ddr_bytes;
  spec.steps = job.steps;
  spec.sequences = job.sequences;
  spec.input_size = job.input_size;
  spec.output_size = job.output_size;
  spec.output_offset = job.output_offset;
  spec.formats.input_frac_bits = job.input_frac;
  spec.formats.output_frac_bits = job.output_frac;
  spec.formats.cpu_postprocess = job.softmax_on_cpu ? package::kPostSoftmax : package::kPostNone;
  return spec;
}

void embed_test(package::LstmPackageSpec& spec, const std::vector<int16_t>& input, const std::vector<uint8_t>& expected) {
  spec.test_input.resize(input.size() * kValueBytes);
  for (size_t i = 0; i < input.size(); ++i) put16(spec.test_input, i * kValueBytes, input[i]);
  spec.test_expected = expected;
}

std::string format_lstm_report(const LstmCompiled& c, const LstmCompileOptions& options) {
  const lstm_ref::FixedLstm& f = c.lstm.fixed;
  char line[512];
  std::string text;
  std::snprintf(line, sizeof line,
                "LSTM '%s': %u inputs -> %u cells%s, %u steps, %u sequence%s per job; %s mode on %u PEs at %.0f MHz\n",
                utf8::prefix(c.model.node, kReportNameBytes).c_str(), f.input_size, f.hidden_size,
                f.projection_size ? (" -> " + std::to_string(f.projection_size) + " projection").c_str() : "",
                c.model.seq_length, c.sequences, c.sequences == 1 ? "" : "s", options.dense ? "dense" : "sparse",
                options.hw.pes, options.hw.clock_mhz);
  text += line;
  std::snprintf(line, sizeof line, "  formats: x Q%d, h Q%d, c Q%d%s, gate accumulators Q%d (%u-bit); weights W Q%d, R Q%d\n",
                f.x_frac, f.h_frac, f.c_frac, f.projection_size ? (", y Q" + std::to_string(f.y_frac)).c_str() : "",
                f.gate_frac, f.accumulator_bits, f.w.frac, f.r.frac);
  text += line;
  text += format_weights_and_head(c.lstm.report, options, c.has_head ? &c.head : nullptr, c.head_sparse, c.head_name,
                                  c.model.head.softmax_on_cpu);
  text += format_engine_job(c.program, c.predicted, c.schedule, c.model.seq_length, options, "LSTM");
  std::snprintf(line, sizeof line, "  package: %zu B; input int16 [%u steps][%u][%u] Q%d, output int16 [%u][%u] Q%d%s\n",
                c.package.size(), c.model.seq_length, c.sequences, f.input_size, f.x_frac, c.sequences, c.output_size,
                c.output_frac, c.test_input.empty() ? "" : "; test input and expected output embedded");
  text += line;
  return text;
}

std::string format_weights_and_head(const CompressionReport& report, const LstmCompileOptions& options,
                                   const lstm_ref::FixedLinear* head, const lstm_ref::CscMatrix& head_sparse,
                                   const std::string& head_name, bool softmax_on_cpu) {
  std::string text;
  std::string table = format_report(report);
  if (options.density >= 1.0) {  // the first line would announce a pruning to 100 %
    table.erase(0, table.find('\n') + 1);
    text += "  the model's own weights (no pruning by dlvpc) over " + std::to_string(options.hw.pes) + " PEs\n";
  } else {
    text += "  dlvpc pruned the model: ";
  }
  text += table;
  if (head) {
    const MatrixReport r = matrix_report(head_sparse, "head");
    char line[512];
    std::snprintf(line, sizeof line,
                  "  head '%s' on the LSTM engine: %ux%u, %.2f%% non-zeros (%.2f%% with padding), Q%d weights -> Q%d "
                  "outputs%s\n",
                  utf8::prefix(head_name, kReportNameBytes).c_str(), head->outputs(), head->inputs(), 100.0 * r.density(),
                  100.0 * r.padded_density(), head->matrix.frac, head->output_frac, softmax_on_cpu ? ", softmax on the CPU" : "");
    text += line;
  }
  return text;
}

std::string format_engine_job(const builder::LstmProgram& p, const std::map<uint32_t, lstm::LstmTiming>& predicted,
                              const std::optional<SchedulePrediction>& schedule, uint32_t steps,
                              const LstmCompileOptions& options, const std::string& layer) {
  char line[512];
  std::string text;
  std::snprintf(line, sizeof line,
                "  program: %zu instructions (%u LSTM_SPMV, %u %s_GATES, %u head), weights %s: %llu chunks, %llu DRAM "
                "bytes %s\n",
                p.instructions.size(), p.spmv_instructions, p.gates_instructions, layer.c_str(), p.head_spmv_instructions,
                p.streamed ? "streamed from DDR every step" : "resident in the PEs' memories",
                static_cast<unsigned long long>(p.weight_chunks),
                static_cast<unsigned long long>(p.streamed ? p.weight_bytes_per_step : p.weight_bytes_resident),
                p.streamed ? "per step" : "in the first job (a warm start skips the loads)");
  text += line;
  for (const auto& [tag, t] : predicted) {
    const lstm::PeLoad load = t.pe_load();
    const bool is_head = tag == kHeadTag;
    const std::string per_step = is_head ? "" : "; " + std::to_string(t.cycles / steps) + " per step";
    std::snprintf(line, sizeof line,
                  "  predicted %s: %llu engine cycles per job (%.1f us at %.0f MHz%s), per-PE entries "
                  "%llu / %.1f / %llu (imbalance %.3f), %.2f effective / %.2f dense-equivalent GOPS\n",
                  is_head ? "head" : layer.c_str(), static_cast<unsigned long long>(t.cycles),
                  t.cycles / options.hw.clock_mhz, options.hw.clock_mhz, per_step.c_str(),
                  static_cast<unsigned long long>(load.min), load.mean, static_cast<unsigned long long>(load.max),
                  load.imbalance(), t.effective_gops(options.hw.clock_mhz), t.dense_equivalent_gops(options.hw.clock_mhz));
    text += line;
  }
  if (schedule) {
    std::snprintf(line, sizeof line, "  predicted job with its transfers (warm: weights resident): %.2f us\n",
                  double(schedule->job) * 1e-6);
    text += line;
    for (const ifu::LayerTime& t : schedule->layers) {
      std::snprintf(line, sizeof line,
                    "    %s: time %.2f us = engine busy %.2f + memory stall %.2f + store tail %.2f + other %.2f\n",
                    t.layer == kHeadTag ? "head" : layer.c_str(), t.time * 1e-6, t.engine_busy * 1e-6, t.memory_stall * 1e-6,
                    t.store_tail * 1e-6, t.other * 1e-6);
      text += line;
    }
  }
  return text;
}

}  // namespace dlvp::dlvpc
