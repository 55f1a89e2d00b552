// The pieces every LSTM engine program is built from (build_lstm_program, the stacked /
// bidirectional build_lstm_stack_program and build_gru_program): weight matrices cut into column chunks and laid out in
// the constants blob, instructions appended with tokens derived from who must follow whom, and the
// LOAD / STORE encodings (docs/lstm.md, "Engine").
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_config.h"
#include "tests/reference/lstm_reference.h"
#include "tools/builder/lstm_program.h"
#include "tools/builder/program.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace dlvp::builder::lstm_parts {

constexpr uint64_t kVectorAlign = 8;  // regions of the vector buffer: int64 accumulators need 8
constexpr uint64_t kValueBytes = 2, kBiasBytes = 4, kAccBytes = 8;

inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

[[noreturn]] void fail(const std::string& why);

// One LSTM_SPMV's column range of a matrix and where its PE images live.
struct Chunk {
  uint32_t first_col = 0, cols = 0;
  uint32_t weight_offset = 0;  // in each PE's weight memory
  uint32_t bytes = 0;          // per PE (the largest PE image, a multiple of 4)
  uint64_t ddr_offset = 0;     // in the constants: pes rows of `bytes`
};

// Cuts matrices into column chunks and lays out the constants blob.
class Layout {
 public:
  Layout(const LstmConfig& hw, std::vector<uint8_t>& constants) : hw_(hw), constants_(constants) {}

  // Places `data` (bytes) in the constants at a kDdrAlign boundary; returns its offset.
  uint64_t add(const void* data, uint64_t bytes);
  uint64_t reserve(uint64_t bytes);

  // Cuts columns [first, end) of `m` (end 0: all) into column chunks of at most `max_cols` columns
  // (0: no limit) whose largest PE image takes at most `budget` bytes (0: no limit): as many
  // columns per chunk as fit, so streaming issues as few LOADs and SPMVs as the memory allows.
  // Weight and DDR offsets are left to place().
  std::vector<Chunk> cut(const lstm_ref::CscMatrix& m, uint32_t max_cols, uint64_t budget, const char* name,
                         uint32_t first = 0, uint32_t end = 0) const;

  // Writes each PE's image of each chunk (the range's pointers, then its entries) into the
  // constants: one row of `bytes` per PE, so one 2-D LOAD brings a chunk to all PEs.
  void place(const lstm_ref::CscMatrix& m, std::vector<Chunk>& chunks);

 private:
  void write_image(const lstm_ref::CscStream& s, uint32_t first, uint32_t cols, uint64_t at);

  const LstmConfig& hw_;
  std::vector<uint8_t>& constants_;
};

// Appends instructions and derives their tokens (as the CNN's scheduler.h does): an instruction
// names the earlier instructions of the neighbouring queues it must follow; it pops a token from
// each such queue unless an earlier POP of its queue already covers that instruction, and the
// matching PUSH goes on the instruction waited for. Tokens are counters matched in order, so every
// PUSH has its POP, each POP's token is pushed earlier in program order (no deadlock at any queue
// depth), and the queues' in-order execution makes waiting for one instruction wait for all
// earlier ones of its queue.
class TokenedProgram {
 public:
  static constexpr int64_t kNone = -1;

  explicit TokenedProgram(std::vector<isa::Instruction>& out) : out_(out) {}

  // Appends `in` after the instructions (program indices; kNone skips) in `after`; returns its index.
  int64_t append(isa::Instruction in, std::initializer_list<int64_t> after = {});

 private:
  std::vector<isa::Instruction>& out_;
  std::vector<int64_t> seq_;          // each instruction's position in its queue
  std::array<int64_t, 3> count_{};    // instructions per queue so far
  int64_t covered_[3][3] = {{-1, -1, -1}, {-1, -1, -1}, {-1, -1, -1}};  // [from][to]
};

isa::Instruction blank(uint8_t opcode, uint8_t deps, uint32_t tag);

// A 2-D block: rows x row_bytes, both sides with their own row stride.
isa::Instruction transfer(uint8_t opcode, uint8_t deps, uint32_t tag, isa::Buffer buffer, uint64_t buffer_offset,
                          uint8_t arg, uint64_t ddr_offset, uint32_t rows, uint64_t row_bytes, uint64_t ddr_stride,
                          uint64_t buffer_stride);
// A contiguous block between DDR and the vector buffer.
isa::Instruction linear(uint8_t opcode, uint8_t deps, uint32_t tag, uint64_t buffer_offset, uint8_t arg,
                        uint64_t ddr_offset, uint64_t bytes);
// The LOAD of a chunk into every PE's weight memory at weight_offset (one row per PE).
isa::Instruction chunk_load(const LstmConfig& hw, uint32_t tag, const Chunk& c, uint32_t weight_offset);

// One matrix's pass of a time step: its chunks and how its LSTM_SPMVs read and write.
struct MatrixPass {
  std::vector<Chunk> chunks;
  uint32_t rows = 0;
  uint64_t input = 0;
  uint32_t input_stride = 0;
  uint32_t input_first_col = 0;  // the matrix column at the input's element 0 (a column range of
                                 // a matrix whose input is split over two regions)
  int product_shift = 0, output_shift = 0;
  uint16_t first_flags = 0, last_flags = 0;  // on the first / last chunk
  uint64_t bias = 0, output = 0;             // vector buffer regions (AccFirst with a bias, AccLast)
  uint32_t tag = 0;
};

// The LSTM_SPMV of chunk k of `pass` (at weight_offset in the PEs' memories), its accumulators at `acc`.
isa::Instruction spmv_instruction(const MatrixPass& pass, size_t k, uint32_t weight_offset, uint64_t acc,
                                  uint32_t channels);
// The LSTM_GATES of one step of `m`: accumulators, c (in place), h and peepholes at these offsets.
isa::Instruction gates_instruction(const lstm_ref::FixedLstm& m, uint32_t tag, uint64_t acc, uint64_t c, uint64_t h,
                                   uint64_t peephole, uint32_t channels);

// Throws BuildError when the layer was quantized for accumulators of another width than the
// engine's (a model quantized for another width would not be bit-exact).
void check_accumulator_bits(uint32_t bits, uint32_t engine_bits);
// Throws BuildError when `steps` or `channels` is 0 or does not fit the instructions' fields.
void check_steps_and_channels(uint32_t steps, uint32_t channels);
// The head's output STOREs after instruction `after`, placed after p.output_bytes (which they
// extend; head_output_offset, head_output_bytes set). The head's outputs are at `region`: on the
// last step [channels][rows] (one STORE); on every step (steps > 1) step t's at region + t x
// channels x rows, written as [channels][steps][rows] (each channel's [steps, rows], ONNX's
// per-batch-entry order), one 2-D STORE per channel.
void store_head_output(TokenedProgram& prog, LstmProgram& p, uint32_t tag, uint64_t region, uint32_t steps,
                       uint32_t channels, uint32_t rows, int64_t after);

// Throws BuildError when `m` is inconsistent, does not fit the instructions' fields for `steps` and
// `channels`, or was quantized for accumulators of another width than the engine's (a model
// quantized for another width would not be bit-exact).
void check_layer(const lstm_ref::FixedLstm& m, uint32_t steps, uint32_t channels, uint32_t engine_accumulator_bits);
// Throws BuildError when the head (if any) does not read `inputs` values at `input_frac`, does not
// match its encoding or was quantized for another accumulator width.
void check_head(const LstmHead& head, uint32_t inputs, int input_frac, uint32_t engine_accumulator_bits);

// The sum of the chunks' per-PE bytes.
uint64_t chunk_bytes(const std::vector<Chunk>& chunks);

}  // namespace dlvp::builder::lstm_parts
