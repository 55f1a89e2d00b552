// The building blocks of the sparse LSTM engine's programs (LSTM and GRU layers, docs/lstm.md
// "Engine: programs"): column chunks of CSC matrices and the constants blob they live in, the
// token-deriving instruction list, and the LOAD/STORE instruction makers.
#pragma once
#include "ip/ifu/isa.h"
#include "ip/lstm/lstm_config.h"
#include "tests/reference/lstm_reference.h"
#include "tools/builder/program.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlvp::builder::lstm_parts {

inline uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

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
  // `program` names the program in errors ("LSTM program", "GRU program").
  Layout(const LstmConfig& hw, std::vector<uint8_t>& constants, const char* program)
      : hw_(hw), constants_(constants), program_(program) {}

  // Places `data` (bytes) in the constants at a kDdrAlign boundary; returns its offset.
  uint64_t add(const void* data, uint64_t bytes) {
    const uint64_t at = reserve(bytes);
    if (bytes) std::memcpy(constants_.data() + at, data, bytes);
    return at;
  }
  uint64_t reserve(uint64_t bytes) {
    const uint64_t at = align_up(constants_.size(), kDdrAlign);
    constants_.resize(at + bytes, 0);
    return at;
  }

  // Cuts `m` into column chunks of at most `max_cols` columns (0: no limit) whose largest PE image
  // takes at most `budget` bytes (0: no limit): as many columns per chunk as fit, so streaming
  // issues as few LOADs and SPMVs as the memory allows. Weight and DDR offsets are left to place().
  std::vector<Chunk> cut(const lstm_ref::CscMatrix& m, uint32_t max_cols, uint64_t budget, const char* name) const {
    if (m.pes != hw_.pes || m.streams.size() != hw_.pes)
      fail(std::string(name) + " is encoded for " + std::to_string(m.pes) + " PEs, the engine has " +
           std::to_string(hw_.pes));
    for (uint32_t p = 0; p < m.pes; ++p) check_stream(m, p, name);
    const uint32_t limit = max_cols ? max_cols : m.cols;
    std::vector<Chunk> chunks;
    for (uint32_t a = 0; a < m.cols;) {
      Chunk c;
      c.first_col = a;
      while (a + c.cols < m.cols && c.cols < limit) {
        const uint32_t bytes = image_bytes(m, a, c.cols + 1);
        if (budget && bytes > budget) break;
        c.bytes = bytes;
        ++c.cols;
      }
      if (c.cols == 0)
        fail(std::string(name) + "'s column " + std::to_string(a) + " needs " + std::to_string(image_bytes(m, a, 1)) +
             " B per PE, more than half of the " + std::to_string(hw_.weight_memory_bytes) +
             " B weight memory a streamed chunk may use");
      a += c.cols;
      chunks.push_back(c);
    }
    return chunks;
  }

  // Writes each PE's image of each chunk (the range's pointers, then its entries) into the
  // constants: one row of `bytes` per PE, so one 2-D LOAD brings a chunk to all PEs.
  void place(const lstm_ref::CscMatrix& m, std::vector<Chunk>& chunks) {
    for (Chunk& c : chunks) {
      c.ddr_offset = reserve(uint64_t{c.bytes} * hw_.pes);
      for (uint32_t p = 0; p < hw_.pes; ++p)
        write_image(m.streams[p], c.first_col, c.cols, c.ddr_offset + uint64_t{p} * c.bytes);
    }
  }

 private:
  // The builder copies streams by their pointers: it refuses one the engine would refuse.
  void check_stream(const lstm_ref::CscMatrix& m, uint32_t pe, const char* name) const {
    lstm::StreamCheck check;
    try {
      check = lstm::validate_stream(m.view(pe));
    } catch (const std::invalid_argument& e) {
      fail(std::string(name) + ": " + e.what());
    }
    if (!check.ok())
      fail(std::string(name) + ": PE " + std::to_string(pe) + "'s stream: " + lstm::to_string(check.error) +
           " (index " + std::to_string(check.index) + ")");
  }
  // The largest PE image of columns [first, first + cols).
  static uint32_t image_bytes(const lstm_ref::CscMatrix& m, uint32_t first, uint32_t cols) {
    uint64_t bytes = 0;
    for (const lstm_ref::CscStream& s : m.streams)
      bytes = std::max(bytes, lstm::stream_image_bytes(cols, s.pointers[first + cols] - s.pointers[first]));
    return static_cast<uint32_t>(bytes);
  }
  void write_image(const lstm_ref::CscStream& s, uint32_t first, uint32_t cols, uint64_t at) {
    std::memcpy(constants_.data() + at, s.pointers.data() + first, (uint64_t{cols} + 1) * lstm::kPointerBytes);
    const uint32_t begin = s.pointers[first], end = s.pointers[first + cols];
    if (end > begin)
      std::memcpy(constants_.data() + at + (uint64_t{cols} + 1) * lstm::kPointerBytes, s.entries.data() + begin,
                  uint64_t{end - begin} * lstm::kEntryBytes);
  }

  [[noreturn]] void fail(const std::string& why) const { throw BuildError(std::string(program_) + ": " + why); }

  const LstmConfig& hw_;
  std::vector<uint8_t>& constants_;
  const char* program_;
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
  int64_t append(isa::Instruction in, std::initializer_list<int64_t> after = {}) {
    const int q = isa::queue_of(in.header.opcode);
    std::array<int64_t, 3> latest = {kNone, kNone, kNone};  // per queue: the latest instruction waited for
    for (const int64_t index : after) {
      if (index == kNone) continue;
      const int from = isa::queue_of(out_[static_cast<size_t>(index)].header.opcode);
      if (from == q) continue;  // in-order queue
      if (q == isa::kQueueNone || (from != q - 1 && from != q + 1))
        throw BuildError("LSTM engine program: internal: a dependency between queues that are not neighbours");
      latest[from] = std::max(latest[from], index);
    }
    for (int from = 0; from < 3; ++from) {
      if (latest[from] == kNone) continue;
      int64_t& covered = covered_[from][q];
      const int64_t needed = seq_[static_cast<size_t>(latest[from])];
      if (needed <= covered) continue;  // an earlier POP of this queue waited for it or a later one
      covered = needed;
      in.header.deps |= from < q ? isa::kPopPrev : isa::kPopNext;
      out_[static_cast<size_t>(latest[from])].header.deps |= from < q ? isa::kPushNext : isa::kPushPrev;
    }
    out_.push_back(in);
    seq_.push_back(q < 3 ? count_[q]++ : 0);
    return static_cast<int64_t>(out_.size() - 1);
  }

 private:
  std::vector<isa::Instruction>& out_;
  std::vector<int64_t> seq_;          // each instruction's position in its queue
  std::array<int64_t, 3> count_{};    // instructions per queue so far
  int64_t covered_[3][3] = {{-1, -1, -1}, {-1, -1, -1}, {-1, -1, -1}};  // [from][to]
};

// One matrix's pass of a time step: its chunks and how its LSTM_SPMVs read and write.
struct MatrixPass {
  std::vector<Chunk> chunks;
  uint32_t rows = 0;
  uint64_t input = 0;
  uint32_t input_stride = 0;
  int product_shift = 0, output_shift = 0;
  uint16_t first_flags = 0, last_flags = 0;  // on the first / last chunk
  uint64_t bias = 0, output = 0;             // vector buffer regions (AccFirst with a bias, AccLast)
  uint32_t tag = 0;
};

// The LSTM_SPMV of the pass's chunk k, its chunk at weight_offset, its accumulators at acc.
isa::Instruction spmv_instruction(const MatrixPass& pass, size_t k, uint32_t weight_offset, uint64_t acc,
                                  uint32_t channels);

isa::Instruction blank(uint8_t opcode, uint8_t deps, uint32_t tag);

// A 2-D block: rows x row_bytes, both sides with their own row stride.
isa::Instruction transfer(uint8_t opcode, uint8_t deps, uint32_t tag, isa::Buffer buffer, uint64_t buffer_offset,
                          uint8_t arg, uint64_t ddr_offset, uint32_t rows, uint64_t row_bytes, uint64_t ddr_stride,
                          uint64_t buffer_stride);

// A contiguous block of the vector buffer.
isa::Instruction linear(uint8_t opcode, uint8_t deps, uint32_t tag, uint64_t buffer_offset, uint8_t arg,
                        uint64_t ddr_offset, uint64_t bytes);

}  // namespace dlvp::builder::lstm_parts
