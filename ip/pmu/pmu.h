// Performance monitoring unit: the energy ledger's per-level figures as registers, so software
// reads on the platform what a report shows after it, as on silicon (docs/architecture.md).
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/register_bank.h"
#include "ip/common/register_window.h"
#include "ip/common/reportable.h"
#include "ip/pmu/power_monitor.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <functional>

namespace dlvp {

struct PmuConfig {
  RegisterTiming timing;
  static void bind(ParamBinder& b, PmuConfig& c) { RegisterTiming::bind(b, c.timing); }
};

// The accelerator's completed jobs and their time split as the per-layer reports split it
// (docs/ifu.md, "Layer time"), in picoseconds; the SoC gives the PMU a source of them (the IFU).
struct AcceleratorTime {
  uint64_t jobs = 0;
  int64_t job_ps = 0, engine_busy_ps = 0, memory_stall_ps = 0, store_tail_ps = 0, other_ps = 0;
};

class Pmu : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<Pmu> socket;

  Pmu(sc_core::sc_module_name name, const PmuConfig& config, const EnergyLedger& ledger);

  // Called before a snapshot so that lazily accounted counters (DRAM refresh, open-row time) are
  // brought up to the snapshot time.
  void set_before_snapshot(std::function<void(const sc_core::sc_time&)> hook) { before_snapshot_ = std::move(hook); }

  // Where ACCEL_* come from at a snapshot (none: they stay 0).
  void set_accelerator_time(std::function<AcceleratorTime()> source) { accelerator_time_ = std::move(source); }

  // Where PEAK_POWER_* and POWER_SAMPLES come from (none: they stay 0).
  void set_power_monitor(const PowerMonitor* power) { power_ = power; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  void snapshot(const sc_core::sc_time& at);
  void snapshot_power(const std::array<EnergySplit, kLevelCount>& energy, double elapsed_ns);

  PmuConfig config_;
  const EnergyLedger& ledger_;
  RegisterBank bank_;
  sc_core::sc_time access_time_;
  std::function<void(const sc_core::sc_time&)> before_snapshot_;
  std::function<AcceleratorTime()> accelerator_time_;
  const PowerMonitor* power_ = nullptr;
  RegisterAccessStats access_stats_;
  uint64_t snapshots_ = 0;
};

}  // namespace dlvp
