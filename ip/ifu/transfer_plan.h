// How a LOAD or STORE becomes DMA jobs: the DMA moves 2-D blocks, so a 3-D transfer is one job per
// plane — or a single job when the planes continue the row pattern on both sides (the block is
// then just a taller 2-D block), which saves the DMA a drain between planes.
#pragma once
#include "isa.h"

#include "ip/dma/dma_descriptor.h"

#include <cstdint>

namespace dlvp::ifu {

class TransferPlan {
 public:
  // `ddr_address`: ARG_BASE[arg] + ddr_offset (system space); `buffer_address`: the engine's
  // buffer_base(buffer) + buffer_offset (local space). The transfer must have passed
  // check_transfer (non-zero sizes, no wrapping).
  TransferPlan(const isa::Transfer& transfer, uint64_t ddr_address, uint64_t buffer_address);

  uint32_t jobs() const { return jobs_; }
  // The DMA descriptor of job j (< jobs()).
  DmaDescriptor job(uint32_t j) const;
  uint64_t total_bytes() const { return uint64_t{jobs_} * first_.total_bytes(); }

 private:
  void merge_planes(uint32_t rows, uint32_t planes);

  DmaDescriptor first_;
  uint32_t jobs_ = 1;
  uint64_t src_step_ = 0, dst_step_ = 0;  // bytes between consecutive jobs' first rows
};

}  // namespace dlvp::ifu
