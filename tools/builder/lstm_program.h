// The LSTM program builder: one quantized, CSC-encoded LSTM layer (lstm_reference.h's FixedLstm +
// SparseLstm, as dlvpc's compress_lstm produces them) -> the instruction stream that runs it on the
// sparse LSTM engine for a number of time steps and channels, the constants blob (weight stream
// chunks, biases, peepholes, initial state) and the DDR layout (docs/lstm.md, "Engine: programs").
//
// Two ways to hold the weights, chosen from the buffer sizes (docs/lstm.md, "Engine: weight
// streaming"):
//   resident:  every matrix is cut into column chunks (at most max_chunk_cols columns each) loaded
//              once into the PEs' weight memories; chosen when they all fit and streaming is not
//              asked for.
//   streaming: the chunks are sized to half of a PE's weight memory and loaded from DDR every time
//              step, alternating between the two halves (double buffering): the LOAD of chunk k+1
//              runs while the LSTM_SPMV of chunk k computes, and the LOAD of chunk k+2 waits for it.
// Per time step: LOAD x_t, LSTM_SPMV over W's chunks (the first from the bias), over R's chunks,
// LSTM_GATES, the projection's chunks (the last one producing y), STORE y_t. Every dependency
// (x_t's buffer, a weight half, the output) is a token pair derived from who reads and writes what.
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_config.h"
#include "tests/reference/lstm_reference.h"
#include "tools/builder/program.h"

#include <cstdint>
#include <vector>

namespace dlvp::builder {

// The engine's step and channel counts (16-bit instruction fields and loop counts).
constexpr uint32_t kMaxLstmSteps = 65535, kMaxLstmChannels = 65535;
// A program's instructions (64 bytes each: 1 GiB), which the step count multiplies.
constexpr uint64_t kMaxLstmInstructions = uint64_t{1} << 24;

struct LstmProgramOptions {
  uint32_t steps = 1;
  uint32_t channels = 1;          // independent sequences, run together
  uint32_t max_chunk_cols = 0;    // columns per LSTM_SPMV; 0: a whole matrix per instruction
  uint32_t tag = 0;               // Header.tag of every instruction (the layer)
  bool stream_weights = false;    // stream the chunks from DDR every step even when they would fit
  bool store_sequence = true;     // STORE y of every step; false: only the last step's y (ONNX's Y_h)
  uint32_t head_tag = 1;          // Header.tag of the head's instructions (LstmHead)
  // The head on every step's y (torch's fc(out)) instead of the last one's: its LSTM_SPMVs after
  // each step's y, the outputs kept in the vector buffer and stored once at the end (docs/lstm.md,
  // "A head on every step").
  bool head_every_step = false;
};

// A fully connected layer the engine runs after the last time step on its y (a classifier head):
// one LSTM_SPMV per column chunk from its bias, the last one producing the int16 output.
struct LstmHead {
  const lstm_ref::FixedLinear* layer = nullptr;
  const lstm_ref::CscMatrix* sparse = nullptr;  // its encoding for the engine's PEs
};

// Where the program reads and writes DDR (ARG_BASE[arg] + offset), all int16 little-endian:
//   kArgInput:     x [steps][channels][input_size]
//   kArgOutput:    y [stored steps][channels][output_size] (every step, or the last one without
//                  store_sequence), then the last cell state c [channels][hidden], then with a head
//                  its output [channels][head outputs] at head_output_offset ([channels][steps][head
//                  outputs] with head_every_step)
//   kArgConstants: `constants` (weight chunks, bias, peepholes, then the initial state at
//                  initial_state_offset: r [channels][recurrent_size], c [channels][hidden], zeros
//                  unless the caller writes a state there)
struct LstmProgram {
  std::vector<isa::Instruction> instructions;  // ends with END
  std::vector<uint8_t> constants;
  uint64_t initial_state_offset = 0;
  uint64_t input_bytes = 0, output_bytes = 0;
  uint64_t final_c_offset = 0;  // in the output window
  uint64_t head_output_offset = 0, head_output_bytes = 0;  // in the output window (with a head)
  uint32_t stored_steps = 0;    // steps whose y is in the output window
  uint32_t spmv_instructions = 0, gates_instructions = 0, head_spmv_instructions = 0;
  bool streamed = false;                // the weights are streamed per step (else resident)
  uint32_t weight_chunks = 0;           // column chunks of W, R and the projection (one step)
  uint64_t weight_bytes_per_step = 0;   // DRAM bytes of weight chunk LOADs per step (streamed; the
                                        // head's chunks come once per job, after the last step)
  uint64_t weight_bytes_resident = 0;   // DRAM bytes of the one-time weight LOADs (resident)
  // Resident weights: the program's first instructions are their LOADs, without tokens, so a job
  // may start after them when the engine still holds these weights from the previous job.
  uint32_t weight_load_instructions = 0;

  std::vector<uint8_t> instruction_bytes() const;
};

// What the vector buffer holds for a layer (and its head): sizes only, so that a compiler can check
// the fit before it calibrates or quantizes anything.
struct LstmVectorSizes {
  uint32_t input = 0, hidden = 0, projection = 0;  // projection 0: none
  uint32_t peepholes = 0;                          // peephole values (0 or 3 x hidden)
  uint32_t head_rows = 0;                          // head outputs (0: no head)
  bool head_bias = false;
  uint32_t head_steps = 0;                         // a head on every step: the steps (0: on the last only)
};
// Bytes of the vector buffer a program with `channels` channels uses (build_lstm_program refuses
// more than the engine's vector_buffer_bytes).
uint64_t lstm_vector_buffer_bytes(const LstmVectorSizes& sizes, uint32_t channels);

// Throws BuildError when the model does not fit the engine (a column of a matrix larger than half a
// PE's weight memory, the vector buffer, the PE count of the streams) or the model is inconsistent.
// The head (optional) reads the last y; its input radix point must be the LSTM's output radix point.
LstmProgram build_lstm_program(const lstm_ref::FixedLstm& model, const lstm_ref::SparseLstm& sparse,
                               const LstmConfig& hw, const LstmProgramOptions& options, const LstmHead& head = {});

}  // namespace dlvp::builder
