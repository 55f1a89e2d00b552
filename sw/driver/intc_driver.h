// Driver of the interrupt controller (claim/complete, as a PLIC). By default it waits by interrupt:
// its handler (hal::attach_interrupt) counts the source's interrupt and masks the source, whose
// device line stays high until the driver that waits serves the device; wait_for sleeps until its
// source has an interrupt it has not consumed, then unmasks it. In polling mode (set_polling)
// interrupts are disabled and wait_for claims and completes the source itself, sleeping with wfi
// in between.
#pragma once
#include <stdint.h>

#include "ip/periph/intc_regs.h"

namespace drv {

class Intc {
 public:
  // Finds the controller through the device table; false when the SoC has none.
  bool init();
  void enable(uint32_t source);
  void disable(uint32_t source);
  uint32_t claim();  // 0 when nothing is pending
  void complete(uint32_t source);
  // Sleeps until `source` has interrupted since the last wait_for(source) returned (at once if it
  // did meanwhile). Interrupts of other enabled sources are served meanwhile; in polling mode
  // they are completed and counted in spurious().
  void wait_for(uint32_t source);
  // Polling mode: global interrupts off, wait_for claims itself (how the drivers worked before
  // interrupts were enabled; kept to compare and for code that must not be interrupted).
  void set_polling(bool polling);
  uint32_t spurious() const { return spurious_; }
  // Interrupts of `source` served by the handler so far (interrupt mode).
  uint32_t interrupts(uint32_t source) const { return source < dlvp::intc::kMaxSources ? served_[source] : 0; }

 private:
  static void on_interrupt(uint32_t source, void* self);
  void poll_for(uint32_t source);

  uint64_t base_ = 0;
  uint32_t spurious_ = 0;
  bool polling_ = false;
  volatile uint32_t served_[dlvp::intc::kMaxSources] = {};  // written by the handler
  uint32_t consumed_[dlvp::intc::kMaxSources] = {};
};

}  // namespace drv
