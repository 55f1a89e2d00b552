#include "tools/dlvpc/gru_compiler.h"

#include "ip/common/utf8.h"
#include "tools/package/package_writer.h"

#include <cmath>
#include <cstdio>

namespace dlvp::dlvpc {
namespace {

constexpr uint32_t kGruTag = 0, kHeadTag = 1;  // as the LSTM's: the head's report lines key on tag 1
constexpr size_t kReportNameBytes = 64;
constexpr uint64_t kValueBytes = 2;

std::string where(const GruModel& m) {
  return (m.origin.empty() ? "" : m.origin + ": ") + "node '" + m.node + "' (GRU)";
}

const FloatOp& head_op(const GruModel& m) { return lstm_head_op(m.head, m.layer.hidden_size, where(m)); }

uint32_t head_rows(const GruModel& m) { return m.has_head ? static_cast<uint32_t>(head_op(m).output.elements()) : 0; }
// The head's outputs per sequence: its rows on the last step, or on every step.
uint64_t head_outputs(const GruModel& m) { return uint64_t{head_rows(m)} * (m.head_every_step ? m.seq_length : 1); }

bool wants_sequence(const GruModel& m) {
  if (m.has_head) return false;
  for (const auto& o : m.outputs)
    if (o.every_step) return true;
  return false;
}

uint64_t job_window_bytes(const GruModel& m, uint32_t sequences) {
  const uint64_t steps = m.seq_length, stored = wants_sequence(m) ? steps : 1;
  return (steps * m.layer.input_size + stored * m.layer.hidden_size + head_outputs(m)) * sequences * kValueBytes;
}

void put16(std::vector<uint8_t>& bytes, uint64_t at, int16_t v) {
  bytes[at] = static_cast<uint8_t>(v);
  bytes[at + 1] = static_cast<uint8_t>(static_cast<uint16_t>(v) >> 8);
}

uint32_t batch_entry(const GruCompiled& c, uint32_t s) { return s % c.model.batch; }

std::vector<int16_t> initial_h(const GruCompiled& c, uint32_t b) {
  const std::vector<double> h = c.model.initial_h_of(b);
  return h.empty() ? std::vector<int16_t>(c.gru.fixed.hidden_size, 0) : lstm_ref::quantize16(h, c.gru.fixed.h_frac);
}

std::vector<std::vector<double>> calibration_sequences(const GruModel& m, const std::vector<std::vector<double>>& inputs) {
  std::vector<std::vector<double>> sequences;
  for (const std::vector<double>& x : inputs)
    for (uint32_t b = 0; b < m.batch; ++b) sequences.push_back(m.sequence(x, b));
  return sequences;
}

std::vector<double> last_h(const lstm_ref::FloatGru& gru, const std::vector<double>& x, const std::vector<double>& h0) {
  const lstm_ref::FloatGruRun run = lstm_ref::run_float(gru, x, h0);
  return {run.h.end() - gru.hidden_size, run.h.end()};
}

std::vector<package::LstmLayerInfo> layer_infos(const GruCompiled& c) {
  const lstm_ref::FixedGru& f = c.gru.fixed;
  const uint32_t T = c.model.seq_length, S = c.sequences;
  package::LstmLayerInfo gru;
  gru.name = c.model.node;
  gru.kind = package::kLayerLstm;  // the engine's recurrent layer (a GRU_GATES program; the name says GRU)
  gru.tag = kGruTag;
  gru.macs = uint64_t{T} * S * f.gate_rows() * (uint64_t{f.input_size} + f.hidden_size);
  const MatrixReport& total = c.gru.report.total;
  gru.weight_bytes = total.weight_bytes + total.pointer_bytes;
  gru.entries = static_cast<uint32_t>(total.nonzeros + total.padding);
  gru.in_c = 1, gru.in_h = T, gru.in_w = f.input_size;
  gru.out_c = f.hidden_size, gru.out_h = 1, gru.out_w = 1;
  std::vector<package::LstmLayerInfo> layers{gru};
  if (c.has_head)
    layers.push_back(lstm_head_layer_info(c.head_name, kHeadTag, S * (c.model.head_every_step ? T : 1), c.head, c.head_sparse));
  return layers;
}

}  // namespace

LstmRanges lstm_ranges_of(const GruRanges& g) {
  LstmRanges r;
  r.sequences = g.sequences, r.x = g.x, r.h = g.h, r.preact = g.preact;
  return r;
}

GruRanges gru_ranges_of(const LstmRanges& r) {
  GruRanges g;
  g.sequences = r.sequences, g.x = r.x, g.h = r.h, g.preact = r.preact;
  return g;
}

void check_gru_fits(const GruModel& m, const LstmCompileOptions& options) {
  const auto refuse = [&](const std::string& why) { throw ConfigError(where(m) + ": " + why); };
  const lstm_ref::FloatGru& l = m.layer;
  const uint32_t sequences = options.sequences ? options.sequences : m.batch;
  if (sequences < 1 || sequences > kMaxSequences)
    refuse(std::to_string(sequences) + " sequences per job (the ONNX batch unless --sequences sets it); the engine runs 1.." +
           std::to_string(kMaxSequences));
  if (options.stream_weights) refuse("--stream-weights: a GRU's weights are resident (the GRU program does not stream)");
  const uint32_t rows = head_rows(m);
  const uint64_t vector_bytes =
      builder::gru_vector_buffer_bytes(l.input_size, l.hidden_size, l.linear_before_reset, sequences, rows, m.has_head,
                                       m.head_every_step ? m.seq_length : 0);
  if (vector_bytes > options.hw.vector_buffer_bytes)
    refuse(std::to_string(sequences) + " sequences of " + std::to_string(l.input_size) + " inputs and " +
           std::to_string(l.hidden_size) + " units need " + std::to_string(vector_bytes) +
           " B of the vector buffer, the engine has " + std::to_string(options.hw.vector_buffer_bytes) + " B");
  if (options.ddr_bytes != 0 && job_window_bytes(m, sequences) > options.ddr_bytes)
    refuse("a job's input and output (" + std::to_string(m.seq_length) + " steps x " + std::to_string(sequences) +
           " sequences) need " + std::to_string(job_window_bytes(m, sequences)) + " B of DDR, the hardware has " +
           std::to_string(options.ddr_bytes) + " B");
  const uint64_t run_values = uint64_t{m.seq_length} * 4 * l.hidden_size;  // h and 3 pre-activations per step
  if (run_values > kMaxLstmRunValues)
    refuse("the float calibration of " + std::to_string(m.seq_length) + " steps of " + std::to_string(l.hidden_size) +
           " units keeps " + std::to_string(run_values) + " values per sequence, more than dlvpc's " +
           std::to_string(kMaxLstmRunValues));
}

void prepare_gru_weights(GruCompiled& c, const std::vector<std::vector<double>>& calibration,
                         const LstmCompileOptions& options) {
  const GruModel& m = c.model;
  const std::vector<std::vector<double>> sequences = calibration_sequences(m, calibration);
  CompressOptions compress;
  compress.prune.density = options.density;
  compress.prune.mode = options.pruning;
  compress.prune.pes = options.hw.pes;
  compress.quantize.accumulator_bits = options.hw.accumulator_bits;
  compress.store_zeros = options.dense;
  const std::optional<LstmCalibration>& cached = options.calibrated;
  const GruRanges cached_ranges = cached ? gru_ranges_of(cached->ranges) : GruRanges{};
  c.gru = compress_gru(m.layer, sequences, compress, cached ? &cached_ranges : nullptr);
  c.calibration.ranges = lstm_ranges_of(c.gru.ranges);
  if (!m.has_head) return;
  const FloatOp& op = head_op(m);
  c.has_head = true;
  c.head_name = op.name;
  if (cached) {
    c.calibration.head = cached->head;
  } else {
    for (const std::vector<double>& x : sequences)
      c.calibration.head.add(head_on_steps(lstm_ref::run_float(c.gru.pruned, x).h, m.layer.hidden_size, m.head_every_step,
                                           [&](const std::vector<double>& h) { return lstm_head_float(op, h); }));
  }
  c.head = quantize_lstm_head(op, c.gru.fixed.h_frac, c.gru.fixed.accumulator_bits, c.calibration.head, where(m));
  c.head_sparse = encode_csc(c.head.matrix, options.hw.pes, options.dense);
}

namespace {

// The fixed-point head on a run's h [steps][hidden] (its last step, or every step).
std::vector<int16_t> run_head(const GruCompiled& c, const std::vector<int16_t>& h) {
  return head_on_steps(h, c.gru.fixed.hidden_size, c.model.head_every_step,
                       [&](const std::vector<int16_t>& v) { return lstm_ref::run_linear(c.head, &c.head_sparse, v); });
}

}  // namespace

std::vector<double> gru_float_output(const GruModel& m, const std::vector<double>& sequence, uint32_t b) {
  if (!m.has_head) return last_h(m.layer, sequence, m.initial_h_of(b));
  return head_on_steps(lstm_ref::run_float(m.layer, sequence, m.initial_h_of(b)).h, m.layer.hidden_size, m.head_every_step,
                       [&](const std::vector<double>& h) { return lstm_head_float(head_op(m), h); });
}

std::vector<double> gru_quantized_output(const GruCompiled& c, const std::vector<double>& sequence, uint32_t b) {
  const lstm_ref::FixedGru& f = c.gru.fixed;
  const lstm_ref::FixedGruRun run =
      lstm_ref::run_fixed(f, &c.gru.sparse, lstm_ref::quantize16(sequence, f.x_frac), initial_h(c, b));
  std::vector<int16_t> out(run.h.end() - f.hidden_size, run.h.end());
  int frac = f.h_frac;
  if (c.has_head) out = run_head(c, run.h), frac = c.head.output_frac;
  std::vector<double> values;
  for (const int16_t q : out) values.push_back(std::ldexp(static_cast<double>(q), -frac));
  return values;
}

std::vector<int16_t> gru_job_input(const GruCompiled& c, const std::vector<double>& onnx_input) {
  const lstm_ref::FixedGru& f = c.gru.fixed;
  const uint32_t T = c.model.seq_length, S = c.sequences, I = f.input_size;
  std::vector<int16_t> window(uint64_t{T} * S * I, 0);
  for (uint32_t s = 0; s < S; ++s) {
    const std::vector<int16_t> x = lstm_ref::quantize16(c.model.sequence(onnx_input, batch_entry(c, s)), f.x_frac);
    for (uint32_t t = 0; t < T; ++t) std::copy_n(x.begin() + uint64_t{t} * I, I, window.begin() + (uint64_t{t} * S + s) * I);
  }
  return window;
}

std::vector<uint8_t> gru_expected_output(const GruCompiled& c, const std::vector<int16_t>& job_input) {
  const lstm_ref::FixedGru& f = c.gru.fixed;
  const uint32_t T = c.model.seq_length, S = c.sequences, I = f.input_size, H = f.hidden_size;
  std::vector<uint8_t> window(c.program.output_bytes, 0);
  const uint32_t first_stored = T - c.program.stored_steps;
  for (uint32_t s = 0; s < S; ++s) {
    std::vector<int16_t> x(uint64_t{T} * I);
    for (uint32_t t = 0; t < T; ++t) std::copy_n(job_input.begin() + (uint64_t{t} * S + s) * I, I, x.begin() + uint64_t{t} * I);
    const lstm_ref::FixedGruRun run = lstm_ref::run_fixed(f, &c.gru.sparse, x, initial_h(c, batch_entry(c, s)));
    for (uint32_t t = first_stored; t < T; ++t)
      for (uint32_t k = 0; k < H; ++k)
        put16(window, (((uint64_t{t} - first_stored) * S + s) * H + k) * kValueBytes, run.h[uint64_t{t} * H + k]);
    if (!c.has_head) continue;
    const std::vector<int16_t> out = run_head(c, run.h);
    for (uint64_t k = 0; k < out.size(); ++k)
      put16(window, c.program.head_output_offset + (uint64_t{s} * out.size() + k) * kValueBytes, out[k]);
  }
  return window;
}

GruCompiled compile_gru(GruModel model, const std::vector<std::vector<double>>& calibration,
                        const LstmCompileOptions& options) {
  if (calibration.empty()) throw ConfigError(where(model) + ": no calibration input");
  GruCompiled c;
  c.model = std::move(model);
  const GruModel& m = c.model;
  check_gru_fits(m, options);
  c.sequences = job_sequences(options, m.batch, !m.initial_h.empty(), where(m));
  prepare_gru_weights(c, calibration, options);
  builder::LstmHead head;
  if (c.has_head) head.layer = &c.head, head.sparse = &c.head_sparse;
  builder::GruProgramOptions program;
  program.steps = m.seq_length;
  program.channels = c.sequences;
  program.store_sequence = wants_sequence(m);
  program.tag = kGruTag;
  program.head_tag = kHeadTag;
  program.head_every_step = m.head_every_step;
  c.program = builder::build_gru_program(c.gru.fixed, c.gru.sparse, options.hw, program, head);
  uint64_t at = c.program.initial_state_offset;
  for (uint32_t s = 0; s < c.sequences; ++s)
    for (const int16_t v : initial_h(c, batch_entry(c, s))) put16(c.program.constants, at, v), at += kValueBytes;
  const lstm_ref::FixedGru& f = c.gru.fixed;
  if (c.has_head) {
    c.output_offset = c.program.head_output_offset, c.output_frac = c.head.output_frac;
    c.output_size = static_cast<uint32_t>(head_outputs(m));
  } else {
    c.output_offset = (c.program.stored_steps - 1) * uint64_t{c.sequences} * f.hidden_size * kValueBytes;
    c.output_size = f.hidden_size, c.output_frac = f.h_frac;
  }
  c.predicted = predict_lstm_cycles(c.program, options.hw);
  c.schedule = predict_lstm_schedule(c.program, options);

  const RecurrentJob job{m.seq_length, c.sequences, f.input_size, c.output_size, c.output_offset,
                         f.x_frac, c.output_frac, m.has_head && m.head.softmax_on_cpu};
  package::LstmPackageSpec spec = recurrent_package_spec(c.program, layer_infos(c), c.schedule, options, job);
  const uint64_t reference_run_bytes = uint64_t{c.sequences} * m.seq_length * f.hidden_size * kValueBytes;
  if (options.embed_test && job_window_bytes(m, c.sequences) + reference_run_bytes <= options.test_data_max_bytes) {
    c.test_input = gru_job_input(c, calibration.front());
    c.test_expected = gru_expected_output(c, c.test_input);
    embed_test(spec, c.test_input, c.test_expected);
  }
  c.package = package::write_lstm_package(spec);
  return c;
}

std::string format_gru_report(const GruCompiled& c, const LstmCompileOptions& options) {
  const lstm_ref::FixedGru& f = c.gru.fixed;
  char line[512];
  std::string text;
  std::snprintf(line, sizeof line,
                "GRU '%s': %u inputs -> %u units (linear_before_reset %d), %u steps, %u sequence%s per job; %s mode on %u "
                "PEs at %.0f MHz\n",
                utf8::prefix(c.model.node, kReportNameBytes).c_str(), f.input_size, f.hidden_size,
                f.linear_before_reset ? 1 : 0, c.model.seq_length, c.sequences, c.sequences == 1 ? "" : "s",
                options.dense ? "dense" : "sparse", options.hw.pes, options.hw.clock_mhz);
  text += line;
  std::snprintf(line, sizeof line, "  formats: x Q%d, h Q%d, gate accumulators Q%d (%u-bit); weights W Q%d, R Q%d\n",
                f.x_frac, f.h_frac, f.gate_frac, f.accumulator_bits, f.w.frac, f.r.frac);
  text += line;
  text += format_weights_and_head(c.gru.report, options, c.has_head ? &c.head : nullptr, c.head_sparse, c.head_name,
                                  c.model.head.softmax_on_cpu);
  text += format_engine_job(c.program, c.predicted, c.schedule, c.model.seq_length, options, "GRU");
  std::snprintf(line, sizeof line, "  package: %zu B; input int16 [%u steps][%u][%u] Q%d, output int16 [%u][%u] Q%d%s\n",
                c.package.size(), c.model.seq_length, c.sequences, f.input_size, f.x_frac, c.sequences, c.output_size,
                c.output_frac, c.test_input.empty() ? "" : "; test input and expected output embedded");
  text += line;
  return text;
}

}  // namespace dlvp::dlvpc
