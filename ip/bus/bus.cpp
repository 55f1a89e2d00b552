#include "bus.h"

#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"
#include "ip/common/log.h"
#include "ip/common/soc_trace.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace dlvp {

using sc_core::sc_time;

void BusConfig::bind(ParamBinder& binder, BusConfig& config) {
  binder.real("clock_mhz", config.clock_mhz, "MHz", "bus clock frequency", 1.0, 10000.0);
  binder.integer("width_bytes", config.width_bytes, "B",
                 "data path width: bytes moved per bus cycle (one beat)", 1, 1024);
  binder.integer("arbitration_cycles", config.arbitration_cycles, "cycles",
                 "request/grant cycles of every transaction before its first data beat", 0, 1024);
}

// Stands between a DMI initiator and the memory's accountant, so that blocks moved through a DMI
// pointer still occupy the bus port and count bus energy, like the same bytes through b_transport.
class Bus::DmiPath final : public DmiAccountant {
 public:
  DmiPath(Bus& bus, size_t initiator, size_t target, DmiAccountant* memory)
      : bus_(bus), initiator_(initiator), target_(target), memory_(memory) {}

  sc_time account(uint64_t address, uint64_t bytes, bool write, TagId tag) override {
    const sc_time memory_time = memory_ ? memory_->account(address, bytes, write, tag) : sc_core::SC_ZERO_TIME;
    return bus_.account_dmi(initiator_, target_, bytes, write, bus_.ledger_.tag_or_current(tag), memory_time);
  }
  sc_time account_at(const sc_time& arrival, uint64_t address, uint64_t bytes, bool write, TagId tag) override {
    const sc_time memory_time = memory_ ? memory_->account_at(arrival, address, bytes, write, tag) - arrival
                                        : sc_core::SC_ZERO_TIME;
    return arrival + bus_.account_dmi(initiator_, target_, bytes, write, bus_.ledger_.tag_or_current(tag), memory_time);
  }

 private:
  Bus& bus_;
  size_t initiator_, target_;
  DmiAccountant* memory_;
};

namespace {

// Bytes of the address range a payload touches: a streaming width below the length repeats the
// same addresses (a FIFO register), so only that many bytes must be mapped.
uint64_t touched_bytes(const tlm::tlm_generic_payload& trans) {
  const unsigned length = trans.get_data_length();
  const unsigned streaming = trans.get_streaming_width();
  return (streaming != 0 && streaming < length) ? streaming : length;
}

// Bytes that cross the data path: none for an ignore command.
uint64_t moved_bytes(const tlm::tlm_generic_payload& trans) {
  return trans.is_read() || trans.is_write() ? trans.get_data_length() : 0;
}

nlohmann::json port_json(const Bus::PortStatistics& s, double elapsed_ns) {
  const double busy_ns = s.busy.to_seconds() * 1e9;
  const double wait_ns = s.wait.to_seconds() * 1e9;
  const double bytes = static_cast<double>(s.bytes_read + s.bytes_written);
  return nlohmann::json{
      {"transactions", s.transactions},
      {"bytes_read", s.bytes_read},
      {"bytes_written", s.bytes_written},
      {"beats", s.beats},
      {"errors", s.errors},
      {"busy_ns", busy_ns},
      {"utilization", elapsed_ns > 0 ? busy_ns / elapsed_ns : 0.0},
      {"wait_ns", wait_ns},
      {"avg_wait_ns", s.transactions ? wait_ns / static_cast<double>(s.transactions) : 0.0},
      {"bandwidth_GBps", elapsed_ns > 0 ? bytes / elapsed_ns : 0.0},  // bytes per ns = GB/s
  };
}

}  // namespace

Bus::Bus(sc_core::sc_module_name name, const BusConfig& config, const MemoryMap& map, EnergyLedger& ledger)
    : sc_core::sc_module(name),
      target_socket("target_socket"),
      initiator_socket("initiator_socket"),
      config_(config),
      map_(map),
      ledger_(ledger) {
  // Configs normally come through bind(), which enforces these; a hand-built one must too.
  if (config_.width_bytes == 0 || !(config_.clock_mhz > 0))
    throw ConfigError(std::string(this->name()) + ": bus.width_bytes and bus.clock_mhz must be positive");
  clock_ = ClockDomain(config_.clock_mhz);
  arbitration_time_ = clock_.cycles(config_.arbitration_cycles);
  transfer_counter_ = ledger_.add_counter_from_table(this->name(), "transfer", Level::other, Action::update,
                                                     "bus_transfer_64b", config_.width_bytes / 8.0);
  arbiters_.resize(std::max<size_t>(map_.size(), 1));
  for (PortArbiter& arbiter : arbiters_) arbiter.share_progress(&progress_);
  targets_.resize(map_.size());

  target_socket.register_b_transport(this, &Bus::b_transport);
  target_socket.register_transport_dbg(this, &Bus::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &Bus::get_direct_mem_ptr);
  initiator_socket.register_invalidate_direct_mem_ptr(this, &Bus::invalidate_direct_mem_ptr);
}

Bus::~Bus() = default;

void Bus::start_of_simulation() {
  // The arbiters' history windows must be whole quanta, so that every initiator has run through
  // the previous window when another looks at it, and long enough to smooth per-transaction steps.
  const sc_time quantum = tlm_utils::tlm_quantumkeeper::get_global_quantum();
  const sc_time shortest = clock_.cycles(PortArbiter::kMinimumWindowCycles);
  const sc_time window = quantum == sc_core::SC_ZERO_TIME
                             ? shortest
                             : quantum * std::ceil(shortest.to_seconds() / quantum.to_seconds());
  for (PortArbiter& arbiter : arbiters_) arbiter.set_window(window);
}

void Bus::end_of_elaboration() {
  // Binding is the platform's job; a mismatch is a platform bug, reported before any traffic.
  if (initiator_socket.size() != map_.size()) {
    std::ostringstream os;
    os << map_.size() << " memory map regions but " << initiator_socket.size()
       << " targets bound to initiator_socket (one per region, in region order)";
    SC_REPORT_ERROR(name(), os.str().c_str());
  }
  initiators_.resize(std::max<size_t>(initiators_.size(), target_socket.size()));
}

void Bus::set_initiator_name(size_t port, std::string name) {
  if (port >= initiator_names_.size()) initiator_names_.resize(port + 1);
  initiator_names_[port] = std::move(name);
}

std::string Bus::initiator_name(size_t port) const {
  if (port < initiator_names_.size() && !initiator_names_[port].empty()) return initiator_names_[port];
  return "initiator" + std::to_string(port);
}

const Bus::PortStatistics& Bus::initiator_statistics(size_t port) const {
  static const PortStatistics none;
  return port < initiators_.size() ? initiators_[port] : none;
}

Bus::PortStatistics& Bus::initiator_stats(size_t port) {
  if (port >= initiators_.size()) initiators_.resize(port + 1);
  return initiators_[port];
}

Bus::Grant Bus::reserve(size_t initiator, size_t target, const sc_time& arrival, uint64_t bytes, bool write,
                        TagId tag, bool dmi_block) {
  const uint64_t beats = (bytes + config_.width_bytes - 1) / config_.width_bytes;
  const sc_time data = clock_.cycles(beats);
  // A DMI block stands for a run of single accesses (the latency get_direct_mem_ptr adds): a
  // round-robin arbiter could grant others between any two of them.
  const sc_time turn = arbitration_time_ + (dmi_block ? clock_.period : data);
  progress_.note(initiator, arrival);
  const Grant grant{arbiters_[target].book(initiator, arrival, arbitration_time_ + data, turn), arbitration_time_,
                    data};

  for (PortStatistics* s : {&targets_[target], &initiator_stats(initiator)}) {
    ++s->transactions;
    (write ? s->bytes_written : s->bytes_read) += bytes;
    s->beats += beats;
    s->busy += grant.request + grant.data;
    s->wait += grant.wait;
  }
  ledger_.count_tagged(transfer_counter_, beats, tag);
  return grant;
}

void Bus::b_transport(int port, tlm::tlm_generic_payload& trans, sc_time& delay) {
  const uint64_t address = trans.get_address();
  size_t target = 0;
  const MemoryMap::Region* region = map_.decode(address, touched_bytes(trans), target);
  if (!region) return reject(port, trans, delay);

  const Grant grant = reserve(port, target, sc_core::sc_time_stamp() + delay, moved_bytes(trans), trans.is_write(),
                              energy_tag_of(trans, ledger_), false);
  delay += grant.wait + grant.request;
  // Absolute: a target may wait() (the FR-FCFS DDR controller does), after which `delay` counts
  // from the new simulation time.
  const sc_time data_done = sc_core::sc_time_stamp() + delay + grant.data;
  trans.set_address(address - region->base);
  if (trace::register_accesses_traced()) forward_named(port, target, trans, delay);
  else initiator_socket[target]->b_transport(trans, delay);
  trans.set_address(address);
  // Cut-through: data streams over the bus while the target works, so the slower one sets the end.
  const sc_time now = sc_core::sc_time_stamp();
  if (data_done > now + delay) delay = data_done - now;
  if (!trans.is_response_ok()) {
    ++targets_[target].errors;
    ++initiator_stats(port).errors;
  }
}

// Forwards with the initiator's name attached, for the register-access trace (soc_trace.h). A name
// already attached (a bus in front of this one) is the original initiator's and stays.
void Bus::forward_named(int port, size_t target, tlm::tlm_generic_payload& trans, sc_time& delay) {
  if (trans.get_extension<trace::InitiatorExtension>()) return initiator_socket[target]->b_transport(trans, delay);
  trace::InitiatorExtension named;
  named.name = initiator_name(port);
  trans.set_extension(&named);
  initiator_socket[target]->b_transport(trans, delay);
  trans.clear_extension(&named);
}

void Bus::reject(int port, tlm::tlm_generic_payload& trans, sc_time& delay) {
  ++decode_errors_;
  ++initiator_stats(port).errors;
  trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  delay += arbitration_time_;  // the decoder answers in the request phase

  const uint64_t address = trans.get_address();
  const char* what = trans.is_write() ? "write" : trans.is_read() ? "read" : "access";
  size_t index = 0;
  if (const MemoryMap::Region* first = map_.decode(address, 1, index)) {
    DLVP_LOG_WARN_LIMITED(name(), initiator_name(port) << ": " << what << " of " << trans.get_data_length()
                                      << " bytes at 0x" << std::hex << address << " crosses the end of region '"
                                      << first->name << "' (last address 0x" << first->last() << "): address error");
  } else {
    DLVP_LOG_WARN_LIMITED(name(), initiator_name(port) << ": " << what << " of " << trans.get_data_length()
                                      << " bytes at unmapped address 0x" << std::hex << address << ": address error");
  }
}

unsigned int Bus::transport_dbg(int port, tlm::tlm_generic_payload& trans) {
  const uint64_t address = trans.get_address();
  size_t target = 0;
  const MemoryMap::Region* region = map_.decode(address, touched_bytes(trans), target);
  if (!region) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  trans.set_address(address - region->base);
  const unsigned int done = initiator_socket[target]->transport_dbg(trans);
  trans.set_address(address);
  return done;
}

bool Bus::get_direct_mem_ptr(int port, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  const uint64_t address = trans.get_address();
  size_t target = 0;
  const MemoryMap::Region* region = map_.decode(address, 1, target);
  if (!region) return deny_dmi(address, dmi);

  // The extension describes this path only: what lies below fills it afresh, we add our part.
  auto* accounting = trans.get_extension<DmiAccountingExtension>();
  if (accounting) {
    accounting->accountant = nullptr;
    accounting->address_offset = 0;
  }
  trans.set_address(address - region->base);
  bool granted = initiator_socket[target]->get_direct_mem_ptr(trans, dmi);
  trans.set_address(address);

  if (!clip_dmi_to_region(*region, dmi)) {
    // A target whose range lies beyond its region misbehaves; refuse DMI for this address only.
    dmi.allow_none();
    dmi.set_dmi_ptr(nullptr);
    dmi.set_start_address(address);
    dmi.set_end_address(address);
    granted = false;
  }
  const sc_time single_beat = arbitration_time_ + clock_.period;
  dmi.set_read_latency(dmi.get_read_latency() + single_beat);
  dmi.set_write_latency(dmi.get_write_latency() + single_beat);
  if (accounting) {
    accounting->address_offset += region->base;
    if (granted) accounting->accountant = dmi_path(static_cast<size_t>(port), target, accounting->accountant);
  }
  return granted;
}

bool Bus::deny_dmi(uint64_t address, tlm::tlm_dmi& dmi) const {
  uint64_t first = address, last = address;
  map_.unmapped_range(address, first, last);
  dmi.allow_none();
  dmi.set_dmi_ptr(nullptr);
  dmi.set_start_address(first);
  dmi.set_end_address(last);
  return false;
}

// Converts the target's local DMI range to bus addresses, clipped to the region (a memory may grant
// more than the window the map gives it). The pointer needs no shift: the start never moves up.
bool Bus::clip_dmi_to_region(const MemoryMap::Region& region, tlm::tlm_dmi& dmi) const {
  const uint64_t local_last = region.size - 1;
  const uint64_t start = dmi.get_start_address();
  if (start > local_last) return false;
  const uint64_t end = std::max(start, std::min<uint64_t>(dmi.get_end_address(), local_last));
  dmi.set_start_address(region.base + start);
  dmi.set_end_address(region.base + end);
  return true;
}

DmiAccountant* Bus::dmi_path(size_t initiator, size_t target, DmiAccountant* memory) {
  auto& path = dmi_paths_[std::make_tuple(initiator, target, memory)];
  if (!path) path = std::make_unique<DmiPath>(*this, initiator, target, memory);
  return path.get();
}

// A DMI block carries no local time. The initiator is sequential, so the block is taken to arrive
// when its previous one on this port ended (or now, if later): it never queues behind itself.
// Its timing follows b_transport: wait for the port, arbitrate, then the slower of memory and bus.
sc_time Bus::account_dmi(size_t initiator, size_t target, uint64_t bytes, bool write, TagId tag,
                         const sc_time& memory_time) {
  const sc_time arrival = std::max(sc_core::sc_time_stamp(), arbiters_[target].last_end(initiator));
  const Grant grant = reserve(initiator, target, arrival, bytes, write, tag, true);
  return grant.wait + grant.request + std::max(memory_time, grant.data);
}

void Bus::invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end) {
  if (static_cast<size_t>(port) >= map_.size()) return;
  const MemoryMap::Region& region = map_.regions()[static_cast<size_t>(port)];
  const uint64_t local_last = region.size - 1;
  if (start > local_last || end < start) return;  // nothing of it is visible through the bus
  const uint64_t bus_start = region.base + start;
  const uint64_t bus_end = region.base + std::min<uint64_t>(end, local_last);
  for (unsigned int i = 0; i < target_socket.size(); ++i)
    target_socket[static_cast<int>(i)]->invalidate_direct_mem_ptr(bus_start, bus_end);
}

void Bus::report(nlohmann::json& out, double elapsed_ns) const {
  out["clock_MHz"] = config_.clock_mhz;
  out["width_bytes"] = config_.width_bytes;
  out["arbitration_cycles"] = config_.arbitration_cycles;
  out["peak_bandwidth_GBps"] = config_.width_bytes * config_.clock_mhz / 1000.0;
  out["contention_window_ns"] = contention_window().to_seconds() * 1e9;
  out["decode_errors"] = decode_errors_;
  out["transfer_beats"] = ledger_.count_of(transfer_counter_);
  nlohmann::json targets = nlohmann::json::object();
  for (size_t i = 0; i < targets_.size(); ++i) targets[map_.regions()[i].name] = port_json(targets_[i], elapsed_ns);
  out["targets"] = std::move(targets);
  nlohmann::json initiators = nlohmann::json::object();
  for (size_t i = 0; i < initiators_.size(); ++i) initiators[initiator_name(i)] = port_json(initiators_[i], elapsed_ns);
  out["initiators"] = std::move(initiators);
}

}  // namespace dlvp
