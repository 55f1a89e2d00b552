#include "ifu.h"

#include "ip/common/bounded_records.h"
#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"
#include "ip/common/log.h"
#include "ip/common/register_window.h"
#include "ip/common/soc_map.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <sstream>

namespace dlvp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint32_t kMaxFetchBurst = 64;      // 64 x 64 B = 4 KiB per fetch transaction
constexpr uint32_t kMaxQueueDepth = 4096;
constexpr uint32_t kMaxDecodeCycles = 1000;
constexpr uint64_t kMaxTraceRecords = uint64_t{1} << 32;
constexpr uint64_t kMaxLayerRecords = uint64_t{1} << 26;  // 64 M x 40 B: the most one job may hold
// Technology-table entries of the IFU's energy (docs/ifu.md, "Energy"). A table without one leaves
// that activity uncounted rather than given an invented figure.
constexpr const char* kDecodeEnergyKey = "ifu_decode";
constexpr const char* kRegisterFileEnergyKey = "rf_access_16b";
// The fetch buffer and the queues hold whole instructions: one write or read of an instruction is
// this many 16-bit register-file accesses.
constexpr uint64_t kWordsPerInstruction = isa::kInstructionBytes * 8 / 16;

// An IFU is often built from code rather than a scenario, so the constructor checks again.
const IfuConfig& checked(const IfuConfig& c, const DmaEngine& dma, const std::string& module) {
  auto fail = [&](const std::string& what) { throw ConfigError(module + ": " + what); };
  if (!(c.clock_mhz >= 1.0 && c.clock_mhz <= 10000.0))
    fail("clock_mhz = " + std::to_string(c.clock_mhz) + " is out of range [1, 10000]");
  if (c.fetch_burst_instructions < 1 || c.fetch_burst_instructions > kMaxFetchBurst)
    fail("fetch_burst_instructions = " + std::to_string(c.fetch_burst_instructions) + " is out of range [1, 64]");
  if (c.queue_depth < 1 || c.queue_depth > kMaxQueueDepth)
    fail("queue_depth = " + std::to_string(c.queue_depth) + " is out of range [1, 4096]");
  if (c.decode_cycles > kMaxDecodeCycles)
    fail("decode_cycles = " + std::to_string(c.decode_cycles) + " is out of range [0, 1000]");
  if (c.trace_records > kMaxTraceRecords)
    fail("trace_records = " + std::to_string(c.trace_records) + " is out of range [0, 2^32]");
  if (c.layer_records > kMaxLayerRecords)
    fail("layer_records = " + std::to_string(c.layer_records) + " is out of range [0, 2^26]");
  if (c.load_dma_channel >= dma.channels())
    fail("load_dma_channel = " + std::to_string(c.load_dma_channel) + " but " + dma.name() + " has " +
         std::to_string(dma.channels()) + " channel(s)");
  if (c.store_dma_channel >= dma.channels())
    fail("store_dma_channel = " + std::to_string(c.store_dma_channel) + " but " + dma.name() + " has " +
         std::to_string(dma.channels()) + " channel(s)");
  return c;
}

// Exact for any time resolution of at most 1 ps (the platform keeps SystemC's default of 1 ps).
ifu::Picoseconds picoseconds(const sc_time& t) {
  static const double resolution_ps = sc_core::sc_get_time_resolution().to_seconds() * 1e12;
  return static_cast<ifu::Picoseconds>(static_cast<double>(t.value()) * resolution_ps + 0.5);
}

double nanoseconds(ifu::Picoseconds t) { return static_cast<double>(t) / 1000.0; }

// Moves a quantum keeper's local time forward to absolute time `at` (never backward).
void advance_to(tlm_utils::tlm_quantumkeeper& quantum, const sc_time& at) {
  const sc_time now = sc_core::sc_time_stamp();
  if (at > now + quantum.get_local_time()) quantum.set(at - now);
}

// Synchronizes only when the thread runs ahead (a zero-time sync would still cost a delta cycle).
void settle(tlm_utils::tlm_quantumkeeper& quantum) {
  if (quantum.get_local_time() != SC_ZERO_TIME) quantum.sync();
}

}  // namespace

void IfuConfig::bind(ParamBinder& b, IfuConfig& c) {
  b.real("clock_mhz", c.clock_mhz, "MHz", "IFU clock: decode and token handshakes", 1.0, 10000.0);
  b.integer("fetch_burst_instructions", c.fetch_burst_instructions, "instructions",
            "instructions fetched per bus transaction (64 B each)", 1, kMaxFetchBurst);
  b.integer("queue_depth", c.queue_depth, "instructions",
            "entries of each of the load, compute and store queues (plus the one executing)", 1, kMaxQueueDepth);
  b.integer("decode_cycles", c.decode_cycles, "cycles", "decode time per instruction", 0, kMaxDecodeCycles);
  b.integer("load_dma_channel", c.load_dma_channel, "", "DMA channel that executes LOAD", 0, dma::kMaxChannels - 1);
  b.integer("store_dma_channel", c.store_dma_channel, "", "DMA channel that executes STORE", 0,
            dma::kMaxChannels - 1);
  b.integer("trace_records", c.trace_records, "records",
            "instruction records and job summaries kept for the trace (beyond: counted, not kept)", uint64_t{0},
            kMaxTraceRecords);
  b.integer("layer_records", c.layer_records, "instructions",
            "executed instructions of one job kept to attribute its time to its layers (a longer job is left out "
            "of the per-layer figures, counted)",
            uint64_t{0}, kMaxLayerRecords);
}

Ifu::Ifu(sc_core::sc_module_name name, const IfuConfig& config, DmaEngine& dma, EnergyLedger& ledger)
    : sc_module(name),
      reg_socket("reg_socket"),
      fetch_socket("fetch_socket"),
      irq("irq"),
      config_(checked(config, dma, this->name())),
      clock_(config.clock_mhz),
      dma_(dma),
      ledger_(ledger),
      bank_(this->name(), soc::kRegisterWindowBytes),
      trace_(config.trace_records) {
  register_energy_counters();
  build_registers();
  reg_socket.register_b_transport(this, &Ifu::reg_b_transport);
  reg_socket.register_transport_dbg(this, &Ifu::reg_transport_dbg);

  const size_t burst_bytes = size_t{config_.fetch_burst_instructions} * isa::kInstructionBytes;
  current_burst_.bytes.resize(burst_bytes);
  next_burst_.bytes.resize(burst_bytes);
  for (int q = isa::kQueueLoad; q <= isa::kQueueStore; ++q) {
    Lane& l = lanes_[q];
    l.queue = static_cast<isa::Queue>(q);
    l.fifo.reset(config_.queue_depth, SC_ZERO_TIME);
    sc_core::sc_spawn([this, &l] { lane_thread(l); }, (std::string(ifu::queue_name(l.queue)) + "_queue").c_str());
  }
  sc_core::sc_spawn([this] { dispatch_thread(); }, "dispatcher");

  SC_METHOD(drive_irq);
  sensitive << irq_changed_;
  dont_initialize();
  SC_METHOD(post_result);
  sensitive << result_due_;
  dont_initialize();
}

// ---------------------------------------------------------------------------------------------
// Energy

// Level other, like the rest of the accelerator's control (docs/energy.md): the fetch buffer's
// writes (an arriving burst) and reads (the decoder), the decode, the queues' writes (dispatch) and
// reads (a queue thread takes its next instruction).
void Ifu::register_energy_counters() {
  auto add = [this](const char* counter, Action action, const char* key) -> std::optional<CounterId> {
    if (!ledger_.tech().has(key)) return std::nullopt;
    return ledger_.add_counter_from_table(name(), counter, Level::other, action, key);
  };
  counters_.fetch_buffer_write = add("fetch_buffer.write", Action::write, kRegisterFileEnergyKey);
  counters_.fetch_buffer_read = add("fetch_buffer.read", Action::read, kRegisterFileEnergyKey);
  counters_.decode = add("decode", Action::update, kDecodeEnergyKey);
  counters_.queue_write = add("queue.write", Action::write, kRegisterFileEnergyKey);
  counters_.queue_read = add("queue.read", Action::read, kRegisterFileEnergyKey);
}

// ---------------------------------------------------------------------------------------------
// Registers

void Ifu::build_registers() {
  bank_.add_all(ifu::kRegisterDefs);
  bank_.set(ifu::QUEUE_DEPTH, config_.queue_depth);
  bank_.on_write(ifu::CTRL, [this](uint64_t, uint64_t value) { on_ctrl_write(value); });
  bank_.on_write(ifu::STATUS, [this](uint64_t, uint64_t) { on_status_write(); });
  bank_.on_read(ifu::CYCLES, [this](uint64_t stored) { return read_cycles(stored); });
}

void Ifu::reg_b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  // START and CYCLES take effect at the accessor's simulated time, which includes its local offset.
  register_access_offset_ = delay;
  bank_.b_transport(trans, delay);
  access_stats_.count(trans);
  delay += clock_.period;  // the register interface answers in one IFU cycle
}

unsigned int Ifu::reg_transport_dbg(tlm::tlm_generic_payload& trans) {
  register_access_offset_ = SC_ZERO_TIME;
  return bank_.transport_dbg(trans);
}

void Ifu::on_ctrl_write(uint64_t value) {
  if (value & ifu::kCtrlStart) {
    bank_.set(ifu::CTRL, value & ~uint64_t{ifu::kCtrlStart});  // self-clearing
    start_job();
  }
  update_irq();  // an interrupt enable may have changed
}

void Ifu::on_status_write() {
  // BUSY is the IFU's to change, not software's: restore it after the W1C write.
  set_status_bits(job_.active ? ifu::kStatusBusy : 0, job_.active ? 0 : ifu::kStatusBusy);
  update_irq();
}

uint64_t Ifu::read_cycles(uint64_t stored) const {
  if (!job_.active) return stored;
  const sc_time reader_time = sc_core::sc_time_stamp() + register_access_offset_;
  return reader_time > job_.start ? clock_.to_cycles(reader_time - job_.start) : 0;
}

void Ifu::set_status_bits(uint32_t set, uint32_t clear) {
  bank_.set(ifu::STATUS, (bank_.get(ifu::STATUS) & ~uint64_t{clear}) | set);
}

void Ifu::update_irq() { irq_changed_.notify(SC_ZERO_TIME); }

// The only writer of the irq port, so the signal has one driver whichever process changed status.
void Ifu::drive_irq() {
  const uint64_t ctrl = bank_.get(ifu::CTRL), status = bank_.get(ifu::STATUS);
  const bool done = (status & ifu::kStatusDone) && (ctrl & ifu::kCtrlDoneIrqEnable);
  const bool error = (status & ifu::kStatusError) && (ctrl & ifu::kCtrlErrorIrqEnable);
  irq.write(done || error);
}

// ---------------------------------------------------------------------------------------------
// Job lifecycle

void Ifu::start_job() {
  if (job_.active) {
    ++stats_.refused_starts;
    DLVP_LOG_WARN_LIMITED(name(), "START ignored: job " << job_.number << " is still running (STATUS.BUSY)");
    return;
  }
  const sc_time at = sc_core::sc_time_stamp() + register_access_offset_;
  job_ = Job{};
  job_.active = true;
  job_.number = jobs_started_++;
  job_.start = at;
  job_.last_event = at;
  job_.dispatch = DispatchState::running;
  job_.instr_base = bank_.get(ifu::INSTR_BASE);
  if (static_energy_probe_) job_.static_at_start = static_energy_probe_(at);
  job_.instr_count = static_cast<uint32_t>(bank_.get(ifu::INSTR_COUNT));
  for (uint32_t a = 0; a < isa::kArgCount; ++a)
    job_.args[a] = ifu::ArgWindow{bank_.get(ifu::arg_base_reg(a)), bank_.get(ifu::arg_size_reg(a))};
  tokens_.fill(0);
  for (Lane& l : lanes_) {
    l.fifo.reset(config_.queue_depth, at);
    l.job_figures = ifu::QueueFigures{};
  }
  bank_.set(ifu::ERROR_CODE, isa::kErrNone);
  bank_.set(ifu::ERROR_INDEX, 0);
  bank_.set(ifu::CYCLES, 0);
  bank_.set(ifu::INSTRUCTIONS_RETIRED, 0);
  set_status_bits(ifu::kStatusBusy, ifu::kStatusDone | ifu::kStatusError);
  DLVP_LOG_DEBUG(name(), "job " << job_.number << " started: " << job_.instr_count << " instructions at 0x"
                                << std::hex << job_.instr_base);
  job_started_.notify(SC_ZERO_TIME);
}

void Ifu::note_time(const sc_time& at) { job_.last_event = std::max(job_.last_event, at); }

// The first error (earliest in simulated time) stops the job at its time: nothing that would
// start at or after it starts (queued instructions are dropped when their turn comes), what is in
// flight (DMA, engine time) finishes, then the result is posted. Threads run ahead of each other
// within a quantum, so an earlier error may still arrive after a later one and replace it.
void Ifu::raise(isa::ErrorCode code, uint32_t index, const std::string& reason, const sc_time& at) {
  if (!job_.active || job_.result_scheduled) return;
  if (job_.stopping && at >= job_.stop_time) return;
  job_.stopping = true;
  job_.stop_time = at;
  job_.error = code;
  job_.error_index = index;
  job_.error_reason = reason;
  note_time(at);
  for (Lane& l : lanes_) l.wake.notify(SC_ZERO_TIME);
  dispatcher_wake_.notify(SC_ZERO_TIME);
  evaluate_job();
}

// An instruction that never executes: dropped, or failed when it is the one the error names.
void Ifu::trace_not_executed(const ifu::QueuedInstruction& entry, const sc_time& at) {
  if (entry.record == ifu::kNoRecord) return;
  ifu::InstructionRecord& r = trace_.at(entry.record);
  r.outcome = entry.index == job_.error_index ? ifu::Outcome::failed : ifu::Outcome::dropped;
  r.start = r.end = std::max(r.issue, at);
}

void Ifu::drop_lane(Lane& l, const sc_time& at) {
  if (l.head) trace_not_executed(*l.head, at);
  l.head.reset();
  for (const ifu::QueuedInstruction& entry : l.fifo.drop_all()) trace_not_executed(entry, at);
}

bool Ifu::past_stop(const sc_time& at) const { return job_.stopping && at >= job_.stop_time; }

// Called whenever a thread blocks or stops: decides whether the job is over (DONE, ERROR once
// nothing is in flight) or deadlocked. No polling: the last thread to block sees the final state.
void Ifu::evaluate_job() {
  if (!job_.active || job_.result_scheduled) return;
  const bool dispatcher_running = job_.dispatch == DispatchState::running;
  const bool in_flight = std::any_of(lanes_.begin(), lanes_.end(), [](const Lane& l) { return l.in_flight; });
  if (dispatcher_running || in_flight) return;
  if (job_.stopping) {
    // Instructions that can still start before the stop time will run and block again.
    if (std::none_of(lanes_.begin(), lanes_.end(), [this](const Lane& l) { return lane_can_progress(l); }))
      schedule_result();
    return;
  }
  const bool drained = std::all_of(lanes_.begin(), lanes_.end(), [](const Lane& l) { return !l.head && l.fifo.empty(); });
  if (job_.end_dispatched && drained) {
    schedule_result();
    return;
  }
  uint32_t blocked_index = 0;
  std::string why;
  if (deadlocked(blocked_index, why)) raise(isa::kErrTokenDeadlock, blocked_index, why, sc_core::sc_time_stamp());
}

// The instruction a lane works on next: its taken head, else the front of its queue.
const ifu::QueuedInstruction* Ifu::next_of(const Lane& l) const {
  if (l.head) return &*l.head;
  return l.fifo.empty() ? nullptr : &l.fifo.front();
}

bool Ifu::lane_can_progress(const Lane& l) const {
  if (l.in_flight) return true;
  const ifu::QueuedInstruction* next = next_of(l);
  return next && tokens_available(l.queue, next->instruction.header.deps);
}

// Nothing in flight and the dispatcher blocked or finished: deadlocked when no lane can move.
bool Ifu::deadlocked(uint32_t& blocked_index, std::string& why) const {
  std::ostringstream os;
  bool any_blocked = false;
  for (const Lane& l : lanes_) {
    if (lane_can_progress(l)) return false;
    const ifu::QueuedInstruction* next = next_of(l);
    if (!next) continue;
    if (!any_blocked || next->index < blocked_index) blocked_index = next->index;
    os << (any_blocked ? "; " : "") << ifu::opcode_name(next->instruction.header.opcode) << " #" << next->index
       << " waits for a token" << describe_missing_tokens(l.queue, next->instruction.header.deps);
    any_blocked = true;
  }
  if (!any_blocked) return false;
  if (job_.dispatch == DispatchState::blocked) os << "; dispatch waits for room in a full queue";
  else os << "; every instruction up to END has been dispatched";
  why = os.str();
  return true;
}

std::string Ifu::describe_missing_tokens(isa::Queue queue, uint8_t deps) const {
  std::string from;
  auto missing = [&](isa::Queue neighbour) {
    if (tokens_[ifu::token_path(neighbour, queue)] == 0) from += std::string(from.empty() ? " from " : " and ") + ifu::queue_name(neighbour);
  };
  if (deps & isa::kPopPrev) missing(ifu::previous_queue(queue));
  if (deps & isa::kPopNext) missing(ifu::next_queue(queue));
  return from;
}

void Ifu::schedule_result() {
  job_.result_scheduled = true;
  dispatcher_wake_.notify(SC_ZERO_TIME);  // a dispatcher blocked on a full queue gives up
  const sc_time now = sc_core::sc_time_stamp();
  result_due_.notify(job_.last_event > now ? job_.last_event - now : SC_ZERO_TIME);
}

// Runs at the job's end time: the result becomes visible to software exactly then.
void Ifu::post_result() {
  const sc_time end = sc_core::sc_time_stamp();
  const bool failed = job_.error != isa::kErrNone;
  if (!failed) ++job_.retired;  // END retires when the job completes
  for (Lane& l : lanes_) {  // heads still waiting for tokens never ran
    drop_lane(l, end);
    l.wake.notify(SC_ZERO_TIME);
  }
  const uint64_t cycles = clock_.to_cycles(end - job_.start);
  bank_.set(ifu::CYCLES, cycles);
  bank_.set(ifu::INSTRUCTIONS_RETIRED, job_.retired);
  bank_.set(ifu::ERROR_CODE, job_.error);
  bank_.set(ifu::ERROR_INDEX, job_.error_index);

  JobSummary summary;
  summary.job = job_.number;
  summary.instr_base = job_.instr_base;
  summary.start = job_.start;
  summary.end = end;
  summary.cycles = cycles;
  summary.instructions_retired = job_.retired;
  summary.error = job_.error;
  summary.error_index = job_.error_index;
  summary.fetch_bytes = job_.fetch_bytes;
  for (const Lane& l : lanes_) {
    summary.queues[l.queue] = l.job_figures;
    stats_.queues[l.queue].add(l.job_figures);
  }
  trace_.add_job(summary);
  account_layers(failed, end);
  ++stats_.jobs;
  stats_.instructions_retired += job_.retired;
  stats_.busy += end - job_.start;
  if (failed) {
    ++stats_.jobs_failed;
    ++stats_.errors[job_.error];
    DLVP_LOG_WARN_LIMITED(name(), "job " << job_.number << " stopped at instruction " << job_.error_index << ": "
                                         << ifu::error_name(job_.error) << " (ERROR_CODE " << unsigned(job_.error)
                                         << "): " << job_.error_reason);
  } else {
    DLVP_LOG_INFO_LIMITED(name(), "job " << job_.number << " done: " << job_.retired << " instructions in " << cycles
                                         << " cycles");
  }
  job_.active = false;
  set_status_bits(failed ? ifu::kStatusError : ifu::kStatusDone, ifu::kStatusBusy);
  update_irq();
}

// ---------------------------------------------------------------------------------------------
// Layer time (docs/ifu.md, "Layer time")

// The ledger tag of the running program's layer; resolved through the ledger once per layer and job.
TagId Ifu::ledger_tag_of(uint32_t layer) {
  if (const auto it = job_.ledger_tags.find(layer); it != job_.ledger_tags.end()) return it->second;
  const TagId tag = layer_tag(ledger_, job_.instr_base, layer);
  if (job_.ledger_tags.size() < kMaxLayerTags) job_.ledger_tags.emplace(layer, tag);
  return tag;
}

void Ifu::record_executed(const Lane& l, const sc_time& start, const sc_time& end) {
  if (job_.executed.size() >= config_.layer_records) {
    job_.executed_overflow = true;
    return;
  }
  job_.executed.push_back(ifu::ExecutedInstruction{l.head->index, l.head->instruction.header.tag, l.queue,
                                                   picoseconds(l.head_taken), picoseconds(start), picoseconds(end)});
}

Ifu::ProgramAccount& Ifu::program_account(uint64_t base) {
  auto& [key, account] = bounded_entry(programs_, base, kMaxPrograms, kOtherPrograms);
  account.base = key;
  return account;
}

// At the job's end: a completed job's time goes to its layers, and the ledger's and the engines'
// per-layer figures of the job are kept; any other job is excluded from all of them.
void Ifu::account_layers(bool failed, const sc_time& end) {
  ProgramAccount& program = program_account(job_.instr_base);
  const bool completed = !failed && !job_.executed_overflow;
  ledger_.end_job(completed);
  for (ComputeEngineIf* engine : engines_) engine->end_job(completed);
  if (!completed) {
    ++program.jobs_excluded[failed ? std::string("failed: ") + ifu::error_name(job_.error)
                                   : "more than ifu.layer_records = " + std::to_string(config_.layer_records) +
                                         " instructions"];
    job_.executed = {};
    return;
  }
  const ifu::Picoseconds start_ps = picoseconds(job_.start), end_ps = picoseconds(end);
  ++program.jobs_completed;
  program.job_time += end_ps - start_ps;
  std::array<double, kLevelCount> job_static{};
  if (static_energy_probe_) {
    const std::array<double, kLevelCount> at_end = static_energy_probe_(end);
    for (int l = 0; l < kLevelCount; ++l) job_static[l] = at_end[l] - job_.static_at_start[l];
  }
  for (const ifu::LayerTime& t : ifu::attribute_layers(start_ps, end_ps, job_.executed)) {
    const TagId tag = ledger_tag_of(t.layer);
    const auto [it, added] = program.position.emplace(tag, program.layers.size());
    if (added) program.layers.push_back(LayerAccount{t.layer, tag, {}});
    LayerAccount& layer = program.layers[it->second];
    if (layer.layer != t.layer) layer.layer = kOverflowLayer;  // the overflow tag: several layers
    layer.time.add(t);
    const double share = end_ps > start_ps ? double(t.time) / double(end_ps - start_ps) : 0.0;
    for (int l = 0; l < kLevelCount; ++l) layer.static_energy[l] += job_static[l] * share;
  }
  job_.executed = {};
}

void Ifu::report_programs(nlohmann::json& out) const {
  nlohmann::json programs = nlohmann::json::array();
  for (const auto& [base, p] : programs_) {
    nlohmann::json excluded = nlohmann::json::object();
    for (const auto& [reason, count] : p.jobs_excluded) excluded[reason] = count;
    // A job still running when the run ended (the time limit) is excluded too.
    if (job_.active && (job_.instr_base == base || (base == kOtherPrograms && !programs_.count(job_.instr_base))))
      excluded["running at the end of the run"] = 1;
    nlohmann::json layers = nlohmann::json::array();
    for (const LayerAccount& l : p.layers) {
      const ifu::LayerTime& t = l.time;
      nlohmann::json row = {{"tag", l.layer},
                            {"time_ps", t.time},
                            {"time_ns", nanoseconds(t.time)},
                            {"engine_busy_ns", nanoseconds(t.engine_busy)},
                            {"memory_stall_ns", nanoseconds(t.memory_stall)},
                            {"store_tail_ns", nanoseconds(t.store_tail)},
                            {"other_ns", nanoseconds(t.other)},
                            {"span_ns", nanoseconds(t.span)},
                            {"overlapped_ns", nanoseconds(t.overlapped)},
                            {"load_instructions", t.load_instructions},
                            {"compute_instructions", t.compute_instructions},
                            {"store_instructions", t.store_instructions}};
      report_tag(ledger_, l.ledger_tag, row);
      report_static_energy(l.static_energy, row);
      layers.push_back(row);
    }
    programs.push_back({{"instr_base", base},
                        {"jobs_completed", p.jobs_completed},
                        {"job_time_ps", p.job_time},
                        {"job_time_ns", nanoseconds(p.job_time)},
                        {"jobs_excluded", excluded},
                        {"layers", layers}});
  }
  // A job running at the end of a program never completed before.
  if (job_.active && !programs_.count(job_.instr_base) && programs_.size() < kMaxPrograms)
    programs.push_back({{"instr_base", job_.instr_base},
                        {"jobs_completed", 0},
                        {"job_time_ps", 0},
                        {"job_time_ns", 0.0},
                        {"jobs_excluded", {{"running at the end of the run", 1}}},
                        {"layers", nlohmann::json::array()}});
  out["layer_records"] = config_.layer_records;
  out["programs"] = programs;
}

// ---------------------------------------------------------------------------------------------
// Dispatcher: fetch, decode, check, dispatch

void Ifu::dispatch_thread() {
  for (;;) {
    sc_core::wait(job_started_);
    run_dispatch();
    job_.dispatch = DispatchState::finished;
    evaluate_job();
  }
}

void Ifu::run_dispatch() {
  dispatcher_quantum_.reset();
  advance_to(dispatcher_quantum_, job_.start);
  current_burst_.first = current_burst_.count = 0;
  next_burst_issued_ = false;
  for (uint32_t index = 0; !past_stop(dispatcher_now()) && !job_.result_scheduled; ++index) {
    if (index >= job_.instr_count) {
      raise(isa::kErrNoEnd, job_.instr_count,
            "no END among the " + std::to_string(job_.instr_count) + " instructions of INSTR_COUNT", dispatcher_now());
      return;
    }
    if (!fetch_for(index)) {
      std::ostringstream why;
      why << "fetching instructions " << index << ".." << index + current_burst_.count - 1 << " from 0x" << std::hex
          << job_.instr_base + uint64_t{index} * isa::kInstructionBytes << " failed on the bus";
      raise(isa::kErrFetchError, index, why.str(), dispatcher_now());
      return;
    }
    dispatcher_quantum_.inc(clock_.cycles(config_.decode_cycles));
    ++stats_.instructions_decoded;
    const isa::Instruction instruction = instruction_at(index);
    const ifu::Verdict verdict = check(instruction);
    // The decoder's read and the decode are the instruction's layer's (END and a refused one: no layer's).
    const bool executes = verdict.ok() && instruction.header.opcode != isa::kOpEnd;
    const TagId tag = executes ? ledger_tag_of(instruction.header.tag) : kUntagged;
    count_energy(counters_.fetch_buffer_read, kWordsPerInstruction, tag);
    count_energy(counters_.decode, 1, tag);
    if (!verdict.ok()) {
      trace_decode_failure(instruction, index);
      raise(verdict.code, index, std::string(ifu::opcode_name(instruction.header.opcode)) + ": " + verdict.reason,
            dispatcher_now());
      return;
    }
    if (instruction.header.opcode == isa::kOpEnd) {
      dispatch_end(instruction, index);
      return;
    }
    if (!dispatch(instruction, index, tag)) return;
    if (dispatcher_quantum_.need_sync()) dispatcher_quantum_.sync();
  }
}

// Makes the burst holding `index` current (fetching it if it was not prefetched) and prefetches
// the following one: a two-burst fetch buffer, so fetch latency overlaps decoding. False when the
// current burst's fetch failed.
bool Ifu::fetch_for(uint32_t index) {
  if (index < current_burst_.first + current_burst_.count) return true;
  if (next_burst_issued_) {
    std::swap(current_burst_, next_burst_);
    next_burst_issued_ = false;
  } else {
    issue_fetch(current_burst_, index);
  }
  advance_to(dispatcher_quantum_, current_burst_.arrival);
  if (!current_burst_.ok) return false;
  const uint32_t following = current_burst_.first + current_burst_.count;
  if (following < job_.instr_count) {
    issue_fetch(next_burst_, following);
    next_burst_issued_ = true;
  }
  return true;
}

void Ifu::issue_fetch(FetchBurst& burst, uint32_t first) {
  burst.first = first;
  burst.count = std::min(config_.fetch_burst_instructions, job_.instr_count - first);
  const uint64_t bytes = uint64_t{burst.count} * isa::kInstructionBytes;
  const uint64_t offset = uint64_t{first} * isa::kInstructionBytes;  // below 2^38: no overflow
  // INSTR_BASE is software's: the burst must not wrap around the address space.
  const bool addressable = range_fits_address_space(job_.instr_base, offset + bytes);
  const uint64_t address = job_.instr_base + offset;  // wrapped (and only logged) when not addressable
  sc_time delay = dispatcher_quantum_.get_local_time();  // issued now; the dispatcher does not wait for it
  burst.ok = false;
  if (addressable) {
    setup_payload(fetch_trans_, tlm::TLM_READ_COMMAND, address, burst.bytes.data(), static_cast<unsigned>(bytes));
    const sc_time issued = sc_core::sc_time_stamp() + delay;
    fetch_socket->b_transport(fetch_trans_, delay);
    keep_local_time_at(dispatcher_quantum_, issued);
    burst.ok = fetch_trans_.is_response_ok();
  }
  burst.arrival = sc_core::sc_time_stamp() + delay;
  ++stats_.fetch_transactions;
  if (burst.ok) {
    stats_.fetch_bytes += bytes;
    job_.fetch_bytes += bytes;
    // Into the fetch buffer: the fetch's, like its bus beats and DDR bursts (no layer's: a burst
    // holds instructions of several layers, and past END of none).
    count_energy(counters_.fetch_buffer_write, uint64_t{burst.count} * kWordsPerInstruction, kUntagged);
  } else {
    ++stats_.fetch_errors;
    // Debug only: a prefetch past END may fail harmlessly; the job's error is logged if it matters.
    DLVP_LOG_DEBUG(name(), "fetch of instructions " << first << ".." << first + burst.count - 1 << " (" << bytes
                                                   << " B at 0x" << std::hex << address << ") failed: "
                                                   << (addressable ? fetch_trans_.get_response_string()
                                                                   : std::string("address wraps")));
  }
}

isa::Instruction Ifu::instruction_at(uint32_t index) const {
  isa::Instruction instruction;
  // The SoC and every supported host are little-endian, like the encoding.
  std::memcpy(&instruction, current_burst_.bytes.data() + size_t{index - current_burst_.first} * isa::kInstructionBytes,
              isa::kInstructionBytes);
  return instruction;
}

ComputeEngineIf* Ifu::engine_for(uint8_t opcode) const {
  for (ComputeEngineIf* engine : engines_)
    if (engine->handles(opcode)) return engine;
  return nullptr;
}

ComputeEngineIf* Ifu::owner_of(isa::Buffer buffer) const {
  for (ComputeEngineIf* engine : engines_)
    if (engine->buffer_size(buffer) != 0) return engine;
  return nullptr;
}

ifu::BufferSizes Ifu::buffer_sizes() const {
  ifu::BufferSizes sizes{};
  for (int b = 0; b < isa::kBufCount; ++b)
    if (const ComputeEngineIf* owner = owner_of(static_cast<isa::Buffer>(b)))
      sizes[b] = owner->buffer_size(static_cast<isa::Buffer>(b));
  return sizes;
}

ifu::Verdict Ifu::check(const isa::Instruction& instruction) const {
  ifu::Verdict verdict = ifu::check_instruction(instruction, job_.args, buffer_sizes());
  const uint8_t opcode = instruction.header.opcode;
  if (verdict.ok() && isa::queue_of(opcode) == isa::kQueueCompute && !engine_for(opcode))
    verdict = ifu::Verdict{isa::kErrUnknownOpcode, std::string("no compute engine attached to this IFU executes ") +
                                                       ifu::opcode_name(opcode)};
  return verdict;
}

ifu::InstructionRecord Ifu::record_of(const isa::Instruction& instruction, uint32_t index, const sc_time& at) const {
  ifu::InstructionRecord r;
  r.job = job_.number;
  r.instr_base = job_.instr_base;
  r.index = index;
  r.opcode = instruction.header.opcode;
  r.queue = isa::queue_of(instruction.header.opcode);
  r.tag = instruction.header.tag;
  r.dispatch = r.issue = r.start = r.end = at;
  return r;
}

void Ifu::trace_decode_failure(const isa::Instruction& instruction, uint32_t index) {
  ifu::InstructionRecord r = record_of(instruction, index, dispatcher_now());
  r.outcome = ifu::Outcome::failed;
  trace_.add(r);
}

void Ifu::dispatch_end(const isa::Instruction& instruction, uint32_t index) {
  ifu::InstructionRecord r = record_of(instruction, index, dispatcher_now());
  r.outcome = ifu::Outcome::retired;
  trace_.add(r);
  job_.end_dispatched = true;
  note_time(r.end);
}

// Puts the instruction into its queue, waiting for a free slot if the queue is full. False when
// the job stopped meanwhile.
bool Ifu::dispatch(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag) {
  Lane& target = lane(isa::queue_of(instruction.header.opcode));
  const sc_time wanted = dispatcher_now();
  if (!wait_for_slot(target)) return false;
  advance_to(dispatcher_quantum_, target.fifo.free_since());
  const sc_time at = dispatcher_now();
  if (past_stop(at)) return false;
  target.job_figures.dispatch_stall += at - wanted;
  ifu::QueuedInstruction entry;
  entry.instruction = instruction;
  entry.index = index;
  entry.dispatched = at;
  entry.ledger_tag = ledger_tag;
  ifu::InstructionRecord r = record_of(instruction, index, at);
  r.outcome = ifu::Outcome::pending;
  entry.record = trace_.add(r);
  target.fifo.push(entry);
  count_energy(counters_.queue_write, kWordsPerInstruction, ledger_tag);
  target.wake.notify(SC_ZERO_TIME);
  return true;
}

// False when the job ended while the dispatcher waited.
bool Ifu::wait_for_slot(Lane& target) {
  if (target.fifo.has_free_slot()) return true;
  settle(dispatcher_quantum_);
  while (!target.fifo.has_free_slot()) {
    if (job_.result_scheduled) return false;
    job_.dispatch = DispatchState::blocked;
    evaluate_job();
    if (!target.fifo.has_free_slot() && !job_.result_scheduled) sc_core::wait(dispatcher_wake_);
    job_.dispatch = DispatchState::running;
    dispatcher_quantum_.reset();
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Queue threads

void Ifu::lane_thread(Lane& l) {
  for (;;) {
    if (!l.head && !l.fifo.empty()) take_head(l);
    if (!l.head || !tokens_available(l.queue, l.head->instruction.header.deps)) block(l);
    else if (past_stop(lane_now(l))) drop_lane(l, lane_now(l));  // it would start after the error
    else execute_head(l);
  }
}

bool Ifu::lane_waiting(const Lane& l) const {
  return l.head ? !tokens_available(l.queue, l.head->instruction.header.deps) : l.fifo.empty();
}

// Waits until an entry arrives or a token comes. Synchronizes first, then looks again (the world
// may have moved during the sync), then lets the job evaluate whether anything can still move.
void Ifu::block(Lane& l) {
  settle(l.quantum);
  if (!lane_waiting(l)) return;
  evaluate_job();
  if (lane_waiting(l)) sc_core::wait(l.wake);
  l.quantum.reset();
}

void Ifu::take_head(Lane& l) {
  const sc_time at = std::max(lane_now(l), l.fifo.front().dispatched);
  advance_to(l.quantum, at);
  l.head = l.fifo.take(at);
  l.head_taken = at;
  count_energy(counters_.queue_read, kWordsPerInstruction, l.head->ledger_tag);
  if (l.head->record != ifu::kNoRecord) trace_.at(l.head->record).issue = at;
  dispatcher_wake_.notify(SC_ZERO_TIME);  // a slot is free
}

void Ifu::execute_head(Lane& l) {
  const ifu::QueuedInstruction entry = *l.head;
  const uint8_t deps = entry.instruction.header.deps;
  consume_tokens(l.queue, deps);
  l.in_flight = true;
  l.job_figures.token_wait += lane_now(l) - l.head_taken;
  l.quantum.inc(clock_.cycles(ifu::pops_of(deps)));  // pop handshakes
  const sc_time start = lane_now(l);

  std::string reason;
  const isa::ErrorCode code = l.queue == isa::kQueueCompute ? run_compute(l, entry, reason)
                                                            : run_transfer(l, entry.instruction.transfer, reason);
  if (code != isa::kErrNone) {
    finish_head(l, ifu::Outcome::failed, start);
    raise(code, entry.index, std::string(ifu::opcode_name(entry.instruction.header.opcode)) + ": " + reason,
          lane_now(l));
    return;
  }
  push_tokens(l, deps);
  finish_head(l, ifu::Outcome::retired, start);
  ++job_.retired;
  if (l.quantum.need_sync()) l.quantum.sync();
}

void Ifu::finish_head(Lane& l, ifu::Outcome outcome, const sc_time& start) {
  const sc_time end = lane_now(l);
  if (l.head->record != ifu::kNoRecord) {
    ifu::InstructionRecord& r = trace_.at(l.head->record);
    r.start = start;
    r.end = end;
    r.outcome = outcome;
  }
  record_executed(l, start, end);
  ++l.job_figures.instructions;
  l.job_figures.busy += end - start;
  note_time(end);
  l.head.reset();
  l.in_flight = false;
}

isa::ErrorCode Ifu::run_compute(Lane& l, const ifu::QueuedInstruction& entry, std::string& reason) {
  sc_time delay = l.quantum.get_local_time();
  // check() made sure at decode that an engine handles the opcode.
  const isa::ErrorCode code = engine_for(entry.instruction.header.opcode)->execute(entry.instruction, entry.index, entry.ledger_tag, delay);
  if (code != isa::kErrNone) {
    reason = "the compute engine refused it";
    return code;
  }
  l.quantum.set(delay);
  return isa::kErrNone;
}

// One DMA job per plane (or one for all, see TransferPlan), each submitted when the previous one
// completes; the thread sleeps until the last completes. The DMA starts no job before the
// submitter's simulated time and calls back at the job's completion time.
isa::ErrorCode Ifu::run_transfer(Lane& l, const isa::Transfer& transfer, std::string& reason) {
  const uint64_t ddr_address = job_.args[transfer.arg].base + transfer.ddr_offset;
  // check_transfer made sure at decode that the buffer has an owner (its size is not 0).
  const uint64_t buffer_address =
      owner_of(static_cast<isa::Buffer>(transfer.buffer))->buffer_base(static_cast<isa::Buffer>(transfer.buffer)) +
      transfer.buffer_offset;
  l.transfer.emplace(transfer, ddr_address, buffer_address);
  l.transfer_tag = l.head->ledger_tag;
  l.next_dma_job = 0;
  l.transfer_pending = true;
  l.transfer_result = DmaErrorCode::none;
  submit_next_dma_job(l, l.quantum.get_local_time());
  while (l.transfer_pending) sc_core::wait(l.transfer_done);
  l.quantum.reset();  // now is the completion time of the last DMA job
  l.transfer.reset();
  if (l.transfer_result == DmaErrorCode::none) return isa::kErrNone;
  reason = std::string("DMA channel ") + std::to_string(dma_channel_of(l)) + " reported: " +
           dma::to_string(l.transfer_result);
  return isa::kErrDmaError;
}

unsigned Ifu::dma_channel_of(const Lane& l) const {
  return l.queue == isa::kQueueLoad ? config_.load_dma_channel : config_.store_dma_channel;
}

void Ifu::submit_next_dma_job(Lane& l, const sc_time& local_time) {
  const DmaDescriptor descriptor = l.transfer->job(l.next_dma_job++);
  dma_.submit(dma_channel_of(l), descriptor, [this, &l](DmaErrorCode code) { on_dma_job_done(l, code); }, local_time,
              l.transfer_tag);
}

// Runs in the DMA channel's thread at the job's completion time.
void Ifu::on_dma_job_done(Lane& l, DmaErrorCode code) {
  if (code == DmaErrorCode::none && l.next_dma_job < l.transfer->jobs()) {
    submit_next_dma_job(l, SC_ZERO_TIME);
    return;
  }
  l.transfer_result = code;
  l.transfer_pending = false;
  l.transfer_done.notify(SC_ZERO_TIME);
}

// ---------------------------------------------------------------------------------------------
// Tokens

// Flags toward missing neighbours never get here: check_deps refused them at decode.
bool Ifu::tokens_available(isa::Queue queue, uint8_t deps) const {
  if ((deps & isa::kPopPrev) && tokens_[ifu::token_path(ifu::previous_queue(queue), queue)] == 0) return false;
  if ((deps & isa::kPopNext) && tokens_[ifu::token_path(ifu::next_queue(queue), queue)] == 0) return false;
  return true;
}

void Ifu::consume_tokens(isa::Queue queue, uint8_t deps) {
  if (deps & isa::kPopPrev) --tokens_[ifu::token_path(ifu::previous_queue(queue), queue)];
  if (deps & isa::kPopNext) --tokens_[ifu::token_path(ifu::next_queue(queue), queue)];
}

// Each push is a one-cycle handshake. The thread synchronizes first, so the receiver (which is at
// or behind SystemC time) sees the token exactly at the pusher's simulated time.
void Ifu::push_tokens(Lane& l, uint8_t deps) {
  const unsigned pushes = ifu::pushes_of(deps);
  if (pushes == 0) return;
  l.quantum.inc(clock_.cycles(pushes));
  settle(l.quantum);
  auto send = [&](isa::Queue to) {
    ++tokens_[ifu::token_path(l.queue, to)];
    lane(to).wake.notify(SC_ZERO_TIME);
  };
  if (deps & isa::kPushPrev) send(ifu::previous_queue(l.queue));
  if (deps & isa::kPushNext) send(ifu::next_queue(l.queue));
}

// ---------------------------------------------------------------------------------------------
// Statistics

void Ifu::report(nlohmann::json& out, double elapsed_ns) const {
  auto ns = [](const sc_time& t) { return t.to_seconds() * 1e9; };
  out["clock_MHz"] = config_.clock_mhz;
  out["queue_depth"] = config_.queue_depth;
  out["fetch_burst_instructions"] = config_.fetch_burst_instructions;
  out["jobs"] = stats_.jobs;
  out["jobs_done"] = stats_.jobs - stats_.jobs_failed;
  out["jobs_failed"] = stats_.jobs_failed;
  out["refused_starts"] = stats_.refused_starts;
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [code, count] : stats_.errors) errors[ifu::error_name(code)] = count;
  out["errors"] = errors;
  out["instructions_decoded"] = stats_.instructions_decoded;
  out["instructions_retired"] = stats_.instructions_retired;
  out["fetch_transactions"] = stats_.fetch_transactions;
  out["fetch_bytes"] = stats_.fetch_bytes;
  out["fetch_errors"] = stats_.fetch_errors;
  out["busy_time_ns"] = ns(stats_.busy);
  out["utilization"] = elapsed_ns > 0 ? ns(stats_.busy) / elapsed_ns : 0.0;
  nlohmann::json queues = nlohmann::json::object();
  for (int q = isa::kQueueLoad; q <= isa::kQueueStore; ++q) {
    const ifu::QueueFigures& f = stats_.queues[q];
    queues[ifu::queue_name(static_cast<isa::Queue>(q))] = {
        {"instructions", f.instructions},
        {"busy_time_ns", ns(f.busy)},
        {"utilization", elapsed_ns > 0 ? ns(f.busy) / elapsed_ns : 0.0},
        {"token_wait_ns", ns(f.token_wait)},
        {"dispatch_stall_ns", ns(f.dispatch_stall)}};
  }
  out["queues"] = queues;
  access_stats_.report(out);
  out["trace_records"] = trace_.records().size();
  out["trace_records_not_kept"] = trace_.records_not_kept();
  report_programs(out);
}

}  // namespace dlvp
