#include "pmu.h"

#include "ip/pmu/pmu_regs.h"
#include "ip/common/soc_map.h"

#include <algorithm>
#include <cmath>

namespace dlvp {

Pmu::Pmu(sc_core::sc_module_name name, const PmuConfig& config, const EnergyLedger& ledger)
    : sc_module(name), socket("socket"), config_(config), ledger_(ledger), bank_(this->name(), soc::kRegisterWindowBytes) {
  socket.register_b_transport(this, &Pmu::b_transport);
  socket.register_transport_dbg(this, &Pmu::transport_dbg);
  bank_.add_all(pmu::kRegisters);
  bank_.set(pmu::ENERGY_UNIT, ledger_.unit() == "pJ" ? 0 : 1);
  bank_.on_write(pmu::SNAPSHOT, [this](uint64_t, uint64_t) { snapshot(access_time_); });
}

void Pmu::snapshot(const sc_core::sc_time& at) {
  if (before_snapshot_) before_snapshot_(at);
  const double elapsed_ns = at.to_seconds() * 1e9;
  uint64_t events[kLevelCount] = {};
  for (CounterId id = 0; id < ledger_.counter_count(); ++id) {
    const CounterSpec& s = ledger_.spec(id);
    // Events are accesses and operations; counters of time (static power, open-row ns) are not.
    if (s.action != Action::static_power && s.count_unit != "ns") events[static_cast<int>(s.level)] += ledger_.count_of(id);
  }
  const auto energy = ledger_.energy_split_by_level(elapsed_ns);
  // Thousandths of the table unit (fJ for a pJ table) keep sub-pJ events visible in integers.
  auto milli = [](double value) { return static_cast<uint64_t>(std::llround(value * 1000.0)); };
  for (uint32_t level = 0; level < kLevelCount; ++level) {
    bank_.set(pmu::events_reg(level), events[level]);
    bank_.set(pmu::energy_reg(level), milli(energy[level].total()));
    bank_.set(pmu::static_energy_reg(level), milli(energy[level].static_energy));
  }
  bank_.set(pmu::TIME_NS, static_cast<uint64_t>(std::llround(elapsed_ns)));
  snapshot_power(energy, elapsed_ns);
  if (accelerator_time_) {
    const AcceleratorTime t = accelerator_time_();
    const auto ns = [](int64_t ps) { return static_cast<uint64_t>(std::max<int64_t>(0, ps) / 1000); };
    bank_.set(pmu::ACCEL_JOBS, t.jobs);
    bank_.set(pmu::ACCEL_JOB_TIME_NS, ns(t.job_ps));
    bank_.set(pmu::ACCEL_ENGINE_BUSY_NS, ns(t.engine_busy_ps));
    bank_.set(pmu::ACCEL_MEMORY_STALL_NS, ns(t.memory_stall_ps));
    bank_.set(pmu::ACCEL_STORE_TAIL_NS, ns(t.store_tail_ps));
    bank_.set(pmu::ACCEL_OTHER_NS, ns(t.other_ps));
  }
  ++snapshots_;
}

void Pmu::snapshot_power(const std::array<EnergySplit, kLevelCount>& energy, double elapsed_ns) {
  // Thousandths of the table unit per ns (fJ/ns = uW for a pJ table), as the energies.
  auto milli = [](double value) { return static_cast<uint64_t>(std::llround(std::max(0.0, value) * 1000.0)); };
  double total = 0;
  for (uint32_t level = 0; level < kLevelCount; ++level) {
    const double average = elapsed_ns > 0 ? energy[level].total() / elapsed_ns : 0;
    total += average;
    bank_.set(pmu::avg_power_reg(level), milli(average));
  }
  bank_.set(pmu::AVG_POWER_TOTAL, milli(total));
  if (!power_) return;
  bank_.set(pmu::POWER_INTERVAL_NS, static_cast<uint64_t>(std::llround(power_->interval_ns())));
  bank_.set(pmu::POWER_SAMPLES, power_->samples());
  for (uint32_t level = 0; level < kLevelCount; ++level) bank_.set(pmu::peak_power_reg(level), milli(power_->peak().level[level]));
  bank_.set(pmu::PEAK_POWER_TOTAL, milli(power_->peak().total));
}

void Pmu::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  access_time_ = sc_core::sc_time_stamp() + delay;
  bank_.b_transport(trans, delay);
  delay += config_.timing.access_delay();
  access_stats_.count(trans);
}

unsigned int Pmu::transport_dbg(tlm::tlm_generic_payload& trans) {
  access_time_ = sc_core::sc_time_stamp();
  return bank_.transport_dbg(trans);
}

void Pmu::report(nlohmann::json& out, double) const {
  access_stats_.report(out);
  out["snapshots"] = snapshots_;
}

}  // namespace dlvp
