#include "tools/builder/gru_program.h"

#include "tools/builder/lstm_program_parts.h"

#include <algorithm>
#include <string>

namespace dlvp::builder {
namespace {

using lstm_parts::align_up;
using lstm_parts::blank;
using lstm_parts::Chunk;
using lstm_parts::kAccBytes;
using lstm_parts::kBiasBytes;
using lstm_parts::kValueBytes;
using lstm_parts::kVectorAlign;
using lstm_parts::linear;
using lstm_parts::MatrixPass;
using lstm_parts::TokenedProgram;

[[noreturn]] void fail(const std::string& why) { throw BuildError("GRU program: " + why); }

// The vector buffer's regions.
struct GruVectorPlan {
  uint64_t x = 0, h = 0, rh = 0, bias_x = 0, bias_n = 0, head_bias = 0, head_out = 0, x_acc = 0, r_acc = 0, n_acc = 0,
           end = 0;
};

GruVectorPlan plan_vector(uint32_t input, uint32_t hidden, bool lbr, uint32_t channels, uint32_t head_rows,
                          bool head_bias, uint32_t head_steps) {
  GruVectorPlan v;
  uint64_t cursor = 0;
  auto region = [&](uint64_t bytes) {
    const uint64_t at = cursor;
    cursor = align_up(cursor + bytes, kVectorAlign);
    return at;
  };
  const uint64_t ch = channels, H = hidden;
  v.x = region(ch * input * kValueBytes);
  v.h = region(ch * H * kValueBytes);
  v.rh = region(lbr ? 0 : ch * H * kValueBytes);
  v.bias_x = region(lstm_ref::kGruGates * H * kBiasBytes);
  v.bias_n = region(lbr ? H * kBiasBytes : 0);
  v.head_bias = region(head_bias ? uint64_t{head_rows} * kBiasBytes : 0);
  v.head_out = region(ch * std::max<uint32_t>(head_steps, 1) * head_rows * kValueBytes);  // every step's until the end
  // W's accumulators; the head's reuse them once the last GRU_GATES has consumed them.
  v.x_acc = region(ch * std::max<uint64_t>(lstm_ref::kGruGates * H, head_rows) * kAccBytes);
  v.r_acc = region(ch * 2 * H * kAccBytes);
  v.n_acc = region(ch * H * kAccBytes);
  v.end = cursor;
  return v;
}

isa::Instruction gru_gates(const lstm_ref::FixedGru& m, const GruVectorPlan& v, const GruProgramOptions& o,
                           uint8_t stage) {
  isa::Instruction in = blank(isa::kOpGruGates, 0, o.tag);
  isa::GruGates& g = in.gru_gates;
  g.header.flags = m.linear_before_reset ? isa::kFlagLinearBeforeReset : 0;
  g.x_acc_offset = static_cast<uint32_t>(v.x_acc);
  g.r_acc_offset = static_cast<uint32_t>(v.r_acc);
  g.n_acc_offset = static_cast<uint32_t>(v.n_acc);
  g.h_prev_offset = static_cast<uint32_t>(v.h);
  g.out_offset = static_cast<uint32_t>(stage == 0 ? v.rh : v.h);
  g.hidden = m.hidden_size;
  g.channels = static_cast<uint16_t>(o.channels);
  g.gate_frac = static_cast<int8_t>(m.gate_frac);
  g.h_frac = static_cast<int8_t>(m.h_frac);
  g.stage = stage;
  return in;
}

void check_model(const lstm_ref::FixedGru& m, const lstm_ref::SparseGru& sparse, const LstmConfig& hw,
                 const GruProgramOptions& o) {
  try {
    m.check();
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  lstm_parts::check_steps_and_channels(o.steps, o.channels);
  lstm_parts::check_accumulator_bits(m.accumulator_bits, hw.accumulator_bits);
  const uint32_t H = m.hidden_size;
  const struct {
    const lstm_ref::CscMatrix& csc;
    uint32_t rows, cols;
    int frac;
    const char* name;
  } shapes[] = {{sparse.w, 3 * H, m.input_size, m.w.frac, "W"},
                {sparse.r_zr, 2 * H, H, m.r.frac, "R_zr"},
                {sparse.r_h, H, H, m.r.frac, "R_h"}};
  for (const auto& s : shapes)
    if (s.csc.rows != s.rows || s.csc.cols != s.cols || s.csc.frac != s.frac)
      fail(std::string(s.name) + "'s encoding is " + std::to_string(s.csc.rows) + "x" + std::to_string(s.csc.cols) +
           " at radix point " + std::to_string(s.csc.frac) + ", the model's " + std::to_string(s.rows) + "x" +
           std::to_string(s.cols) + " at " + std::to_string(s.frac));
}

}  // namespace

uint64_t gru_vector_buffer_bytes(uint32_t input, uint32_t hidden, bool linear_before_reset, uint32_t channels,
                                 uint32_t head_rows, bool head_bias, uint32_t head_steps) {
  return plan_vector(input, hidden, linear_before_reset, channels, head_rows, head_bias, head_steps).end;
}

GruProgram build_gru_program(const lstm_ref::FixedGru& m, const lstm_ref::SparseGru& sparse, const LstmConfig& hw,
                             const GruProgramOptions& o, const LstmHead& head) {
  check_model(m, sparse, hw, o);
  lstm_parts::check_head(head, m.hidden_size, m.h_frac, hw.accumulator_bits);
  const uint32_t H = m.hidden_size, I = m.input_size, T = o.steps, ch = o.channels;
  const bool lbr = m.linear_before_reset;
  const uint32_t head_rows = head.layer ? head.layer->outputs() : 0;
  const bool head_bias = head.layer && !head.layer->bias.empty();
  const bool step_head = o.head_every_step && head.layer;
  const GruVectorPlan v = plan_vector(I, H, lbr, ch, head_rows, head_bias, step_head ? T : 0);
  if (v.end > hw.vector_buffer_bytes)
    fail("the vector buffer needs " + std::to_string(v.end) + " B, the engine has " +
         std::to_string(hw.vector_buffer_bytes) + " B");
  GruProgram p;
  lstm_parts::Layout layout(hw, p.constants);

  // W from bias_x into x_acc; R_zr from 0 into r_acc; R_h into n_acc (from bias_n with
  // linear_before_reset on h_{t-1}, else from 0 on r . h_{t-1}).
  MatrixPass w, r_zr, r_h;
  w.rows = 3 * H, w.input = v.x, w.input_stride = I, w.bias = v.bias_x;
  w.product_shift = m.w_shift(), w.first_flags = isa::kFlagAccFirst;
  r_zr.rows = 2 * H, r_zr.input = v.h, r_zr.input_stride = H;
  r_zr.product_shift = m.r_shift(), r_zr.first_flags = isa::kFlagAccFirst | isa::kFlagNoBias;
  r_h.rows = H, r_h.input = lbr ? v.h : v.rh, r_h.input_stride = H, r_h.bias = v.bias_n;
  r_h.product_shift = m.r_shift(), r_h.first_flags = isa::kFlagAccFirst | (lbr ? 0 : isa::kFlagNoBias);
  // The head: one pass after the last step on h_T (or after every step on h_t), from its bias (if
  // any) to its output.
  MatrixPass head_pass;
  head_pass.rows = head_rows, head_pass.input = v.h, head_pass.input_stride = H;
  head_pass.first_flags = isa::kFlagAccFirst | (head_bias ? 0 : isa::kFlagNoBias), head_pass.last_flags = isa::kFlagAccLast;
  head_pass.bias = v.head_bias, head_pass.output = v.head_out;
  if (head.layer) head_pass.product_shift = head.layer->product_shift(), head_pass.output_shift = head.layer->output_shift();
  MatrixPass* passes[] = {&w, &r_zr, &r_h, &head_pass};
  const uint64_t accs[] = {v.x_acc, v.r_acc, v.n_acc, v.x_acc};
  for (MatrixPass* pass : passes) pass->tag = o.tag;
  head_pass.tag = o.head_tag;
  const lstm_ref::CscMatrix* matrices[] = {&sparse.w, &sparse.r_zr, &sparse.r_h, head.sparse};
  const char* names[] = {"W", "R_zr", "R_h", "the head"};
  const int matrix_count = head.layer ? 4 : 3;
  uint64_t resident = 0;
  for (int i = 0; i < matrix_count; ++i) {
    passes[i]->chunks = layout.cut(*matrices[i], o.max_chunk_cols, 0, names[i]);
    for (Chunk& c : passes[i]->chunks) c.weight_offset = static_cast<uint32_t>(resident), resident += c.bytes;
    layout.place(*matrices[i], passes[i]->chunks);
    if (i < 3) p.weight_chunks += static_cast<uint32_t>(passes[i]->chunks.size());  // per step
  }
  if (resident > hw.weight_memory_bytes)
    fail("the weights need " + std::to_string(resident) + " B per PE, more than the " +
         std::to_string(hw.weight_memory_bytes) + " B weight memory (a GRU's weights must be resident)");
  p.weight_bytes_resident = resident * hw.pes;
  const uint64_t per_step = uint64_t{p.weight_chunks} + (lbr ? 3 : 4) + (step_head ? head_pass.chunks.size() : 0);
  if (uint64_t{T} * per_step > kMaxLstmInstructions)
    fail("the program would have about " + std::to_string(uint64_t{T} * per_step) + " instructions, more than " +
         std::to_string(kMaxLstmInstructions));
  const uint64_t bias_x = layout.add(m.bias_x.data(), m.bias_x.size() * kBiasBytes);
  const uint64_t bias_n = layout.add(m.bias_n.data(), m.bias_n.size() * kBiasBytes);
  const uint64_t h_bytes = uint64_t{ch} * H * kValueBytes, x_bytes = uint64_t{ch} * I * kValueBytes;
  p.initial_state_offset = layout.reserve(h_bytes);

  using Index = int64_t;
  constexpr Index kNone = TokenedProgram::kNone;
  TokenedProgram prog(p.instructions);
  for (const MatrixPass* pass : passes)
    for (const Chunk& c : pass->chunks)
      prog.append(lstm_parts::chunk_load(hw, pass->tag, c, c.weight_offset));
  p.weight_load_instructions = static_cast<uint32_t>(p.instructions.size());
  if (head_bias) {
    const uint64_t bytes = head.layer->bias.size() * kBiasBytes;
    prog.append(linear(isa::kOpLoad, 0, o.head_tag, v.head_bias, kArgConstants, layout.add(head.layer->bias.data(), bytes),
                       bytes));
  }
  prog.append(linear(isa::kOpLoad, 0, o.tag, v.bias_x, kArgConstants, bias_x, m.bias_x.size() * kBiasBytes));
  if (lbr) prog.append(linear(isa::kOpLoad, 0, o.tag, v.bias_n, kArgConstants, bias_n, m.bias_n.size() * kBiasBytes));
  const Index setup = prog.append(linear(isa::kOpLoad, 0, o.tag, v.h, kArgConstants, p.initial_state_offset, h_bytes));

  Index x_load = kNone, x_reader = kNone, h_store = kNone;
  // The LSTM_SPMVs of passes[i] (`pass`: its copy with another output); returns the last.
  auto run_pass = [&](int i, Index after, const MatrixPass* pass_copy = nullptr) {
    const MatrixPass& pass = pass_copy ? *pass_copy : *passes[i];
    Index at = kNone;
    for (size_t k = 0; k < pass.chunks.size(); ++k) {
      at = prog.append(lstm_parts::spmv_instruction(pass, k, pass.chunks[k].weight_offset, accs[i], o.channels), {setup, after});
      ++(i == 3 ? p.head_spmv_instructions : p.spmv_instructions);
      if (i == 0) x_reader = at;
    }
    return at;
  };
  Index head_writer = kNone;
  for (uint32_t t = 0; t < T; ++t) {
    x_load = prog.append(linear(isa::kOpLoad, 0, o.tag, v.x, kArgInput, t * x_bytes, x_bytes), {x_reader});
    run_pass(0, x_load);  // W
    run_pass(1, kNone);   // R_zr
    if (!lbr) prog.append(gru_gates(m, v, o, 0)), ++p.gates_instructions;
    run_pass(2, kNone);   // R_h
    const Index update = prog.append(gru_gates(m, v, o, 1), {h_store});  // h_{t-1} stored before it changes
    ++p.gates_instructions;
    if (step_head) {
      // The head on h_t, its outputs kept at step t's slot until the end (the compute queue's order
      // puts it after h_t's update and before step t + 1's).
      MatrixPass h = head_pass;
      h.output = v.head_out + uint64_t{t} * ch * head_rows * kValueBytes;
      head_writer = run_pass(3, kNone, &h);
    }
    if (o.store_sequence || t + 1 == T)
      h_store = prog.append(linear(isa::kOpStore, 0, o.tag, v.h, kArgOutput, o.store_sequence ? t * h_bytes : 0, h_bytes),
                            {update});
  }
  p.stored_steps = o.store_sequence ? T : 1;
  p.output_bytes = p.stored_steps * h_bytes;
  // The head on h_T (the compute queue's order puts it after the last step's GRU_GATES).
  if (head.layer && !step_head) head_writer = run_pass(3, kNone);
  if (head.layer)
    lstm_parts::store_head_output(prog, p, o.head_tag, v.head_out, step_head ? T : 1, ch, head_rows, head_writer);
  prog.append(blank(isa::kOpEnd, 0, o.tag));
  p.input_bytes = T * x_bytes;
  return p;
}

}  // namespace dlvp::builder
