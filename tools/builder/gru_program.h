// The GRU program builder: one quantized, CSC-encoded GRU layer (lstm_reference.h's FixedGru +
// SparseGru) -> the instruction stream that runs it on the sparse LSTM engine for a number of time
// steps and channels, the constants blob and the DDR layout (docs/lstm.md, "GRU: programs").
//
// The weights are resident (loaded once at the start; a GRU whose chunks do not fit the PEs'
// weight memories is refused: streaming is the LSTM builder's only). Per time step:
//   LOAD x_t; LSTM_SPMV over W's chunks (3H rows, from bias_x) into x_acc; over R_zr's (2H rows,
//   from 0) into r_acc;
//   linear_before_reset: LSTM_SPMV over R_h's (H rows, from bias_n) on h_{t-1} into n_acc,
//                        GRU_GATES stage 1 (h_t);
//   else:                GRU_GATES stage 0 (r . h_{t-1}), LSTM_SPMV over R_h's (from 0) on it into
//                        n_acc, GRU_GATES stage 1 (h_t);
//   STORE h_t.
// With a head (LstmHead, as the LSTM builder's): after the last step, its LSTM_SPMVs on h_T from its
// bias, then STORE of its output.
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_config.h"
#include "tests/reference/lstm_reference.h"
#include "tools/builder/lstm_program.h"

#include <cstdint>
#include <vector>

namespace dlvp::builder {

struct GruProgramOptions {
  uint32_t steps = 1;
  uint32_t channels = 1;        // independent sequences, run together
  uint32_t max_chunk_cols = 0;  // columns per LSTM_SPMV; 0: a whole matrix per instruction
  uint32_t tag = 0;             // Header.tag of every instruction (the layer)
  bool store_sequence = true;   // STORE h of every step; false: only the last step's (ONNX's Y_h)
  uint32_t head_tag = 1;        // Header.tag of the head's instructions (LstmHead)
  bool head_every_step = false; // the head on every step's h (LstmProgramOptions::head_every_step)
};

// The program in the LSTM builder's form (its package writer and predictors take it as is); a GRU's
// weights are always resident (streamed false), final_c_offset is unused (a GRU has no c).
// Where the program reads and writes DDR (ARG_BASE[arg] + offset), all int16 little-endian:
//   kArgInput:     x [steps][channels][input_size]
//   kArgOutput:    h [stored steps][channels][hidden], then with a head its output
//                  [channels][head outputs] at head_output_offset ([channels][steps][head outputs]
//                  with head_every_step)
//   kArgConstants: `constants` (weight chunks, biases, then the initial state h_0 [channels][hidden]
//                  at initial_state_offset: zeros unless the caller writes one there)
using GruProgram = LstmProgram;

// Bytes of the vector buffer a GRU of `input` inputs and `hidden` units (and a head of `head_rows`
// outputs, 0: none; on every one of head_steps steps, 0: on the last only) uses with `channels`.
uint64_t gru_vector_buffer_bytes(uint32_t input, uint32_t hidden, bool linear_before_reset, uint32_t channels,
                                 uint32_t head_rows = 0, bool head_bias = false, uint32_t head_steps = 0);

// Throws BuildError when the model does not fit the engine (PE count of the streams, the weight
// memories, the vector buffer, the instruction fields) or is inconsistent.
// The head (optional) reads h_T; its input radix point must be h's.
GruProgram build_gru_program(const lstm_ref::FixedGru& model, const lstm_ref::SparseGru& sparse, const LstmConfig& hw,
                             const GruProgramOptions& options, const LstmHead& head = {});

}  // namespace dlvp::builder
