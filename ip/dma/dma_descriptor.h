// What a DMA job is: a 2-D strided block copy (descriptor), the checks a descriptor must pass
// before anything moves, and the walk that cuts the block into bursts.
#pragma once
#include "dma_regs.h"

#include <array>
#include <cstdint>
#include <vector>

namespace dlvp {

using dma::DmaErrorCode;

// `rows` rows of `row_bytes` bytes; row r starts at src + r * src_stride and is written to
// dst + r * dst_stride. Spaces: dma::kSystemSpace (system bus) or dma::kLocalSpace (buffers).
struct DmaDescriptor {
  uint64_t src = 0;
  uint64_t dst = 0;
  uint32_t rows = 1;
  uint32_t row_bytes = 0;
  uint32_t src_stride = 0;  // bytes; may be smaller than row_bytes (re-reading rows is harmless)
  uint32_t dst_stride = 0;  // bytes; must be >= row_bytes when rows > 1
  int src_space = dma::kSystemSpace;
  int dst_space = dma::kSystemSpace;

  uint64_t total_bytes() const { return uint64_t{rows} * row_bytes; }
};

// A span of one address space the DMA may move data from or to.
struct AddressRange {
  uint64_t base = 0;
  uint64_t size = 0;
};

// Valid ranges of the two spaces, indexed by dma::DmaSpace.
using SpaceRanges = std::array<std::vector<AddressRange>, 2>;

// Checks shape, then that every source and destination row lies inside one valid range of its
// space. Returns DmaErrorCode::none when the job may run. Never touches memory.
DmaErrorCode validate_descriptor(const DmaDescriptor& d, const SpaceRanges& ranges);

// True when rows of `row_bytes` starting at first, first + stride, ... each fit inside a range.
bool rows_inside_ranges(uint64_t first, uint32_t stride, uint32_t rows, uint32_t row_bytes,
                        const std::vector<AddressRange>& ranges);

struct DmaBurst {
  uint64_t src = 0;
  uint64_t dst = 0;
  uint32_t bytes = 0;
};

// Cuts a validated descriptor into bursts of at most burst_bytes that never cross a burst_bytes
// boundary of the source address (so memory bursts stay aligned) nor the end of a row. Rows that
// are contiguous on both sides are walked as one long row.
class BurstWalker {
 public:
  BurstWalker(const DmaDescriptor& d, uint32_t burst_bytes);
  bool done() const { return row_ >= rows_; }
  DmaBurst next();

 private:
  uint64_t src_, dst_;
  uint64_t src_stride_, dst_stride_;
  uint64_t rows_, row_bytes_;
  uint32_t burst_bytes_;
  uint64_t row_ = 0, offset_ = 0;  // position of the next burst
};

}  // namespace dlvp
