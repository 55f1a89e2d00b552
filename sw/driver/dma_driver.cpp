#include "sw/driver/dma_driver.h"

#include "ip/common/soc_map.h"
#include "sw/hal/hal.h"

namespace drv {

using namespace dlvp::dma;

bool Dma::init(Intc* intc) {
  hal::Device d;
  if (!hal::find_device(dlvp::soc::kDevDma, &d)) return false;
  base_ = d.base;
  irq_ = d.irq;
  intc_ = intc;
  channels_ = hal::read32(base_ + CHANNELS);
  if (irq_ != dlvp::soc::kNoIrq) intc_->enable(irq_);
  return true;
}

void Dma::start(uint32_t channel, const DmaTransfer& t) {
  hal::write64(reg(channel, SRC_ADDR), t.source);
  hal::write64(reg(channel, DST_ADDR), t.destination);
  hal::write32(reg(channel, ROWS), t.rows);
  hal::write32(reg(channel, ROW_BYTES), t.row_bytes);
  hal::write32(reg(channel, SRC_STRIDE), t.source_stride);
  hal::write32(reg(channel, DST_STRIDE), t.destination_stride);
  hal::write32(reg(channel, CTRL), kCtrlStart | kCtrlIrqEnable | (t.source_local ? kCtrlSrcSpace : 0) |
                                       (t.destination_local ? kCtrlDstSpace : 0));
}

DmaResult Dma::wait(uint32_t channel) {
  // The interrupt is shared by the channels: wait until this channel has finished.
  while (!(hal::read32(reg(channel, STATUS)) & (kStatusDone | kStatusError))) intc_->wait_for(irq_);
  const uint32_t status = hal::read32(reg(channel, STATUS));
  DmaResult r{DmaErrorCode::none, hal::read64(reg(channel, BYTES_DONE))};
  if (status & kStatusError) r.error = static_cast<DmaErrorCode>(hal::read32(reg(channel, ERROR_CODE)));
  hal::write32(reg(channel, STATUS), kStatusDone | kStatusError);  // W1C; drops the interrupt
  return r;
}

}  // namespace drv
