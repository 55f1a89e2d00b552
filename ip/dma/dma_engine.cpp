#include "dma_engine.h"

#include "burst_pipeline.h"

#include "ip/common/config_error.h"
#include "ip/common/log.h"
#include "ip/common/soc_map.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace dlvp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint64_t kWordBytes = 8;  // staging-buffer energy is per 64-bit word
constexpr uint32_t kMaxOutstanding = 64;
constexpr uint32_t kMaxBufferBytes = 1u << 20;
// Optional technology-table entry for the per-burst descriptor/control logic; without it the
// control energy is not counted rather than invented.
constexpr const char* kBurstControlKey = "dma_burst";

uint64_t words_of(uint64_t bytes) { return (bytes + kWordBytes - 1) / kWordBytes; }

std::string describe(const DmaDescriptor& d) {
  std::ostringstream os;
  os << std::hex << "src 0x" << d.src << " (space " << d.src_space << ") dst 0x" << d.dst << " (space "
     << d.dst_space << ")" << std::dec << " rows " << d.rows << " x " << d.row_bytes << " B, strides "
     << d.src_stride << "/" << d.dst_stride << " B";
  return os.str();
}

// A DMA is often built from code rather than a scenario, so the constructor checks again.
const DmaConfig& checked(const DmaConfig& c, const std::string& module) {
  auto fail = [&](const std::string& what) { throw ConfigError(module + ": " + what); };
  if (c.channels < 1 || c.channels > dma::kMaxChannels)
    fail("channels = " + std::to_string(c.channels) + " is out of range [1, 4]");
  if (!(c.clock_mhz >= 1.0 && c.clock_mhz <= 10000.0))
    fail("clock_mhz = " + std::to_string(c.clock_mhz) + " is out of range [1, 10000]");
  if (c.burst_bytes < 8 || c.burst_bytes > 4096)
    fail("burst_bytes = " + std::to_string(c.burst_bytes) + " is out of range [8, 4096]");
  if (c.max_outstanding < 1 || c.max_outstanding > kMaxOutstanding)
    fail("max_outstanding = " + std::to_string(c.max_outstanding) + " is out of range [1, 64]");
  if (c.buffer_bytes < c.burst_bytes || c.buffer_bytes > kMaxBufferBytes)
    fail("buffer_bytes = " + std::to_string(c.buffer_bytes) + " must be in [burst_bytes, 1048576]");
  return c;
}

std::string staging_source(const TechTable& tech, uint32_t bytes, bool write) {
  return "tech:" + tech.name() + " sram_access_64b(" + std::to_string(bytes) + " B, " + (write ? "write" : "read") +
         ") (" + tech.sram_source() + ")";
}

}  // namespace

void DmaConfig::bind(ParamBinder& b, DmaConfig& c) {
  b.integer("channels", c.channels, "", "independent DMA channels", 1, dma::kMaxChannels);
  b.real("clock_mhz", c.clock_mhz, "MHz", "DMA clock: one burst issued per cycle at most", 1.0, 10000.0);
  b.integer("burst_bytes", c.burst_bytes, "B", "largest transaction the DMA issues", 8, 4096);
  b.integer("max_outstanding", c.max_outstanding, "bursts",
            "reads (and writes) in flight per channel; lets a stream hide memory latency", 1, kMaxOutstanding);
  b.integer("buffer_bytes", c.buffer_bytes, "B", "staging FIFO per channel; bounds the data in flight", 8,
            kMaxBufferBytes);
  if (b.loading() && c.buffer_bytes < c.burst_bytes)
    throw ConfigError(b.origin()(b.key("buffer_bytes")) + ": key '" + b.key("buffer_bytes") + "' = " +
                      std::to_string(c.buffer_bytes) + " must be at least burst_bytes (" +
                      std::to_string(c.burst_bytes) + ")");
}

double DmaEngine::ChannelStats::bandwidth_gbps() const {
  const double ns = busy_time.to_seconds() * 1e9;
  return ns > 0 ? static_cast<double>(bytes_moved) / ns : 0.0;  // bytes per ns = GB/s
}

DmaEngine::DmaEngine(sc_core::sc_module_name name, const DmaConfig& config, EnergyLedger& ledger)
    : sc_module(name),
      reg_socket("reg_socket"),
      mem_socket("mem_socket"),
      buffer_socket("buffer_socket"),
      irq("irq"),
      config_(checked(config, this->name())),
      clock_(config.clock_mhz),
      ledger_(ledger),
      bank_(this->name(), soc::kRegisterWindowBytes) {
  const TechTable& tech = ledger.tech();
  staging_write_counter_ = ledger.add_counter(CounterSpec{
      this->name(), "staging.write", Level::buffer, Action::write, tech.sram_access_64b(config.buffer_bytes, true),
      "64-bit access", staging_source(tech, config.buffer_bytes, true)});
  staging_read_counter_ = ledger.add_counter(CounterSpec{
      this->name(), "staging.read", Level::buffer, Action::read, tech.sram_access_64b(config.buffer_bytes, false),
      "64-bit access", staging_source(tech, config.buffer_bytes, false)});
  if (tech.has(kBurstControlKey))
    burst_control_counter_ = ledger.add_counter_from_table(this->name(), "burst_control", Level::other,
                                                           Action::update, kBurstControlKey);

  const uint32_t slots = config.buffer_bytes / config.burst_bytes;
  for (unsigned i = 0; i < config.channels; ++i) {
    auto c = std::make_unique<Channel>();
    c->index = i;
    c->staging.resize(uint64_t{slots} * config.burst_bytes);
    c->tag = new EnergyTagExtension;
    c->trans.set_extension(c->tag);  // the payload owns it and frees it
    channels_.push_back(std::move(c));
    sc_core::sc_spawn([this, i] { channel_thread(i); }, ("channel" + std::to_string(i)).c_str());
  }
  build_registers();

  reg_socket.register_b_transport(this, &DmaEngine::reg_b_transport);
  buffer_socket.register_invalidate_direct_mem_ptr(this, &DmaEngine::invalidate_local_dmi);
  reg_socket.register_transport_dbg(this, &DmaEngine::reg_transport_dbg);
  SC_METHOD(drive_irq);
  sensitive << irq_changed_;
  dont_initialize();
}

// ---------------------------------------------------------------------------------------------
// Registers

void DmaEngine::build_registers() {
  bank_.add_all(dma::kGlobalRegisterDefs);
  bank_.set(dma::CHANNELS, config_.channels);
  bank_.on_write(dma::IRQ_STATUS, [this](uint64_t old_value, uint64_t new_value) {
    on_irq_status_write(old_value, new_value);
  });
  for (unsigned ch = 0; ch < config_.channels; ++ch) {
    for (const regs::RegDef& def : dma::kChannelRegisterDefs) {
      regs::RegDef copy = def;
      register_names_.push_back("CH" + std::to_string(ch) + "_" + def.name);
      copy.name = register_names_.back().c_str();
      copy.offset += dma::channel_base(ch);
      bank_.add(copy);
    }
    bank_.on_write(dma::channel_reg(ch, dma::CTRL), [this, ch](uint64_t, uint64_t v) { on_ctrl_write(ch, v); });
    bank_.on_write(dma::channel_reg(ch, dma::STATUS), [this, ch](uint64_t, uint64_t v) { on_status_write(ch, v); });
  }
}

void DmaEngine::reg_b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  // A START takes effect at the writer's simulated time, which includes its local offset.
  register_access_offset_ = delay;
  bank_.b_transport(trans, delay);
  delay += clock_.period;  // the register interface answers in one DMA cycle
}

unsigned int DmaEngine::reg_transport_dbg(tlm::tlm_generic_payload& trans) { return bank_.transport_dbg(trans); }

void DmaEngine::on_ctrl_write(unsigned channel, uint64_t new_value) {
  if (new_value & dma::kCtrlStart) {
    bank_.set(dma::channel_reg(channel, dma::CTRL), new_value & ~uint64_t{dma::kCtrlStart});  // self-clearing
    start_from_registers(channel);
  }
  update_irq();  // IRQ_ENABLE may have changed
}

void DmaEngine::on_status_write(unsigned channel, uint64_t /*new_value*/) {
  refresh_busy(*channels_[channel]);  // BUSY is not software's to clear
  update_irq();
}

void DmaEngine::on_irq_status_write(uint64_t old_value, uint64_t new_value) {
  const uint64_t cleared = old_value & ~new_value;
  for (unsigned ch = 0; ch < config_.channels; ++ch)
    if (cleared & (uint64_t{1} << ch)) set_status_bits(ch, 0, dma::kStatusDone | dma::kStatusError);
  update_irq();
}

DmaDescriptor DmaEngine::descriptor_from_registers(unsigned channel) const {
  auto reg = [&](dma::ChannelReg r) { return bank_.get(dma::channel_reg(channel, r)); };
  const uint64_t ctrl = reg(dma::CTRL);
  DmaDescriptor d;
  d.src = reg(dma::SRC_ADDR);
  d.dst = reg(dma::DST_ADDR);
  d.rows = static_cast<uint32_t>(reg(dma::ROWS));
  d.row_bytes = static_cast<uint32_t>(reg(dma::ROW_BYTES));
  d.src_stride = static_cast<uint32_t>(reg(dma::SRC_STRIDE));
  d.dst_stride = static_cast<uint32_t>(reg(dma::DST_STRIDE));
  d.src_space = (ctrl & dma::kCtrlSrcSpace) ? dma::kLocalSpace : dma::kSystemSpace;
  d.dst_space = (ctrl & dma::kCtrlDstSpace) ? dma::kLocalSpace : dma::kSystemSpace;
  return d;
}

void DmaEngine::start_from_registers(unsigned channel) {
  Channel& c = *channels_[channel];
  if (c.running || !c.queue.empty()) {
    DLVP_LOG_WARN_LIMITED(name(), "channel " << channel << ": START while busy refused; the running job continues");
    bank_.set(dma::channel_reg(channel, dma::ERROR_CODE), static_cast<uint32_t>(DmaErrorCode::busy));
    set_status_bits(channel, dma::kStatusError, 0);
    ++c.stats.errors;
    return;
  }
  bank_.set(dma::channel_reg(channel, dma::ERROR_CODE), static_cast<uint32_t>(DmaErrorCode::none));
  bank_.set(dma::channel_reg(channel, dma::BYTES_DONE), 0);
  set_status_bits(channel, 0, dma::kStatusDone | dma::kStatusError);
  c.queue.push_back(Job{descriptor_from_registers(channel), true, {},
                        sc_core::sc_time_stamp() + register_access_offset_, kUntagged});
  refresh_busy(c);
  c.job_posted.notify(SC_ZERO_TIME);
}

void DmaEngine::set_status_bits(unsigned channel, uint32_t set, uint32_t clear) {
  const uint32_t offset = dma::channel_reg(channel, dma::STATUS);
  bank_.set(offset, (bank_.get(offset) & ~uint64_t{clear}) | set);
}

void DmaEngine::refresh_busy(Channel& c) {
  const bool busy = c.running || !c.queue.empty();
  set_status_bits(c.index, busy ? dma::kStatusBusy : 0, busy ? 0 : dma::kStatusBusy);
}

void DmaEngine::update_irq() {
  uint64_t pending = 0;
  for (unsigned ch = 0; ch < config_.channels; ++ch) {
    const bool enabled = bank_.get(dma::channel_reg(ch, dma::CTRL)) & dma::kCtrlIrqEnable;
    const bool flagged = bank_.get(dma::channel_reg(ch, dma::STATUS)) & (dma::kStatusDone | dma::kStatusError);
    if (enabled && flagged) pending |= uint64_t{1} << ch;
  }
  bank_.set(dma::IRQ_STATUS, pending);
  irq_changed_.notify(SC_ZERO_TIME);
}

// The only writer of the irq port, so the signal has one driver whichever process changed status.
void DmaEngine::drive_irq() { irq.write(bank_.get(dma::IRQ_STATUS) != 0); }

// ---------------------------------------------------------------------------------------------
// Jobs

void DmaEngine::add_valid_range(int space, uint64_t base, uint64_t size) {
  if (space != dma::kSystemSpace && space != dma::kLocalSpace)
    throw std::invalid_argument(std::string(name()) + ": add_valid_range: unknown space " + std::to_string(space));
  if (size == 0 || base + size - 1 < base)
    throw std::invalid_argument(std::string(name()) + ": add_valid_range: empty or wrapping range");
  valid_ranges_[space].push_back(AddressRange{base, size});
}

void DmaEngine::submit(unsigned channel, const DmaDescriptor& descriptor, DoneCallback on_done,
                       const sc_time& submitter_local_time, TagId tag) {
  if (channel >= config_.channels)
    throw std::out_of_range(std::string(name()) + ": submit to channel " + std::to_string(channel) + " of " +
                            std::to_string(config_.channels));
  Channel& c = *channels_[channel];
  c.queue.push_back(
      Job{descriptor, false, std::move(on_done), sc_core::sc_time_stamp() + submitter_local_time, tag});
  refresh_busy(c);
  c.job_posted.notify(SC_ZERO_TIME);
}

const DmaEngine::ChannelStats& DmaEngine::channel_stats(unsigned channel) const {
  return channels_.at(channel)->stats;
}

void DmaEngine::channel_thread(unsigned channel) {
  Channel& c = *channels_[channel];
  for (;;) {
    while (c.queue.empty()) sc_core::wait(c.job_posted);
    Job job = std::move(c.queue.front());
    c.queue.pop_front();
    c.running = true;
    c.tag->tag = ledger_.tag_or_current(job.tag);  // every transaction and DMI block of the job carries it
    c.quantum.reset();
    const sc_time start = std::max(sc_core::sc_time_stamp(), job.earliest_start);

    TransferResult result;
    result.code = validate_descriptor(job.descriptor, valid_ranges_);
    result.end = start;
    if (result.code == DmaErrorCode::none) result = transfer(c, job.descriptor, start);

    // Completion becomes visible at its simulated time, never earlier.
    const sc_time now = sc_core::sc_time_stamp();
    c.quantum.set(result.end > now ? result.end - now : SC_ZERO_TIME);
    c.quantum.sync();
    c.running = false;
    refresh_busy(c);
    finish(c, job, result, start);
  }
}

// The burst pipeline's timing is dma::run_burst_pipeline (shared with dlvpc's prediction); this
// moves the data through the channel's staging buffer and counts its energy.
DmaEngine::TransferResult DmaEngine::transfer(Channel& c, const DmaDescriptor& d, const sc_time& start) {
  const uint32_t slots = static_cast<uint32_t>(c.staging.size() / config_.burst_bytes);
  const TagId tag = c.tag->tag;
  TransferResult result;
  const auto move = [&](const DmaBurst& b, bool read, uint32_t slot, const sc_time& at, sc_time& done) {
    uint8_t* data = c.staging.data() + uint64_t{slot} * config_.burst_bytes;
    if (!read) ledger_.count_tagged(staging_read_counter_, words_of(b.bytes), tag);
    const bool ok = read ? issue(c, d.src_space, tlm::TLM_READ_COMMAND, b.src, data, b.bytes, at, done)
                         : issue(c, d.dst_space, tlm::TLM_WRITE_COMMAND, b.dst, data, b.bytes, at, done);
    if (!ok) {
      DLVP_LOG_WARN_LIMITED(name(), "channel " << c.index << ": " << (read ? "read" : "write") << " of " << b.bytes
                                               << " B at 0x" << std::hex << (read ? b.src : b.dst)
                                               << " failed: " << c.trans.get_response_string());
      return false;
    }
    if (read) ledger_.count_tagged(staging_write_counter_, words_of(b.bytes), tag);
    else result.bytes += b.bytes;
    return true;
  };
  const dma::BurstPipelineResult<sc_time> pipeline =
      dma::run_burst_pipeline(d, config_.burst_bytes, config_.max_outstanding, slots, start, clock_.period, move);
  result.end = pipeline.end;
  if (!pipeline.ok) result.code = DmaErrorCode::bus_error;
  return result;
}

bool DmaEngine::issue(Channel& c, int space, tlm::tlm_command command, uint64_t address, uint8_t* data,
                      uint32_t bytes, const sc_time& issue_time, sc_time& completion) {
  const sc_time now = sc_core::sc_time_stamp();
  c.quantum.set(issue_time > now ? issue_time - now : SC_ZERO_TIME);
  sc_time delay = c.quantum.get_local_time();
  ++c.stats.bursts;
  const TagId tag = c.tag->tag;
  if (space == dma::kLocalSpace && issue_local_dmi(command, address, data, bytes, tag, now + delay, completion)) {
    if (burst_control_counter_) ledger_.count_tagged(*burst_control_counter_, 1, tag);
    if (c.quantum.need_sync()) c.quantum.sync();
    return true;
  }
  setup_payload(c.trans, command, address, data, bytes);
  if (space == dma::kLocalSpace) buffer_socket->b_transport(c.trans, delay);
  else mem_socket->b_transport(c.trans, delay);
  completion = sc_core::sc_time_stamp() + delay;
  keep_local_time_at(c.quantum, now + c.quantum.get_local_time());
  if (burst_control_counter_) ledger_.count_tagged(*burst_control_counter_, 1, tag);
  if (c.quantum.need_sync()) c.quantum.sync();
  return c.trans.is_response_ok();
}

const DmaEngine::LocalDmiRegion* DmaEngine::local_dmi_region(uint64_t address, uint32_t bytes) {
  // Validated descriptors never wrap; the checks stay overflow-safe all the same.
  if (!range_fits_address_space(address, bytes)) return nullptr;
  const uint64_t last = address + (bytes - 1);
  for (const LocalDmiRegion& r : local_dmi_)
    if (dmi_covers(r.dmi, address, bytes)) return &r;
  for (const auto& [first, refused_last] : local_dmi_refused_)
    if (address >= first && address <= refused_last) return nullptr;
  // First access to this region: ask for DMI, with the accounting extension so that every byte
  // moved through the pointer is still counted (bus beats, SRAM energy) and timed.
  const DmiGrant grant = request_dmi_with_accounting(buffer_socket, address);
  const tlm::tlm_dmi& dmi = grant.dmi;
  const bool granted = grant.granted;
  if (!granted || !grant.accountant || !dmi.is_read_write_allowed() || !dmi_covers(dmi, address, bytes)) {
    // The TLM rule: a refusal's range says where asking again is pointless (at least this burst).
    const bool range_covers = granted ? false : dmi.get_start_address() <= address && dmi.get_end_address() >= last;
    local_dmi_refused_.emplace_back(range_covers ? dmi.get_start_address() : address,
                                    range_covers ? dmi.get_end_address() : last);
    return nullptr;
  }
  local_dmi_.push_back(LocalDmiRegion{dmi, grant.accountant, grant.accountant_offset});
  return &local_dmi_.back();
}

bool DmaEngine::issue_local_dmi(tlm::tlm_command command, uint64_t address, uint8_t* data, uint32_t bytes, TagId tag,
                                const sc_time& issue_time, sc_time& completion) {
  const LocalDmiRegion* r = local_dmi_region(address, bytes);
  if (!r) return false;
  uint8_t* memory = r->dmi.get_dmi_ptr() + (address - r->dmi.get_start_address());
  const bool write = command == tlm::TLM_WRITE_COMMAND;
  if (write) std::memcpy(memory, data, bytes);
  else std::memcpy(data, memory, bytes);
  completion = r->accountant->account_at(issue_time, address - r->accountant_offset, bytes, write, tag);
  return true;
}

void DmaEngine::invalidate_local_dmi(sc_dt::uint64 start, sc_dt::uint64 end) {
  local_dmi_.erase(std::remove_if(local_dmi_.begin(), local_dmi_.end(),
                                  [&](const LocalDmiRegion& r) {
                                    return start <= r.dmi.get_end_address() && end >= r.dmi.get_start_address();
                                  }),
                   local_dmi_.end());
  local_dmi_refused_.clear();
}

void DmaEngine::finish(Channel& c, const Job& job, const TransferResult& result, const sc_time& start) {
  ++c.stats.jobs;
  c.stats.bytes_moved += result.bytes;
  c.stats.busy_time += result.end - start;
  const bool failed = result.code != DmaErrorCode::none;
  job_records_.add(JobRecord{c.index, start, result.end, result.bytes, job.from_registers, failed, job.tag});
  if (failed) {
    ++c.stats.errors;
    DLVP_LOG_WARN_LIMITED(name(), "channel " << c.index << ": job failed (" << dma::to_string(result.code) << ") after "
                                             << result.bytes << " B: " << describe(job.descriptor));
  } else {
    DLVP_LOG_DEBUG(name(), "channel " << c.index << ": moved " << result.bytes << " B in "
                                      << (result.end - start) << ": " << describe(job.descriptor));
  }
  if (!job.from_registers) {
    if (job.on_done) job.on_done(result.code);
    return;
  }
  bank_.set(dma::channel_reg(c.index, dma::BYTES_DONE), result.bytes);
  if (failed) bank_.set(dma::channel_reg(c.index, dma::ERROR_CODE), static_cast<uint32_t>(result.code));
  set_status_bits(c.index, failed ? dma::kStatusError : dma::kStatusDone, 0);
  update_irq();
}

void DmaEngine::report(nlohmann::json& out, double elapsed_ns) const {
  uint64_t jobs = 0, bytes = 0, errors = 0;
  nlohmann::json per_channel = nlohmann::json::array();
  for (const auto& c : channels_) {
    const ChannelStats& s = c->stats;
    jobs += s.jobs;
    bytes += s.bytes_moved;
    errors += s.errors;
    per_channel.push_back({{"channel", c->index},
                           {"jobs", s.jobs},
                           {"bytes_moved", s.bytes_moved},
                           {"bursts", s.bursts},
                           {"errors", s.errors},
                           {"busy_time_ns", s.busy_time.to_seconds() * 1e9},
                           {"bandwidth_GBps", s.bandwidth_gbps()}});
  }
  out["jobs"] = jobs;
  out["bytes_moved"] = bytes;
  out["errors"] = errors;
  out["average_bandwidth_GBps"] = elapsed_ns > 0 ? static_cast<double>(bytes) / elapsed_ns : 0.0;
  out["channels"] = per_channel;
  out["job_records_not_kept"] = job_records_.not_kept();
}

}  // namespace dlvp
