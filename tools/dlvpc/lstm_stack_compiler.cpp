#include "tools/dlvpc/lstm_stack_compiler.h"

#include "ip/common/utf8.h"
#include "tools/package/package_writer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dlvp::dlvpc {
namespace {

constexpr uint64_t kValueBytes = 2;

std::string where(const LstmStackModel& m) {
  return (m.origin.empty() ? "" : m.origin + ": ") + "node '" + m.levels.back()[0].node + "' (LSTM)";
}

uint32_t output_width(const LstmStackModel& m) {
  return static_cast<uint32_t>(m.levels.back().size()) * m.levels.back()[0].layer.output_size();
}

const FloatOp& head_op(const LstmStackModel& m) { return lstm_head_op(m.head, output_width(m), where(m)); }

std::vector<FloatStackLevel> float_stack(const LstmStackModel& m) {
  std::vector<FloatStackLevel> levels;
  for (size_t l = 0; l < m.levels.size(); ++l) {
    FloatStackLevel level;
    for (size_t d = 0; d < m.levels[l].size(); ++d) level.push_back({m.levels[l][d].layer, static_cast<bool>(m.reverse[l][d])});
    levels.push_back(level);
  }
  return levels;
}


void put16(std::vector<uint8_t>& bytes, uint64_t at, int16_t v) {
  bytes[at] = static_cast<uint8_t>(v);
  bytes[at + 1] = static_cast<uint8_t>(static_cast<uint16_t>(v) >> 8);
}

void check_stack(const LstmStackModel& m) {
  if (!m.has_head)
    throw ImportError(where(m) + ": a stacked or bidirectional LSTM without a head on its last step is not supported yet");
  for (const auto& level : m.levels)
    for (const LstmModel& layer : level)
      for (const std::vector<double>* state : {&layer.initial_h, &layer.initial_c})
        for (const double v : *state)
          if (v != 0)
            throw ImportError((m.origin.empty() ? "" : m.origin + ": ") + "node '" + layer.node +
                              "' (LSTM): non-zero initial states in a stack are not supported yet");
}

std::vector<package::LstmLayerInfo> layer_infos(const LstmStackCompiled& c) {
  std::vector<package::LstmLayerInfo> layers;
  const uint32_t T = c.model.levels[0][0].seq_length, S = c.sequences;
  uint32_t tag = 0;
  for (size_t l = 0; l < c.stack.levels.size(); ++l)
    for (size_t d = 0; d < c.stack.levels[l].size(); ++d, ++tag) {
      const CompressedLstm& layer = c.stack.levels[l][d];
      const lstm_ref::FixedLstm& f = layer.fixed;
      package::LstmLayerInfo info;
      info.name = c.model.levels[l][d].node + (c.stack.reverse[l][d] ? " (reverse)" : "");
      info.kind = package::kLayerLstm;
      info.tag = tag;
      info.macs = uint64_t{T} * S *
                  (uint64_t{f.gate_rows()} * (f.input_size + f.recurrent_size()) + uint64_t{f.projection_size} * f.hidden_size);
      info.weight_bytes = layer.report.total.weight_bytes + layer.report.total.pointer_bytes;
      info.entries = static_cast<uint32_t>(layer.report.total.nonzeros + layer.report.total.padding);
      info.in_c = 1, info.in_h = T, info.in_w = f.input_size;
      info.out_c = f.output_size(), info.out_h = 1, info.out_w = 1;
      layers.push_back(info);
    }
  const uint32_t head_vectors = S * (c.model.head_every_step ? c.model.levels[0][0].seq_length : 1);
  layers.push_back(lstm_head_layer_info(c.head_name, tag, head_vectors, c.head, c.head_sparse));
  return layers;
}

}  // namespace

namespace {

// The fixed-point head on the stack's output y [steps][width] (its last step, or every step).
std::vector<int16_t> run_head(const LstmStackCompiled& c, const std::vector<int16_t>& y) {
  return head_on_steps(y, output_width(c.model), c.model.head_every_step,
                       [&](const std::vector<int16_t>& v) { return lstm_ref::run_linear(c.head, &c.head_sparse, v); });
}

}  // namespace

std::vector<double> lstm_stack_float_output(const LstmStackModel& m, const std::vector<double>& sequence) {
  std::vector<lstm_ref::StackLevel<lstm_ref::FloatLstm>> levels;
  for (size_t l = 0; l < m.levels.size(); ++l) {
    lstm_ref::StackLevel<lstm_ref::FloatLstm> level;
    for (size_t d = 0; d < m.levels[l].size(); ++d) level.push_back({&m.levels[l][d].layer, static_cast<bool>(m.reverse[l][d])});
    levels.push_back(level);
  }
  const lstm_ref::FloatStackRun run = lstm_ref::run_float_stack(levels, sequence);
  return head_on_steps(run.y, output_width(m), m.head_every_step,
                       [&](const std::vector<double>& y) { return lstm_head_float(head_op(m), y); });
}

std::vector<double> lstm_stack_quantized_output(const LstmStackCompiled& c, const std::vector<double>& sequence) {
  const auto sparse = c.stack.sparse();
  const lstm_ref::FixedStackRun run = lstm_ref::run_fixed_stack(
      c.stack.fixed_levels(), &sparse, lstm_ref::quantize16(sequence, c.stack.levels[0][0].fixed.x_frac));
  const std::vector<int16_t> out = run_head(c, run.y);
  std::vector<double> values;
  for (const int16_t q : out) values.push_back(std::ldexp(static_cast<double>(q), -c.head.output_frac));
  return values;
}

std::vector<int16_t> lstm_stack_job_input(const LstmStackCompiled& c, const std::vector<double>& onnx_input) {
  const LstmModel& first = c.model.levels[0][0];
  const uint32_t T = first.seq_length, S = c.sequences, I = first.layer.input_size;
  std::vector<int16_t> window(uint64_t{T} * S * I, 0);
  for (uint32_t s = 0; s < S; ++s) {
    const std::vector<int16_t> x =
        lstm_ref::quantize16(first.sequence(onnx_input, s % first.batch), c.stack.levels[0][0].fixed.x_frac);
    for (uint32_t t = 0; t < T; ++t) std::copy_n(x.begin() + uint64_t{t} * I, I, window.begin() + (uint64_t{t} * S + s) * I);
  }
  return window;
}

std::vector<uint8_t> lstm_stack_expected_output(const LstmStackCompiled& c, const std::vector<int16_t>& job_input) {
  const LstmModel& first = c.model.levels[0][0];
  const uint32_t T = first.seq_length, S = c.sequences, I = first.layer.input_size, W = output_width(c.model);
  const uint32_t dirs = static_cast<uint32_t>(c.model.levels.back().size()), Rn = W / dirs;
  const builder::LstmProgram& p = c.program.program;
  const auto levels = c.stack.fixed_levels();
  const auto sparse = c.stack.sparse();
  std::vector<uint8_t> window(p.output_bytes, 0);
  for (uint32_t s = 0; s < S; ++s) {
    std::vector<int16_t> x(uint64_t{T} * I);
    for (uint32_t t = 0; t < T; ++t) std::copy_n(job_input.begin() + (uint64_t{t} * S + s) * I, I, x.begin() + uint64_t{t} * I);
    const lstm_ref::FixedStackRun run = lstm_ref::run_fixed_stack(levels, &sparse, x);
    const uint32_t first_stored = T - p.stored_steps;
    for (uint32_t t = first_stored; t < T; ++t)
      for (uint32_t d = 0; d < dirs; ++d)
        for (uint32_t k = 0; k < Rn; ++k)
          put16(window, ((((uint64_t{t} - first_stored) * dirs + d) * S + s) * Rn + k) * kValueBytes,
                run.y[(uint64_t{t} * dirs + d) * Rn + k]);
    // Through DDR, every level but the last left its sequence [T][directions][S][output] in the window.
    for (size_t l = 0; l < c.program.sequence_offsets.size(); ++l) {
      const uint32_t level_dirs = static_cast<uint32_t>(c.model.levels[l].size());
      const uint32_t size = c.model.levels[l][0].layer.output_size();
      for (uint32_t t = 0; t < T; ++t)
        for (uint32_t d = 0; d < level_dirs; ++d)
          for (uint32_t k = 0; k < size; ++k)
            put16(window, c.program.sequence_offsets[l] + (((uint64_t{t} * level_dirs + d) * S + s) * size + k) * kValueBytes,
                  run.level_y[l][(uint64_t{t} * level_dirs + d) * size + k]);
    }
    for (size_t layer = 0; layer < run.last.size(); ++layer) {
      const std::vector<int16_t>& cell = run.last[layer].c;
      for (size_t k = 0; k < cell.size(); ++k)
        put16(window, c.program.final_c_offsets[layer] + (uint64_t{s} * cell.size() + k) * kValueBytes, cell[k]);
    }
    const std::vector<int16_t> out = run_head(c, run.y);
    for (uint64_t k = 0; k < out.size(); ++k)
      put16(window, p.head_output_offset + (uint64_t{s} * out.size() + k) * kValueBytes, out[k]);
  }
  return window;
}

void prepare_lstm_stack_weights(LstmStackCompiled& c, const std::vector<std::vector<double>>& calibration,
                                const LstmCompileOptions& options, const LstmStackCalibration* cached) {
  const LstmStackModel& m = c.model;
  const LstmModel& first = m.levels[0][0];
  c.sequences = options.sequences ? options.sequences : first.batch;
  if (c.sequences < 1 || c.sequences > kMaxSequences)
    throw ConfigError(where(m) + ": " + std::to_string(c.sequences) + " sequences per job; the engine runs 1.." +
                      std::to_string(kMaxSequences));
  // Before calibration allocates anything: each layer as check_lstm_fits checks one (the stack needs
  // at least what each layer alone needs), and the float stack's runs of one sequence together.
  uint64_t run_values = 0;
  for (const auto& level : m.levels)
    for (const LstmModel& layer : level) {
      LstmCompileOptions one = options;
      one.sequences = c.sequences;
      check_lstm_fits(layer, one);
      run_values += uint64_t{layer.seq_length} * (layer.layer.recurrent_size() + 10 * uint64_t{layer.layer.hidden_size});
    }
  if (run_values > kMaxLstmRunValues)
    throw ConfigError(where(m) + ": the float calibration of the stack keeps " + std::to_string(run_values) +
                      " values per sequence, more than dlvpc's " + std::to_string(kMaxLstmRunValues));
  const FloatOp& op = head_op(m);
  std::vector<std::vector<double>> sequences;
  for (const std::vector<double>& x : calibration)
    for (uint32_t b = 0; b < first.batch; ++b) sequences.push_back(first.sequence(x, b));
  CompressOptions compress;
  compress.prune.density = options.density;
  compress.prune.mode = options.pruning;
  compress.prune.pes = options.hw.pes;
  compress.quantize.accumulator_bits = options.hw.accumulator_bits;
  compress.store_zeros = options.dense;
  c.stack = compress_lstm_stack(float_stack(m), sequences, compress, cached ? &cached->layers : nullptr);
  c.calibration.layers.clear();
  for (const auto& level : c.stack.levels)
    for (const CompressedLstm& layer : level) c.calibration.layers.push_back(layer.ranges);
  // The head: calibrated on the pruned float stack's last step, quantized at the last level's output format.
  c.calibration.head = Range{};
  if (cached) {
    c.calibration.head = cached->head;
  } else {
    const auto pruned = c.stack.pruned_levels();
    for (const std::vector<double>& x : sequences)
      c.calibration.head.add(head_on_steps(lstm_ref::run_float_stack(pruned, x).y, output_width(m), m.head_every_step,
                                           [&](const std::vector<double>& y) { return lstm_head_float(op, y); }));
  }
  const lstm_ref::FixedLstm& last = c.stack.levels.back()[0].fixed;
  c.head_name = op.name;
  c.head = quantize_lstm_head(op, last.output_frac(), last.accumulator_bits, c.calibration.head, where(m));
  c.head_sparse = encode_csc(c.head.matrix, options.hw.pes, options.dense);
}

LstmStackCompiled compile_lstm_stack(LstmStackModel model, const std::vector<std::vector<double>>& calibration,
                                     const LstmCompileOptions& options, const LstmStackCalibration* cached) {
  check_stack(model);
  if (calibration.empty()) throw ConfigError(where(model) + ": no calibration input");
  LstmStackCompiled c;
  c.model = std::move(model);
  const LstmStackModel& m = c.model;
  const LstmModel& first = m.levels[0][0];
  prepare_lstm_stack_weights(c, calibration, options, cached);

  builder::LstmStackOptions program;
  program.steps = first.seq_length;
  program.channels = c.sequences;
  program.stream_weights = options.stream_weights;
  program.store_sequence = m.head_every_step;  // through DDR the head reads the stored steps back
  program.tag = 0;
  uint32_t layers = 0;
  for (const auto& level : c.stack.levels) layers += static_cast<uint32_t>(level.size());
  program.head_tag = layers;
  program.head_every_step = m.head_every_step;
  c.program = builder::build_lstm_stack_program(c.stack.program_levels(), options.hw, program, {&c.head, &c.head_sparse});
  c.output_offset = c.program.program.head_output_offset, c.output_frac = c.head.output_frac;
  c.output_size = c.head.outputs() * (m.head_every_step ? first.seq_length : 1);
  c.predicted = predict_lstm_cycles(c.program.program, options.hw);

  const RecurrentJob job{first.seq_length, c.sequences, first.layer.input_size, c.output_size, c.output_offset,
                         c.stack.levels[0][0].fixed.x_frac, c.output_frac, m.head.softmax_on_cpu};
  package::LstmPackageSpec spec = recurrent_package_spec(c.program.program, layer_infos(c),
                                                         predict_lstm_schedule(c.program.program, options), options, job);
  const uint64_t window_bytes = c.program.program.input_bytes + c.program.program.output_bytes;
  if (options.embed_test && 2 * window_bytes <= options.test_data_max_bytes) {
    c.test_input = lstm_stack_job_input(c, calibration.front());
    c.test_expected = lstm_stack_expected_output(c, c.test_input);
    embed_test(spec, c.test_input, c.test_expected);
  }
  c.package = package::write_lstm_package(spec);
  return c;
}

std::string format_lstm_stack_report(const LstmStackCompiled& c, const LstmCompileOptions& options) {
  const builder::LstmProgram& p = c.program.program;
  char line[512];
  std::string text;
  std::snprintf(line, sizeof line, "LSTM stack: %zu levels, %u steps, %u sequence%s per job, one job; %s mode on %u PEs at %.0f MHz\n",
                c.stack.levels.size(), c.model.levels[0][0].seq_length, c.sequences, c.sequences == 1 ? "" : "s",
                options.dense ? "dense" : "sparse", options.hw.pes, options.hw.clock_mhz);
  text += line;
  uint32_t tag = 0;
  for (size_t l = 0; l < c.stack.levels.size(); ++l)
    for (size_t d = 0; d < c.stack.levels[l].size(); ++d, ++tag) {
      const lstm_ref::FixedLstm& f = c.stack.levels[l][d].fixed;
      const MatrixReport& total = c.stack.levels[l][d].report.total;
      const auto cycles = c.predicted.find(tag);
      std::snprintf(line, sizeof line,
                    "  layer %u '%s'%s: %u inputs -> %u cells, x Q%d -> y Q%d; %.2f%% non-zeros (%.2f%% with padding); "
                    "predicted %llu engine cycles per job\n",
                    tag, utf8::prefix(c.model.levels[l][d].node, 64).c_str(), c.stack.reverse[l][d] ? " (reverse)" : "",
                    f.input_size, f.hidden_size, f.x_frac, f.output_frac(), 100.0 * total.density(), 100.0 * total.padded_density(),
                    static_cast<unsigned long long>(cycles == c.predicted.end() ? 0 : cycles->second.cycles));
      text += line;
    }
  std::snprintf(line, sizeof line, "  head '%s': %ux%u, Q%d weights -> Q%d outputs%s\n",
                utf8::prefix(c.head_name, 64).c_str(), c.head.outputs(), c.head.inputs(), c.head.matrix.frac,
                c.head.output_frac, c.model.head.softmax_on_cpu ? ", softmax on the CPU" : "");
  text += line;
  std::snprintf(line, sizeof line,
                "  program: %zu instructions (%u LSTM_SPMV, %u LSTM_GATES, %u head), weights %s: %u chunks, %llu DRAM "
                "bytes %s; vector buffer %llu B%s\n",
                p.instructions.size(), p.spmv_instructions, p.gates_instructions, p.head_spmv_instructions,
                p.streamed ? "streamed from DDR every step" : "resident in the PEs' memories", p.weight_chunks,
                static_cast<unsigned long long>(p.streamed ? p.weight_bytes_per_step : p.weight_bytes_resident),
                p.streamed ? "per step" : "in the first job", static_cast<unsigned long long>(c.program.vector_bytes),
                c.program.through_ddr ? ", the levels' sequences through DDR (they do not fit it)" : "");
  text += line;
  std::snprintf(line, sizeof line, "  package: %zu B; output int16 [%u][%u] Q%d%s\n", c.package.size(), c.sequences,
                c.output_size, c.output_frac, c.test_input.empty() ? "" : "; test input and expected output embedded");
  text += line;
  return text;
}

}  // namespace dlvp::dlvpc
