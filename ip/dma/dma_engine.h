// The DMA engine: moves 2-D strided blocks between the system bus (DDR) and the accelerators'
// local buffers. Jobs come from software through the register window (interrupt on completion)
// or from the instruction fetch unit through submit() (callback on completion).
//
// Each channel has its own thread and quantum keeper. A job is validated completely before any
// byte moves; then it is cut into bursts whose reads are pipelined (up to max_outstanding in
// flight, bounded by the staging FIFO) and whose writes follow as soon as their data arrived.
// See docs/dma.md.
#pragma once
#include "dma_descriptor.h"
#include "dma_regs.h"

#include "ip/common/bounded_records.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/energy_tag.h"
#include "ip/common/params.h"
#include "ip/common/register_bank.h"
#include "ip/common/reportable.h"
#include "ip/common/tlm_util.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlvp {

struct DmaConfig {
  uint32_t channels = 2;
  double clock_mhz = 200.0;
  uint32_t burst_bytes = 64;      // largest transaction the DMA issues
  uint32_t max_outstanding = 8;   // bursts in flight per channel and direction
  uint32_t buffer_bytes = 4096;   // staging FIFO per channel

  // Scenario section `dma`. Also checks buffer_bytes >= burst_bytes.
  static void bind(ParamBinder& b, DmaConfig& c);
};

class DmaEngine : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<DmaEngine> reg_socket;        // 4 KiB register window
  tlm_utils::simple_initiator_socket<DmaEngine> mem_socket;     // system bus (dma::kSystemSpace)
  tlm_utils::simple_initiator_socket<DmaEngine> buffer_socket;  // local buffers (dma::kLocalSpace)
  sc_core::sc_out<bool> irq;  // level: high while IRQ_STATUS != 0

  using DoneCallback = std::function<void(DmaErrorCode)>;

  SC_HAS_PROCESS(DmaEngine);
  // Throws ConfigError (naming the module and the key) when the configuration is out of range.
  DmaEngine(sc_core::sc_module_name name, const DmaConfig& config, EnergyLedger& ledger);

  // Declares [base, base + size) of `space` (dma::kSystemSpace or dma::kLocalSpace) as memory the
  // DMA may move. Descriptors touching anything else fail with an out-of-range error.
  void add_valid_range(int space, uint64_t base, uint64_t size);

  // Queues a job on `channel` (< channels()); it runs after the channel's earlier jobs. No
  // interrupt and no STATUS bits other than BUSY: `on_done` is called from the channel thread at
  // the simulated completion time. `submitter_local_time` is the caller's quantum-keeper offset,
  // so the job does not start before the caller's own simulated time. The energy of the job (the
  // staging FIFO, and through the payloads' EnergyTagExtension the bus beats, DDR commands and
  // bursts, SRAM accesses) is attributed to the ledger tag `tag` (kUntagged: the current tag).
  void submit(unsigned channel, const DmaDescriptor& descriptor, DoneCallback on_done,
              const sc_core::sc_time& submitter_local_time = sc_core::SC_ZERO_TIME, TagId tag = kUntagged);

  struct ChannelStats {
    uint64_t jobs = 0;
    uint64_t bytes_moved = 0;
    uint64_t bursts = 0;  // read and write transactions issued
    uint64_t errors = 0;
    sc_core::sc_time busy_time = sc_core::SC_ZERO_TIME;
    double bandwidth_gbps() const;  // bytes moved per busy ns
  };
  unsigned channels() const { return config_.channels; }
  const ChannelStats& channel_stats(unsigned channel) const;

  // One job a channel finished (for the trace, docs/report.md "trace.json").
  struct JobRecord {
    unsigned channel = 0;
    sc_core::sc_time start, end;
    uint64_t bytes = 0;
    bool from_registers = false;  // software's job, else the IFU's (submit())
    bool failed = false;
    TagId tag = kUntagged;
  };
  // The first kKeptJobRecords finished jobs; the rest are counted.
  static constexpr uint64_t kKeptJobRecords = uint64_t{1} << 16;
  const std::vector<JobRecord>& job_records() const { return job_records_.kept(); }
  uint64_t job_records_not_kept() const { return job_records_.not_kept(); }
  const DmaConfig& config() const { return config_; }
  RegisterBank& registers() { return bank_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  struct LocalDmiRegion {
    tlm::tlm_dmi dmi;
    DmiAccountant* accountant = nullptr;
    uint64_t accountant_offset = 0;  // accountant address = local address - offset
  };
  struct Job {
    DmaDescriptor descriptor;
    bool from_registers = false;
    DoneCallback on_done;
    sc_core::sc_time earliest_start;
    TagId tag = kUntagged;  // energy attribution (register jobs: none)
  };
  struct Channel {
    unsigned index = 0;
    std::deque<Job> queue;
    sc_core::sc_event job_posted;
    bool running = false;
    tlm_utils::tlm_quantumkeeper quantum;
    tlm::tlm_generic_payload trans;
    EnergyTagExtension* tag = nullptr;  // attached to `trans` once (the payload owns it): the job's tag
    std::vector<uint8_t> staging;
    ChannelStats stats;
  };
  struct TransferResult {
    DmaErrorCode code = DmaErrorCode::none;
    uint64_t bytes = 0;
    sc_core::sc_time end;
  };
  // Registers.
  void build_registers();
  void reg_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int reg_transport_dbg(tlm::tlm_generic_payload& trans);
  void on_ctrl_write(unsigned channel, uint64_t new_value);
  void on_status_write(unsigned channel, uint64_t new_value);
  void on_irq_status_write(uint64_t old_value, uint64_t new_value);
  DmaDescriptor descriptor_from_registers(unsigned channel) const;
  void start_from_registers(unsigned channel);
  void set_status_bits(unsigned channel, uint32_t set, uint32_t clear);
  void refresh_busy(Channel& c);
  void update_irq();
  void drive_irq();

  // Channel execution.
  void channel_thread(unsigned channel);
  TransferResult transfer(Channel& c, const DmaDescriptor& d, const sc_core::sc_time& start);
  bool issue(Channel& c, int space, tlm::tlm_command command, uint64_t address, uint8_t* data, uint32_t bytes,
             const sc_core::sc_time& issue_time, sc_core::sc_time& completion);
  // The on-chip buffers grant DMI: a burst to them is a memcpy that their accountant (behind the
  // local bus's) counts and times. Returns false when no DMI region covers the burst.
  bool issue_local_dmi(tlm::tlm_command command, uint64_t address, uint8_t* data, uint32_t bytes, TagId tag,
                       const sc_core::sc_time& issue_time, sc_core::sc_time& completion);
  const LocalDmiRegion* local_dmi_region(uint64_t address, uint32_t bytes);
  void invalidate_local_dmi(sc_dt::uint64 start, sc_dt::uint64 end);
  void finish(Channel& c, const Job& job, const TransferResult& result, const sc_core::sc_time& start);

  DmaConfig config_;
  ClockDomain clock_;
  EnergyLedger& ledger_;
  CounterId staging_write_counter_, staging_read_counter_;
  std::optional<CounterId> burst_control_counter_;
  RegisterBank bank_;
  std::deque<std::string> register_names_;  // storage for the per-channel RegDef names
  SpaceRanges valid_ranges_;
  std::vector<std::unique_ptr<Channel>> channels_;
  std::vector<LocalDmiRegion> local_dmi_;       // granted regions of the local buffer space
  std::vector<std::pair<uint64_t, uint64_t>> local_dmi_refused_;  // ranges where DMI was refused
  BoundedRecords<JobRecord> job_records_{kKeptJobRecords};
  sc_core::sc_event irq_changed_;
  sc_core::sc_time register_access_offset_;  // the accessing initiator's local time, for START
};

}  // namespace dlvp
