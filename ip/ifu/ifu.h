// The instruction fetch unit (docs/architecture.mdocs/ifu.md): software programs a job through
// the register window and starts it; the IFU fetches the instruction stream from DDR in bursts,
// decodes and checks each instruction, and dispatches it in program order into one of three
// queues of finite depth — load (DMA in), compute (the compute engine), store (DMA out) — which
// run concurrently, ordered only by dependency tokens between neighbouring queues (VTA style).
// The job ends with DONE when END has been dispatched and every queue has drained, or with ERROR
// at the first error; either raises the interrupt if enabled.
//
// Threads (each with its own quantum keeper): one dispatcher (fetch, decode, dispatch) and one per
// queue. Deadlocks are found without polling: whenever a thread blocks it evaluates whether any
// thread can still make progress.
#pragma once
#include "compute_engine_if.h"
#include "ifu_queue.h"
#include "ifu_regs.h"
#include "ifu_trace.h"
#include "instruction_checks.h"
#include "isa.h"
#include "layer_timeline.h"
#include "transfer_plan.h"

#include "ip/common/energy_ledger.h"
#include "ip/common/params.h"
#include "ip/common/register_bank.h"
#include "ip/common/register_window.h"
#include "ip/common/reportable.h"
#include "ip/common/tlm_util.h"
#include "ip/dma/dma_engine.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

using ifu::InstructionRecord;
using ifu::JobSummary;

struct IfuConfig {
  double clock_mhz = 214.0;               // IFU clock: decode and token handshakes
  uint32_t fetch_burst_instructions = 8;  // instructions per fetch transaction (8 x 64 B)
  uint32_t queue_depth = 8;               // entries per queue (load, compute, store)
  uint32_t decode_cycles = 1;             // per instruction
  uint32_t load_dma_channel = 0;
  uint32_t store_dma_channel = 1;
  uint64_t trace_records = 1u << 20;      // instruction records (and job summaries) kept
  uint64_t layer_records = 1u << 18;      // executed instructions of one job kept for its layer times

  // Scenario section `ifu`.
  static void bind(ParamBinder& b, IfuConfig& c);
};

class Ifu : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<Ifu> reg_socket;      // 4 KiB register window (ifu_regs.h)
  tlm_utils::simple_initiator_socket<Ifu> fetch_socket;  // system bus: instruction fetch from DDR
  sc_core::sc_out<bool> irq;  // (DONE & DONE_IRQ_ENABLE) | (ERROR & ERROR_IRQ_ENABLE)

  SC_HAS_PROCESS(Ifu);
  // Throws ConfigError (naming the module and the key) when the configuration is out of range or
  // names a DMA channel the DMA does not have.
  Ifu(sc_core::sc_module_name name, const IfuConfig& config, DmaEngine& dma, EnergyLedger& ledger);

  // An engine that executes compute instructions (those its handles() accepts) and owns buffers
  // LOAD/STORE address (those it reports a non-zero size for). Added before the simulation starts;
  // the first engine added that handles an opcode (or owns a buffer) gets it. A compute opcode no
  // engine handles is an unknown opcode; a buffer no engine owns has size 0.
  void add_compute_engine(ComputeEngineIf* engine) { engines_.push_back(engine); }

  // Per-instruction trace (bounded by trace_records) and per-job summaries.
  const std::vector<InstructionRecord>& trace() const { return trace_.records(); }
  const std::vector<JobSummary>& job_summaries() const { return trace_.jobs(); }
  const ifu::IfuTrace& instruction_trace() const { return trace_; }
  // Chrome/Perfetto JSON of the IFU alone, one track per queue; ts/dur in us.
  void write_chrome_trace(std::ostream& out) const { trace_.write_chrome_trace(out, name()); }

  // Per-layer time of completed jobs (docs/ifu.md, "Layer time"), per program: the job's
  // INSTR_BASE, so that two packages in one run are two programs. Only whole jobs count: a job that
  // failed, ran past `layer_records` instructions or was still running at the end is excluded and
  // counted by reason.
  struct LayerAccount {
    uint32_t layer = 0;            // Header.tag (kOverflowLayer when several share the overflow tag)
    TagId ledger_tag = kUntagged;  // "layer<tag>@0x<program>" (energy_tag.h)
    ifu::LayerTime time;           // summed over the program's completed jobs (picoseconds)
    // Static energy (ledger unit) over the layer's time: each completed job's static energy, shared
    // among its layers by their times (the static power averaged over the job).
    std::array<double, kLevelCount> static_energy{};
  };
  struct ProgramAccount {
    uint64_t base = 0;  // INSTR_BASE; kOtherPrograms past kMaxPrograms
    uint64_t jobs_completed = 0;
    ifu::Picoseconds job_time = 0;  // summed over the completed jobs; = the sum of the layers' times
    std::map<std::string, uint64_t> jobs_excluded;  // by reason
    std::vector<LayerAccount> layers;               // in the order of their first instruction
    std::map<TagId, size_t> position;               // ledger tag -> index in layers
  };
  static constexpr size_t kMaxPrograms = 256;
  static constexpr uint64_t kOtherPrograms = ~uint64_t{0};
  const std::map<uint64_t, ProgramAccount>& programs() const { return programs_; }

  // Static energy per level (the ledger's unit) from time zero up to a time, with whatever modules
  // account lazily brought up to it (the DDR's power states). The SoC sets it; without one the
  // layers get no static share.
  using StaticEnergyProbe = std::function<std::array<double, kLevelCount>(const sc_core::sc_time&)>;
  void set_static_energy_probe(StaticEnergyProbe probe) { static_energy_probe_ = std::move(probe); }

  struct Stats {
    uint64_t jobs = 0;            // jobs finished (DONE or ERROR)
    uint64_t jobs_failed = 0;
    uint64_t refused_starts = 0;  // START while busy
    std::map<isa::ErrorCode, uint64_t> errors;  // failed jobs by error code
    uint64_t fetch_transactions = 0, fetch_bytes = 0, fetch_errors = 0;
    uint64_t instructions_decoded = 0;
    uint64_t instructions_retired = 0;
    sc_core::sc_time busy = sc_core::SC_ZERO_TIME;  // sum of job durations
    std::array<ifu::QueueFigures, 3> queues{};      // by isa::Queue
  };
  const Stats& stats() const { return stats_; }
  const IfuConfig& config() const { return config_; }
  const ClockDomain& clock() const { return clock_; }
  RegisterBank& registers() { return bank_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  // One queue and the thread that executes it.
  struct Lane {
    isa::Queue queue = isa::kQueueNone;
    ifu::InstructionQueue fifo;
    std::optional<ifu::QueuedInstruction> head;  // taken by the thread: waiting for tokens or executing
    sc_core::sc_time head_taken;                 // absolute time the head was taken
    bool in_flight = false;                      // executing (DMA or engine time running)
    sc_core::sc_event wake;                      // entry pushed, token arrived, job stopped
    tlm_utils::tlm_quantumkeeper quantum;
    // LOAD/STORE in progress: its DMA jobs, the next to submit, the result so far.
    std::optional<ifu::TransferPlan> transfer;
    TagId transfer_tag = kUntagged;  // ledger tag of the instruction's layer: its DMA jobs' energy
    uint32_t next_dma_job = 0;
    bool transfer_pending = false;
    DmaErrorCode transfer_result = DmaErrorCode::none;
    sc_core::sc_event transfer_done;
    ifu::QueueFigures job_figures;
  };
  // The dispatcher's place in the job.
  enum class DispatchState { idle, running, blocked, finished };
  struct Job {
    bool active = false;
    bool result_scheduled = false;
    uint64_t number = 0;
    sc_core::sc_time start;
    uint64_t instr_base = 0;
    uint32_t instr_count = 0;
    ifu::ArgWindows args{};
    DispatchState dispatch = DispatchState::idle;
    bool end_dispatched = false;
    bool stopping = false;  // an error occurred: nothing starts at or after stop_time
    sc_core::sc_time stop_time;
    isa::ErrorCode error = isa::kErrNone;
    uint32_t error_index = 0;
    std::string error_reason;
    sc_core::sc_time last_event;  // latest time anything of this job happened
    uint32_t retired = 0;
    uint64_t fetch_bytes = 0;
    std::vector<ifu::ExecutedInstruction> executed;  // for its layer times, up to layer_records
    bool executed_overflow = false;                  // more than layer_records: not attributed
    std::array<double, kLevelCount> static_at_start{};  // the static energy probe at START
    std::map<uint32_t, TagId> ledger_tags;           // Header.tag -> ledger tag, up to kMaxLayerTags
  };
  // One fetch transaction's worth of instructions.
  struct FetchBurst {
    uint32_t first = 0, count = 0;
    bool ok = false;
    sc_core::sc_time arrival;
    std::vector<uint8_t> bytes;
  };
  // Energy: counts under `tag` (kUntagged: the ledger's current tag).
  void register_energy_counters();
  void count_energy(const std::optional<CounterId>& counter, uint64_t n, TagId tag) {
    if (counter) ledger_.count_tagged(*counter, n, ledger_.tag_or_current(tag));
  }

  // Registers.
  void build_registers();
  void reg_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int reg_transport_dbg(tlm::tlm_generic_payload& trans);
  void on_ctrl_write(uint64_t new_value);
  void on_status_write();
  uint64_t read_cycles(uint64_t stored) const;
  void set_status_bits(uint32_t set, uint32_t clear);
  void update_irq();
  void drive_irq();

  // Job lifecycle.
  void start_job();
  void raise(isa::ErrorCode code, uint32_t index, const std::string& reason, const sc_core::sc_time& at);
  void trace_not_executed(const ifu::QueuedInstruction& entry, const sc_core::sc_time& at);
  void drop_lane(Lane& lane, const sc_core::sc_time& at);
  bool past_stop(const sc_core::sc_time& at) const;
  void evaluate_job();
  const ifu::QueuedInstruction* next_of(const Lane& lane) const;
  bool lane_can_progress(const Lane& lane) const;
  bool deadlocked(uint32_t& blocked_index, std::string& why) const;
  std::string describe_missing_tokens(isa::Queue queue, uint8_t deps) const;
  void schedule_result();
  void post_result();
  TagId ledger_tag_of(uint32_t layer);
  void record_executed(const Lane& lane, const sc_core::sc_time& start, const sc_core::sc_time& end);
  void account_layers(bool failed, const sc_core::sc_time& end);
  ProgramAccount& program_account(uint64_t base);
  void report_programs(nlohmann::json& out) const;
  void note_time(const sc_core::sc_time& at);

  // Dispatcher: fetch, decode, check, dispatch.
  void dispatch_thread();
  void run_dispatch();
  bool fetch_for(uint32_t index);
  void issue_fetch(FetchBurst& burst, uint32_t first);
  isa::Instruction instruction_at(uint32_t index) const;
  ifu::Verdict check(const isa::Instruction& instruction) const;
  ifu::InstructionRecord record_of(const isa::Instruction& instruction, uint32_t index, const sc_core::sc_time& at) const;
  void trace_decode_failure(const isa::Instruction& instruction, uint32_t index);
  void dispatch_end(const isa::Instruction& instruction, uint32_t index);
  bool dispatch(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag);
  bool wait_for_slot(Lane& target);
  sc_core::sc_time dispatcher_now() const { return sc_core::sc_time_stamp() + dispatcher_quantum_.get_local_time(); }

  // Queue threads.
  void lane_thread(Lane& lane);
  bool lane_waiting(const Lane& lane) const;
  void block(Lane& lane);
  void take_head(Lane& lane);
  void execute_head(Lane& lane);
  void finish_head(Lane& lane, ifu::Outcome outcome, const sc_core::sc_time& start);
  isa::ErrorCode run_compute(Lane& lane, const ifu::QueuedInstruction& entry, std::string& reason);
  isa::ErrorCode run_transfer(Lane& lane, const isa::Transfer& transfer, std::string& reason);
  unsigned dma_channel_of(const Lane& lane) const;
  void submit_next_dma_job(Lane& lane, const sc_core::sc_time& local_time);
  void on_dma_job_done(Lane& lane, DmaErrorCode code);
  sc_core::sc_time lane_now(const Lane& lane) const { return sc_core::sc_time_stamp() + lane.quantum.get_local_time(); }

  // Tokens.
  bool tokens_available(isa::Queue queue, uint8_t deps) const;
  void consume_tokens(isa::Queue queue, uint8_t deps);
  void push_tokens(Lane& lane, uint8_t deps);

  Lane& lane(isa::Queue queue) { return lanes_[queue]; }
  ifu::BufferSizes buffer_sizes() const;
  ComputeEngineIf* engine_for(uint8_t opcode) const;
  ComputeEngineIf* owner_of(isa::Buffer buffer) const;

  IfuConfig config_;
  ClockDomain clock_;
  DmaEngine& dma_;
  EnergyLedger& ledger_;
  // Energy of the IFU's own activity (docs/ifu.md, "Energy"); each counter is registered when the
  // technology table has its entry.
  struct EnergyCounters {
    std::optional<CounterId> fetch_buffer_write, fetch_buffer_read, decode, queue_write, queue_read;
  };
  EnergyCounters counters_;
  std::vector<ComputeEngineIf*> engines_;
  RegisterBank bank_;
  RegisterAccessStats access_stats_;
  sc_core::sc_time register_access_offset_;  // the accessing initiator's local time (START, CYCLES)
  sc_core::sc_event irq_changed_;
  sc_core::sc_event result_due_;

  Job job_;
  uint64_t jobs_started_ = 0;
  std::array<Lane, 3> lanes_;
  std::array<uint64_t, ifu::kTokenPaths> tokens_{};

  // Dispatcher state.
  sc_core::sc_event job_started_;
  sc_core::sc_event dispatcher_wake_;  // a queue slot freed, or the job stopped
  tlm_utils::tlm_quantumkeeper dispatcher_quantum_;
  tlm::tlm_generic_payload fetch_trans_;
  FetchBurst current_burst_, next_burst_;
  bool next_burst_issued_ = false;

  ifu::IfuTrace trace_;
  Stats stats_;
  std::map<uint64_t, ProgramAccount> programs_;
  StaticEnergyProbe static_energy_probe_;
};

}  // namespace dlvp
