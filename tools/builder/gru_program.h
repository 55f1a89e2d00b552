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
};

// Where the program reads and writes DDR (ARG_BASE[arg] + offset), all int16 little-endian:
//   kArgInput:     x [steps][channels][input_size]
//   kArgOutput:    h [stored steps][channels][hidden]
//   kArgConstants: `constants` (weight chunks, biases, then the initial state h_0 [channels][hidden]
//                  at initial_state_offset: zeros unless the caller writes one there)
struct GruProgram {
  std::vector<isa::Instruction> instructions;  // ends with END
  std::vector<uint8_t> constants;
  uint64_t initial_state_offset = 0;
  uint64_t input_bytes = 0, output_bytes = 0;
  uint32_t stored_steps = 0;
  uint32_t spmv_instructions = 0, gates_instructions = 0;
  uint32_t weight_chunks = 0;          // column chunks of W, R_zr and R_h
  uint64_t weight_bytes_resident = 0;  // DRAM bytes of the one-time weight LOADs
  uint32_t weight_load_instructions = 0;  // the first instructions: the weight LOADs, without tokens

  std::vector<uint8_t> instruction_bytes() const;
};

// Bytes of the vector buffer a GRU of `input` inputs and `hidden` units uses with `channels`.
uint64_t gru_vector_buffer_bytes(uint32_t input, uint32_t hidden, bool linear_before_reset, uint32_t channels);

// Throws BuildError when the model does not fit the engine (PE count of the streams, the weight
// memories, the vector buffer, the instruction fields) or is inconsistent.
GruProgram build_gru_program(const lstm_ref::FixedGru& model, const lstm_ref::SparseGru& sparse, const LstmConfig& hw,
                             const GruProgramOptions& options);

}  // namespace dlvp::builder
