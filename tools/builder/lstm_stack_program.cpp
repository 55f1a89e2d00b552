#include "tools/builder/lstm_stack_program.h"

#include "tools/builder/lstm_program_parts.h"

#include <algorithm>
#include <string>

namespace dlvp::builder {
namespace {

using namespace lstm_parts;
using Index = int64_t;
constexpr Index kNone = TokenedProgram::kNone;

// One layer of the stack: its passes (W's, one per input region; R; the projection) and regions.
struct Unit {
  const lstm_ref::FixedLstm* m = nullptr;
  const lstm_ref::SparseLstm* s = nullptr;
  bool reverse = false;
  uint32_t level = 0, direction = 0, tag = 0;
  std::vector<MatrixPass> w;  // one per part of the input: a bidirectional level's input is two regions
  MatrixPass r, projection;
  uint64_t r0 = 0, c = 0, bias = 0, peephole = 0;  // vector buffer
  uint64_t out_ring = 0;  // through DDR: two slots of its step's output [channels][output] (vector buffer)
  uint64_t bias_ddr = 0, peephole_ddr = 0;         // constants
};

// The vector buffer's regions. Through DDR, `in` is the two-slot input ring (in_slot bytes each),
// the seq regions are unused, head_in takes the last level's last step back for the head, and
// sync_c / sync_h are the scratch state of the syncs (below).
struct StackPlan {
  uint64_t in = 0, seq[2] = {0, 0}, h = 0, acc = 0, head_bias = 0, head_out = 0, head_in = 0, in_slot = 0;
  uint64_t sync_c = 0, sync_h = 0, end = 0;
};

class Cursor {
 public:
  uint64_t region(uint64_t bytes) {
    const uint64_t at = at_;
    at_ = align_up(at_ + bytes, kVectorAlign);
    return at;
  }
  uint64_t end() const { return at_; }

 private:
  uint64_t at_ = 0;
};

uint32_t output_size(const LstmStackLevel& level) { return level[0].model->output_size(); }
uint64_t slot_bytes(const LstmStackLevel& level, uint32_t channels) {
  return uint64_t{level.size()} * channels * output_size(level) * kValueBytes;
}
// One direction's part of a slot: [channels][output].
uint64_t direction_bytes(const LstmStackLevel& level, uint32_t channels) {
  return uint64_t{channels} * output_size(level) * kValueBytes;
}

void check_levels(const std::vector<LstmStackLevel>& levels, const LstmStackOptions& o, const LstmConfig& hw) {
  if (levels.empty()) fail("a stack without levels");
  for (size_t l = 0; l < levels.size(); ++l) {
    const LstmStackLevel& level = levels[l];
    const std::string name = "level " + std::to_string(l);
    if (level.empty() || level.size() > 2)
      fail(name + " has " + std::to_string(level.size()) + " directions; a level has 1 or 2");
    if (level.size() == 2 && (level[0].reverse || !level[1].reverse))
      fail(name + ": a bidirectional level is a forward layer, then a reverse one");
    for (const LstmStackLayer& layer : level) {
      if (!layer.model || !layer.sparse) fail(name + " has a layer without its model or encoding");
      check_layer(*layer.model, o.steps, o.channels, hw.accumulator_bits);
      const lstm_ref::FixedLstm& m = *layer.model;
      if (m.output_size() != level[0].model->output_size() || m.output_frac() != level[0].model->output_frac())
        fail(name + "'s directions differ in output size or radix point");
      if (l == 0) {
        if (m.input_size != level[0].model->input_size || m.x_frac != level[0].model->x_frac)
          fail(name + "'s directions differ in input size or radix point");
        continue;
      }
      const LstmStackLevel& prev = levels[l - 1];
      const uint32_t inputs = static_cast<uint32_t>(prev.size()) * output_size(prev);
      if (m.input_size != inputs || m.x_frac != prev[0].model->output_frac())
        fail(name + " reads " + std::to_string(m.input_size) + " inputs at radix point " + std::to_string(m.x_frac) +
             ", level " + std::to_string(l - 1) + " outputs " + std::to_string(inputs) + " at " +
             std::to_string(prev[0].model->output_frac()));
    }
  }
}

}  // namespace

LstmStackProgram build_lstm_stack_program(const std::vector<LstmStackLevel>& levels, const LstmConfig& hw,
                                          const LstmStackOptions& o, const LstmHead& head) {
  check_levels(levels, o, hw);
  const LstmStackLevel& last_level = levels.back();
  const uint32_t T = o.steps, ch = o.channels, out_size = output_size(last_level);
  check_head(head, static_cast<uint32_t>(last_level.size()) * out_size, last_level[0].model->output_frac(),
             hw.accumulator_bits);
  LstmStackProgram stack;
  LstmProgram& p = stack.program;

  // The vector buffer: the input sequence, the two alternating level outputs, per layer its
  // initial r, c, bias and peepholes, the projection's h, the accumulators, the head's.
  std::vector<Unit> units;
  uint64_t seq_bytes[2] = {0, 0}, max_acc_rows = head.layer ? head.layer->outputs() : 0, max_h = 0;
  for (size_t l = 0; l < levels.size(); ++l) {
    seq_bytes[l % 2] = std::max(seq_bytes[l % 2], T * slot_bytes(levels[l], ch));
    for (size_t d = 0; d < levels[l].size(); ++d) {
      Unit u;
      u.m = levels[l][d].model, u.s = levels[l][d].sparse, u.reverse = levels[l][d].reverse;
      u.level = static_cast<uint32_t>(l), u.direction = static_cast<uint32_t>(d);
      u.tag = o.tag + static_cast<uint32_t>(units.size());
      max_acc_rows = std::max<uint64_t>({max_acc_rows, u.m->gate_rows(), u.m->projection_size});
      if (u.m->projection_size) max_h = std::max<uint64_t>(max_h, u.m->hidden_size);
      units.push_back(u);
    }
  }
  // A head on every step: its passes on each of the last level's steps, after them.
  const bool step_head = o.head_every_step && head.layer;
  const uint32_t head_steps = step_head ? T : 1;
  const uint32_t input_size = levels[0][0].model->input_size;
  const uint64_t x_bytes = uint64_t{ch} * input_size * kValueBytes;
  // The regions with the sequences in the vector buffer, or (ddr) passing through DDR.
  auto lay_out = [&](bool ddr) {
    Cursor cursor;
    StackPlan v;
    v.in_slot = x_bytes;
    for (size_t l = 1; ddr && l < levels.size(); ++l) v.in_slot = std::max(v.in_slot, slot_bytes(levels[l - 1], ch));
    v.in = cursor.region(ddr ? 2 * v.in_slot : T * x_bytes);
    for (int k = 0; k < 2 && !ddr; ++k) v.seq[k] = cursor.region(seq_bytes[k]);
    for (Unit& u : units) {
      u.r0 = cursor.region(uint64_t{ch} * u.m->recurrent_size() * kValueBytes);
      u.c = cursor.region(uint64_t{ch} * u.m->hidden_size * kValueBytes);
      u.bias = cursor.region(uint64_t{u.m->gate_rows()} * kBiasBytes);
      u.peephole = cursor.region(u.m->peephole.size() * kValueBytes);
      u.out_ring = ddr ? cursor.region(2 * direction_bytes(levels[u.level], ch)) : 0;
    }
    v.h = cursor.region(uint64_t{ch} * max_h * kValueBytes);
    v.head_bias = cursor.region(head.layer ? head.layer->bias.size() * kBiasBytes : 0);
    v.head_out = cursor.region(head.layer ? uint64_t{ch} * head_steps * head.layer->outputs() * kValueBytes : 0);
    v.head_in = cursor.region(head.layer && ddr ? slot_bytes(last_level, ch) : 0);
    uint64_t max_hidden = 0;
    for (const Unit& u : units) max_hidden = std::max<uint64_t>(max_hidden, u.m->hidden_size);
    v.sync_c = cursor.region(ddr ? max_hidden * kValueBytes : 0);
    v.sync_h = cursor.region(ddr ? max_hidden * kValueBytes : 0);
    v.acc = cursor.region(uint64_t{ch} * max_acc_rows * kAccBytes);
    v.end = cursor.end();
    return v;
  };
  StackPlan v = lay_out(false);
  const uint64_t in_buffer_bytes = v.end;
  const bool ddr = o.sequences_through_ddr || v.end > hw.vector_buffer_bytes;
  if (ddr) v = lay_out(true);
  stack.through_ddr = ddr;
  stack.vector_bytes = v.end;
  if (v.end > hw.vector_buffer_bytes)
    fail("the stack's vector buffer needs " + std::to_string(in_buffer_bytes) + " B (" + std::to_string(T) +
         " steps of the input and of two levels' outputs stay in it), " + std::to_string(lay_out(true).end) +
         " B with the sequences passing through DDR; the engine has " + std::to_string(hw.vector_buffer_bytes) + " B: run fewer steps or channels per job");

  // The passes. Level l > 0 reads level l - 1's slot: one W pass per direction of that level,
  // each over its column range of W (the input of a bidirectional level is two regions).
  auto slot = [&](uint32_t level, uint32_t t, uint32_t direction) {
    const LstmStackLevel& lv = levels[level];
    return v.seq[level % 2] + t * slot_bytes(lv, ch) + uint64_t{direction} * ch * output_size(lv) * kValueBytes;
  };
  for (Unit& u : units) {
    const lstm_ref::FixedLstm& m = *u.m;
    const uint32_t parts = u.level == 0 ? 1 : static_cast<uint32_t>(levels[u.level - 1].size());
    const uint32_t part_cols = m.input_size / parts;
    for (uint32_t k = 0; k < parts; ++k) {
      MatrixPass w;
      w.rows = m.gate_rows(), w.input_stride = part_cols, w.input_first_col = k * part_cols;
      w.product_shift = m.w_shift(), w.bias = u.bias, w.tag = u.tag;
      w.first_flags = k == 0 ? isa::kFlagAccFirst : 0;
      u.w.push_back(w);
    }
    u.r.rows = m.gate_rows(), u.r.input_stride = m.recurrent_size(), u.r.product_shift = m.r_shift(), u.r.tag = u.tag;
    if (m.projection_size) {
      MatrixPass& pr = u.projection;
      pr.rows = m.projection_size, pr.input = v.h, pr.input_stride = m.hidden_size, pr.tag = u.tag;
      pr.first_flags = isa::kFlagAccFirst | isa::kFlagNoBias, pr.last_flags = isa::kFlagAccLast;
      pr.output_shift = m.projection_acc_frac() - m.y_frac;
    }
  }
  std::vector<MatrixPass> head_parts;
  if (head.layer)
    for (uint32_t k = 0; k < last_level.size(); ++k) {
      MatrixPass h;
      h.rows = head.layer->outputs(), h.input_stride = out_size, h.input_first_col = k * out_size;
      h.input = slot(static_cast<uint32_t>(levels.size() - 1), T - 1, k);
      h.product_shift = head.layer->product_shift(), h.output_shift = head.layer->output_shift();
      h.first_flags = k == 0 ? isa::kFlagAccFirst | (head.layer->bias.empty() ? isa::kFlagNoBias : 0) : 0;
      h.last_flags = k + 1 == last_level.size() ? isa::kFlagAccLast : 0;
      h.bias = v.head_bias, h.output = v.head_out, h.tag = o.head_tag;
      head_parts.push_back(h);
    }

  // Every pass of a layer's step in order (W's parts, R, the projection) with its matrix.
  struct PassRef {
    MatrixPass* pass;
    const lstm_ref::CscMatrix* matrix;
    const char* name;
  };
  auto step_passes = [](Unit& u) {
    std::vector<PassRef> refs;
    for (MatrixPass& w : u.w) refs.push_back({&w, &u.s->w, "W"});
    refs.push_back({&u.r, &u.s->r, "R"});
    if (u.m->projection_size) refs.push_back({&u.projection, &u.s->projection, "the projection"});
    return refs;
  };

  // The choice, as build_lstm_program's: resident when every chunk of every layer fits the weight
  // memories at once, else (or when asked) every layer streamed in chunks of half a PE's memory.
  Layout layout(hw, p.constants);
  auto cut_all = [&](uint64_t budget) {
    uint64_t bytes = 0;
    for (Unit& u : units)
      for (const PassRef& ref : step_passes(u)) {
        const uint32_t first = ref.pass->input_first_col;
        const uint32_t end = ref.pass == &u.r || ref.pass == &u.projection ? 0 : first + ref.pass->input_stride;
        ref.pass->chunks = layout.cut(*ref.matrix, o.max_chunk_cols, budget, ref.name, first, end);
        bytes += chunk_bytes(ref.pass->chunks);
      }
    for (MatrixPass& h : head_parts) {
      h.chunks = layout.cut(*head.sparse, o.max_chunk_cols, budget, "the head", h.input_first_col,
                            h.input_first_col + out_size);
      bytes += chunk_bytes(h.chunks);
    }
    return bytes;
  };
  p.streamed = cut_all(0) > hw.weight_memory_bytes || o.stream_weights;
  const uint32_t half = static_cast<uint32_t>(hw.weight_memory_bytes / 2 / lstm::kPointerBytes * lstm::kPointerBytes);
  if (p.streamed) cut_all(half);
  uint64_t resident_offset = 0, step_bytes = 0, head_bytes = 0;
  auto place = [&](MatrixPass& pass, const lstm_ref::CscMatrix& matrix) {
    layout.place(matrix, pass.chunks);
    if (!p.streamed)
      for (Chunk& c : pass.chunks) c.weight_offset = static_cast<uint32_t>(resident_offset), resident_offset += c.bytes;
  };
  size_t per_step_all = 0;  // chunks of one step of every layer
  uint64_t uses = 0;
  for (Unit& u : units)
    for (const PassRef& ref : step_passes(u)) {
      place(*ref.pass, *ref.matrix);
      per_step_all += ref.pass->chunks.size();
      uses += uint64_t{T} * ref.pass->chunks.size();
      step_bytes += chunk_bytes(ref.pass->chunks);
    }
  size_t head_chunks = 0;
  for (MatrixPass& h : head_parts) {
    place(h, *head.sparse);
    head_chunks += h.chunks.size();
    head_bytes += chunk_bytes(h.chunks);
  }
  uses += uint64_t{head_steps} * head_chunks;
  p.weight_chunks = static_cast<uint32_t>(per_step_all);
  if (p.streamed) p.weight_bytes_per_step = step_bytes * hw.pes;
  else p.weight_bytes_resident = (step_bytes + head_bytes) * hw.pes;
  const uint64_t instructions =
      uint64_t{T} * (per_step_all * (p.streamed ? 2 : 1) + (ddr ? 5 : 3) * units.size()) + (2 * head_chunks + 2) * head_steps + ch +
      levels.size();
  if (instructions > kMaxLstmInstructions)
    fail("the program would have about " + std::to_string(instructions) + " instructions (" + std::to_string(T) +
         " steps of " + std::to_string(per_step_all) + " weight chunks), more than " +
         std::to_string(kMaxLstmInstructions));
  for (Unit& u : units) {
    u.bias_ddr = layout.add(u.m->bias.data(), u.m->bias.size() * kBiasBytes);
    u.peephole_ddr = layout.add(u.m->peephole.data(), u.m->peephole.size() * kValueBytes);
  }
  const uint64_t head_bias = head.layer ? layout.add(head.layer->bias.data(), head.layer->bias.size() * kBiasBytes) : 0;
  for (const Unit& u : units) {
    const uint64_t r_bytes = uint64_t{ch} * u.m->recurrent_size() * kValueBytes, c_bytes = uint64_t{ch} * u.m->hidden_size * kValueBytes;
    stack.initial_state_offsets.push_back(layout.reserve(r_bytes + c_bytes));
  }

  TokenedProgram prog(p.instructions);
  // Set-up: resident chunks, biases, peepholes, initial states.
  if (!p.streamed) {
    for (Unit& u : units)
      for (const PassRef& ref : step_passes(u))
        for (const Chunk& c : ref.pass->chunks) prog.append(chunk_load(hw, u.tag, c, c.weight_offset));
    for (const MatrixPass& h : head_parts)
      for (const Chunk& c : h.chunks) prog.append(chunk_load(hw, o.head_tag, c, c.weight_offset));
  }
  p.weight_load_instructions = static_cast<uint32_t>(p.instructions.size());
  if (head.layer && !head.layer->bias.empty())
    prog.append(linear(isa::kOpLoad, 0, o.head_tag, v.head_bias, kArgConstants, head_bias, head.layer->bias.size() * kBiasBytes));
  Index setup = kNone;
  for (size_t k = 0; k < units.size(); ++k) {
    const Unit& u = units[k];
    const uint64_t r_bytes = uint64_t{ch} * u.m->recurrent_size() * kValueBytes, c_bytes = uint64_t{ch} * u.m->hidden_size * kValueBytes;
    prog.append(linear(isa::kOpLoad, 0, u.tag, u.bias, kArgConstants, u.bias_ddr, u.m->bias.size() * kBiasBytes));
    if (!u.m->peephole.empty())
      prog.append(linear(isa::kOpLoad, 0, u.tag, u.peephole, kArgConstants, u.peephole_ddr, u.m->peephole.size() * kValueBytes));
    prog.append(linear(isa::kOpLoad, 0, u.tag, u.r0, kArgConstants, stack.initial_state_offsets[k], r_bytes));
    setup = prog.append(linear(isa::kOpLoad, 0, u.tag, u.c, kArgConstants, stack.initial_state_offsets[k] + r_bytes, c_bytes));
  }

  // The first level's x_t: LOADed into its own slot of the input region once, before the first
  // chunk (streamed) or SPMV (resident) of the first step that reads it.
  std::vector<Index> x_load(T, kNone);
  auto load_x = [&](uint32_t t) {
    if (x_load[t] == kNone)
      x_load[t] = prog.append(linear(isa::kOpLoad, 0, units[0].tag, v.in + t * x_bytes, kArgInput, t * x_bytes, x_bytes));
  };
  auto step_at = [&](const Unit& u, uint32_t s) { return u.reverse ? T - 1 - s : s; };

  // Streaming: chunk uses in program order (layer by layer, step by step in each layer's walking
  // order, pass by pass), then the head's; use n lives in half n % 2 and is loaded one use ahead,
  // after the SPMV of use n - 2 has finished reading that half (as build_lstm_program).
  struct Use {
    uint32_t unit, t;
    const MatrixPass* pass;
    size_t chunk;
  };
  std::vector<Use> use_list;
  if (p.streamed) {
    use_list.reserve(uses);
    for (uint32_t k = 0; k < units.size(); ++k)
      for (uint32_t s = 0; s < T; ++s)
        for (const PassRef& ref : step_passes(units[k]))
          for (size_t c = 0; c < ref.pass->chunks.size(); ++c) use_list.push_back({k, step_at(units[k], s), ref.pass, c});
    for (uint32_t t = 0; t < head_steps; ++t)
      for (const MatrixPass& h : head_parts)
        for (size_t c = 0; c < h.chunks.size(); ++c) use_list.push_back({0, 0, &h, c});
  }
  std::vector<Index> use_load(use_list.size(), kNone);
  Index half_reader[2] = {kNone, kNone};
  auto load_use = [&](size_t n) {
    const Use& use = use_list[n];
    if (!ddr && use.unit == 0 && use.pass == &units[0].w[0] && use.chunk == 0) load_x(use.t);
    use_load[n] = prog.append(chunk_load(hw, use.pass->tag, use.pass->chunks[use.chunk], static_cast<uint32_t>(n % 2) * half),
                              {half_reader[n % 2]});
  };
  size_t use = 0;
  if (p.streamed && !use_list.empty()) load_use(0);

  const uint64_t y_bytes = slot_bytes(last_level, ch);
  const uint32_t last_level_index = static_cast<uint32_t>(levels.size() - 1);
  p.stored_steps = o.store_sequence ? T : 1;
  stack.step_output_bytes = y_bytes;
  // The output window: the stored steps, every layer's last c, then (through DDR) the sequences.
  uint64_t c_at = p.stored_steps * y_bytes;
  for (const Unit& u : units) stack.final_c_offsets.push_back(c_at), c_at += uint64_t{ch} * u.m->hidden_size * kValueBytes;
  p.output_bytes = c_at;
  for (size_t l = 0; ddr && l + 1 < levels.size(); ++l) {
    stack.sequence_offsets.push_back(align_up(p.output_bytes, kDdrAlign));
    p.output_bytes = stack.sequence_offsets.back() + T * slot_bytes(levels[l], ch);
  }
  // Through DDR, a LOAD reading what a STORE wrote needs a compute-queue instruction between them
  // (load and store queues are not neighbours): a sync, one LSTM_GATES of one channel from the
  // accumulators into the scratch sync_c / sync_h (nothing reads them; the accumulators are
  // re-initialized by the next pass's AccFirst), waits for the latest STORE and releases the LOADs.
  // One before each level above the first and one before the head's LOAD.
  Index latest_store = kNone;
  auto sync = [&](const Unit& u, uint32_t tag) {
    return prog.append(gates_instruction(*u.m, tag, v.acc, v.sync_c, v.sync_h, u.peephole, 1), {latest_store});
  };
  Index level_sync = kNone;
  // The last instruction reading each input ring slot, and each layer's STORE reading each of its ring slots.
  Index ring_reader[2] = {kNone, kNone};
  uint64_t ring_loads = 0;
  for (Unit& u : units) {
    if (ddr && u.level > 0 && u.direction == 0) level_sync = sync(u, u.tag), ++stack.syncs;
    const lstm_ref::FixedLstm& m = *u.m;
    const bool last_writer = u.level == last_level_index && u.direction + 1 == levels[u.level].size();
    const uint64_t own_bytes = direction_bytes(levels[u.level], ch);
    Index gates = kNone, out_reader[2] = {kNone, kNone};
    for (uint32_t s = 0; s < T; ++s) {
      const uint32_t t = step_at(u, s);
      // Through DDR: x_t LOADed into the next input ring slot, after the last reader of that slot
      // and, above the first level, after the previous level's STOREs of slot t.
      Index in_load = kNone;
      const uint64_t ring = v.in + (ring_loads % 2) * v.in_slot;
      if (ddr) {
        const bool first = u.level == 0;
        const uint64_t bytes = first ? x_bytes : slot_bytes(levels[u.level - 1], ch);
        const uint64_t from = first ? t * x_bytes : stack.sequence_offsets[u.level - 1] + t * bytes;
        in_load = prog.append(linear(isa::kOpLoad, 0, u.tag, ring, first ? kArgInput : kArgOutput, from, bytes),
                              {ring_reader[ring_loads % 2], first ? kNone : level_sync});
      } else if (u.level == 0 && !p.streamed) {
        load_x(t);
      }
      // Level 0 reads its x_t slot; level l > 0 level l - 1's slot t, one region per direction.
      for (uint32_t k = 0; k < u.w.size(); ++k) {
        const uint64_t part = k * (u.level == 0 ? 0 : direction_bytes(levels[u.level - 1], ch));
        u.w[k].input = ddr ? ring + part : u.level == 0 ? v.in + t * x_bytes : slot(u.level - 1, t, k);
      }
      const uint64_t own = ddr ? u.out_ring + (s % 2) * own_bytes : slot(u.level, t, u.direction);
      u.r.input = s == 0 ? u.r0 : ddr ? u.out_ring + ((s + 1) % 2) * own_bytes : slot(u.level, step_at(u, s - 1), u.direction);
      if (m.projection_size) u.projection.output = own;
      Index writer = kNone;
      bool first_spmv = true;
      for (const PassRef& ref : step_passes(u)) {
        if (ref.pass == &u.projection) gates = prog.append(gates_instruction(m, u.tag, v.acc, u.c, v.h, u.peephole, ch));
        const bool reads_ring = ddr && ref.pass != &u.r && ref.pass != &u.projection;
        for (size_t k = 0; k < ref.pass->chunks.size(); ++k, ++use) {
          if (p.streamed && use + 1 < use_list.size()) load_use(use + 1);
          const uint32_t offset = p.streamed ? static_cast<uint32_t>(use % 2) * half : ref.pass->chunks[k].weight_offset;
          const bool reads_x = !ddr && u.level == 0 && ref.pass == &u.w[0] && k == 0;
          // The step's first instruction also waits for the STORE that last read the ring slot it writes.
          const Index spmv = prog.append(spmv_instruction(*ref.pass, k, offset, v.acc, ch),
                                         {setup, reads_x ? x_load[t] : in_load, first_spmv ? out_reader[s % 2] : kNone,
                                          p.streamed ? use_load[use] : kNone});
          first_spmv = false;
          ++p.spmv_instructions;
          if (p.streamed) half_reader[use % 2] = spmv;
          if (reads_ring) ring_reader[ring_loads % 2] = spmv;
          writer = spmv;
        }
      }
      if (ddr) ++ring_loads;
      if (!m.projection_size) writer = gates = prog.append(gates_instruction(m, u.tag, v.acc, u.c, own, u.peephole, ch));
      ++p.gates_instructions;
      if (ddr && u.level != last_level_index) {
        out_reader[s % 2] = latest_store = prog.append(
            linear(isa::kOpStore, 0, u.tag, own, kArgOutput,
                   stack.sequence_offsets[u.level] + t * slot_bytes(levels[u.level], ch) + u.direction * own_bytes, own_bytes),
            {writer});
      } else if (ddr && (o.store_sequence || t + 1 == T)) {
        out_reader[s % 2] = latest_store = prog.append(
            linear(isa::kOpStore, 0, u.tag, own, kArgOutput, (o.store_sequence ? t * y_bytes : 0) + u.direction * own_bytes,
                   own_bytes),
            {writer});
      } else if (!ddr && last_writer && (o.store_sequence || t + 1 == T)) {
        prog.append(linear(isa::kOpStore, 0, u.tag, slot(u.level, t, 0), kArgOutput, o.store_sequence ? t * y_bytes : 0, y_bytes),
                    {writer});
      }
    }
    const uint64_t c_bytes = uint64_t{ch} * m.hidden_size * kValueBytes;
    prog.append(linear(isa::kOpStore, 0, u.tag, u.c, kArgOutput, stack.final_c_offsets[static_cast<size_t>(&u - units.data())], c_bytes), {gates});
  }

  // The head on the last level's last step, or on each of its steps (the compute queue's order
  // puts it after every layer); through DDR each step comes back from the output window into
  // head_in after the STOREs (one sync) and after the previous step's head has read head_in.
  if (step_head && ddr && !o.store_sequence)
    fail("a head on every step of a stack whose sequences pass through DDR reads the stored steps: store_sequence is required");
  Index head_sync = kNone, head_reader = kNone;
  if (ddr && head.layer) head_sync = sync(units.back(), o.head_tag), ++stack.syncs;
  for (uint32_t s = 0; s < head_steps; ++s) {
    const uint32_t t = step_head ? s : T - 1;
    Index head_load = kNone;
    if (ddr && head.layer)
      head_load = prog.append(linear(isa::kOpLoad, 0, o.head_tag, v.head_in, kArgOutput, o.store_sequence ? t * y_bytes : 0,
                                     y_bytes),
                              {head_sync, head_reader});
    for (size_t part = 0; part < head_parts.size(); ++part) {
      MatrixPass h = head_parts[part];
      h.input = ddr ? v.head_in + part * direction_bytes(last_level, ch) : slot(last_level_index, t, static_cast<uint32_t>(part));
      h.output = v.head_out + uint64_t{s} * ch * h.rows * kValueBytes;
      for (size_t k = 0; k < h.chunks.size(); ++k, ++use) {
        if (p.streamed && use + 1 < use_list.size()) load_use(use + 1);
        const uint32_t offset = p.streamed ? static_cast<uint32_t>(use % 2) * half : h.chunks[k].weight_offset;
        head_reader = prog.append(spmv_instruction(h, k, offset, v.acc, ch), {setup, head_load, p.streamed ? use_load[use] : kNone});
        ++p.head_spmv_instructions;
        if (p.streamed) half_reader[use % 2] = head_reader;
      }
    }
  }
  if (head.layer) store_head_output(prog, p, o.head_tag, v.head_out, head_steps, ch, head.layer->outputs(), head_reader);
  prog.append(blank(isa::kOpEnd, 0, o.tag));
  p.input_bytes = T * x_bytes;
  p.initial_state_offset = stack.initial_state_offsets[0];
  p.final_c_offset = stack.final_c_offsets[0];
  return stack;
}

}  // namespace dlvp::builder
