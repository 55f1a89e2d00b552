// What the instruction fetch unit checks when it decodes an instruction (docs/ifu.md, "Errors"):
// the opcode, the dependency flags, and for LOAD/STORE the fields, the DDR argument window and the
// on-chip buffer bounds. Compute instructions' own fields are checked by the compute engine.
// Plain functions of the instruction and the job's windows: no SystemC, no state.
#pragma once
#include "isa.h"

#include "ip/common/range_check.h"

#include <array>
#include <cstdint>
#include <string>

namespace dlvp::ifu {

// A job argument: its DDR window [base, base + size) (ARG_BASEn / ARG_SIZEn).
struct ArgWindow {
  uint64_t base = 0;
  uint64_t size = 0;
};
using ArgWindows = std::array<ArgWindow, isa::kArgCount>;
using BufferSizes = std::array<uint64_t, isa::kBufCount>;

// The outcome of a check: kErrNone, or an error with a sentence saying why (for the log).
struct Verdict {
  isa::ErrorCode code = isa::kErrNone;
  std::string reason;

  bool ok() const { return code == isa::kErrNone; }
};

// Bytes from the first byte of a `planes` x `rows` x `row_bytes` block to one past its last byte
// (strides are non-negative, so the last byte is that of the last row of the last plane). False
// when a size is zero or the extent does not fit in 64 bits.
bool block_extent(uint32_t planes, uint32_t rows, uint32_t row_bytes, uint32_t row_stride, uint32_t plane_stride,
                  uint64_t& extent);

// The previous/next neighbour of a queue in the chain load <-> compute <-> store, or kQueueNone.
isa::Queue previous_queue(isa::Queue queue);
isa::Queue next_queue(isa::Queue queue);

// The four token paths between neighbouring queues, and the one a token from `from` to `to` takes.
enum TokenPath { kLoadToCompute, kComputeToLoad, kComputeToStore, kStoreToCompute, kTokenPaths };
int token_path(isa::Queue from, isa::Queue to);
// Token handshakes of an instruction (one IFU cycle each): its pops, its pushes.
unsigned pops_of(uint8_t deps);
unsigned pushes_of(uint8_t deps);

// Dependency flags: only the four defined bits, and none toward a neighbour that does not exist
// (END belongs to no queue, so it may carry none). kErrBadDeps otherwise.
Verdict check_deps(const isa::Header& header);

// LOAD/STORE: arg < kArgCount, buffer < kBufCount, non-zero sizes and a destination row stride
// that keeps rows apart (kErrBadField); the whole DDR block inside its argument window and not
// wrapping the address space (kErrAddressWindow); the whole buffer block inside the buffer
// (kErrBufferOverrun).
Verdict check_transfer(const isa::Transfer& transfer, const ArgWindows& windows, const BufferSizes& buffer_sizes);

// Everything the IFU checks at decode, in this order: opcode, dependency flags, transfer fields.
Verdict check_instruction(const isa::Instruction& instruction, const ArgWindows& windows,
                          const BufferSizes& buffer_sizes);

const char* opcode_name(uint8_t opcode);   // "LOAD", ... or "UNKNOWN"
const char* queue_name(isa::Queue queue);  // "load", "compute", "store", "none"
const char* error_name(isa::ErrorCode code);

}  // namespace dlvp::ifu
