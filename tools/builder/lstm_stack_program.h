// The program of a stacked and/or bidirectional LSTM on the sparse LSTM engine, all layers in one
// job (docs/lstm.md, "Stacked and bidirectional LSTMs"): levels of one forward layer, one reverse
// layer, or a forward and a reverse layer (ONNX's directions), each level reading the previous
// level's output sequence straight from the vector buffer, optionally a head on the last level's
// last step (torch's fc(out[:, -1])).
//
// Schedule: level by level, and in a level one direction after the other, each on all PEs. A layer
// runs all its steps (a reverse one from the last to the first) and writes its output of step t
// into slot t of its level's sequence region [T][directions][channels][output], which the next
// level's W passes read as their x_t: level l + 1's step t needs level l's step t of both
// directions, and a reverse layer's first step needs the last input, so a level must finish before
// the next can start (per-step interleaving would only serve forward-only stacks; see the doc). Two
// sequence regions alternate between the levels; the first level's input sequence is LOADed from
// DDR into a third one, a step ahead of its use. When the three regions do not fit the vector
// buffer (or when asked), the sequences pass through DDR instead: every layer writes its step's
// output into a two-slot ring and STOREs it to the output window, and every layer LOADs its x_t
// (the first level's from the input, the others' from the previous level's stored sequence) into a
// two-slot input ring; build_lstm_stack_program refuses (BuildError naming the sizes) a job that
// does not fit even so.
#pragma once
#include "tools/builder/lstm_program.h"

#include <cstdint>
#include <vector>

namespace dlvp::builder {

struct LstmStackLayer {
  const lstm_ref::FixedLstm* model = nullptr;
  const lstm_ref::SparseLstm* sparse = nullptr;
  bool reverse = false;  // walks the steps from the last to the first
};
// 1 or 2 layers: forward, reverse, or forward then reverse (bidirectional).
using LstmStackLevel = std::vector<LstmStackLayer>;

struct LstmStackOptions {
  uint32_t steps = 1;
  uint32_t channels = 1;        // independent sequences, run together
  uint32_t max_chunk_cols = 0;  // columns per LSTM_SPMV; 0: as many as the memory allows
  uint32_t tag = 0;             // layer k (levels in order, directions in order) gets Header.tag tag + k
  uint32_t head_tag = 0;        // the head's Header.tag
  bool stream_weights = false;  // stream the chunks from DDR every step even when they would fit
  bool store_sequence = true;   // STORE the last level's output of every step; false: the last step's
  // Pass the levels' output sequences through DDR even when they fit the vector buffer (without
  // it: only when they do not).
  bool sequences_through_ddr = false;
  // The head on every step of the last level (torch's fc(out)): after the last level's steps, its
  // passes on each step's output (through DDR: LOADed back, which needs store_sequence), the
  // outputs stored [channels][steps][head outputs] (docs/lstm.md, "A head on every step").
  bool head_every_step = false;
};

// Where the program reads and writes DDR (ARG_BASE[arg] + offset), all int16 little-endian:
//   kArgInput:     x [steps][channels][input_size of the first level]
//   kArgOutput:    the last level's output [stored steps][directions][channels][output_size]
//                  (ONNX's Y; every step, or the last one without store_sequence), then each layer's
//                  last cell state c [channels][hidden] at final_c_offsets[k], through DDR every
//                  level but the last's output [steps][directions][channels][output] at
//                  sequence_offsets[l], then with a head its output [channels][head outputs] at
//                  program.head_output_offset ([channels][steps][head outputs] with head_every_step)
//   kArgConstants: weight chunks, biases, peepholes, then each layer's initial state at
//                  initial_state_offsets[k]: r [channels][recurrent_size], c [channels][hidden]
//                  (zeros unless the caller writes a state there)
struct LstmStackProgram {
  // The instructions, constants, window sizes and counts; initial_state_offset and final_c_offset
  // are the first layer's. weight_chunks and weight_bytes_per_step: one step of every layer.
  LstmProgram program;
  std::vector<uint64_t> initial_state_offsets, final_c_offsets;  // per layer
  uint64_t step_output_bytes = 0;  // one stored step of the last level: directions x channels x output
  uint64_t vector_bytes = 0;       // of the vector buffer
  bool through_ddr = false;        // the levels' sequences pass through DDR (sequence_offsets)
  uint32_t syncs = 0;              // through DDR: the LSTM_GATES that order a STORE before a LOAD
  std::vector<uint64_t> sequence_offsets;  // through DDR: per level but the last, in the output window
};

// Throws BuildError when the levels are inconsistent (directions, sizes, radix points: level l + 1
// reads level l's output at its radix point), a layer or the head does not fit the engine, or the
// sequences do not fit the vector buffer.
LstmStackProgram build_lstm_stack_program(const std::vector<LstmStackLevel>& levels, const LstmConfig& hw,
                                          const LstmStackOptions& options, const LstmHead& head = {});

}  // namespace dlvp::builder
