// DDR controller + devices: a TLM-2.0 target holding the DDR contents and modeling its timing
// (banks, open rows, datasheet timing, refresh, data-bus contention) and energy (IDD currents).
//
// Addresses on the socket are relative to the DDR base (0 .. size_bytes-1). Loosely timed: the
// target never waits; it annotates the delay until the last data beat of the transaction.
#pragma once
#include "ddr_address_map.h"
#include "ddr_channel_model.h"
#include "ddr_config.h"
#include "ddr_stats.h"
#include "ddr_storage.h"
#include "ddr_timing.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/reportable.h"
#include "ip/common/tlm_util.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dlvp {

class DdrController : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<DdrController> socket;

  // Throws ConfigError on an inconsistent configuration or when the host cannot reserve the memory.
  DdrController(sc_core::sc_module_name name, const DdrConfig& config, const DdrTiming& timing, EnergyLedger& ledger);

  // Brings refresh counts, power states and their times up to `end_time` (call before reporting
  // and before reading the ledger's DRAM counters; idempotent).
  void finalize(sc_core::sc_time end_time);

  const DdrStats& stats() const { return stats_; }
  const DdrConfig& config() const { return config_; }
  const DdrTiming& timing() const { return timing_; }
  const DdrAddressMap& address_map() const { return map_; }
  uint64_t size_bytes() const { return storage_.size(); }
  double peak_bandwidth_Bps() const { return timing_.peak_bandwidth_Bps() * config_.channels; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  // Given to DMI initiators: their bulk accesses count as row-hit bursts at peak bandwidth.
  class Accountant : public DmiAccountant {
   public:
    explicit Accountant(DdrController& owner) : owner_(owner) {}
    sc_core::sc_time account(uint64_t address, uint64_t bytes, bool write, TagId tag) override {
      return owner_.account_dmi(address, bytes, write, tag);
    }

   private:
    DdrController& owner_;
  };
  struct Check {
    tlm::tlm_response_status status = tlm::TLM_OK_RESPONSE;
    const char* reason = "";
  };

  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);

  Check check(const tlm::tlm_generic_payload& trans) const;
  void move_data(tlm::tlm_generic_payload& trans);
  DdrCycle schedule(uint64_t address, uint64_t length, bool write, TagId tag, DdrCycle ready);
  void remember_bank(const DdrLocation& location);
  void record(bool write, uint64_t length, double read_latency_ns);
  sc_core::sc_time account_dmi(uint64_t address, uint64_t bytes, bool write, TagId tag);
  void report_power(nlohmann::json& out) const;

  EnergyLedger& ledger_;  // commands and bursts per tag, DRAM traffic per tag
  const DdrConfig config_;
  const DdrTiming timing_;
  const DdrAddressMap map_;
  DdrStorage storage_;
  DdrStats stats_;
  std::vector<DdrChannelModel> channels_;
  Accountant accountant_;
  std::vector<std::pair<unsigned, unsigned>> touched_banks_;  // closed page: (channel, rank x banks + bank)
};

}  // namespace dlvp
