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
  // The accelerator's completed jobs and their time (ns) split as the layer tables split it.
  uint64_t accel_jobs, accel_job_ns, accel_engine_busy_ns, accel_memory_stall_ns, accel_store_tail_ns, accel_other_ns;
  // Power from time 0 to the snapshot, thousandths of the unit per ns (uW, or milli-MAC/ns); per
  // level, then the total at [kLevels]. The peak is the highest average over one interval of
  // power_interval_ns (a shorter interval shows higher peaks).
  uint64_t power_interval_ns, power_samples;
  uint64_t average_power_milli[dlvp::pmu::kLevels + 1];
  uint64_t peak_power_milli[dlvp::pmu::kLevels + 1];

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
  // Prints the accelerator's job time between two snapshots and its parts (engine busy, memory
  // stall, store tail, other) as shares.
  static void print_accelerator_time(const PmuSnapshot& before, const PmuSnapshot& after);
  // Prints "level: average peak" lines of a snapshot (mW, or MAC/us), with the interval of the peak.
  static void print_power(const PmuSnapshot& s);

 private:
  uint64_t base_ = 0;
};

}  // namespace drv
