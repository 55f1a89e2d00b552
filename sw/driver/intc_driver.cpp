#include "sw/driver/intc_driver.h"

#include "ip/periph/intc_regs.h"
#include "ip/common/soc_map.h"
#include "sw/hal/hal.h"

namespace drv {

bool Intc::init() {
  hal::Device d;
  if (!hal::find_device(dlvp::soc::kDevIntc, &d)) return false;
  base_ = d.base;
  return true;
}

void Intc::enable(uint32_t source) {
  hal::write32(base_ + dlvp::intc::ENABLE, hal::read32(base_ + dlvp::intc::ENABLE) | (1u << source));
}

void Intc::disable(uint32_t source) {
  hal::write32(base_ + dlvp::intc::ENABLE, hal::read32(base_ + dlvp::intc::ENABLE) & ~(1u << source));
}

uint32_t Intc::claim() { return hal::read32(base_ + dlvp::intc::CLAIM); }
void Intc::complete(uint32_t source) { hal::write32(base_ + dlvp::intc::CLAIM, source); }

void Intc::wait_for(uint32_t source) {
  for (;;) {
    const uint32_t claimed = claim();
    if (claimed == source) {
      complete(claimed);
      return;
    }
    if (claimed != 0) {
      ++spurious_;
      complete(claimed);
      continue;
    }
    hal::wait_for_interrupt();
  }
}

}  // namespace drv
