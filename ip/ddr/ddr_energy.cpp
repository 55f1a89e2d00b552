#include "ddr_energy.h"

#include "ip/common/config_error.h"

#include <sstream>

namespace dlvp {

DdrCommandEnergies DdrCommandEnergies::from_currents(const DdrTiming& t, bool slow_exit) {
  const double devices = t.devices_per_rank();
  const double tck_ns = double(t.tCK_ps) / 1000.0;
  // mA x V = mW = pJ/ns; times ns gives pJ.
  auto energy = [&](double current_ma, double cycles) { return t.VDD * current_ma * cycles * tck_ns * devices; };
  DdrCommandEnergies e;
  e.activate = energy(t.IDD0 - t.IDD3N, t.tRAS);
  e.precharge = energy(t.IDD0 - t.IDD2N, t.tRP);
  e.read_burst = energy(t.IDD4R - t.IDD3N, t.burst_cycles());
  e.write_burst = energy(t.IDD4W - t.IDD3N, t.burst_cycles());
  e.refresh = energy(t.IDD5 - t.IDD3N, t.tRFC);
  const double state_current[kDdrPowerStates] = {t.IDD3N, t.IDD2N, t.IDD3P, slow_exit ? t.IDD2P0 : t.IDD2P1, t.IDD6};
  for (int s = 0; s < kDdrPowerStates; ++s) e.state_power[s] = t.VDD * state_current[s] * devices;
  return e;
}

DdrEnergy::DdrEnergy(EnergyLedger& ledger, const std::string& module, unsigned channel, const DdrTiming& timing,
                     bool slow_exit)
    : ledger_(&ledger), uses_table_(ledger.tech().has(kTableEntry)) {
  const std::string prefix = "ch" + std::to_string(channel) + ".";
  if (uses_table_) {
    register_table_model(module, prefix, timing);
    return;
  }
  const std::string& unit = ledger.tech().unit();
  if (!unit.empty() && unit != "pJ")
    throw ConfigError(ledger.tech().path() + ": technology table '" + ledger.tech().name() + "' is in unit '" + unit +
                      "' but has no entry '" + kTableEntry + "'; DDR energies from IDD currents are in pJ");
  register_current_model(module, prefix, timing, slow_exit);
}

void DdrEnergy::register_table_model(const std::string& module, const std::string& prefix, const DdrTiming& timing) {
  units_per_burst_ = timing.burst_bytes() / 8 ? timing.burst_bytes() / 8 : 1;
  read_ = ledger_->add_counter_from_table(module, prefix + "read_64b", Level::dram, Action::read, kTableEntry);
  write_ = ledger_->add_counter_from_table(module, prefix + "write_64b", Level::dram, Action::write, kTableEntry);
}

void DdrEnergy::register_current_model(const std::string& module, const std::string& prefix, const DdrTiming& t,
                                       bool slow_exit) {
  const DdrCommandEnergies e = DdrCommandEnergies::from_currents(t, slow_exit);
  std::ostringstream per_rank;
  per_rank << " per device x " << t.devices_per_rank() << " devices; preset " << t.name << ": VDD " << t.VDD
           << " V, tCK " << t.tCK_ps << " ps, IDD0 " << t.IDD0 << ", IDD2N " << t.IDD2N << ", IDD3N " << t.IDD3N
           << ", IDD4R " << t.IDD4R << ", IDD4W " << t.IDD4W << ", IDD5 " << t.IDD5 << ", IDD2P0 " << t.IDD2P0
           << ", IDD2P1 " << t.IDD2P1 << ", IDD3P " << t.IDD3P << ", IDD6 " << t.IDD6 << " mA";
  const std::string tail = per_rank.str();
  auto command = [&](const std::string& name, Action action, double energy, const char* unit, const std::string& formula,
                     bool static_energy = false) {
    return ledger_->add_counter(
        CounterSpec{module, prefix + name, Level::dram, action, energy, unit, formula + tail, static_energy});
  };
  activate_ = command("activate", Action::update, e.activate, "activate",
                      "VDD x (IDD0 - IDD3N) x tRAS (" + std::to_string(t.tRAS) + " tCK)");
  precharge_ = command("precharge", Action::update, e.precharge, "precharge",
                       "VDD x (IDD0 - IDD2N) x tRP (" + std::to_string(t.tRP) + " tCK)");
  read_ = command("read_burst", Action::read, e.read_burst, "burst",
                  "VDD x (IDD4R - IDD3N) x BL/" + std::to_string(t.data_rate) + " x tCK");
  write_ = command("write_burst", Action::write, e.write_burst, "burst",
                   "VDD x (IDD4W - IDD3N) x BL/" + std::to_string(t.data_rate) + " x tCK");
  refresh_ = command("refresh", Action::update, e.refresh, "refresh",
                     "VDD x (IDD5 - IDD3N) x tRFC (" + std::to_string(t.tRFC) + " tCK)", true);
  const char* state_current[kDdrPowerStates] = {
      "IDD3N (a row open)", "IDD2N (all banks closed)", "IDD3P (CKE low, a row open)",
      slow_exit ? "IDD2P0 (CKE low, all banks closed, DLL off)" : "IDD2P1 (CKE low, all banks closed, DLL on)",
      "IDD6 (the device refreshes itself)"};
  for (int s = 0; s < kDdrPowerStates; ++s)
    state_ns_[s] = command(to_string(static_cast<DdrPowerState>(s)), Action::update, e.state_power[s], "ns",
                           std::string("VDD x ") + state_current[s] + " per ns a rank is in this state", true);
}

void DdrEnergy::state_time_ps(DdrPowerState state, uint64_t ps) {
  if (uses_table_) return;
  const int s = static_cast<int>(state);
  state_ps_[s] += ps;
  const uint64_t whole_ns = state_ps_[s] / 1000;
  if (whole_ns > state_ns_counted_[s]) {
    ledger_->count(state_ns_[s], whole_ns - state_ns_counted_[s]);
    state_ns_counted_[s] = whole_ns;
  }
}

}  // namespace dlvp
