#include "tools/builder/lstm_program_parts.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace dlvp::builder::lstm_parts {

// LSTM and GRU programs share these parts: errors name the engine's program.
void fail(const std::string& why) { throw BuildError("LSTM engine program: " + why); }

namespace {

// The builder copies streams by their pointers: it refuses one the engine would refuse.
void check_stream(const lstm_ref::CscMatrix& m, uint32_t pe, const char* name) {
  lstm::StreamCheck check;
  try {
    check = lstm::validate_stream(m.view(pe));
  } catch (const std::invalid_argument& e) {
    fail(std::string(name) + ": " + e.what());
  }
  if (!check.ok())
    fail(std::string(name) + ": PE " + std::to_string(pe) + "'s stream: " + lstm::to_string(check.error) + " (index " +
         std::to_string(check.index) + ")");
}

// The largest PE image of columns [first, first + cols).
uint32_t image_bytes(const lstm_ref::CscMatrix& m, uint32_t first, uint32_t cols) {
  uint64_t bytes = 0;
  for (const lstm_ref::CscStream& s : m.streams)
    bytes = std::max(bytes, lstm::stream_image_bytes(cols, s.pointers[first + cols] - s.pointers[first]));
  return static_cast<uint32_t>(bytes);
}

}  // namespace

uint64_t Layout::add(const void* data, uint64_t bytes) {
  const uint64_t at = reserve(bytes);
  if (bytes) std::memcpy(constants_.data() + at, data, bytes);
  return at;
}

uint64_t Layout::reserve(uint64_t bytes) {
  const uint64_t at = align_up(constants_.size(), kDdrAlign);
  constants_.resize(at + bytes, 0);
  return at;
}

std::vector<Chunk> Layout::cut(const lstm_ref::CscMatrix& m, uint32_t max_cols, uint64_t budget, const char* name,
                               uint32_t first, uint32_t end) const {
  if (m.pes != hw_.pes || m.streams.size() != hw_.pes)
    fail(std::string(name) + " is encoded for " + std::to_string(m.pes) + " PEs, the engine has " +
         std::to_string(hw_.pes));
  for (uint32_t p = 0; p < m.pes; ++p) check_stream(m, p, name);
  if (end == 0) end = m.cols;
  if (first > end || end > m.cols)
    fail(std::string(name) + ": columns " + std::to_string(first) + ".." + std::to_string(end) + " of " +
         std::to_string(m.cols));
  const uint32_t limit = max_cols ? max_cols : end - first;
  std::vector<Chunk> chunks;
  for (uint32_t a = first; a < end;) {
    Chunk c;
    c.first_col = a;
    while (a + c.cols < end && c.cols < limit) {
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

void Layout::place(const lstm_ref::CscMatrix& m, std::vector<Chunk>& chunks) {
  for (Chunk& c : chunks) {
    c.ddr_offset = reserve(uint64_t{c.bytes} * hw_.pes);
    for (uint32_t p = 0; p < hw_.pes; ++p) write_image(m.streams[p], c.first_col, c.cols, c.ddr_offset + uint64_t{p} * c.bytes);
  }
}

void Layout::write_image(const lstm_ref::CscStream& s, uint32_t first, uint32_t cols, uint64_t at) {
  std::memcpy(constants_.data() + at, s.pointers.data() + first, (uint64_t{cols} + 1) * lstm::kPointerBytes);
  const uint32_t begin = s.pointers[first], end = s.pointers[first + cols];
  if (end > begin)
    std::memcpy(constants_.data() + at + (uint64_t{cols} + 1) * lstm::kPointerBytes, s.entries.data() + begin,
                uint64_t{end - begin} * lstm::kEntryBytes);
}

int64_t TokenedProgram::append(isa::Instruction in, std::initializer_list<int64_t> after) {
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

isa::Instruction blank(uint8_t opcode, uint8_t deps, uint32_t tag) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  in.header.opcode = opcode;
  in.header.deps = deps;
  in.header.tag = tag;
  return in;
}

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

void store_head_output(TokenedProgram& prog, LstmProgram& p, uint32_t tag, uint64_t region, uint32_t steps,
                       uint32_t channels, uint32_t rows, int64_t after) {
  const uint64_t row = uint64_t{rows} * kValueBytes, at = align_up(p.output_bytes, kDdrAlign);
  p.head_output_offset = at;
  p.head_output_bytes = uint64_t{channels} * steps * row;
  p.output_bytes = at + p.head_output_bytes;
  if (steps == 1) {
    prog.append(linear(isa::kOpStore, 0, tag, region, kArgOutput, at, p.head_output_bytes), {after});
    return;
  }
  for (uint32_t s = 0; s < channels; ++s)
    prog.append(transfer(isa::kOpStore, 0, tag, isa::kBufLstmVector, region + s * row, kArgOutput,
                         at + uint64_t{s} * steps * row, steps, row, row, uint64_t{channels} * row),
                {after});
}

isa::Instruction chunk_load(const LstmConfig& hw, uint32_t tag, const Chunk& c, uint32_t weight_offset) {
  return transfer(isa::kOpLoad, 0, tag, isa::kBufLstmWeight, weight_offset, kArgConstants, c.ddr_offset, hw.pes,
                  c.bytes, c.bytes, hw.weight_memory_bytes);
}

isa::Instruction spmv_instruction(const MatrixPass& pass, size_t k, uint32_t weight_offset, uint64_t acc,
                                  uint32_t channels) {
  const Chunk& c = pass.chunks[k];
  const bool first = k == 0, last = k + 1 == pass.chunks.size();
  isa::Instruction in = blank(isa::kOpLstmSpmv, 0, pass.tag);
  isa::LstmSpmv& s = in.lstm_spmv;
  s.header.flags = static_cast<uint16_t>((first ? pass.first_flags : 0) | (last ? pass.last_flags : 0));
  s.weight_offset = weight_offset;
  s.chunk_bytes = c.bytes;
  s.rows = pass.rows;
  s.first_col = static_cast<uint16_t>(c.first_col - pass.input_first_col);
  s.cols = static_cast<uint16_t>(c.cols);
  s.input_offset = static_cast<uint32_t>(pass.input);
  s.input_stride = pass.input_stride;
  s.acc_offset = static_cast<uint32_t>(acc);
  s.bias_offset = static_cast<uint32_t>(pass.bias);
  s.output_offset = static_cast<uint32_t>(pass.output);
  s.channels = static_cast<uint16_t>(channels);
  s.product_shift = static_cast<uint8_t>(pass.product_shift);
  s.output_shift = static_cast<int8_t>(pass.output_shift);
  return in;
}

isa::Instruction gates_instruction(const lstm_ref::FixedLstm& m, uint32_t tag, uint64_t acc, uint64_t c, uint64_t h,
                                   uint64_t peephole, uint32_t channels) {
  isa::Instruction in = blank(isa::kOpLstmGates, 0, tag);
  isa::LstmGates& g = in.lstm_gates;
  g.header.flags = m.peephole.empty() ? 0 : isa::kFlagPeephole;
  g.acc_offset = static_cast<uint32_t>(acc);
  g.c_offset = static_cast<uint32_t>(c);
  g.h_offset = static_cast<uint32_t>(h);
  g.peephole_offset = static_cast<uint32_t>(peephole);
  g.hidden = m.hidden_size;
  g.channels = static_cast<uint16_t>(channels);
  g.gate_frac = static_cast<int8_t>(m.gate_frac);
  g.c_frac = static_cast<int8_t>(m.c_frac);
  g.h_frac = static_cast<int8_t>(m.h_frac);
  g.peephole_frac = static_cast<int8_t>(m.peephole_frac);
  return in;
}

void check_accumulator_bits(uint32_t bits, uint32_t engine_bits) {
  if (bits != engine_bits)
    fail("quantized for " + std::to_string(bits) + "-bit accumulators, the engine has " + std::to_string(engine_bits));
}

void check_steps_and_channels(uint32_t steps, uint32_t channels) {
  if (steps == 0 || steps > kMaxLstmSteps || channels == 0 || channels > kMaxLstmChannels)
    fail(std::to_string(steps) + " steps and " + std::to_string(channels) + " channels: both must lie in 1.." +
         std::to_string(kMaxLstmSteps));
}

void check_layer(const lstm_ref::FixedLstm& m, uint32_t steps, uint32_t channels, uint32_t engine_accumulator_bits) {
  try {
    m.check();
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  check_steps_and_channels(steps, channels);
  for (const int frac : {m.gate_frac, m.c_frac, m.h_frac, m.peephole_frac})
    if (frac < INT8_MIN || frac > INT8_MAX) fail("a radix point does not fit the instruction's 8-bit field");
  const int output_shift = m.projection_acc_frac() - m.y_frac;
  if (m.projection_size && (output_shift < -31 || output_shift > 62))
    fail("the projection's output shift " + std::to_string(output_shift) + " is outside -31..62");
  check_accumulator_bits(m.accumulator_bits, engine_accumulator_bits);
}

void check_head(const LstmHead& head, uint32_t inputs, int input_frac, uint32_t engine_accumulator_bits) {
  if (!head.layer) return;
  if (!head.sparse) fail("the head has no encoding");
  try {
    head.layer->check();
  } catch (const std::invalid_argument& e) {
    fail(std::string("the head: ") + e.what());
  }
  if (head.layer->inputs() != inputs || head.layer->input_frac != input_frac)
    fail("the head reads " + std::to_string(head.layer->inputs()) + " values at radix point " +
         std::to_string(head.layer->input_frac) + ", the LSTM's output has " + std::to_string(inputs) + " at " +
         std::to_string(input_frac));
  if (head.sparse->rows != head.layer->outputs() || head.sparse->cols != head.layer->inputs())
    fail("the head's encoding does not match its matrix");
  check_accumulator_bits(head.layer->accumulator_bits, engine_accumulator_bits);
}

uint64_t chunk_bytes(const std::vector<Chunk>& chunks) {
  uint64_t bytes = 0;
  for (const Chunk& c : chunks) bytes += c.bytes;
  return bytes;
}

}  // namespace dlvp::builder::lstm_parts
