// The system bus (docs/architecture.md): routes every initiator's transactions to the target that
// owns the address in the MemoryMap, translating to the target's local offset; models contention
// per target port (busy-until calendar with round-robin fairness, see port_arbiter.h); counts one
// energy unit per data beat; forwards debug transport and DMI (ranges translated back to bus
// addresses, DMI blocks still timed and counted). See docs/bus.md.
#pragma once
#include "memory_map.h"
#include "port_arbiter.h"

#include "ip/common/energy_ledger.h"
#include "ip/common/params.h"
#include "ip/common/reportable.h"
#include "ip/common/tlm_util.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace dlvp {

// Scenario section `bus`.
struct BusConfig {
  double clock_mhz = 200.0;         // MHz
  uint32_t width_bytes = 8;         // B per beat (data path width)
  uint32_t arbitration_cycles = 1;  // cycles of request/grant per transaction

  static void bind(ParamBinder& binder, BusConfig& config);
};

class Bus : public sc_core::sc_module, public Reportable {
 public:
  // Statistics of one port (an initiator's or a target's). Times are simulated time.
  struct PortStatistics {
    uint64_t transactions = 0;  // routed transactions (and DMI-accounted blocks)
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    uint64_t beats = 0;         // data beats of width_bytes
    uint64_t errors = 0;        // decode errors (initiators) and error responses from targets
    sc_core::sc_time busy;      // time the target port was occupied by these transactions
    sc_core::sc_time wait;      // time spent waiting for a busy target port (contention)
  };

  // Initiators bind here, any number; port i is "initiator i" in statistics unless named.
  tlm_utils::multi_passthrough_target_socket<Bus> target_socket;
  // Targets bind here in the order of the MemoryMap's region indexes.
  tlm_utils::multi_passthrough_initiator_socket<Bus> initiator_socket;

  // The map is copied; its region count must equal the number of targets bound.
  Bus(sc_core::sc_module_name name, const BusConfig& config, const MemoryMap& map, EnergyLedger& ledger);
  ~Bus() override;

  // Names an initiator port for warnings and reports ("cpu", "dma", ...).
  void set_initiator_name(size_t port, std::string name);
  std::string initiator_name(size_t port) const;

  const BusConfig& config() const { return config_; }
  const MemoryMap& memory_map() const { return map_; }
  const ClockDomain& clock() const { return clock_; }
  // Utilization history length of the port arbiters: whole global quanta, at least 256 bus cycles.
  const sc_core::sc_time& contention_window() const { return arbiters_.front().window(); }
  const PortStatistics& target_statistics(size_t region_index) const { return targets_.at(region_index); }
  // Statistics of an initiator port; all zero for a port that never issued a transaction.
  const PortStatistics& initiator_statistics(size_t port) const;
  uint64_t decode_errors() const { return decode_errors_; }
  CounterId transfer_counter() const { return transfer_counter_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  class DmiPath;
  // The phases of one transaction on a target port, relative to its arrival.
  struct Grant {
    sc_core::sc_time wait;     // until the port is free
    sc_core::sc_time request;  // arbitration (request/grant)
    sc_core::sc_time data;     // data beats
  };

  void end_of_elaboration() override;
  void start_of_simulation() override;

  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(int port, tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(int port, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end);

  void reject(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void forward_named(int port, size_t target, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  bool deny_dmi(uint64_t address, tlm::tlm_dmi& dmi) const;
  bool clip_dmi_to_region(const MemoryMap::Region& region, tlm::tlm_dmi& dmi) const;
  DmiAccountant* dmi_path(size_t initiator, size_t target, DmiAccountant* memory);

  // Books a transfer on a target port; updates statistics and energy (beats counted under `tag`,
  // already resolved: energy_tag_of / tag_or_current). Shared by b_transport and DMI accounting so
  // both paths are timed and counted alike.
  Grant reserve(size_t initiator, size_t target, const sc_core::sc_time& arrival, uint64_t bytes, bool write,
                TagId tag, bool dmi_block);
  sc_core::sc_time account_dmi(size_t initiator, size_t target, uint64_t bytes, bool write, TagId tag,
                               const sc_core::sc_time& memory_time);
  PortStatistics& initiator_stats(size_t port);

  BusConfig config_;
  MemoryMap map_;
  EnergyLedger& ledger_;
  ClockDomain clock_;
  sc_core::sc_time arbitration_time_;
  CounterId transfer_counter_;

  InitiatorProgress progress_;          // how far each initiator has run, for the arbiters
  std::vector<PortArbiter> arbiters_;  // per target port: busy-until and fair sharing
  std::vector<PortStatistics> targets_;
  std::vector<PortStatistics> initiators_;
  std::vector<std::string> initiator_names_;
  uint64_t decode_errors_ = 0;
  std::map<std::tuple<size_t, size_t, DmiAccountant*>, std::unique_ptr<DmiPath>> dmi_paths_;
};

}  // namespace dlvp
