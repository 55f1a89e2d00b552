// Energy counters of one DDR channel in the ledger (level dram).
//
// Default: the current-based model from the preset's IDD figures, per device x devices per rank
// (mA x V x ns = pJ): commands (activate, precharge, read/write burst, refresh; dynamic except
// refresh) and the time a rank spends in each power state (static): active and precharge standby
// (IDD3N, IDD2N), active and precharge power-down (IDD3P, IDD2P1 or with the DLL off IDD2P0),
// self-refresh (IDD6). If the technology table has an entry `dram_access_64b` (normalized
// tables), every 64 bits transferred count that entry instead and no command or state counters
// are registered.
//
// Attribution: commands and bursts are counted under the tag of the transaction that caused them
// (resolved by the controller: energy_tag_of / tag_or_current); refreshes, the precharges they
// and the power states force, and the state times under the current tag: no transaction causes them.
#pragma once
#include "ddr_power_state.h"
#include "ddr_timing.h"
#include "ip/common/energy_ledger.h"

#include <array>
#include <string>

namespace dlvp {

// Energies of one command on a whole rank, in pJ; power of a rank in each state in pJ/ns (mW).
struct DdrCommandEnergies {
  double activate = 0, precharge = 0, read_burst = 0, write_burst = 0, refresh = 0;
  std::array<double, kDdrPowerStates> state_power{};  // by DdrPowerState

  // `slow_exit`: precharge power-down with the DLL off (IDD2P0 instead of IDD2P1).
  static DdrCommandEnergies from_currents(const DdrTiming& timing, bool slow_exit = false);
};

class DdrEnergy {
 public:
  static constexpr const char* kTableEntry = "dram_access_64b";

  // Throws ConfigError if the table has neither `dram_access_64b` nor the unit pJ.
  DdrEnergy(EnergyLedger& ledger, const std::string& module, unsigned channel, const DdrTiming& timing,
            bool slow_exit);

  bool uses_table() const { return uses_table_; }
  void activate(TagId tag) { if (!uses_table_) ledger_->count_tagged(activate_, 1, tag); }
  void precharge(TagId tag) { if (!uses_table_) ledger_->count_tagged(precharge_, 1, tag); }
  void refresh(uint64_t n) { if (!uses_table_) ledger_->count(refresh_, n); }
  void read_bursts(uint64_t n, TagId tag) { ledger_->count_tagged(read_, n * units_per_burst_, tag); }
  void write_bursts(uint64_t n, TagId tag) { ledger_->count_tagged(write_, n * units_per_burst_, tag); }
  TagId current_tag() const { return ledger_->tag(); }  // for what no transaction causes
  // Time a rank spent in a power state; the ledger counts whole ns, the remainder is carried.
  void state_time_ps(DdrPowerState state, uint64_t ps);

 private:
  void register_current_model(const std::string& module, const std::string& prefix, const DdrTiming& timing,
                              bool slow_exit);
  void register_table_model(const std::string& module, const std::string& prefix, const DdrTiming& timing);

  EnergyLedger* ledger_;
  bool uses_table_;
  uint64_t units_per_burst_ = 1;   // counts per burst: 1, or 64-bit words in table mode
  CounterId activate_ = 0, precharge_ = 0, refresh_ = 0, read_ = 0, write_ = 0;
  std::array<CounterId, kDdrPowerStates> state_ns_{};
  std::array<uint64_t, kDdrPowerStates> state_ps_{}, state_ns_counted_{};
};

}  // namespace dlvp
