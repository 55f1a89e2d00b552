// Driver of the interrupt controller (claim/complete, as a PLIC).
#pragma once
#include <stdint.h>

namespace drv {

class Intc {
 public:
  // Finds the controller through the device table; false when the SoC has none.
  bool init();
  void enable(uint32_t source);
  void disable(uint32_t source);
  uint32_t claim();  // 0 when nothing is pending
  void complete(uint32_t source);
  // Sleeps (wait for interrupt) until `source` is pending, claims and completes it. Interrupts of
  // other sources that arrive meanwhile are completed and counted in spurious().
  void wait_for(uint32_t source);
  uint32_t spurious() const { return spurious_; }

 private:
  uint64_t base_ = 0;
  uint32_t spurious_ = 0;
};

}  // namespace drv
