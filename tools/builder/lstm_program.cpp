#include "tools/builder/lstm_program.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dlvp::builder {
namespace {

constexpr uint64_t kVectorAlign = 8;  // regions of the vector buffer: int64 accumulators need 8
constexpr uint64_t kValueBytes = 2, kBiasBytes = 4, kAccBytes = 8;

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

[[noreturn]] void fail(const std::string& why) { throw BuildError("LSTM program: " + why); }

// One LSTM_SPMV's column range of a matrix and where its PE images live.
struct Chunk {
  uint32_t first_col = 0, cols = 0;
  uint32_t weight_offset = 0;  // in each PE's weight memory
  uint32_t bytes = 0;          // per PE (the largest PE image, a multiple of 4)
  uint64_t ddr_offset = 0;     // in the constants: pes rows of `bytes`
};

// Lays out the constants blob and the weight memories.
class Layout {
 public:
  Layout(const LstmConfig& hw, std::vector<uint8_t>& constants) : hw_(hw), constants_(constants) {}

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

  // Cuts `m` into column chunks of at most `max_cols` and places each PE's image of each chunk (the
  // range's pointers, then its entries) in the constants and in the weight memories.
  std::vector<Chunk> place_matrix(const lstm_ref::CscMatrix& m, uint32_t max_cols, const char* name) {
    if (m.pes != hw_.pes || m.streams.size() != hw_.pes)
      fail(std::string(name) + " is encoded for " + std::to_string(m.pes) + " PEs, the engine has " +
           std::to_string(hw_.pes));
    for (uint32_t p = 0; p < m.pes; ++p) check_stream(m, p, name);
    std::vector<Chunk> chunks;
    const uint32_t step = max_cols ? max_cols : m.cols;
    for (uint32_t a = 0; a < m.cols; a += step) {
      Chunk c;
      c.first_col = a;
      c.cols = std::min(step, m.cols - a);
      for (const lstm_ref::CscStream& s : m.streams)
        c.bytes = std::max<uint32_t>(c.bytes, static_cast<uint32_t>(image_bytes(s, a, c.cols)));
      c.weight_offset = static_cast<uint32_t>(weight_cursor_);
      weight_cursor_ += c.bytes;
      if (weight_cursor_ > hw_.weight_memory_bytes)
        fail(std::string(name) + "'s chunks need " + std::to_string(weight_cursor_) + " B of weight memory per PE, the " +
             "engine has " + std::to_string(hw_.weight_memory_bytes) + " B");
      c.ddr_offset = reserve(uint64_t{c.bytes} * hw_.pes);
      for (uint32_t p = 0; p < hw_.pes; ++p) write_image(m.streams[p], a, c.cols, c.ddr_offset + uint64_t{p} * c.bytes);
      chunks.push_back(c);
    }
    return chunks;
  }

 private:
  // The builder copies streams by their pointers: it refuses one the engine would refuse.
  static void check_stream(const lstm_ref::CscMatrix& m, uint32_t pe, const char* name) {
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
  static uint64_t image_bytes(const lstm_ref::CscStream& s, uint32_t first, uint32_t cols) {
    return lstm::stream_image_bytes(cols, s.pointers[first + cols] - s.pointers[first]);
  }
  void write_image(const lstm_ref::CscStream& s, uint32_t first, uint32_t cols, uint64_t at) {
    std::memcpy(constants_.data() + at, s.pointers.data() + first, (uint64_t{cols} + 1) * lstm::kPointerBytes);
    const uint32_t begin = s.pointers[first], end = s.pointers[first + cols];
    if (end > begin)
      std::memcpy(constants_.data() + at + (uint64_t{cols} + 1) * lstm::kPointerBytes, s.entries.data() + begin,
                  uint64_t{end - begin} * lstm::kEntryBytes);
  }

  const LstmConfig& hw_;
  std::vector<uint8_t>& constants_;
  uint64_t weight_cursor_ = 0;
};

isa::Instruction blank(uint8_t opcode, uint8_t deps, uint32_t tag) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  in.header.opcode = opcode;
  in.header.deps = deps;
  in.header.tag = tag;
  return in;
}

// A 2-D block: rows x row_bytes, both sides with their own row stride.
isa::Instruction transfer(uint8_t opcode, uint8_t deps, uint32_t tag, isa::Buffer buffer, uint64_t buffer_offset,
                          uint8_t arg, uint64_t ddr_offset, uint32_t rows, uint64_t row_bytes, uint64_t ddr_stride,
                          uint64_t buffer_stride) {
  isa::Instruction in = blank(opcode, deps, tag);
  isa::Transfer& t = in.transfer;
  t.buffer = buffer;
  t.arg = arg;
  t.buffer_offset = static_cast<uint32_t>(buffer_offset);
  t.ddr_offset = ddr_offset;
  t.planes = 1;
  t.rows = rows;
  t.row_bytes = static_cast<uint32_t>(row_bytes);
  t.ddr_row_stride = static_cast<uint32_t>(ddr_stride);
  t.buffer_row_stride = static_cast<uint32_t>(buffer_stride);
  return in;
}

isa::Instruction linear(uint8_t opcode, uint8_t deps, uint32_t tag, uint64_t buffer_offset, uint8_t arg,
                        uint64_t ddr_offset, uint64_t bytes) {
  return transfer(opcode, deps, tag, isa::kBufLstmVector, buffer_offset, arg, ddr_offset, 1, bytes, bytes, bytes);
}

// The vector buffer's regions.
struct VectorPlan {
  uint64_t x = 0, r = 0, h = 0, c = 0, bias = 0, peephole = 0, acc = 0, end = 0;
};

VectorPlan plan_vector(const lstm_ref::FixedLstm& m, uint32_t channels, uint64_t capacity) {
  VectorPlan v;
  uint64_t cursor = 0;
  auto region = [&](uint64_t bytes) {
    const uint64_t at = cursor;
    cursor = align_up(cursor + bytes, kVectorAlign);
    return at;
  };
  const uint64_t H = m.hidden_size;
  v.x = region(uint64_t{channels} * m.input_size * kValueBytes);
  v.r = region(uint64_t{channels} * m.recurrent_size() * kValueBytes);
  v.h = m.projection_size ? region(uint64_t{channels} * H * kValueBytes) : v.r;  // without projection r_t = h_t
  v.c = region(uint64_t{channels} * H * kValueBytes);
  v.bias = region(uint64_t{m.gate_rows()} * kBiasBytes);
  v.peephole = region(m.peephole.size() * kValueBytes);
  // The gate accumulators; the projection's reuse them once LSTM_GATES has consumed them.
  v.acc = region(uint64_t{channels} * std::max<uint64_t>(m.gate_rows(), m.projection_size) * kAccBytes);
  v.end = cursor;
  if (v.end > capacity)
    fail("the vector buffer needs " + std::to_string(v.end) + " B, the engine has " + std::to_string(capacity) + " B");
  return v;
}

class StepEmitter {
 public:
  StepEmitter(const lstm_ref::FixedLstm& m, const LstmProgramOptions& o, const VectorPlan& v, LstmProgram& p)
      : m_(m), o_(o), v_(v), p_(p) {}

  // The chunks of one matrix as LSTM_SPMVs. `first_flags` / `last_flags` go to the first / last
  // chunk, `first_deps` / `last_deps` likewise.
  void spmv(const std::vector<Chunk>& chunks, uint32_t rows, uint64_t input, uint32_t input_stride, int shift,
            uint16_t first_flags, uint16_t last_flags, uint8_t first_deps, uint8_t last_deps, int output_shift = 0) {
    for (size_t k = 0; k < chunks.size(); ++k) {
      const Chunk& c = chunks[k];
      const bool first = k == 0, last = k + 1 == chunks.size();
      isa::Instruction in = blank(isa::kOpLstmSpmv, (first ? first_deps : 0) | (last ? last_deps : 0), o_.tag);
      isa::LstmSpmv& s = in.lstm_spmv;
      s.header.flags = static_cast<uint16_t>((first ? first_flags : 0) | (last ? last_flags : 0));
      s.weight_offset = c.weight_offset;
      s.chunk_bytes = c.bytes;
      s.rows = rows;
      s.first_col = static_cast<uint16_t>(c.first_col);
      s.cols = static_cast<uint16_t>(c.cols);
      s.input_offset = static_cast<uint32_t>(input);
      s.input_stride = input_stride;
      s.acc_offset = static_cast<uint32_t>(v_.acc);
      s.bias_offset = static_cast<uint32_t>(v_.bias);
      s.output_offset = static_cast<uint32_t>(v_.r);
      s.channels = static_cast<uint16_t>(o_.channels);
      s.product_shift = static_cast<uint8_t>(shift);
      s.output_shift = static_cast<int8_t>(output_shift);
      p_.instructions.push_back(in);
      ++p_.spmv_instructions;
    }
  }

  void gates(uint8_t deps) {
    isa::Instruction in = blank(isa::kOpLstmGates, deps, o_.tag);
    isa::LstmGates& g = in.lstm_gates;
    g.header.flags = m_.peephole.empty() ? 0 : isa::kFlagPeephole;
    g.acc_offset = static_cast<uint32_t>(v_.acc);
    g.c_offset = static_cast<uint32_t>(v_.c);
    g.h_offset = static_cast<uint32_t>(v_.h);
    g.peephole_offset = static_cast<uint32_t>(v_.peephole);
    g.hidden = m_.hidden_size;
    g.channels = static_cast<uint16_t>(o_.channels);
    g.gate_frac = static_cast<int8_t>(m_.gate_frac);
    g.c_frac = static_cast<int8_t>(m_.c_frac);
    g.h_frac = static_cast<int8_t>(m_.h_frac);
    g.peephole_frac = static_cast<int8_t>(m_.peephole_frac);
    p_.instructions.push_back(in);
    ++p_.gates_instructions;
  }

 private:
  const lstm_ref::FixedLstm& m_;
  const LstmProgramOptions& o_;
  const VectorPlan& v_;
  LstmProgram& p_;
};

void check_fits_isa(const lstm_ref::FixedLstm& m, const LstmProgramOptions& o) {
  if (o.steps == 0 || o.channels == 0 || o.channels > UINT16_MAX) fail("steps and channels (1..65535) must be >= 1");
  for (const int frac : {m.gate_frac, m.c_frac, m.h_frac, m.peephole_frac})
    if (frac < INT8_MIN || frac > INT8_MAX) fail("a radix point does not fit the instruction's 8-bit field");
  const int output_shift = m.projection_acc_frac() - m.y_frac;
  if (m.projection_size && (output_shift < -31 || output_shift > 62))
    fail("the projection's output shift " + std::to_string(output_shift) + " is outside -31..62");
}

}  // namespace

std::vector<uint8_t> LstmProgram::instruction_bytes() const {
  std::vector<uint8_t> bytes(instructions.size() * isa::kInstructionBytes);
  if (!bytes.empty()) std::memcpy(bytes.data(), instructions.data(), bytes.size());
  return bytes;
}

LstmProgram build_lstm_program(const lstm_ref::FixedLstm& m, const lstm_ref::SparseLstm& sparse, const LstmConfig& hw,
                               const LstmProgramOptions& o) {
  try {
    m.check();
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  check_fits_isa(m, o);
  const uint32_t H = m.hidden_size, I = m.input_size, Rn = m.recurrent_size(), P = m.projection_size;
  const uint32_t T = o.steps, ch = o.channels, tag = o.tag;
  const bool projection = P != 0;
  LstmProgram p;
  const VectorPlan v = plan_vector(m, ch, hw.vector_buffer_bytes);

  Layout layout(hw, p.constants);
  const std::vector<Chunk> w = layout.place_matrix(sparse.w, o.max_chunk_cols, "W");
  const std::vector<Chunk> r = layout.place_matrix(sparse.r, o.max_chunk_cols, "R");
  const std::vector<Chunk> proj =
      projection ? layout.place_matrix(sparse.projection, o.max_chunk_cols, "the projection") : std::vector<Chunk>{};
  const uint64_t bias = layout.add(m.bias.data(), m.bias.size() * kBiasBytes);
  const uint64_t peephole = layout.add(m.peephole.data(), m.peephole.size() * kValueBytes);
  p.initial_state_offset = layout.reserve(uint64_t{ch} * (Rn + H) * kValueBytes);
  const uint64_t initial_c = p.initial_state_offset + uint64_t{ch} * Rn * kValueBytes;

  // Set-up: the weight chunks (one 2-D LOAD each: a row per PE), bias, peepholes, initial state.
  auto& out = p.instructions;
  for (const auto* chunks : {&w, &r, &proj})
    for (const Chunk& c : *chunks)
      out.push_back(transfer(isa::kOpLoad, 0, tag, isa::kBufLstmWeight, c.weight_offset, kArgConstants, c.ddr_offset,
                             hw.pes, c.bytes, c.bytes, hw.weight_memory_bytes));
  out.push_back(linear(isa::kOpLoad, 0, tag, v.bias, kArgConstants, bias, m.bias.size() * kBiasBytes));
  if (!m.peephole.empty())
    out.push_back(linear(isa::kOpLoad, 0, tag, v.peephole, kArgConstants, peephole, m.peephole.size() * kValueBytes));
  out.push_back(linear(isa::kOpLoad, 0, tag, v.r, kArgConstants, p.initial_state_offset, uint64_t{ch} * Rn * kValueBytes));
  out.push_back(linear(isa::kOpLoad, 0, tag, v.c, kArgConstants, initial_c, uint64_t{ch} * H * kValueBytes));

  StepEmitter emit(m, o, v, p);
  const uint64_t x_bytes = uint64_t{ch} * I * kValueBytes, y_bytes = uint64_t{ch} * Rn * kValueBytes;
  for (uint32_t t = 0; t < T; ++t) {
    const bool more = t + 1 < T;
    // x_t's buffer: the load waits until the previous step's input product has read it.
    out.push_back(linear(isa::kOpLoad, isa::kPushNext | (t ? isa::kPopNext : 0), tag, v.x, kArgInput, t * x_bytes, x_bytes));
    emit.spmv(w, m.gate_rows(), v.x, I, m.w_shift(), isa::kFlagAccFirst, 0, isa::kPopPrev, more ? isa::kPushPrev : 0);
    emit.spmv(r, m.gate_rows(), v.r, Rn, m.r_shift(), 0, 0, 0, 0);
    // The instruction that writes y_t (into r) waits until y_{t-1} is stored, then lets y_t's store go.
    const uint8_t output_deps = isa::kPushNext | (t ? isa::kPopNext : 0);
    emit.gates(projection ? 0 : output_deps);
    if (projection)
      emit.spmv(proj, P, v.h, H, 0, isa::kFlagAccFirst | isa::kFlagNoBias, isa::kFlagAccLast, 0, output_deps,
                m.projection_acc_frac() - m.y_frac);
    out.push_back(linear(isa::kOpStore, isa::kPopPrev | (more ? isa::kPushPrev : 0), tag, v.r, kArgOutput,
                         t * y_bytes, y_bytes));
  }
  p.final_c_offset = T * y_bytes;
  out.push_back(linear(isa::kOpStore, 0, tag, v.c, kArgOutput, p.final_c_offset, uint64_t{ch} * H * kValueBytes));
  out.push_back(blank(isa::kOpEnd, 0, tag));
  p.input_bytes = T * x_bytes;
  p.output_bytes = p.final_c_offset + uint64_t{ch} * H * kValueBytes;
  return p;
}

}  // namespace dlvp::builder
