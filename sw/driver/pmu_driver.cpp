#include "sw/driver/pmu_driver.h"

#include "ip/common/soc_map.h"
#include "sw/hal/hal.h"

namespace drv {

bool Pmu::init() {
  hal::Device d;
  if (!hal::find_device(dlvp::soc::kDevPmu, &d)) return false;
  base_ = d.base;
  return hal::read32(base_ + dlvp::pmu::ID) == dlvp::pmu::kMagic;
}

PmuSnapshot Pmu::snapshot() {
  PmuSnapshot s{};
  hal::write32(base_ + dlvp::pmu::SNAPSHOT, 1);
  s.time_ns = hal::read64(base_ + dlvp::pmu::TIME_NS);
  for (uint32_t level = 0; level < dlvp::pmu::kLevels; ++level) {
    s.events[level] = hal::read64(base_ + dlvp::pmu::events_reg(level));
    s.energy_milli[level] = hal::read64(base_ + dlvp::pmu::energy_reg(level));
    s.static_milli[level] = hal::read64(base_ + dlvp::pmu::static_energy_reg(level));
  }
  s.normalized = hal::read32(base_ + dlvp::pmu::ENERGY_UNIT) != 0;
  s.accel_jobs = hal::read64(base_ + dlvp::pmu::ACCEL_JOBS);
  s.accel_job_ns = hal::read64(base_ + dlvp::pmu::ACCEL_JOB_TIME_NS);
  s.accel_engine_busy_ns = hal::read64(base_ + dlvp::pmu::ACCEL_ENGINE_BUSY_NS);
  s.accel_memory_stall_ns = hal::read64(base_ + dlvp::pmu::ACCEL_MEMORY_STALL_NS);
  s.accel_store_tail_ns = hal::read64(base_ + dlvp::pmu::ACCEL_STORE_TAIL_NS);
  s.accel_other_ns = hal::read64(base_ + dlvp::pmu::ACCEL_OTHER_NS);
  s.power_interval_ns = hal::read64(base_ + dlvp::pmu::POWER_INTERVAL_NS);
  s.power_samples = hal::read64(base_ + dlvp::pmu::POWER_SAMPLES);
  for (uint32_t level = 0; level <= dlvp::pmu::kLevels; ++level) {  // [kLevels]: the TOTAL registers
    s.average_power_milli[level] = hal::read64(base_ + dlvp::pmu::avg_power_reg(level));
    s.peak_power_milli[level] = hal::read64(base_ + dlvp::pmu::peak_power_reg(level));
  }
  return s;
}

const char* Pmu::level_name(uint32_t level) {
  static const char* names[dlvp::pmu::kLevels] = {"dram", "buffer", "array", "rf", "mac", "other"};
  return level < dlvp::pmu::kLevels ? names[level] : "?";
}

namespace {

// "12.345 nJ" (fJ -> nJ, pJ table) or "12.345 MAC" (milli-MAC), divided by `divisor` (unit x per).
void print_milli(uint64_t value, uint64_t divisor, const char* unit) {
  hal::console_printf("%10llu.%03llu %s", static_cast<unsigned long long>(value / divisor),
                      static_cast<unsigned long long>((value % divisor) * 1000 / divisor), unit);
}

}  // namespace

void Pmu::print_energy(const PmuSnapshot& before, const PmuSnapshot& after, uint64_t per) {
  // fJ -> nJ with three decimals (pJ table), or milli-MAC -> MAC; divided by `per` (e.g. per image).
  const char* unit = after.normalized ? "MAC" : "nJ";
  const uint64_t divisor = (after.normalized ? 1000 : 1000000) * (per ? per : 1);
  const uint64_t total = after.total_energy_milli() - before.total_energy_milli();
  for (uint32_t level = 0; level < dlvp::pmu::kLevels; ++level) {
    const uint64_t e = after.energy_milli[level] - before.energy_milli[level];
    const uint64_t s = after.static_milli[level] - before.static_milli[level];
    const uint64_t permille = total ? e * 1000 / total : 0;
    hal::console_printf("  %-7s", level_name(level));
    print_milli(e, divisor, unit);
    hal::console_printf(" %3llu.%llu %%  static", static_cast<unsigned long long>(permille / 10),
                        static_cast<unsigned long long>(permille % 10));
    print_milli(s, divisor, unit);
    hal::console_printf("  dynamic");
    print_milli(e - s, divisor, unit);
    hal::console_printf("  (%llu events)\n",
                        static_cast<unsigned long long>((after.events[level] - before.events[level]) / (per ? per : 1)));
  }
  const uint64_t total_static = after.total_static_milli() - before.total_static_milli();
  hal::console_printf("  total  ");
  print_milli(total, divisor, unit);
  hal::console_printf("          static");
  print_milli(total_static, divisor, unit);
  hal::console_printf("  dynamic");
  print_milli(total - total_static, divisor, unit);
  hal::console_printf("\n");
}

void Pmu::print_power(const PmuSnapshot& s) {
  // uW -> mW (pJ table), or milli-MAC/ns -> MAC/us, with three decimals.
  const char* unit = s.normalized ? "MAC/us" : "mW";
  hal::console_printf("  power over %llu ns, peak of %llu-ns intervals (%llu samples):\n",
                      static_cast<unsigned long long>(s.time_ns), static_cast<unsigned long long>(s.power_interval_ns),
                      static_cast<unsigned long long>(s.power_samples));
  for (uint32_t level = 0; level <= dlvp::pmu::kLevels; ++level) {
    hal::console_printf("  %-7s average", level < dlvp::pmu::kLevels ? level_name(level) : "total");
    print_milli(s.average_power_milli[level], 1000, unit);
    hal::console_printf("  peak");
    print_milli(s.peak_power_milli[level], 1000, unit);
    hal::console_write("\n");
  }
}

void Pmu::print_accelerator_time(const PmuSnapshot& before, const PmuSnapshot& after) {
  const uint64_t jobs = after.accel_jobs - before.accel_jobs;
  const uint64_t total = after.accel_job_ns - before.accel_job_ns;
  const auto share = [&](const char* name, uint64_t ns) {
    const uint64_t permille = total ? ns * 1000 / total : 0;
    hal::console_printf(", %s %llu.%llu %%", name, static_cast<unsigned long long>(permille / 10),
                        static_cast<unsigned long long>(permille % 10));
  };
  hal::console_printf("  %llu jobs, %llu ns", static_cast<unsigned long long>(jobs), static_cast<unsigned long long>(total));
  share("engine busy", after.accel_engine_busy_ns - before.accel_engine_busy_ns);
  share("memory stall", after.accel_memory_stall_ns - before.accel_memory_stall_ns);
  share("store tail", after.accel_store_tail_ns - before.accel_store_tail_ns);
  share("other", after.accel_other_ns - before.accel_other_ns);
  hal::console_write("\n");
}

}  // namespace drv
