// DDR controller + devices: a TLM-2.0 target holding the DDR contents and modeling its timing
// (banks, open rows, datasheet timing, refresh, data-bus contention) and energy (IDD currents).
//
// Addresses on the socket are relative to the DDR base (0 .. size_bytes-1). Loosely timed: the
// delay is annotated until the last data beat of the transaction. With the FR-FCFS scheduler a
// transaction that meets other queued requests (or must wait for its bank) waits in b_transport
// until the scheduler has served it, and one whose queue is full waits for a place
// (docs/ddr.md "Scheduling"); called outside a thread, a transaction is always served at once.
#pragma once
#include "ddr_address_map.h"
#include "ddr_channel_model.h"
#include "ddr_config.h"
#include "ddr_scheduler.h"
#include "ddr_stats.h"
#include "ddr_storage.h"
#include "ddr_timing.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/reportable.h"
#include "ip/common/tlm_util.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dlvp {

class DdrController : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<DdrController> socket;

  SC_HAS_PROCESS(DdrController);
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
  // Given to DMI initiators: their accesses go through the banks' row state (account_dmi).
  class Accountant : public DmiAccountant {
   public:
    explicit Accountant(DdrController& owner) : owner_(owner) {}
    // Without an arrival, the block arrives at the current simulated time.
    sc_core::sc_time account(uint64_t address, uint64_t bytes, bool write, TagId tag) override {
      return owner_.account_dmi(sc_core::sc_time_stamp(), address, bytes, write, tag);
    }
    sc_core::sc_time account_at(const sc_core::sc_time& arrival, uint64_t address, uint64_t bytes, bool write,
                                TagId tag) override {
      return arrival + owner_.account_dmi(arrival, address, bytes, write, tag);
    }

   private:
    DdrController& owner_;
  };
  // How far an initiator (process) has run, as this controller has seen it: the latest arrival
  // it presented. One not yet at a transaction's arrival may still present an earlier one.
  struct InitiatorProgress {
    const sc_core::sc_object* initiator = nullptr;
    uint64_t reached_ps = 0;
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
  // Bursts of a transaction per channel, in address order (into bursts_).
  void split(uint64_t address, uint64_t length);
  using Bursts = std::vector<std::vector<DdrLocation>>;
  bool served_at_once(const sc_core::sc_object* caller, DdrCycle ready);
  // In-order service, committed at once; the queue place is modeled by delaying `ready` while
  // the transactions committed earlier fill the queue. Returns {accepted, end}.
  std::pair<DdrCycle, DdrCycle> serve_at_once(const sc_core::sc_object* caller, bool write, TagId tag, DdrCycle ready);
  // Through the FR-FCFS queues: waits for a place, then until the scheduler has served it.
  std::pair<DdrCycle, DdrCycle> serve_queued(const sc_core::sc_object* caller, bool write, TagId tag, DdrCycle ready);
  void note_in_flight(const sc_core::sc_object* caller, DdrCycle until);
  void wait_for_arrival(const sc_core::sc_object* caller, uint64_t arrival_ps);
  InitiatorProgress& progress_of(const sc_core::sc_object* initiator);
  DdrCycle schedule(bool write, TagId tag, DdrCycle ready);
  unsigned in_flight(unsigned channel, bool write, DdrCycle at);
  bool has_room(const Bursts& bursts, bool write, DdrCycle now);
  void note_occupancy(bool write, unsigned transactions);
  void run_schedulers();   // SC_METHOD, and after each enqueue
  DdrCycle now_cycle() const;
  void remember_bank(const DdrLocation& location);
  void record(bool write, uint64_t length, double read_latency_ns);
  sc_core::sc_time account_dmi(const sc_core::sc_time& arrival, uint64_t address, uint64_t bytes, bool write, TagId tag);
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
  // Per channel, what the DMI block at hand waited for and occupied (account_dmi).
  struct DmiBusy {
    DdrCycle wake = 0, cycles = 0;
  };
  std::vector<DmiBusy> dmi_busy_;

  // A queued transaction's result, per channel and scheduler slot.
  struct SlotWait {
    sc_core::sc_event done_event;
    bool done = false;
    DdrCycle end = 0;
  };
  std::vector<DdrScheduler> schedulers_;                      // per channel (frfcfs)
  std::vector<DdrScheduler::Done> on_done_;                   // per channel
  std::vector<std::vector<std::unique_ptr<SlotWait>>> slot_waits_;
  // Per channel and direction: last column cycle of each transaction served at once, in
  // commit order; it holds a queue place until then.
  std::vector<std::array<std::deque<DdrCycle>, 2>> committed_;
  Bursts bursts_;                                             // per channel, the transaction at hand
  std::vector<DdrCycle> last_column_;                         // per channel, of the transaction at hand
  sc_core::sc_event scheduler_wake_, queue_space_;
  unsigned space_waiters_ = 0;                                // initiators waiting for a queue place
  uint64_t wake_pending_ps_ = 0;                              // scheduler_wake_ is notified for then
  const DdrCycle data_latency_cycles_;                        // column command to data end, at least
  const bool closed_page_;
  // Initiators (processes) with transactions served at once in flight: until their last column.
  std::vector<std::pair<const sc_core::sc_object*, DdrCycle>> in_flight_by_initiator_;
  std::vector<InitiatorProgress> progress_;  // initiators that presented transactions from a thread
};

}  // namespace dlvp
