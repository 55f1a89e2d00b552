#include "instruction_checks.h"

#include <sstream>

namespace dlvp::ifu {

namespace {

constexpr uint8_t kDefinedDeps = isa::kPopPrev | isa::kPopNext | isa::kPushPrev | isa::kPushNext;

Verdict fail(isa::ErrorCode code, const std::string& reason) { return Verdict{code, reason}; }

// a * b + c without wrapping; false on overflow.
bool multiply_add(uint64_t a, uint64_t b, uint64_t c, uint64_t& result) {
  uint64_t product = 0;
  return !__builtin_mul_overflow(a, b, &product) && !__builtin_add_overflow(product, c, &result);
}

Verdict check_transfer_fields(const isa::Transfer& t, bool load) {
  std::ostringstream why;
  if (t.arg >= isa::kArgCount) why << "arg " << unsigned{t.arg} << " is not below " << isa::kArgCount;
  else if (t.buffer >= isa::kBufCount) why << "buffer " << unsigned{t.buffer} << " is not below " << unsigned{isa::kBufCount};
  else if (t.planes == 0 || t.rows == 0 || t.row_bytes == 0)
    why << "empty block: " << t.planes << " planes x " << t.rows << " rows x " << t.row_bytes << " B";
  else {
    // The DMA refuses destination rows that overlap; say so at decode rather than as a DMA error.
    const uint32_t destination_stride = load ? t.buffer_row_stride : t.ddr_row_stride;
    if (t.rows > 1 && destination_stride < t.row_bytes)
      why << "destination row stride " << destination_stride << " B is below the row (" << t.row_bytes
          << " B): rows would overlap";
    else return Verdict{};
  }
  return fail(isa::kErrBadField, why.str());
}

}  // namespace

bool block_extent(uint32_t planes, uint32_t rows, uint32_t row_bytes, uint32_t row_stride, uint32_t plane_stride,
                  uint64_t& extent) {
  if (planes == 0 || rows == 0 || row_bytes == 0) return false;
  uint64_t last_row_end = 0;
  return multiply_add(rows - 1u, row_stride, row_bytes, last_row_end) &&
         multiply_add(planes - 1u, plane_stride, last_row_end, extent);
}

isa::Queue previous_queue(isa::Queue queue) {
  switch (queue) {
    case isa::kQueueCompute: return isa::kQueueLoad;
    case isa::kQueueStore: return isa::kQueueCompute;
    default: return isa::kQueueNone;
  }
}

int token_path(isa::Queue from, isa::Queue to) {
  if (from == isa::kQueueLoad) return kLoadToCompute;
  if (from == isa::kQueueStore) return kStoreToCompute;
  return to == isa::kQueueLoad ? kComputeToLoad : kComputeToStore;
}

unsigned pops_of(uint8_t deps) { return ((deps & isa::kPopPrev) ? 1u : 0u) + ((deps & isa::kPopNext) ? 1u : 0u); }
unsigned pushes_of(uint8_t deps) { return ((deps & isa::kPushPrev) ? 1u : 0u) + ((deps & isa::kPushNext) ? 1u : 0u); }

isa::Queue next_queue(isa::Queue queue) {
  switch (queue) {
    case isa::kQueueLoad: return isa::kQueueCompute;
    case isa::kQueueCompute: return isa::kQueueStore;
    default: return isa::kQueueNone;
  }
}

Verdict check_deps(const isa::Header& header) {
  const uint8_t deps = header.deps;
  std::ostringstream why;
  const isa::Queue queue = isa::queue_of(header.opcode);
  if (deps & ~kDefinedDeps) {
    why << "undefined dependency bits 0x" << std::hex << unsigned(deps & ~kDefinedDeps);
  } else if ((deps & (isa::kPopPrev | isa::kPushPrev)) && previous_queue(queue) == isa::kQueueNone) {
    why << opcode_name(header.opcode) << " pops or pushes a token toward a previous queue, which "
        << queue_name(queue) << " does not have";
  } else if ((deps & (isa::kPopNext | isa::kPushNext)) && next_queue(queue) == isa::kQueueNone) {
    why << opcode_name(header.opcode) << " pops or pushes a token toward a next queue, which " << queue_name(queue)
        << " does not have";
  } else {
    return Verdict{};
  }
  return fail(isa::kErrBadDeps, why.str());
}

Verdict check_transfer(const isa::Transfer& t, const ArgWindows& windows, const BufferSizes& buffer_sizes) {
  const bool load = t.header.opcode == isa::kOpLoad;
  if (Verdict v = check_transfer_fields(t, load); !v.ok()) return v;

  uint64_t ddr_extent = 0, buffer_extent = 0;
  const ArgWindow& window = windows[t.arg];
  // Inside the window, and the window's part that holds it does not wrap the address space
  // (ddr_offset + ddr_extent <= window.size cannot overflow once the block is inside the window).
  const bool ddr_fits = block_extent(t.planes, t.rows, t.row_bytes, t.ddr_row_stride, t.ddr_plane_stride, ddr_extent) &&
                        range_within(t.ddr_offset, ddr_extent, 0, window.size) &&
                        range_fits_address_space(window.base, t.ddr_offset + ddr_extent);
  if (!ddr_fits) {
    std::ostringstream why;
    why << "DDR block at offset 0x" << std::hex << t.ddr_offset << " spanning 0x" << ddr_extent
        << " B is not inside argument " << std::dec << unsigned{t.arg} << "'s window (base 0x" << std::hex
        << window.base << ", 0x" << window.size << " B)";
    return fail(isa::kErrAddressWindow, why.str());
  }
  const uint64_t buffer_size = buffer_sizes[t.buffer];
  if (!block_extent(t.planes, t.rows, t.row_bytes, t.buffer_row_stride, t.buffer_plane_stride, buffer_extent) ||
      !range_within(t.buffer_offset, buffer_extent, 0, buffer_size)) {
    std::ostringstream why;
    why << "buffer block at offset " << t.buffer_offset << " spanning " << buffer_extent << " B runs past the end of "
        << "buffer " << unsigned{t.buffer} << " (" << buffer_size << " B)";
    return fail(isa::kErrBufferOverrun, why.str());
  }
  return Verdict{};
}

Verdict check_instruction(const isa::Instruction& instruction, const ArgWindows& windows,
                          const BufferSizes& buffer_sizes) {
  const isa::Header& header = instruction.header;
  if (header.opcode != isa::kOpEnd && isa::queue_of(header.opcode) == isa::kQueueNone) {
    std::ostringstream why;
    why << "opcode 0x" << std::hex << unsigned{header.opcode} << " is not in ISA version " << std::dec << isa::kVersion;
    return fail(isa::kErrUnknownOpcode, why.str());
  }
  if (Verdict v = check_deps(header); !v.ok()) return v;
  if (header.opcode == isa::kOpLoad || header.opcode == isa::kOpStore)
    return check_transfer(instruction.transfer, windows, buffer_sizes);
  return Verdict{};
}

const char* opcode_name(uint8_t opcode) {
  switch (opcode) {
    case isa::kOpEnd: return "END";
    case isa::kOpLoad: return "LOAD";
    case isa::kOpStore: return "STORE";
    case isa::kOpConv: return "CONV";
    case isa::kOpFc: return "FC";
    case isa::kOpPool: return "POOL";
    case isa::kOpEltwise: return "ELTWISE";
    case isa::kOpLstmSpmv: return "LSTM_SPMV";
    case isa::kOpLstmGates: return "LSTM_GATES";
    case isa::kOpGruGates: return "GRU_GATES";
    default: return "UNKNOWN";
  }
}

const char* queue_name(isa::Queue queue) {
  switch (queue) {
    case isa::kQueueLoad: return "load";
    case isa::kQueueCompute: return "compute";
    case isa::kQueueStore: return "store";
    default: return "none";
  }
}

const char* error_name(isa::ErrorCode code) {
  switch (code) {
    case isa::kErrNone: return "none";
    case isa::kErrUnknownOpcode: return "unknown opcode";
    case isa::kErrBadField: return "bad field";
    case isa::kErrBufferOverrun: return "buffer overrun";
    case isa::kErrAddressWindow: return "address outside the argument window";
    case isa::kErrTokenDeadlock: return "token deadlock";
    case isa::kErrDmaError: return "DMA error";
    case isa::kErrFetchError: return "instruction fetch error";
    case isa::kErrBadDeps: return "bad dependency flags";
    case isa::kErrNoEnd: return "no END within INSTR_COUNT";
    case isa::kErrBadStream: return "malformed LSTM weight stream";
  }
  return "unknown error";
}

}  // namespace dlvp::ifu
