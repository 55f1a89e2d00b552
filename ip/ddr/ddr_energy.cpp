#include "ddr_energy.h"

#include "ip/common/config_error.h"

#include <sstream>

namespace dlvp {

DdrCommandEnergies DdrCommandEnergies::from_currents(const DdrTiming& t) {
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
  e.standby_power = t.VDD * t.IDD2N * devices;
  e.active_extra_power = t.VDD * (t.IDD3N - t.IDD2N) * devices;
  return e;
}

DdrEnergy::DdrEnergy(EnergyLedger& ledger, const std::string& module, unsigned channel, unsigned ranks,
                     const DdrTiming& timing)
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
  register_current_model(module, prefix, ranks, timing);
}

void DdrEnergy::register_table_model(const std::string& module, const std::string& prefix, const DdrTiming& timing) {
  units_per_burst_ = timing.burst_bytes() / 8 ? timing.burst_bytes() / 8 : 1;
  read_ = ledger_->add_counter_from_table(module, prefix + "read_64b", Level::dram, Action::read, kTableEntry);
  write_ = ledger_->add_counter_from_table(module, prefix + "write_64b", Level::dram, Action::write, kTableEntry);
}

void DdrEnergy::register_current_model(const std::string& module, const std::string& prefix, unsigned ranks,
                                       const DdrTiming& t) {
  const DdrCommandEnergies e = DdrCommandEnergies::from_currents(t);
  std::ostringstream per_rank;
  per_rank << " per device x " << t.devices_per_rank() << " devices; preset " << t.name << ": VDD " << t.VDD
           << " V, tCK " << t.tCK_ps << " ps, IDD0 " << t.IDD0 << ", IDD2N " << t.IDD2N << ", IDD3N " << t.IDD3N
           << ", IDD4R " << t.IDD4R << ", IDD4W " << t.IDD4W << ", IDD5 " << t.IDD5 << " mA";
  const std::string tail = per_rank.str();
  auto command = [&](const char* name, Action action, double energy, const char* unit, const std::string& formula) {
    return ledger_->add_counter(CounterSpec{module, prefix + name, Level::dram, action, energy, unit, formula + tail});
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
                     "VDD x (IDD5 - IDD3N) x tRFC (" + std::to_string(t.tRFC) + " tCK)");
  active_ns_ = command("active_background", Action::update, e.active_extra_power, "ns",
                       "VDD x (IDD3N - IDD2N) per ns a rank has a row open");
  ledger_->add_static(module, prefix + "background", Level::dram, e.standby_power * ranks,
                      "VDD x IDD2N x " + std::to_string(ranks) + " ranks, in pJ/ns" + tail);
}

void DdrEnergy::rank_active_ps(uint64_t ps) {
  if (uses_table_) return;
  active_ps_ += ps;
  const uint64_t whole_ns = active_ps_ / 1000;
  if (whole_ns > active_ns_counted_) {
    ledger_->count(active_ns_, whole_ns - active_ns_counted_);
    active_ns_counted_ = whole_ns;
  }
}

}  // namespace dlvp
