// Performance monitoring unit: the energy ledger's per-level figures as registers, so software
// reads on the platform what a report shows after it, as on silicon (docs/architecture.md).
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/register_bank.h"
#include "ip/common/register_window.h"
#include "ip/common/reportable.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <functional>

namespace dlvp {

struct PmuConfig {
  RegisterTiming timing;
  static void bind(ParamBinder& b, PmuConfig& c) { RegisterTiming::bind(b, c.timing); }
};

class Pmu : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<Pmu> socket;

  Pmu(sc_core::sc_module_name name, const PmuConfig& config, const EnergyLedger& ledger);

  // Called before a snapshot so that lazily accounted counters (DRAM refresh, open-row time) are
  // brought up to the snapshot time.
  void set_before_snapshot(std::function<void(const sc_core::sc_time&)> hook) { before_snapshot_ = std::move(hook); }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  void snapshot(const sc_core::sc_time& at);

  PmuConfig config_;
  const EnergyLedger& ledger_;
  RegisterBank bank_;
  sc_core::sc_time access_time_;
  std::function<void(const sc_core::sc_time&)> before_snapshot_;
  RegisterAccessStats access_stats_;
  uint64_t snapshots_ = 0;
};

}  // namespace dlvp
