#include "tools/builder/lstm_program.h"

#include <algorithm>
#include <array>
#include <initializer_list>
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

// Cuts matrices into column chunks and lays out the constants blob.
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
  int64_t append(isa::Instruction in, std::initializer_list<int64_t> after = {}) {
    const int q = isa::queue_of(in.header.opcode);
    std::array<int64_t, 3> latest = {kNone, kNone, kNone};  // per queue: the latest instruction waited for
    for (const int64_t index : after) {
      if (index == kNone) continue;
      const int from = isa::queue_of(out_[static_cast<size_t>(index)].header.opcode);
      if (from == q) continue;  // in-order queue
      if (q == isa::kQueueNone || (from != q - 1 && from != q + 1))
        fail("internal: a dependency between queues that are not neighbours");
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
  v.head_out = region(uint64_t{channels} * n.head_rows * kValueBytes);
  // The gate accumulators; the projection's and the head's reuse them once LSTM_GATES has consumed them.
  v.acc = region(uint64_t{channels} * std::max<uint64_t>({gate_rows, n.projection, n.head_rows}) * kAccBytes);
  v.end = cursor;
  return v;
}

LstmVectorSizes vector_sizes(const lstm_ref::FixedLstm& m, const lstm_ref::FixedLinear* head) {
  LstmVectorSizes n;
  n.input = m.input_size, n.hidden = m.hidden_size, n.projection = m.projection_size;
  n.peepholes = static_cast<uint32_t>(m.peephole.size());
  n.head_rows = head ? head->outputs() : 0;
  n.head_bias = head && !head->bias.empty();
  return n;
}

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

// The instruction fields of LSTM_SPMV and LSTM_GATES; the caller orders them.
class InstructionMaker {
 public:
  InstructionMaker(const lstm_ref::FixedLstm& m, const LstmProgramOptions& o, const VectorPlan& v) : m_(m), o_(o), v_(v) {}

  isa::Instruction spmv(const MatrixPass& pass, size_t k, uint32_t weight_offset) const {
    const Chunk& c = pass.chunks[k];
    const bool first = k == 0, last = k + 1 == pass.chunks.size();
    isa::Instruction in = blank(isa::kOpLstmSpmv, 0, pass.tag);
    isa::LstmSpmv& s = in.lstm_spmv;
    s.header.flags = static_cast<uint16_t>((first ? pass.first_flags : 0) | (last ? pass.last_flags : 0));
    s.weight_offset = weight_offset;
    s.chunk_bytes = c.bytes;
    s.rows = pass.rows;
    s.first_col = static_cast<uint16_t>(c.first_col);
    s.cols = static_cast<uint16_t>(c.cols);
    s.input_offset = static_cast<uint32_t>(pass.input);
    s.input_stride = pass.input_stride;
    s.acc_offset = static_cast<uint32_t>(v_.acc);
    s.bias_offset = static_cast<uint32_t>(pass.bias);
    s.output_offset = static_cast<uint32_t>(pass.output);
    s.channels = static_cast<uint16_t>(o_.channels);
    s.product_shift = static_cast<uint8_t>(pass.product_shift);
    s.output_shift = static_cast<int8_t>(pass.output_shift);
    return in;
  }

  isa::Instruction gates() const {
    isa::Instruction in = blank(isa::kOpLstmGates, 0, o_.tag);
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
    return in;
  }

 private:
  const lstm_ref::FixedLstm& m_;
  const LstmProgramOptions& o_;
  const VectorPlan& v_;
};

void check_head(const lstm_ref::FixedLstm& m, const LstmHead& head) {
  if (!head.layer) return;
  if (!head.sparse) fail("the head has no encoding");
  try {
    head.layer->check();
  } catch (const std::invalid_argument& e) {
    fail(std::string("the head: ") + e.what());
  }
  if (head.layer->inputs() != m.output_size() || head.layer->input_frac != m.output_frac())
    fail("the head reads " + std::to_string(head.layer->inputs()) + " values at radix point " +
         std::to_string(head.layer->input_frac) + ", the LSTM's output has " + std::to_string(m.output_size()) +
         " at " + std::to_string(m.output_frac()));
  if (head.sparse->rows != head.layer->outputs() || head.sparse->cols != head.layer->inputs())
    fail("the head's encoding does not match its matrix");
}

void check_fits_isa(const lstm_ref::FixedLstm& m, const LstmProgramOptions& o) {
  if (o.steps == 0 || o.steps > kMaxLstmSteps || o.channels == 0 || o.channels > kMaxLstmChannels)
    fail(std::to_string(o.steps) + " steps and " + std::to_string(o.channels) + " channels: both must lie in 1.." +
         std::to_string(kMaxLstmSteps));
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

namespace {

uint64_t chunk_bytes(const std::vector<MatrixPass>& passes) {
  uint64_t bytes = 0;
  for (const MatrixPass& pass : passes)
    for (const Chunk& c : pass.chunks) bytes += c.bytes;
  return bytes;
}

}  // namespace

uint64_t lstm_vector_buffer_bytes(const LstmVectorSizes& sizes, uint32_t channels) {
  return plan_vector(sizes, channels).end;
}

LstmProgram build_lstm_program(const lstm_ref::FixedLstm& m, const lstm_ref::SparseLstm& sparse, const LstmConfig& hw,
                               const LstmProgramOptions& o, const LstmHead& head) {
  try {
    m.check();
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  check_fits_isa(m, o);
  check_head(m, head);
  // The engine saturates at its own width: a model quantized for another would not be bit-exact.
  for (const uint32_t bits : {m.accumulator_bits, head.layer ? head.layer->accumulator_bits : hw.accumulator_bits})
    if (bits != hw.accumulator_bits)
      fail("quantized for " + std::to_string(bits) + "-bit accumulators, the engine has " +
           std::to_string(hw.accumulator_bits));
  const uint32_t H = m.hidden_size, I = m.input_size, Rn = m.recurrent_size(), P = m.projection_size;
  const uint32_t T = o.steps, ch = o.channels, tag = o.tag;
  const bool projection = P != 0;
  LstmProgram p;
  const VectorPlan v = plan_vector(vector_sizes(m, head.layer), ch);
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
    return prog.append(transfer(isa::kOpLoad, 0, pass.tag, isa::kBufLstmWeight, weight_offset, kArgConstants,
                                c.ddr_offset, hw.pes, c.bytes, c.bytes, hw.weight_memory_bytes),
                       {after});
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
  const size_t per_step = p.weight_chunks, step_uses = size_t{T} * per_step, uses = step_uses + head_chunks;
  // Each step: x's LOAD, an LSTM_SPMV per chunk (and its LOAD when streamed), LSTM_GATES, y's STORE.
  const uint64_t instructions = uint64_t{T} * (per_step * (p.streamed ? 2 : 1) + 3) + 2 * head_chunks;
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
    const MatrixPass* pass = &passes[0];
    while (k >= pass->chunks.size()) k -= pass->chunks.size(), ++pass;
    use_load[u] = load_chunk(*pass, pass->chunks[k], at, half_reader[u % 2]);
  };

  const InstructionMaker make(m, o, v);
  size_t use = 0;
  if (p.streamed) load_use(0);
  for (uint32_t t = 0; t < T; ++t) {
    if (!p.streamed) load_x(t);
    for (size_t i = 0; i < passes.size(); ++i) {
      const MatrixPass& pass = passes[i];
      if (i == 2) gates = prog.append(make.gates());  // writes h, read by the projection
      for (size_t k = 0; k < pass.chunks.size(); ++k, ++use) {
        if (p.streamed && use + 1 < uses) load_use(use + 1);
        const bool writes_y = (pass.last_flags & isa::kFlagAccLast) && k + 1 == pass.chunks.size();
        const uint32_t offset = p.streamed ? static_cast<uint32_t>(use % 2) * half : pass.chunks[k].weight_offset;
        const Index spmv = prog.append(make.spmv(pass, k, offset), {setup, i == 0 ? x_load : kNone,
                                                                     p.streamed ? use_load[use] : kNone,
                                                                     writes_y ? y_store : kNone});
        ++p.spmv_instructions;
        if (i == 0) x_reader = spmv;
        if (p.streamed) half_reader[use % 2] = spmv;
        if (writes_y) y_writer = spmv;
      }
    }
    if (!projection) y_writer = gates = prog.append(make.gates(), {y_store});  // h_t is y_t
    ++p.gates_instructions;
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
  for (size_t k = 0; k < head_chunks; ++k, ++use) {
    if (p.streamed && use + 1 < uses) load_use(use + 1);
    const uint32_t offset = p.streamed ? static_cast<uint32_t>(use % 2) * half : head_passes[0].chunks[k].weight_offset;
    const Index spmv = prog.append(make.spmv(head_passes[0], k, offset), {setup, p.streamed ? use_load[use] : kNone});
    ++p.head_spmv_instructions;
    if (p.streamed) half_reader[use % 2] = spmv;
    if (k + 1 == head_chunks) {
      p.head_output_offset = align_up(p.output_bytes, kDdrAlign);
      p.head_output_bytes = uint64_t{ch} * head.layer->outputs() * kValueBytes;
      prog.append(linear(isa::kOpStore, 0, o.head_tag, v.head_out, kArgOutput, p.head_output_offset,
                         p.head_output_bytes),
                  {spmv});
      p.output_bytes = p.head_output_offset + p.head_output_bytes;
    }
  }
  prog.append(blank(isa::kOpEnd, 0, tag));
  p.input_bytes = T * x_bytes;
  return p;
}

}  // namespace dlvp::builder
