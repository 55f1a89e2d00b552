#include "tools/builder/lstm_program.h"

#include "tools/builder/lstm_program_parts.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dlvp::builder {
namespace {

using namespace lstm_parts;

// The vector buffer's regions.
struct VectorPlan {
  uint64_t x = 0, r = 0, h = 0, c = 0, bias = 0, peephole = 0, acc = 0, head_bias = 0, head_out = 0, end = 0;
};

VectorPlan plan_vector(const LstmVectorSizes& n, uint32_t channels) {
  VectorPlan v;
  uint64_t cursor = 0;
  auto region = [&](uint64_t bytes) {
    const uint64_t at = cursor;
    cursor = align_up(cursor + bytes, kVectorAlign);
    return at;
  };
  const uint64_t H = n.hidden, gate_rows = uint64_t{lstm::kGateCount} * H;
  const uint64_t recurrent = n.projection ? n.projection : H;
  v.x = region(uint64_t{channels} * n.input * kValueBytes);
  v.r = region(uint64_t{channels} * recurrent * kValueBytes);
  v.h = n.projection ? region(uint64_t{channels} * H * kValueBytes) : v.r;  // without projection r_t = h_t
  v.c = region(uint64_t{channels} * H * kValueBytes);
  v.bias = region(gate_rows * kBiasBytes);
  v.peephole = region(uint64_t{n.peepholes} * kValueBytes);
  v.head_bias = region(n.head_bias ? uint64_t{n.head_rows} * kBiasBytes : 0);
  // A head on every step keeps every step's outputs until one STORE per channel at the end.
  v.head_out = region(uint64_t{channels} * std::max<uint32_t>(n.head_steps, 1) * n.head_rows * kValueBytes);
  // The gate accumulators; the projection's and the head's reuse them once LSTM_GATES has consumed them.
  v.acc = region(uint64_t{channels} * std::max<uint64_t>({gate_rows, n.projection, n.head_rows}) * kAccBytes);
  v.end = cursor;
  return v;
}

LstmVectorSizes vector_sizes(const lstm_ref::FixedLstm& m, const lstm_ref::FixedLinear* head, uint32_t head_steps) {
  LstmVectorSizes n;
  n.input = m.input_size, n.hidden = m.hidden_size, n.projection = m.projection_size;
  n.peepholes = static_cast<uint32_t>(m.peephole.size());
  n.head_rows = head ? head->outputs() : 0;
  n.head_bias = head && !head->bias.empty();
  n.head_steps = head ? head_steps : 0;
  return n;
}

// The instruction fields of LSTM_GATES; the caller orders them.
class InstructionMaker {
 public:
  InstructionMaker(const lstm_ref::FixedLstm& m, const LstmProgramOptions& o, const VectorPlan& v) : m_(m), o_(o), v_(v) {}

  isa::Instruction gates() const { return gates_instruction(m_, o_.tag, v_.acc, v_.c, v_.h, v_.peephole, o_.channels); }

 private:
  const lstm_ref::FixedLstm& m_;
  const LstmProgramOptions& o_;
  const VectorPlan& v_;
};

}  // namespace

std::vector<uint8_t> LstmProgram::instruction_bytes() const {
  std::vector<uint8_t> bytes(instructions.size() * isa::kInstructionBytes);
  if (!bytes.empty()) std::memcpy(bytes.data(), instructions.data(), bytes.size());
  return bytes;
}

namespace {

uint64_t chunk_bytes(const std::vector<MatrixPass>& passes) {
  uint64_t bytes = 0;
  for (const MatrixPass& pass : passes) bytes += lstm_parts::chunk_bytes(pass.chunks);
  return bytes;
}

}  // namespace

uint64_t lstm_vector_buffer_bytes(const LstmVectorSizes& sizes, uint32_t channels) {
  return plan_vector(sizes, channels).end;
}

LstmProgram build_lstm_program(const lstm_ref::FixedLstm& m, const lstm_ref::SparseLstm& sparse, const LstmConfig& hw,
                               const LstmProgramOptions& o, const LstmHead& head) {
  check_layer(m, o.steps, o.channels, hw.accumulator_bits);
  check_head(head, m.output_size(), m.output_frac(), hw.accumulator_bits);
  const uint32_t H = m.hidden_size, I = m.input_size, Rn = m.recurrent_size(), P = m.projection_size;
  const uint32_t T = o.steps, ch = o.channels, tag = o.tag;
  const bool projection = P != 0;
  LstmProgram p;
  const bool step_head = o.head_every_step && head.layer;
  const VectorPlan v = plan_vector(vector_sizes(m, head.layer, o.head_every_step ? T : 0), ch);
  if (v.end > hw.vector_buffer_bytes)
    fail("the vector buffer needs " + std::to_string(v.end) + " B, the engine has " + std::to_string(hw.vector_buffer_bytes) + " B");

  // The passes of a step: W from the bias, R onto it, (LSTM_GATES), the projection producing y.
  std::vector<MatrixPass> passes(projection ? 3 : 2);
  for (MatrixPass& pass : passes) pass.bias = v.bias, pass.output = v.r, pass.tag = tag;
  passes[0].rows = passes[1].rows = m.gate_rows();
  passes[0].input = v.x, passes[0].input_stride = I, passes[0].product_shift = m.w_shift();
  passes[0].first_flags = isa::kFlagAccFirst;
  passes[1].input = v.r, passes[1].input_stride = Rn, passes[1].product_shift = m.r_shift();
  if (projection) {
    passes[2].rows = P, passes[2].input = v.h, passes[2].input_stride = H;
    passes[2].first_flags = isa::kFlagAccFirst | isa::kFlagNoBias, passes[2].last_flags = isa::kFlagAccLast;
    passes[2].output_shift = m.projection_acc_frac() - m.y_frac;
  }
  // The head: one pass after the last step, from its bias (if any) to its output.
  std::vector<MatrixPass> head_passes;
  if (head.layer) {
    MatrixPass h;
    h.rows = head.layer->outputs(), h.input = v.r, h.input_stride = Rn, h.product_shift = head.layer->product_shift();
    h.first_flags = isa::kFlagAccFirst | (head.layer->bias.empty() ? isa::kFlagNoBias : 0);
    h.last_flags = isa::kFlagAccLast;
    h.output_shift = head.layer->output_shift();
    h.bias = v.head_bias, h.output = v.head_out, h.tag = o.head_tag;
    head_passes.push_back(h);
  }
  const lstm_ref::CscMatrix* matrices[] = {&sparse.w, &sparse.r, &sparse.projection};
  const char* names[] = {"W", "R", "the projection"};

  // The choice: resident when every chunk fits the weight memories at once, else (or when asked)
  // streamed in chunks of at most half a PE's memory.
  Layout layout(hw, p.constants);
  auto cut_all = [&](uint64_t budget) {
    for (size_t i = 0; i < passes.size(); ++i) passes[i].chunks = layout.cut(*matrices[i], o.max_chunk_cols, budget, names[i]);
    for (MatrixPass& h : head_passes) h.chunks = layout.cut(*head.sparse, o.max_chunk_cols, budget, "the head");
  };
  cut_all(0);
  p.streamed = o.stream_weights || chunk_bytes(passes) + chunk_bytes(head_passes) > hw.weight_memory_bytes;
  const uint32_t half = static_cast<uint32_t>(hw.weight_memory_bytes / 2 / lstm::kPointerBytes * lstm::kPointerBytes);
  if (p.streamed) cut_all(half);
  uint64_t resident_offset = 0;
  auto place = [&](MatrixPass& pass, const lstm_ref::CscMatrix& matrix) {
    layout.place(matrix, pass.chunks);
    if (!p.streamed)
      for (Chunk& c : pass.chunks) c.weight_offset = static_cast<uint32_t>(resident_offset), resident_offset += c.bytes;
  };
  for (size_t i = 0; i < passes.size(); ++i) {
    place(passes[i], *matrices[i]);
    p.weight_chunks += static_cast<uint32_t>(passes[i].chunks.size());
  }
  for (MatrixPass& h : head_passes) place(h, *head.sparse);
  const size_t head_chunks = head_passes.empty() ? 0 : head_passes[0].chunks.size();
  (p.streamed ? p.weight_bytes_per_step : p.weight_bytes_resident) = chunk_bytes(passes) * hw.pes;
  if (!p.streamed) p.weight_bytes_resident += chunk_bytes(head_passes) * hw.pes;
  const uint64_t bias = layout.add(m.bias.data(), m.bias.size() * kBiasBytes);
  const uint64_t head_bias =
      head.layer ? layout.add(head.layer->bias.data(), head.layer->bias.size() * kBiasBytes) : 0;
  const uint64_t peephole = layout.add(m.peephole.data(), m.peephole.size() * kValueBytes);
  p.initial_state_offset = layout.reserve(uint64_t{ch} * (Rn + H) * kValueBytes);
  const uint64_t initial_c = p.initial_state_offset + uint64_t{ch} * Rn * kValueBytes;

  using Index = int64_t;
  constexpr Index kNone = TokenedProgram::kNone;
  TokenedProgram prog(p.instructions);
  auto load_chunk = [&](const MatrixPass& pass, const Chunk& c, uint32_t weight_offset, Index after) {
    return prog.append(chunk_load(hw, pass.tag, c, weight_offset), {after});
  };
  // Set-up: resident chunks (one 2-D LOAD each: a row per PE), biases, peepholes, initial state.
  if (!p.streamed)
    for (const std::vector<MatrixPass>* list : {&passes, &head_passes})
      for (const MatrixPass& pass : *list)
        for (const Chunk& c : pass.chunks) load_chunk(pass, c, c.weight_offset, kNone);
  p.weight_load_instructions = static_cast<uint32_t>(p.instructions.size());
  if (head.layer && !head.layer->bias.empty())
    prog.append(linear(isa::kOpLoad, 0, o.head_tag, v.head_bias, kArgConstants, head_bias,
                       head.layer->bias.size() * kBiasBytes));
  prog.append(linear(isa::kOpLoad, 0, tag, v.bias, kArgConstants, bias, m.bias.size() * kBiasBytes));
  if (!m.peephole.empty())
    prog.append(linear(isa::kOpLoad, 0, tag, v.peephole, kArgConstants, peephole, m.peephole.size() * kValueBytes));
  prog.append(linear(isa::kOpLoad, 0, tag, v.r, kArgConstants, p.initial_state_offset, uint64_t{ch} * Rn * kValueBytes));
  const Index setup = prog.append(linear(isa::kOpLoad, 0, tag, v.c, kArgConstants, initial_c, uint64_t{ch} * H * kValueBytes));

  // Who last wrote or read each buffer region, for the tokens.
  Index x_load = kNone, x_reader = kNone, y_writer = kNone, y_store = kNone, gates = kNone;
  Index half_reader[2] = {kNone, kNone};  // streaming: the last SPMV reading each half
  const uint64_t x_bytes = uint64_t{ch} * I * kValueBytes, y_bytes = uint64_t{ch} * Rn * kValueBytes;
  auto load_x = [&](uint32_t t) {
    x_load = prog.append(linear(isa::kOpLoad, 0, tag, v.x, kArgInput, t * x_bytes, x_bytes), {x_reader});
  };

  // Streaming: chunk uses in program order over all steps, then the head's; use u lives in half
  // u % 2 and is loaded one use ahead (its LOAD precedes the SPMV of use u - 1), after the SPMV of
  // use u - 2 has finished reading that half.
  // A head on every step is one more pass of each step (after y_t), its chunks among the step's uses.
  std::vector<const MatrixPass*> step_passes;
  for (const MatrixPass& pass : passes) step_passes.push_back(&pass);
  if (step_head) step_passes.push_back(&head_passes[0]);
  const size_t per_step = p.weight_chunks + (step_head ? head_chunks : 0), step_uses = size_t{T} * per_step;
  const size_t last_head_chunks = step_head ? 0 : head_chunks, uses = step_uses + last_head_chunks;
  // Each step: x's LOAD, an LSTM_SPMV per chunk (and its LOAD when streamed), LSTM_GATES, y's STORE.
  const uint64_t instructions = uint64_t{T} * (per_step * (p.streamed ? 2 : 1) + 3) + 2 * head_chunks + ch;
  if (instructions > kMaxLstmInstructions)
    fail("the program would have about " + std::to_string(instructions) + " instructions (" + std::to_string(T) +
         " steps of " + std::to_string(per_step) + " weight chunks), more than " + std::to_string(kMaxLstmInstructions));
  std::vector<Index> use_load(p.streamed ? uses : 0, kNone);
  auto load_use = [&](size_t u) {
    const uint32_t at = static_cast<uint32_t>(u % 2) * half;
    if (u >= step_uses) {
      const MatrixPass& h = head_passes[0];
      use_load[u] = load_chunk(h, h.chunks[u - step_uses], at, half_reader[u % 2]);
      return;
    }
    size_t k = u % per_step;
    const uint32_t t = static_cast<uint32_t>(u / per_step);
    if (k == 0) load_x(t);  // x_t goes before its step's first chunk
    auto pass = step_passes.begin();
    while (k >= (*pass)->chunks.size()) k -= (*pass)->chunks.size(), ++pass;
    use_load[u] = load_chunk(**pass, (*pass)->chunks[k], at, half_reader[u % 2]);
  };

  const InstructionMaker make(m, o, v);
  size_t use = 0;
  // The LSTM_SPMVs of `pass`'s chunks, each after x_after, the last after `after`; returns the last.
  auto run_chunks = [&](const MatrixPass& pass, uint32_t channels, Index x_after, Index after) {
    Index spmv = kNone;
    for (size_t k = 0; k < pass.chunks.size(); ++k, ++use) {
      if (p.streamed && use + 1 < uses) load_use(use + 1);
      const bool last = k + 1 == pass.chunks.size();
      const uint32_t offset = p.streamed ? static_cast<uint32_t>(use % 2) * half : pass.chunks[k].weight_offset;
      spmv = prog.append(spmv_instruction(pass, k, offset, v.acc, channels),
                         {setup, x_after, p.streamed ? use_load[use] : kNone, last ? after : kNone});
      if (x_after != kNone) x_reader = spmv;
      if (p.streamed) half_reader[use % 2] = spmv;
    }
    return spmv;
  };
  if (p.streamed) load_use(0);
  Index head_writer = kNone;
  for (uint32_t t = 0; t < T; ++t) {
    if (!p.streamed) load_x(t);
    for (size_t i = 0; i < passes.size(); ++i) {
      const MatrixPass& pass = passes[i];
      if (i == 2) gates = prog.append(make.gates());  // writes h, read by the projection
      const bool writes_y = pass.last_flags & isa::kFlagAccLast;
      const Index spmv = run_chunks(pass, ch, i == 0 ? x_load : kNone, writes_y ? y_store : kNone);
      p.spmv_instructions += static_cast<uint32_t>(pass.chunks.size());
      if (writes_y) y_writer = spmv;
    }
    if (!projection) y_writer = gates = prog.append(make.gates(), {y_store});  // h_t is y_t
    ++p.gates_instructions;
    if (step_head) {
      // The head on y_t, its outputs kept at step t's slot until the end (the compute queue's
      // order puts it after y_t's writer and before step t + 1 overwrites y or the accumulators).
      MatrixPass h = head_passes[0];
      h.output = v.head_out + uint64_t{t} * ch * h.rows * kValueBytes;
      head_writer = run_chunks(h, ch, kNone, kNone);
      p.head_spmv_instructions += static_cast<uint32_t>(h.chunks.size());
    }
    if (o.store_sequence || t + 1 == T) {
      const uint64_t at = o.store_sequence ? t * y_bytes : 0;
      y_store = prog.append(linear(isa::kOpStore, 0, tag, v.r, kArgOutput, at, y_bytes), {y_writer});
    }
  }
  p.stored_steps = o.store_sequence ? T : 1;
  p.final_c_offset = p.stored_steps * y_bytes;
  prog.append(linear(isa::kOpStore, 0, tag, v.c, kArgOutput, p.final_c_offset, uint64_t{ch} * H * kValueBytes), {gates});
  p.output_bytes = p.final_c_offset + uint64_t{ch} * H * kValueBytes;

  // The head on the last y (the compute queue's order puts it after the last step).
  if (last_head_chunks) {
    head_writer = run_chunks(head_passes[0], ch, kNone, kNone);
    p.head_spmv_instructions += static_cast<uint32_t>(head_chunks);
  }
  if (head.layer) store_head_output(prog, p, o.head_tag, v.head_out, step_head ? T : 1, ch, head.layer->outputs(), head_writer);
  prog.append(blank(isa::kOpEnd, 0, tag));
  p.input_bytes = T * x_bytes;
  return p;
}

}  // namespace dlvp::builder
