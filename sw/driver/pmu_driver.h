// Driver of the PMU: a consistent snapshot of time, events and energy per memory-hierarchy level.
#pragma once
#include "ip/pmu/pmu_regs.h"

#include <stdint.h>

namespace drv {

struct PmuSnapshot {
  uint64_t time_ns;
  uint64_t events[dlvp::pmu::kLevels];
  uint64_t energy_milli[dlvp::pmu::kLevels];  // thousandths of the unit: fJ, or milli-MAC
  uint64_t static_milli[dlvp::pmu::kLevels];  // the static part of energy_milli (standby, refresh, leakage)
  bool normalized;                             // energy unit is MAC (normalized table), not pJ

  uint64_t total_energy_milli() const {
    uint64_t sum = 0;
    for (uint64_t e : energy_milli) sum += e;
    return sum;
  }
  uint64_t total_static_milli() const {
    uint64_t sum = 0;
    for (uint64_t e : static_milli) sum += e;
    return sum;
  }
};

class Pmu {
 public:
  bool init();  // false when the SoC has no PMU
  PmuSnapshot snapshot();
  static const char* level_name(uint32_t level);
  // Prints "level: energy share static dynamic (events)" lines for the difference between two
  // snapshots, with units, then the static and dynamic totals; energy and events divided by `per`
  // (e.g. the number of images).
  static void print_energy(const PmuSnapshot& before, const PmuSnapshot& after, uint64_t per = 1);

 private:
  uint64_t base_ = 0;
};

}  // namespace drv
