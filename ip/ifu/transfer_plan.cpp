#include "transfer_plan.h"

#include <limits>

namespace dlvp::ifu {

namespace {

// Plane p + 1 starts where row `rows` of plane p would: the planes form one taller 2-D block.
bool planes_continue_rows(uint32_t rows, uint32_t row_stride, uint32_t plane_stride) {
  return uint64_t{rows} * row_stride == plane_stride;
}

}  // namespace

TransferPlan::TransferPlan(const isa::Transfer& t, uint64_t ddr_address, uint64_t buffer_address) {
  // The DDR side and the buffer side; a LOAD reads the first and writes the second, a STORE the reverse.
  struct Side {
    uint64_t address;
    int space;
    uint32_t row_stride, plane_stride;
  };
  const Side ddr{ddr_address, dma::kSystemSpace, t.ddr_row_stride, t.ddr_plane_stride};
  const Side buffer{buffer_address, dma::kLocalSpace, t.buffer_row_stride, t.buffer_plane_stride};
  const bool load = t.header.opcode == isa::kOpLoad;
  const Side& src = load ? ddr : buffer;
  const Side& dst = load ? buffer : ddr;
  first_.rows = t.rows;
  first_.row_bytes = t.row_bytes;
  first_.src = src.address;
  first_.src_space = src.space;
  first_.src_stride = src.row_stride;
  first_.dst = dst.address;
  first_.dst_space = dst.space;
  first_.dst_stride = dst.row_stride;
  src_step_ = src.plane_stride;
  dst_step_ = dst.plane_stride;
  jobs_ = t.planes;
  if (t.planes > 1) merge_planes(t.rows, t.planes);
}

void TransferPlan::merge_planes(uint32_t rows, uint32_t planes) {
  const uint64_t merged_rows = uint64_t{rows} * planes;
  // With one row per plane the row stride is unused: the plane stride becomes the row stride.
  const uint32_t src_stride = rows == 1 ? static_cast<uint32_t>(src_step_) : first_.src_stride;
  const uint32_t dst_stride = rows == 1 ? static_cast<uint32_t>(dst_step_) : first_.dst_stride;
  if (merged_rows > std::numeric_limits<uint32_t>::max()) return;
  if (!planes_continue_rows(rows, src_stride, static_cast<uint32_t>(src_step_)) ||
      !planes_continue_rows(rows, dst_stride, static_cast<uint32_t>(dst_step_)))
    return;
  if (dst_stride < first_.row_bytes) return;  // overlapping destination planes: the DMA would refuse one job
  first_.rows = static_cast<uint32_t>(merged_rows);
  first_.src_stride = src_stride;
  first_.dst_stride = dst_stride;
  jobs_ = 1;
}

DmaDescriptor TransferPlan::job(uint32_t j) const {
  DmaDescriptor d = first_;
  d.src += uint64_t{j} * src_step_;
  d.dst += uint64_t{j} * dst_step_;
  return d;
}

}  // namespace dlvp::ifu
