// In-order functional execution of a job: checks per docs/isa.md, strided copies, reference math.
#include "tests/reference/isa_interpreter.h"

#include <cstring>
#include <limits>
#include <stdexcept>

namespace dlvp::ref {

namespace {

constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

// Saturating arithmetic: a saturated result (kMax64) never fits any window or buffer.
uint64_t mul_sat(uint64_t a, uint64_t b) { return (a != 0 && b > kMax64 / a) ? kMax64 : a * b; }
uint64_t add_sat(uint64_t a, uint64_t b) { return b > kMax64 - a ? kMax64 : a + b; }

// Bytes from the block's first to one past its last byte, for strides >= 0.
uint64_t block_extent(const isa::Transfer& t, uint32_t row_stride, uint32_t plane_stride) {
  const uint64_t planes_span = mul_sat(t.planes - 1, plane_stride);
  const uint64_t rows_span = mul_sat(t.rows - 1, row_stride);
  return add_sat(add_sat(planes_span, rows_span), t.row_bytes);
}

bool region_fits(uint64_t offset, uint64_t bytes, uint64_t size) { return bytes <= size && offset <= size - bytes; }

bool is_known_opcode(uint8_t opcode) { return opcode == isa::kOpEnd || isa::queue_of(opcode) != isa::kQueueNone; }

// Token counters between neighbouring queues, in program order.
class TokenLedger {
 public:
  // Takes the instruction's POP tokens; false if one is missing (in program order).
  bool pop(isa::Queue q, uint8_t deps) {
    bool ok = true;
    if (deps & isa::kPopPrev) ok = take(q - 1, q) && ok;
    if (deps & isa::kPopNext) ok = take(q + 1, q) && ok;
    return ok;
  }
  void push(isa::Queue q, uint8_t deps) {
    if (deps & isa::kPushPrev) ++tokens_[q][q - 1];
    if (deps & isa::kPushNext) ++tokens_[q][q + 1];
  }

 private:
  bool take(int from, int to) {
    if (tokens_[from][to] == 0) return false;
    --tokens_[from][to];
    return true;
  }
  uint64_t tokens_[3][3] = {};  // [from queue][to queue], only neighbours used
};

}  // namespace

isa::ErrorCode check_deps(const isa::Header& header) {
  const isa::Queue q = isa::queue_of(header.opcode);
  const uint8_t prev_bits = isa::kPopPrev | isa::kPushPrev, next_bits = isa::kPopNext | isa::kPushNext;
  if (q == isa::kQueueLoad && (header.deps & prev_bits)) return isa::kErrBadDeps;
  if (q == isa::kQueueStore && (header.deps & next_bits)) return isa::kErrBadDeps;
  return isa::kErrNone;
}

isa::ErrorCode check_transfer(const isa::Transfer& t, const std::array<uint64_t, isa::kBufCount>& buffer_bytes,
                              const ArgWindows& args, const DdrImage& ddr) {
  if (t.arg >= isa::kArgCount || t.buffer >= isa::kBufCount) return isa::kErrBadField;
  if (t.planes < 1 || t.rows < 1 || t.row_bytes < 1) return isa::kErrBadField;
  if (!region_fits(t.buffer_offset, block_extent(t, t.buffer_row_stride, t.buffer_plane_stride), buffer_bytes[t.buffer]))
    return isa::kErrBufferOverrun;
  const uint64_t ddr_extent = block_extent(t, t.ddr_row_stride, t.ddr_plane_stride);
  const ArgWindow& window = args[t.arg];
  if (!region_fits(t.ddr_offset, ddr_extent, window.size)) return isa::kErrAddressWindow;
  const uint64_t address = add_sat(window.base, t.ddr_offset);
  if (address < ddr.base || !region_fits(address - ddr.base, ddr_extent, ddr.bytes.size())) return isa::kErrDmaError;
  return isa::kErrNone;
}

IsaInterpreter::IsaInterpreter(const MachineConfig& config) : config_(config) {
  if (config.accumulator_bits < 2 || config.accumulator_bits > 32)
    throw std::invalid_argument("IsaInterpreter: accumulator_bits outside 2..32");
  for (int b = 0; b < isa::kBufCount; ++b) buffers_[b].assign(config.buffer_bytes[b], 0);
}

Buffers IsaInterpreter::views() {
  Buffers b;
  for (int i = 0; i < isa::kBufCount; ++i) {
    b.data[i] = buffers_[i].data();
    b.size[i] = buffers_[i].size();
  }
  return b;
}

void IsaInterpreter::copy_block(const isa::Transfer& t, DdrImage& ddr, const ArgWindows& args, bool to_buffer) {
  uint8_t* buffer = buffers_[t.buffer].data();
  const uint64_t ddr_start = args[t.arg].base + t.ddr_offset - ddr.base;  // checked: inside the image
  for (uint64_t p = 0; p < t.planes; ++p)
    for (uint64_t r = 0; r < t.rows; ++r) {
      uint8_t* local = buffer + t.buffer_offset + p * t.buffer_plane_stride + r * t.buffer_row_stride;
      uint8_t* remote = ddr.bytes.data() + ddr_start + p * t.ddr_plane_stride + r * t.ddr_row_stride;
      if (to_buffer)
        std::memmove(local, remote, t.row_bytes);
      else
        std::memmove(remote, local, t.row_bytes);
    }
}

isa::ErrorCode IsaInterpreter::execute(const isa::Instruction& instruction, DdrImage& ddr, const ArgWindows& args) {
  const uint8_t opcode = instruction.header.opcode;
  if (opcode == isa::kOpLoad || opcode == isa::kOpStore) {
    const isa::ErrorCode error = check_transfer(instruction.transfer, config_.buffer_bytes, args, ddr);
    if (error == isa::kErrNone) copy_block(instruction.transfer, ddr, args, opcode == isa::kOpLoad);
    return error;
  }
  return execute_compute(instruction, views(), config_.accumulator_bits);
}

RunResult IsaInterpreter::run(const std::vector<isa::Instruction>& program, DdrImage& ddr, const ArgWindows& args) {
  RunResult result;
  TokenLedger tokens;
  auto fail = [&](isa::ErrorCode error, uint32_t index) {
    result.error = error;
    result.error_index = index;
    return result;
  };
  for (uint32_t index = 0; index < program.size(); ++index) {
    const isa::Instruction& instruction = program[index];
    const isa::Header& header = instruction.header;
    if (!is_known_opcode(header.opcode)) return fail(isa::kErrUnknownOpcode, index);
    if (header.opcode == isa::kOpEnd) return result;
    if (const isa::ErrorCode error = check_deps(header); error != isa::kErrNone) return fail(error, index);
    const isa::Queue queue = isa::queue_of(header.opcode);
    if (!tokens.pop(queue, header.deps) && !result.token_underflow_index) result.token_underflow_index = index;
    if (const isa::ErrorCode error = execute(instruction, ddr, args); error != isa::kErrNone) return fail(error, index);
    tokens.push(queue, header.deps);
    ++result.executed;
  }
  return fail(isa::kErrNoEnd, static_cast<uint32_t>(program.size()));
}

}  // namespace dlvp::ref
