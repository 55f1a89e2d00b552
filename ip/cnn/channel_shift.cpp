// The per-channel output shift table of CONV and FC (ISA version 3).
#include "ip/cnn/channel_shift.h"

#include "ip/common/range_check.h"

namespace dlvp::cnn {

isa::ErrorCode check_channel_shifts(uint16_t flags, uint32_t offset, uint32_t channels, const BufferSet& buffers) {
  if (!uses_channel_shifts(flags)) return isa::kErrNone;
  if (!range_within(offset, channels, 0, buffers.size[isa::kBufWeight])) return isa::kErrBufferOverrun;
  if (!buffers.data[isa::kBufWeight]) return isa::kErrNone;  // sizes only (a static check): entries unknown
  const int8_t* table = channel_shift_table(flags, offset, buffers);
  for (uint32_t oc = 0; oc < channels; ++oc)
    if (table[oc] < -31 || table[oc] > 31) return isa::kErrBadField;
  return isa::kErrNone;
}

const int8_t* channel_shift_table(uint16_t flags, uint32_t offset, const BufferSet& buffers) {
  if (!uses_channel_shifts(flags)) return nullptr;
  return reinterpret_cast<const int8_t*>(buffers.data[isa::kBufWeight] + offset);
}

}  // namespace dlvp::cnn
