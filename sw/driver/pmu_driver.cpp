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

}  // namespace drv
