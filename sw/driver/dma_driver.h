// Driver of the DMA engine: program a channel with a 2-D block transfer, start it, and sleep until
// its completion interrupt.
#pragma once
#include "ip/dma/dma_regs.h"
#include "sw/driver/intc_driver.h"

#include <stdint.h>

namespace drv {

struct DmaTransfer {
  uint64_t source = 0;
  uint64_t destination = 0;
  uint32_t rows = 1;
  uint32_t row_bytes = 0;
  uint32_t source_stride = 0;       // bytes between source row starts
  uint32_t destination_stride = 0;  // bytes between destination row starts
  bool source_local = false;        // source in the accelerators' local buffer space
  bool destination_local = false;

  // A 2-D block: `rows` rows of `row_bytes`, row starts `*_stride` bytes apart.
  static DmaTransfer block(uint64_t source, uint64_t destination, uint32_t rows, uint32_t row_bytes,
                           uint32_t source_stride, uint32_t destination_stride) {
    DmaTransfer t;
    t.source = source;
    t.destination = destination;
    t.rows = rows;
    t.row_bytes = row_bytes;
    t.source_stride = source_stride;
    t.destination_stride = destination_stride;
    return t;
  }
  static DmaTransfer linear(uint64_t source, uint64_t destination, uint32_t bytes) {
    return block(source, destination, 1, bytes, bytes, bytes);
  }
};

struct DmaResult {
  dlvp::dma::DmaErrorCode error;
  uint64_t bytes_done;
  bool ok() const { return error == dlvp::dma::DmaErrorCode::none; }
};

class Dma {
 public:
  // Finds the DMA and its interrupt line; enables the line at `intc`. False when absent.
  bool init(Intc* intc);
  uint32_t channels() const { return channels_; }
  void start(uint32_t channel, const DmaTransfer& transfer);
  // Sleeps until the channel's interrupt, then reads and clears its status.
  DmaResult wait(uint32_t channel);
  DmaResult copy(uint32_t channel, const DmaTransfer& transfer) {
    start(channel, transfer);
    return wait(channel);
  }

 private:
  uint64_t reg(uint32_t channel, dlvp::dma::ChannelReg r) const { return base_ + dlvp::dma::channel_reg(channel, r); }

  uint64_t base_ = 0;
  uint32_t irq_ = 0;
  uint32_t channels_ = 0;
  Intc* intc_ = nullptr;
};

}  // namespace drv
