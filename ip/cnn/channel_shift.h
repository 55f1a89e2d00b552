// Per-output-channel output shifts of CONV and FC (ISA version 3, kFlagChannelShift; docs/isa.md
// "Version 3: per-channel output shifts"): with AccLast and the flag, output channel oc leaves the
// accumulator with the shift at byte oc of an int8 table in the weight buffer instead of the
// instruction's output_shift.
#pragma once
#include "ip/cnn/cnn_arith.h"

#include <cstdint>

namespace dlvp::cnn {

// Whether an instruction with these flags reads a shift table (AccLast and kFlagChannelShift).
constexpr bool uses_channel_shifts(uint16_t flags) {
  return (flags & isa::kFlagAccLast) && (flags & isa::kFlagChannelShift);
}

// The table's check for `channels` outputs at `offset` of the weight buffer: kErrNone when the
// instruction reads no table; kErrBufferOverrun when it lies outside the buffer; kErrBadField when
// an entry is outside -31..31 (the contract's output_shift range; checked after the region, since
// the entries must be readable to be checked). Given only the buffers' sizes (data null, as the
// compiler's static check), the entries are not checked.
isa::ErrorCode check_channel_shifts(uint16_t flags, uint32_t offset, uint32_t channels, const BufferSet& buffers);

// The shift table to use (int8 [channels]), or null when the instruction uses output_shift.
const int8_t* channel_shift_table(uint16_t flags, uint32_t offset, const BufferSet& buffers);

// Channel oc's output shift: its table entry, or `output_shift` without a table.
inline int channel_output_shift(const int8_t* table, uint32_t oc, int output_shift) {
  return table ? table[oc] : output_shift;
}

}  // namespace dlvp::cnn
