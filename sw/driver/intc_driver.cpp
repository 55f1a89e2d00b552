#include "sw/driver/intc_driver.h"

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
  if (source >= dlvp::intc::kMaxSources) return;
  if (polling_) hal::write32(base_ + dlvp::intc::ENABLE, hal::read32(base_ + dlvp::intc::ENABLE) | (1u << source));
  else hal::attach_interrupt(source, &Intc::on_interrupt, this);
}

void Intc::disable(uint32_t source) {
  if (source >= dlvp::intc::kMaxSources) return;
  if (polling_) hal::write32(base_ + dlvp::intc::ENABLE, hal::read32(base_ + dlvp::intc::ENABLE) & ~(1u << source));
  else hal::attach_interrupt(source, nullptr, nullptr);
}

uint32_t Intc::claim() { return hal::read32(base_ + dlvp::intc::CLAIM); }
void Intc::complete(uint32_t source) { hal::write32(base_ + dlvp::intc::CLAIM, source); }

void Intc::set_polling(bool polling) {
  if (polling == polling_) return;
  // The enabled sources stay enabled; only who claims them changes.
  const uint32_t enabled = hal::read32(base_ + dlvp::intc::ENABLE);
  hal::set_interrupts_enabled(!polling);
  polling_ = polling;
  for (uint32_t s = 1; s < dlvp::intc::kMaxSources; ++s)
    if (enabled & (1u << s)) enable(s);
}

void Intc::on_interrupt(uint32_t source, void* self) {
  ++static_cast<Intc*>(self)->served_[source];
  hal::mask_interrupt(source, true);  // until wait_for's caller has served the device
}

void Intc::wait_for(uint32_t source) {
  if (source >= dlvp::intc::kMaxSources) return;
  if (polling_) return poll_for(source);
  struct Pending {
    const Intc* intc;
    uint32_t source;
  } pending{this, source};
  hal::wait_until([](void* p) {
    const Pending& w = *static_cast<const Pending*>(p);
    return w.intc->served_[w.source] != w.intc->consumed_[w.source];
  }, &pending);
  consumed_[source] = served_[source];
  hal::mask_interrupt(source, false);
}

void Intc::poll_for(uint32_t source) {
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
