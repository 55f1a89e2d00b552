#include "pmu.h"

#include "ip/pmu/pmu_regs.h"
#include "ip/common/soc_map.h"

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
  ++snapshots_;
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
