#include "dma_descriptor.h"

#include <algorithm>

namespace dlvp {

namespace {
using u128 = unsigned __int128;  // row arithmetic of a 64-bit address space cannot overflow in 128 bits

bool valid_space(int space) { return space == dma::kSystemSpace || space == dma::kLocalSpace; }
}  // namespace

bool rows_inside_ranges(uint64_t first, uint32_t stride, uint32_t rows, uint32_t row_bytes,
                        const std::vector<AddressRange>& ranges) {
  // Row starts only grow, so once a row leaves a range no later row returns to it: find the
  // range holding the current row, skip every row that also fits there, repeat.
  uint64_t row = 0;
  while (row < rows) {
    const u128 start = u128{first} + u128{row} * stride;
    const u128 end = start + row_bytes;
    u128 best_end = 0;
    for (const AddressRange& r : ranges) {
      const u128 range_end = u128{r.base} + r.size;
      if (start >= r.base && end <= range_end) best_end = std::max(best_end, range_end);
    }
    if (best_end == 0) return false;
    if (stride == 0) return true;
    // Last row index whose end still fits: first + i * stride + row_bytes <= best_end.
    const u128 last_fitting = (best_end - row_bytes - first) / stride;
    row = static_cast<uint64_t>(std::min<u128>(last_fitting, rows)) + 1;
  }
  return true;
}

DmaErrorCode validate_descriptor(const DmaDescriptor& d, const SpaceRanges& ranges) {
  if (d.rows == 0 || d.row_bytes == 0) return DmaErrorCode::zero_size;
  if (d.rows > 1 && d.dst_stride < d.row_bytes) return DmaErrorCode::stride_overlap;
  if (!valid_space(d.src_space) ||
      !rows_inside_ranges(d.src, d.src_stride, d.rows, d.row_bytes, ranges[d.src_space]))
    return DmaErrorCode::src_out_of_range;
  if (!valid_space(d.dst_space) ||
      !rows_inside_ranges(d.dst, d.dst_stride, d.rows, d.row_bytes, ranges[d.dst_space]))
    return DmaErrorCode::dst_out_of_range;
  return DmaErrorCode::none;
}

BurstWalker::BurstWalker(const DmaDescriptor& d, uint32_t burst_bytes)
    : src_(d.src),
      dst_(d.dst),
      src_stride_(d.src_stride),
      dst_stride_(d.dst_stride),
      rows_(d.rows),
      row_bytes_(d.row_bytes),
      burst_bytes_(burst_bytes) {
  const bool contiguous = d.rows == 1 || (d.src_stride == d.row_bytes && d.dst_stride == d.row_bytes);
  if (contiguous) {
    row_bytes_ = d.total_bytes();
    rows_ = d.rows == 0 ? 0 : 1;
  }
}

DmaBurst BurstWalker::next() {
  DmaBurst b;
  b.src = src_ + row_ * src_stride_ + offset_;
  b.dst = dst_ + row_ * dst_stride_ + offset_;
  const uint64_t to_boundary = burst_bytes_ - b.src % burst_bytes_;
  b.bytes = static_cast<uint32_t>(std::min(to_boundary, row_bytes_ - offset_));
  offset_ += b.bytes;
  if (offset_ == row_bytes_) {
    offset_ = 0;
    ++row_;
  }
  return b;
}

}  // namespace dlvp
