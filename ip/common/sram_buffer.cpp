#include "sram_buffer.h"

#include "config_error.h"
#include "energy_tag.h"
#include "log.h"

#include <algorithm>
#include <cstring>

namespace dlvp {

namespace {

constexpr uint64_t kMaxSramBytes = uint64_t{256} << 20;
constexpr uint64_t kWordBytes = 8;  // energy is counted per 64-bit word

uint64_t words_of(uint64_t bytes) { return (bytes + kWordBytes - 1) / kWordBytes; }

// A buffer is often built from code rather than from a scenario, so the constructor checks again.
const SramBufferConfig& checked(const SramBufferConfig& c, const std::string& module) {
  auto fail = [&](const std::string& what) { throw ConfigError(module + ": " + what); };
  if (c.size_bytes == 0 || c.size_bytes > kMaxSramBytes)
    fail("size_bytes = " + std::to_string(c.size_bytes) + " is out of range [1, " + std::to_string(kMaxSramBytes) + "]");
  if (c.port_width_bytes == 0 || c.port_width_bytes > 4096)
    fail("port_width_bytes = " + std::to_string(c.port_width_bytes) + " is out of range [1, 4096]");
  if (c.ports < 1 || c.ports > 4) fail("ports = " + std::to_string(c.ports) + " is out of range [1, 4]");
  if (!(c.clock_mhz >= 1.0 && c.clock_mhz <= 10000.0))
    fail("clock_mhz = " + std::to_string(c.clock_mhz) + " is out of range [1, 10000]");
  return c;
}

std::string energy_source(const TechTable& tech, uint64_t size_bytes, bool write) {
  return "tech:" + tech.name() + " sram_access_64b(" + std::to_string(size_bytes) + " B, " +
         (write ? "write" : "read") + ") (" + tech.sram_source() + ")";
}

}  // namespace

void SramBufferConfig::bind(ParamBinder& b, SramBufferConfig& c) {
  b.integer("size_bytes", c.size_bytes, "B", "capacity of the SRAM array", 1, kMaxSramBytes);
  b.integer("port_width_bytes", c.port_width_bytes, "B", "bytes one port moves per cycle", 1, 4096);
  b.real("clock_mhz", c.clock_mhz, "MHz", "clock of the SRAM ports", 1.0, 10000.0);
  b.integer("ports", c.ports, "", "independent access ports; more accesses per cycle serialize", 1, 4);
}

SramBuffer::SramBuffer(sc_core::sc_module_name name, const SramBufferConfig& config, EnergyLedger& ledger,
                       Level level)
    : sc_module(name),
      socket("socket"),
      config_(checked(config, this->name())),
      clock_(config.clock_mhz),
      ledger_(ledger),
      storage_(config.size_bytes, 0),
      port_free_at_(config.ports, sc_core::SC_ZERO_TIME) {
  const TechTable& tech = ledger.tech();
  // The same array either way: the same unit energies on both sides.
  for (const Side side : {Side::socket, Side::datapath}) {
    const std::string prefix = side == Side::datapath ? "datapath." : "";
    const char* side_name = side == Side::datapath ? "datapath" : "socket";
    const int s = static_cast<int>(side);
    read_counter_[s] = ledger.add_counter(CounterSpec{this->name(), prefix + "read", level, Action::read,
                                                      tech.sram_access_64b(config.size_bytes, false), "64-bit access",
                                                      energy_source(tech, config.size_bytes, false), false, side_name});
    write_counter_[s] = ledger.add_counter(CounterSpec{this->name(), prefix + "write", level, Action::write,
                                                       tech.sram_access_64b(config.size_bytes, true), "64-bit access",
                                                       energy_source(tech, config.size_bytes, true), false, side_name});
  }
  socket.register_b_transport(this, &SramBuffer::b_transport);
  socket.register_transport_dbg(this, &SramBuffer::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &SramBuffer::get_direct_mem_ptr);
}

void SramBuffer::count_access(Side side, bool write, uint64_t bytes, TagId tag) {
  const uint64_t words = words_of(bytes);
  const bool datapath = side == Side::datapath;
  if (write) {
    ++write_generation_;
    ++stats_.write_accesses;
    stats_.bytes_written += bytes;
    stats_.words_written += words;
    if (datapath) stats_.datapath_bytes_written += bytes;
  } else {
    ++stats_.read_accesses;
    stats_.bytes_read += bytes;
    stats_.words_read += words;
    if (datapath) stats_.datapath_bytes_read += bytes;
  }
  const int s = static_cast<int>(side);
  ledger_.count_tagged(write ? write_counter_[s] : read_counter_[s], words, ledger_.tag_or_current(tag));
}

sc_core::sc_time SramBuffer::access_time(uint64_t bytes) const {
  return clock_.cycles((bytes + config_.port_width_bytes - 1) / config_.port_width_bytes);
}

bool SramBuffer::in_range(uint64_t address, uint64_t length) const {
  return range_within(address, length, 0, storage_.size());
}

sc_core::sc_time SramBuffer::reserve_port(const sc_core::sc_time& arrival, uint64_t bytes) {
  auto port = std::min_element(port_free_at_.begin(), port_free_at_.end());
  const sc_core::sc_time start = std::max(arrival, *port);
  stats_.port_wait += start - arrival;
  *port = start + access_time(bytes);
  return *port;
}

void SramBuffer::copy(tlm::tlm_generic_payload& trans) {
  uint8_t* mem = storage_.data() + trans.get_address();
  unsigned char* data = trans.get_data_ptr();
  const unsigned length = trans.get_data_length();
  const unsigned char* enables = trans.get_byte_enable_ptr();
  if (!enables) {
    if (trans.is_write()) std::memcpy(mem, data, length);
    else std::memcpy(data, mem, length);
    return;
  }
  // Byte enables are rare (partial writes from a CPU); honour them byte by byte.
  const unsigned enable_length = trans.get_byte_enable_length();
  for (unsigned i = 0; i < length; ++i) {
    if (enables[i % enable_length] != TLM_BYTE_ENABLED) continue;
    if (trans.is_write()) mem[i] = data[i];
    else data[i] = mem[i];
  }
}

void SramBuffer::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const uint64_t address = trans.get_address();
  const unsigned length = trans.get_data_length();
  if (!in_range(address, length)) {
    DLVP_LOG_WARN_LIMITED(name(), (trans.is_write() ? "write" : "read") << " of " << length << " B at 0x" << std::hex
                                                                         << address << " is outside the " << std::dec
                                                                         << storage_.size() << " B array");
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (trans.get_streaming_width() < length) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (trans.get_byte_enable_ptr() && trans.get_byte_enable_length() == 0) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  copy(trans);
  count_access(Side::socket, trans.is_write(), length, energy_tag_of(trans, ledger_));
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  delay = reserve_port(now + delay, length) - now;
  trans.set_dmi_allowed(true);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int SramBuffer::transport_dbg(tlm::tlm_generic_payload& trans) {
  const uint64_t address = trans.get_address();
  const unsigned length = trans.get_data_length();
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND || length == 0) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return 0;
  }
  if (!in_range(address, length)) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  if (trans.is_write()) {
    std::memcpy(storage_.data() + address, trans.get_data_ptr(), length);
    ++write_generation_;
  } else {
    std::memcpy(trans.get_data_ptr(), storage_.data() + address, length);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return length;
}

bool SramBuffer::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  if (trans.get_address() >= storage_.size()) return false;
  dmi.set_dmi_ptr(storage_.data());
  dmi.set_start_address(0);
  dmi.set_end_address(storage_.size() - 1);
  dmi.allow_read_write();
  // Latency of one port-width access; DMI users account longer accesses through account().
  dmi.set_read_latency(access_time(config_.port_width_bytes));
  dmi.set_write_latency(access_time(config_.port_width_bytes));
  if (auto* ext = trans.get_extension<DmiAccountingExtension>()) ext->accountant = this;
  return true;
}

sc_core::sc_time SramBuffer::account(uint64_t /*address*/, uint64_t bytes, bool write, TagId tag) {
  count_access(Side::socket, write, bytes, tag);
  return access_time(bytes);
}

sc_core::sc_time SramBuffer::account_at(const sc_core::sc_time& arrival, uint64_t /*address*/, uint64_t bytes,
                                        bool write, TagId tag) {
  count_access(Side::socket, write, bytes, tag);
  return reserve_port(arrival, bytes);
}

void SramBuffer::report(nlohmann::json& out, double elapsed_ns) const {
  out["size_bytes"] = config_.size_bytes;
  out["port_width_bytes"] = config_.port_width_bytes;
  out["ports"] = config_.ports;
  out["clock_MHz"] = config_.clock_mhz;
  out["read_accesses"] = stats_.read_accesses;
  out["write_accesses"] = stats_.write_accesses;
  out["bytes_read"] = stats_.bytes_read;
  out["bytes_written"] = stats_.bytes_written;
  out["words_read_64b"] = stats_.words_read;
  out["words_written_64b"] = stats_.words_written;
  out["port_wait_ns"] = stats_.port_wait.to_seconds() * 1e9;
  // Each side's share of its own port's capacity: the socket's ports, the owner's datapath port.
  const uint64_t datapath_bytes = stats_.datapath_bytes_read + stats_.datapath_bytes_written;
  const auto share = [&](double bytes, double mhz, double bytes_per_cycle) {
    const double capacity = elapsed_ns * 1e-3 * mhz * bytes_per_cycle;
    return capacity > 0 ? bytes / capacity : 0.0;
  };
  out["port_utilization"] = share(double(stats_.bytes_read + stats_.bytes_written - datapath_bytes), config_.clock_mhz,
                                  double(config_.port_width_bytes) * config_.ports);
  nlohmann::json& datapath = out["datapath"];
  datapath["bytes_read"] = stats_.datapath_bytes_read;
  datapath["bytes_written"] = stats_.datapath_bytes_written;
  if (datapath_port_.width_bytes == 0) return;
  datapath["port_width_bytes"] = datapath_port_.width_bytes;
  datapath["clock_MHz"] = datapath_port_.clock_mhz;
  datapath["port_utilization"] = share(double(datapath_bytes), datapath_port_.clock_mhz, datapath_port_.width_bytes);
}

}  // namespace dlvp
