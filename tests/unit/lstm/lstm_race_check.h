// Races between the LSTM engine's queues (docs/lstm.md, "Engine"): which buffer bytes each
// instruction touches, and the first pair of instructions of different queues that the tokens leave
// unordered while one writes what the other touches. Shared by the single-layer, stack and GRU tests.
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_config.h"
#include "tests/unit/builder/schedule_checker.h"

#include <string>
#include <vector>

namespace dlvp::test {

// The buffer bytes an LSTM engine instruction reads and writes (docs/isa.md, versions 2 and 3), in the schedule
// checker's spaces; LOAD / STORE as the checker sees them.
inline std::vector<builder::check::Range> lstm_accesses(const isa::Instruction& in, const LstmConfig& hw) {
  using builder::check::Range;
  std::vector<Range> r;
  auto vec = [&](uint64_t offset, uint64_t bytes, bool write) {
    r.push_back({isa::kBufLstmVector, offset, offset + bytes, write});
  };
  const uint16_t flags = in.header.flags;
  if (in.header.opcode == isa::kOpLstmSpmv) {
    const isa::LstmSpmv& s = in.lstm_spmv;
    for (uint64_t pe = 0; pe < hw.pes; ++pe) {
      const uint64_t at = pe * hw.weight_memory_bytes + s.weight_offset;
      r.push_back({isa::kBufLstmWeight, at, at + s.chunk_bytes, false});
    }
    vec(s.input_offset, 2ull * s.channels * s.input_stride, false);
    const uint64_t accs = uint64_t{s.channels} * s.rows;
    if (!(flags & isa::kFlagAccFirst)) vec(s.acc_offset, 8 * accs, false);
    else if (!(flags & isa::kFlagNoBias)) vec(s.bias_offset, 4ull * s.rows, false);
    if (flags & isa::kFlagAccLast) vec(s.output_offset, 2 * accs, true);
    else vec(s.acc_offset, 8 * accs, true);
  } else if (in.header.opcode == isa::kOpLstmGates) {
    const isa::LstmGates& g = in.lstm_gates;
    const uint64_t cells = uint64_t{g.channels} * g.hidden;
    vec(g.acc_offset, 32 * cells, false);
    vec(g.c_offset, 2 * cells, true);
    vec(g.h_offset, 2 * cells, true);
    if (flags & isa::kFlagPeephole) vec(g.peephole_offset, 6ull * g.hidden, false);
  } else if (in.header.opcode == isa::kOpGruGates) {
    const isa::GruGates& g = in.gru_gates;
    const uint64_t cells = uint64_t{g.channels} * g.hidden;
    vec(g.x_acc_offset, 24 * cells, false);
    vec(g.r_acc_offset, 16 * cells, false);
    if (g.stage == 1) vec(g.n_acc_offset, 8 * cells, false);
    vec(g.h_prev_offset, 2 * cells, false);
    vec(g.out_offset, 2 * cells, true);
  } else if (in.header.opcode == isa::kOpLoad || in.header.opcode == isa::kOpStore) {
    // The checker's DDR rows; the buffer side row by row (a chunk LOAD's rows are the PEs' slices,
    // one weight memory apart: the contiguous extent would cover the other half of every PE).
    for (const Range& a : builder::check::accesses(in))
      if (a.space >= builder::check::kDdrSpace) r.push_back(a);
    const isa::Transfer& t = in.transfer;
    for (uint64_t plane = 0; plane < t.planes; ++plane)
      for (uint64_t row = 0; row < t.rows; ++row) {
        const uint64_t at = t.buffer_offset + plane * t.buffer_plane_stride + row * t.buffer_row_stride;
        r.push_back({t.buffer, at, at + t.row_bytes, in.header.opcode == isa::kOpLoad});
      }
  }
  return r;
}

// The first pair of instructions of different queues touching the same bytes (one writing) that
// the tokens and the in-order queues leave unordered; empty when there is none.
inline std::string first_lstm_race(const std::vector<isa::Instruction>& program, const LstmConfig& hw) {
  const builder::check::HappensBefore hb(program);
  std::vector<std::vector<builder::check::Range>> acc;
  for (const isa::Instruction& in : program) acc.push_back(lstm_accesses(in, hw));
  for (size_t b = 0; b < program.size(); ++b)
    for (size_t a = 0; a < b; ++a)
      if (hb.queue(a) != hb.queue(b) && !hb.ordered(a, b) && builder::check::conflict(acc[a], acc[b]))
        return "instructions " + std::to_string(a) + " (opcode " + std::to_string(program[a].header.opcode) + ", deps " +
               std::to_string(program[a].header.deps) + ") and " + std::to_string(b) + " (opcode " +
               std::to_string(program[b].header.opcode) + ", deps " + std::to_string(program[b].header.deps) + ") race";
  return {};
}

}  // namespace dlvp::test
