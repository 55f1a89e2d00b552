#include "ddr_controller.h"

#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"
#include "ip/common/log.h"
#include "ip/common/range_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dlvp {

namespace {

// Built once (constructing an sc_time from a unit is costly on the per-transaction path); the
// time resolution is fixed by then, since the first call is made during the simulation.
const sc_core::sc_time& one_ps() {
  static const sc_core::sc_time ps(1, sc_core::SC_PS);
  return ps;
}

// Time resolution ticks per ps (0 when the resolution is coarser than 1 ps): integer conversions
// on the per-transaction path.
uint64_t ticks_per_ps() {
  static const uint64_t ticks = one_ps().value();
  return ticks;
}

uint64_t to_ps(const sc_core::sc_time& t) {
  const uint64_t ticks = ticks_per_ps();
  return ticks ? (t.value() + ticks / 2) / ticks : static_cast<uint64_t>(std::llround(t / one_ps()));
}

sc_core::sc_time from_ps(uint64_t ps) {
  const uint64_t ticks = ticks_per_ps();
  return ticks ? sc_core::sc_time::from_value(ps * ticks) : one_ps() * static_cast<double>(ps);
}

// Rejects combinations that would make the model divide by zero; the binders' ranges already
// exclude them for anything loaded from files, this guards structs filled in code.
const DdrConfig& validated(const DdrConfig& c, const DdrTiming& t) {
  const std::pair<const char*, uint64_t> must_be_positive[] = {
      {"ddr.size_bytes", c.size_bytes}, {"ddr.channels", c.channels}, {"ddr.ranks", c.ranks},
      {"ddr.channel_interleave_bytes", c.channel_interleave_bytes}, {"tCK_ps", t.tCK_ps},
      {"burst_length", t.burst_length}, {"data_rate", t.data_rate}, {"bank_groups", t.bank_groups},
      {"banks", t.banks}, {"rows", t.rows}, {"columns", t.columns}, {"device_width_bits", t.device_width_bits},
      {"bus_width_bits", t.bus_width_bits}, {"tREFI", t.tREFI}};
  for (const auto& [key, value] : must_be_positive)
    if (value == 0) throw ConfigError("DDR preset '" + t.name + "': key '" + key + "' must be positive");
  if (t.banks % t.bank_groups || t.bus_width_bits % 8 || t.columns % t.burst_length)
    throw ConfigError("DDR preset '" + t.name + "': banks, bus_width_bits or columns inconsistent with "
                      "bank_groups, bytes or burst_length");
  return c;
}

}  // namespace

DdrController::DdrController(sc_core::sc_module_name name, const DdrConfig& config, const DdrTiming& timing,
                             EnergyLedger& ledger)
    : sc_core::sc_module(name),
      socket("socket"),
      ledger_(ledger),
      config_(validated(config, timing)),
      timing_(timing),
      map_(config_, timing_),
      storage_(config_.size_bytes),
      accountant_(*this),
      data_latency_cycles_(std::min(timing_.CL, timing_.CWL) + timing_.burst_cycles()),
      closed_page_(config_.closed_page()) {
  const size_t bank_count = size_t(config_.channels) * config_.ranks * timing_.banks;
  stats_.bank_activates.assign(bank_count, 0);
  stats_.bank_reads.assign(bank_count, 0);
  stats_.bank_writes.assign(bank_count, 0);
  const DdrPowerParams power = DdrPowerParams::from(config_, timing_);
  channels_.reserve(config_.channels);
  for (unsigned c = 0; c < config_.channels; ++c)
    channels_.emplace_back(timing_, c, config_.ranks, power, ledger, std::string(this->name()), stats_);
  bursts_.resize(config_.channels);
  dmi_busy_.resize(config_.channels);
  last_column_.resize(config_.channels);
  committed_.resize(config_.channels);
  if (config_.reorders()) {
    schedulers_.reserve(config_.channels);
    slot_waits_.resize(config_.channels);
    for (unsigned c = 0; c < config_.channels; ++c) {
      schedulers_.emplace_back(channels_[c], config_, timing_);
      for (size_t i = 0; i < schedulers_[c].slots(); ++i) slot_waits_[c].push_back(std::make_unique<SlotWait>());
      on_done_.push_back([this, c](DdrScheduler::Slot slot, DdrCycle end) {
        SlotWait& w = *slot_waits_[c][slot];
        w.done = true;
        w.end = end;
        w.done_event.notify();
        if (space_waiters_ > 0) queue_space_.notify();  // a place freed
      });
    }
    SC_METHOD(run_schedulers);
    sensitive << scheduler_wake_;
    dont_initialize();
  }
  const uint64_t capacity = timing_.rank_bytes() * config_.ranks * config_.channels;
  if (config_.size_bytes > capacity)
    DLVP_LOG_INFO(this->name(), "size " << config_.size_bytes << " bytes exceeds the " << capacity
                                        << " bytes of preset " << timing_.name
                                        << "; row indices extend beyond the preset's rows");
  socket.register_b_transport(this, &DdrController::b_transport);
  socket.register_transport_dbg(this, &DdrController::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &DdrController::get_direct_mem_ptr);
}

DdrController::Check DdrController::check(const tlm::tlm_generic_payload& trans) const {
  const uint64_t address = trans.get_address();
  const uint64_t length = trans.get_data_length();
  if (length == 0) return {tlm::TLM_BURST_ERROR_RESPONSE, "zero data length"};
  if (!trans.get_data_ptr()) return {tlm::TLM_GENERIC_ERROR_RESPONSE, "no data pointer"};
  if (!range_within(address, length, 0, storage_.size())) return {tlm::TLM_ADDRESS_ERROR_RESPONSE, "outside the DDR"};
  if (trans.get_streaming_width() < length) return {tlm::TLM_BURST_ERROR_RESPONSE, "streaming width below length"};
  if (const unsigned char* enables = trans.get_byte_enable_ptr()) {
    const unsigned enable_length = trans.get_byte_enable_length();
    if (enable_length == 0) return {tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, "byte-enable pointer with zero length"};
    for (unsigned i = 0; i < enable_length; ++i)
      if (enables[i] != TLM_BYTE_ENABLED && enables[i] != TLM_BYTE_DISABLED)
        return {tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, "byte enable neither 0x00 nor 0xff"};
  }
  return {};
}

void DdrController::move_data(tlm::tlm_generic_payload& trans) {
  unsigned char* memory = storage_.data() + trans.get_address();
  unsigned char* data = trans.get_data_ptr();
  const unsigned length = trans.get_data_length();
  const bool write = trans.is_write();
  const unsigned char* enables = trans.get_byte_enable_ptr();
  if (!enables) {
    if (write) std::memcpy(memory, data, length);
    else std::memcpy(data, memory, length);
    return;
  }
  const unsigned enable_length = trans.get_byte_enable_length();
  for (unsigned i = 0; i < length; ++i) {
    if (enables[i % enable_length] != TLM_BYTE_ENABLED) continue;
    if (write) memory[i] = data[i];
    else data[i] = memory[i];
  }
}

void DdrController::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const Check verdict = check(trans);
  if (verdict.status != tlm::TLM_OK_RESPONSE) {
    DLVP_LOG_WARN_LIMITED(name(), (trans.is_write() ? "write" : "read")
                                      << " of " << trans.get_data_length() << " bytes at DDR offset 0x" << std::hex
                                      << trans.get_address() << std::dec << " rejected: " << verdict.reason);
    ++stats_.error_responses;
    trans.set_response_status(verdict.status);
    return;
  }
  move_data(trans);
  const bool write = trans.is_write();
  const TagId tag = energy_tag_of(trans, ledger_);
  const uint64_t tck = timing_.tCK_ps;
  const uint64_t arrival_ps = to_ps(sc_core::sc_time_stamp() + delay);
  const sc_core::sc_process_handle caller = sc_core::sc_get_current_process_handle();
  const bool may_wait = caller.proc_kind() == sc_core::SC_THREAD_PROC_ || caller.proc_kind() == sc_core::SC_CTHREAD_PROC_;
  const bool reorders = !schedulers_.empty();  // frfcfs (no string compare per transaction)
  if (reorders && may_wait) {
    run_schedulers();  // decisions due by now, made lazily
    wait_for_arrival(caller.get_process_object(), arrival_ps);
  }
  // Commands issue on clock edges; the front end adds its latency once per transaction.
  const DdrCycle ready = DdrCycle((arrival_ps + tck - 1) / tck) + config_.controller_latency_cycles;
  split(trans.get_address(), trans.get_data_length());
  const bool queue = reorders && may_wait && !served_at_once(caller.get_process_object(), ready);
  const auto [accepted, end] =
      queue ? serve_queued(caller.get_process_object(), write, tag, ready) : serve_at_once(caller.get_process_object(), write, tag, ready);
  const uint64_t now_ps = to_ps(sc_core::sc_time_stamp()), end_ps = uint64_t(end) * tck;
  delay = from_ps(end_ps > now_ps ? end_ps - now_ps : 0);
  const uint64_t accepted_ps = std::max(arrival_ps, uint64_t(accepted - config_.controller_latency_cycles) * tck);
  record(write, trans.get_data_length(), double(end_ps - std::min(end_ps, accepted_ps)) / 1000.0);
  ledger_.count_dram_traffic(tag, trans.get_data_length(), write);
  trans.set_dmi_allowed(true);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void DdrController::split(uint64_t address, uint64_t length) {
  for (std::vector<DdrLocation>& b : bursts_) b.clear();
  const uint64_t burst_bytes = timing_.burst_bytes();
  for (uint64_t burst = address / burst_bytes * burst_bytes; burst < address + length; burst += burst_bytes) {
    const DdrLocation loc = map_.decode(burst);
    bursts_[loc.channel].push_back(loc);
  }
}

// With FR-FCFS, a transaction is served at once when no request is queued and no other
// initiator's transaction is in flight (there is nothing to reorder it with), or when its own
// initiator has transactions in flight: a loosely-timed initiator that keeps several requests
// outstanding (a DMA channel) presents them one b_transport at a time, in order, and made to
// wait for each it would lose them all. Its bursts count as bypasses of the queued requests; a
// queued request bypassed starvation_cap times is then served at once first, in order, so that
// it is not starved and the initiator keeps its outstanding window.
bool DdrController::served_at_once(const sc_core::sc_object* caller, DdrCycle ready) {
  bool others = false, own = false;
  for (size_t i = 0; i < in_flight_by_initiator_.size();) {
    const auto [initiator, until] = in_flight_by_initiator_[i];
    if (until <= ready) {
      in_flight_by_initiator_[i] = in_flight_by_initiator_.back();
      in_flight_by_initiator_.pop_back();
      continue;
    }
    (initiator == caller ? own : others) = true;
    ++i;
  }
  if (own) {
    for (unsigned c = 0; c < schedulers_.size(); ++c) schedulers_[c].serve_starving_at_once(on_done_[c]);
    return true;
  }
  return !others && std::all_of(schedulers_.begin(), schedulers_.end(), [](const DdrScheduler& s) { return s.idle(); });
}

// While another initiator may still present an earlier request (it has a transaction in flight
// or queued, or has not yet presented one at or after this arrival), a transaction presented
// ahead of the simulation time (temporal decoupling) waits until it arrives: the controller then
// sees the initiators' transactions in time order, as the hardware does, instead of committing
// one that runs ahead (served at once: its timing is fixed when presented) before another's
// earlier transaction presented after it. An initiator presents its own transactions in its time
// order, so one that has presented at or after this arrival has nothing earlier to come. Its
// initiator keeps its outstanding window: it presents the next one as soon as this one returns.
void DdrController::wait_for_arrival(const sc_core::sc_object* caller, uint64_t arrival_ps) {
  InitiatorProgress& mine = progress_of(caller);
  mine.reached_ps = std::max(mine.reached_ps, arrival_ps);
  const uint64_t now_ps = to_ps(sc_core::sc_time_stamp());
  if (arrival_ps <= now_ps) return;
  const DdrCycle now = now_cycle();
  const bool others =
      std::any_of(progress_.begin(), progress_.end(),
                  [&](const InitiatorProgress& p) {
                    return p.initiator != caller && p.reached_ps < arrival_ps;
                  }) ||
      std::any_of(in_flight_by_initiator_.begin(), in_flight_by_initiator_.end(),
                  [&](const auto& entry) { return entry.first != caller && entry.second > now; }) ||
      std::any_of(schedulers_.begin(), schedulers_.end(), [](const DdrScheduler& s) { return !s.idle(); });
  if (!others) return;
  sc_core::wait(from_ps(arrival_ps - now_ps));
  run_schedulers();
}

DdrController::InitiatorProgress& DdrController::progress_of(const sc_core::sc_object* initiator) {
  const auto found = std::find_if(progress_.begin(), progress_.end(),
                                  [initiator](const InitiatorProgress& p) { return p.initiator == initiator; });
  return found != progress_.end() ? *found : progress_.emplace_back(InitiatorProgress{initiator});
}

void DdrController::note_in_flight(const sc_core::sc_object* caller, DdrCycle until) {
  const auto mine = std::find_if(in_flight_by_initiator_.begin(), in_flight_by_initiator_.end(),
                                 [caller](const auto& entry) { return entry.first == caller; });
  if (mine == in_flight_by_initiator_.end()) in_flight_by_initiator_.emplace_back(caller, until);
  else mine->second = std::max(mine->second, until);
}

// Transactions committed at once still hold a queue place until their last column command.
unsigned DdrController::in_flight(unsigned channel, bool write, DdrCycle at) {
  std::deque<DdrCycle>& committed = committed_[channel][write];
  while (!committed.empty() && committed.front() <= at) committed.pop_front();
  return unsigned(committed.size());
}

std::pair<DdrCycle, DdrCycle> DdrController::serve_at_once(const sc_core::sc_object* caller, bool write, TagId tag,
                                                           DdrCycle ready) {
  const DdrCycle requested = ready;
  const uint32_t depth = write ? config_.write_queue_depth : config_.read_queue_depth;
  for (unsigned c = 0; c < channels_.size(); ++c) {
    if (bursts_[c].empty() || in_flight(c, write, ready) < depth) continue;
    const std::deque<DdrCycle>& committed = committed_[c][write];
    // Full: it enters when the transaction that frees a place has issued its last column command.
    ready = std::max(ready, committed[committed.size() - depth] + DdrCycle(config_.controller_latency_cycles));
  }
  if (ready > requested) {
    ++stats_.backpressure_stalls;
    stats_.backpressure_wait_ns += double(uint64_t(ready - requested) * timing_.tCK_ps) / 1000.0;
  }
  const DdrCycle end = schedule(write, tag, ready);
  DdrCycle last_column = 0;
  for (unsigned c = 0; c < channels_.size(); ++c) {
    if (bursts_[c].empty()) continue;
    last_column = std::max(last_column, last_column_[c]);
    committed_[c][write].push_back(last_column_[c]);
    if (!schedulers_.empty()) schedulers_[c].bypass_all(bursts_[c].size());
    note_occupancy(write, in_flight(c, write, ready));
  }
  note_in_flight(caller, last_column);
  // Its rows may have turned queued requests into row hits: their decisions are made again.
  if (std::any_of(schedulers_.begin(), schedulers_.end(), [](const DdrScheduler& s) { return !s.idle(); }))
    run_schedulers();
  return {ready, end};
}

DdrCycle DdrController::now_cycle() const {
  const uint64_t tck = timing_.tCK_ps;
  return DdrCycle((to_ps(sc_core::sc_time_stamp()) + tck - 1) / tck);
}

bool DdrController::has_room(const Bursts& bursts, bool write, DdrCycle now) {
  const uint32_t depth = write ? config_.write_queue_depth : config_.read_queue_depth;
  for (unsigned c = 0; c < channels_.size(); ++c) {
    if (bursts[c].empty()) continue;
    if (!schedulers_[c].has_room(write) || schedulers_[c].queued(write) + in_flight(c, write, now) >= depth)
      return false;
  }
  return true;
}

void DdrController::note_occupancy(bool write, unsigned transactions) {
  uint64_t& peak = write ? stats_.max_write_queue : stats_.max_read_queue;
  peak = std::max<uint64_t>(peak, transactions);
}

std::pair<DdrCycle, DdrCycle> DdrController::serve_queued(const sc_core::sc_object* caller, bool write, TagId tag,
                                                          DdrCycle ready) {
  if (!has_room(bursts_, write, now_cycle())) {
    const sc_core::sc_time stalled = sc_core::sc_time_stamp();
    ++stats_.backpressure_stalls;
    // Other transactions use bursts_ while this one waits.
    const Bursts mine = bursts_;
    ++space_waiters_;
    run_schedulers();  // from now on decisions are made when they are due: a place may free at any
    do sc_core::wait(queue_space_);
    while (!has_room(mine, write, now_cycle()));
    --space_waiters_;
    bursts_ = mine;
    stats_.backpressure_wait_ns += (sc_core::sc_time_stamp() - stalled).to_seconds() * 1e9;
    ready = std::max(ready, now_cycle() + DdrCycle(config_.controller_latency_cycles));
  }
  ++stats_.queued_transactions;
  std::array<std::pair<unsigned, DdrScheduler::Slot>, 4> slots{};
  unsigned used = 0;
  for (unsigned c = 0; c < channels_.size(); ++c) {
    if (bursts_[c].empty()) continue;
    const DdrScheduler::Slot slot = schedulers_[c].enqueue(bursts_[c], write, tag, ready);
    slot_waits_[c][slot]->done = false;
    slots[used++] = {c, slot};
    note_occupancy(write, schedulers_[c].queued(write) + in_flight(c, write, ready));
  }
  run_schedulers();
  DdrCycle end = ready;
  for (unsigned i = 0; i < used; ++i) {
    const auto [c, slot] = slots[i];
    SlotWait& w = *slot_waits_[c][slot];
    while (!w.done) sc_core::wait(w.done_event);
    end = std::max(end, w.end);
    schedulers_[c].release(slot);
  }
  note_in_flight(caller, end);  // its next request, presented before this one's data ends, goes at once
  return {ready, end};
}

// Decides every command that no request still to come can change: a transaction presented now
// is ready at the next clock edge plus the front-end latency at the earliest. Then sleeps until
// the next decisions are needed. A decision for cycle `next` is final from next - front + 1 on,
// but its initiator needs it only by its data end, at least min(CL, CWL) + BL/2 after the column
// command: the scheduler wakes then and decides all cycles up to then at once (its initiators
// return with the rest of the delay). While an initiator waits for a queue place, which frees
// at a decision, it wakes for each decision.
void DdrController::run_schedulers() {
  const DdrCycle front = config_.controller_latency_cycles;
  const DdrCycle last = now_cycle() + front - 1;
  DdrCycle next = DdrChannelModel::kNone;
  for (unsigned c = 0; c < schedulers_.size(); ++c) {
    schedulers_[c].advance(last, on_done_[c]);
    next = std::min(next, schedulers_[c].next_decision());
  }
  if (next == DdrChannelModel::kNone) return;
  const DdrCycle wake = space_waiters_ > 0 ? next - front + 1 : next + data_latency_cycles_;
  const uint64_t wake_ps = uint64_t(wake) * timing_.tCK_ps, now_ps = to_ps(sc_core::sc_time_stamp());
  if (wake_pending_ps_ > now_ps && wake_ps >= wake_pending_ps_) return;  // it runs no later anyway
  scheduler_wake_.notify(from_ps(wake_ps > now_ps ? wake_ps - now_ps : 0));
  wake_pending_ps_ = std::max(wake_ps, now_ps);
}

// Splits the transaction into bursts; they pipeline (each is scheduled from the same ready
// cycle, so activates of later banks overlap earlier transfers). Returns the last data cycle.
DdrCycle DdrController::schedule(bool write, TagId tag, DdrCycle ready) {
  const bool closed_page = closed_page_;
  DdrCycle end = ready;
  touched_banks_.clear();
  for (unsigned c = 0; c < channels_.size(); ++c) {
    for (const DdrLocation& loc : bursts_[c]) {
      const BurstResult result = channels_[c].access(BurstRequest{ready, loc.rank, loc.bank, loc.row, write, tag});
      end = std::max(end, result.data_end);
      last_column_[c] = result.cas;
      if (closed_page) remember_bank(loc);
    }
  }
  for (const auto& [channel, bank] : touched_banks_)
    channels_[channel].auto_precharge(bank / timing_.banks, bank % timing_.banks, tag);
  return end;
}

void DdrController::remember_bank(const DdrLocation& loc) {
  const std::pair<unsigned, unsigned> key{loc.channel, loc.rank * timing_.banks + loc.bank};
  if (std::find(touched_banks_.begin(), touched_banks_.end(), key) == touched_banks_.end())
    touched_banks_.push_back(key);
}

void DdrController::record(bool write, uint64_t length, double read_latency_ns) {
  if (write) {
    ++stats_.write_transactions;
    stats_.bytes_written += length;
    return;
  }
  ++stats_.read_transactions;
  stats_.bytes_read += length;
  stats_.read_latency_sum_ns += read_latency_ns;
  stats_.max_read_latency_ns = std::max(stats_.max_read_latency_ns, read_latency_ns);
}

unsigned int DdrController::transport_dbg(tlm::tlm_generic_payload& trans) {
  const uint64_t address = trans.get_address();
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND || !trans.get_data_ptr() || address >= storage_.size()) return 0;
  const uint64_t length = std::min<uint64_t>(trans.get_data_length(), storage_.size() - address);
  unsigned char* memory = storage_.data() + address;
  if (trans.is_write()) std::memcpy(memory, trans.get_data_ptr(), length);
  else std::memcpy(trans.get_data_ptr(), memory, length);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(length);
}

bool DdrController::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  if (trans.get_address() >= storage_.size()) {
    dmi.set_start_address(storage_.size());  // the denied region: everything above the DDR
    dmi.set_end_address(~uint64_t(0));
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    return false;
  }
  dmi.set_dmi_ptr(storage_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(storage_.size() - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(timing_.burst_time());
  dmi.set_write_latency(timing_.burst_time());
  DmiAccountingExtension* accounting = nullptr;
  trans.get_extension(accounting);
  if (accounting) accounting->accountant = &accountant_;
  return true;
}

// DMI traffic goes through the banks' row state at its arrival (docs/ddr.md, "DMI"): each burst
// wakes its rank and opens its row as a transaction would, counted with its commands' energy. The returned time is the slowest channel's: its bursts at peak bandwidth, the
// row commands each burst waited for (tRP, tRCD) and a low-power exit, plus one CAS latency. The
// data bus is not reserved.
sc_core::sc_time DdrController::account_dmi(const sc_core::sc_time& arrival, uint64_t address, uint64_t bytes,
                                           bool write, TagId tag) {
  if (bytes == 0) return sc_core::SC_ZERO_TIME;
  tag = ledger_.tag_or_current(tag);
  address %= storage_.size();
  const uint64_t burst_bytes = timing_.burst_bytes();
  const uint64_t tck = timing_.tCK_ps;
  const DdrCycle now = DdrCycle((to_ps(arrival) + tck - 1) / tck);
  std::fill(dmi_busy_.begin(), dmi_busy_.end(), DmiBusy{});
  touched_banks_.clear();
  for (uint64_t burst = address / burst_bytes * burst_bytes; burst < address + bytes; burst += burst_bytes) {
    const DdrLocation loc = map_.decode(burst);
    const DdrChannelModel::DmiWait waited =
        channels_[loc.channel].dmi_burst(BurstRequest{now, loc.rank, loc.bank, loc.row, write, tag});
    DmiBusy& busy = dmi_busy_[loc.channel];
    busy.wake = std::max(busy.wake, waited.wake);
    busy.cycles += timing_.burst_cycles() + waited.row;
    if (closed_page_) remember_bank(loc);
  }
  for (const auto& [channel, bank] : touched_banks_)
    channels_[channel].auto_precharge(bank / timing_.banks, bank % timing_.banks, tag);
  DdrCycle slowest = 0;
  for (unsigned c = 0; c < channels_.size(); ++c) {
    slowest = std::max(slowest, dmi_busy_[c].wake + dmi_busy_[c].cycles);
    // A scheduler with requests queued decides from the banks' state, which has changed.
    if (!schedulers_.empty() && dmi_busy_[c].cycles && !schedulers_[c].idle()) schedulers_[c].channel_changed();
  }
  (write ? stats_.bytes_written : stats_.bytes_read) += bytes;
  (write ? stats_.dmi_bytes_written : stats_.dmi_bytes_read) += bytes;
  ledger_.count_dram_traffic(tag, bytes, write);
  return timing_.cycles(slowest + (write ? timing_.CWL : timing_.CL));
}

void DdrController::finalize(sc_core::sc_time end_time) {
  const DdrCycle end = DdrCycle(to_ps(end_time) / timing_.tCK_ps);
  for (DdrChannelModel& channel : channels_) channel.finalize(end);
  for (DdrScheduler& scheduler : schedulers_) scheduler.channel_changed();  // refreshes may have closed rows
}

void DdrController::report(nlohmann::json& out, double elapsed_ns) const {
  const DdrStats& s = stats_;
  out["preset"] = timing_.name;
  out["size_bytes"] = storage_.size();
  out["channels"] = config_.channels;
  out["ranks"] = config_.ranks;
  out["page_policy"] = config_.page_policy;
  out["scheduler"] = config_.scheduler;
  out["address_mapping"] = config_.address_mapping;
  out["peak_bandwidth_GBps"] = peak_bandwidth_Bps() / 1e9;
  out["bytes_read"] = s.bytes_read;
  out["bytes_written"] = s.bytes_written;
  out["read_transactions"] = s.read_transactions;
  out["write_transactions"] = s.write_transactions;
  out["read_bursts"] = s.read_bursts;
  out["write_bursts"] = s.write_bursts;
  out["row_hits"] = s.row_hits;
  out["row_empties"] = s.row_empties;
  out["row_conflicts"] = s.row_conflicts;
  out["row_hit_rate"] = s.row_hit_rate();
  out["activates"] = s.activates;
  out["precharges"] = s.precharges;
  out["refreshes"] = s.refreshes;
  out["avg_read_latency_ns"] = s.avg_read_latency_ns();
  out["max_read_latency_ns"] = s.max_read_latency_ns;
  out["bandwidth_GBps"] = elapsed_ns > 0 ? double(s.bytes_read + s.bytes_written) / elapsed_ns : 0.0;
  out["dmi_bytes_read"] = s.dmi_bytes_read;
  out["dmi_bytes_written"] = s.dmi_bytes_written;
  out["error_responses"] = s.error_responses;
  out["queued_transactions"] = s.queued_transactions;
  out["max_read_queue"] = s.max_read_queue;
  out["max_write_queue"] = s.max_write_queue;
  out["backpressure_stalls"] = s.backpressure_stalls;
  out["backpressure_wait_ns"] = s.backpressure_wait_ns;
  report_power(out);
  out["per_bank"] = {{"index", "(channel x ranks + rank) x banks + bank"},
                     {"activates", s.bank_activates},
                     {"reads", s.bank_reads},
                     {"writes", s.bank_writes}};
}

// Time and energy per power state (all ranks), refresh apart, and the low-power transitions.
// Energies come from the ledger's counters (none in technology-table mode: times only).
void DdrController::report_power(nlohmann::json& out) const {
  const DdrPowerStats& p = stats_.power;
  nlohmann::json& power = out["power"];
  power["power_down"] = config_.power_down;
  power["power_down_idle_cycles"] = config_.power_down_idle_cycles;
  power["power_down_exit"] = config_.power_down_exit;
  power["self_refresh"] = config_.self_refresh;
  power["self_refresh_idle_ns"] = config_.self_refresh_idle_ns;
  const std::string unit = ledger_.unit();
  const bool current_model = !ledger_.tech().has(DdrEnergy::kTableEntry);
  auto energy = [&](const std::string& counter) {
    double sum = 0;
    for (unsigned c = 0; c < config_.channels; ++c)
      sum += ledger_.energy_of(ledger_.find(name(), "ch" + std::to_string(c) + "." + counter), 0.0);
    return sum;
  };
  for (int s = 0; s < kDdrPowerStates; ++s) {
    const std::string state = to_string(static_cast<DdrPowerState>(s));
    power["time_ns"][state] = double(p.state_ps[s]) / 1000.0;
    if (current_model) power["energy_" + unit][state] = energy(state);
  }
  if (current_model) power["energy_" + unit]["refresh"] = energy("refresh");
  power["refreshes_skipped"] = p.refreshes_skipped;
  power["power_down_entries"] = p.power_down_entries;
  power["power_down_exits"] = p.power_down_exits;
  power["self_refresh_entries"] = p.self_refresh_entries;
  power["self_refresh_exits"] = p.self_refresh_exits;
  power["exit_delay_ns"] = double(p.exit_delay_ps) / 1000.0;
}

}  // namespace dlvp
