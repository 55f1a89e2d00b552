#include "cpu_native.h"

#include "ip/common/config_error.h"
#include "ip/common/log.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>

namespace dlvp {

CpuNative::CpuNative(sc_core::sc_module_name name, const CpuConfig& config, const std::string& app_path)
    : CpuHost(name),
      config_(config), clock_(config.clock_mhz), app_path_(app_path) {
  plugin_ = dlopen(app_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!plugin_) throw ConfigError(app_path + ": cannot load native app: " + dlerror());
  entry_ = reinterpret_cast<dlvp_native_entry_fn>(dlsym(plugin_, "dlvp_native_entry"));
  if (!entry_) throw ConfigError(app_path + ": not a dlvp native app (no symbol dlvp_native_entry)");
  SC_HAS_PROCESS(CpuNative);
  SC_THREAD(run);
}

CpuNative::~CpuNative() {
  // The plugin's code may still be on a suspended thread's stack; it is unloaded with the process.
}

void CpuNative::run() {
  quantum_.reset();
  const dlvp_host_ops ops{DLVP_HOST_ABI_VERSION, this, &op_read, &op_write, &op_wait_for_interrupt, &op_spend_cycles,
                          &op_pending_interrupts};
  DLVP_LOG_INFO(name(), "starting native app " << app_path_);
  app_return_code_ = entry_(&ops);
  // Reached only if the app returned without the system controller ending the simulation.
  quantum_.sync();
  finished_ = true;
}

dlvp_access_status CpuNative::access(tlm::tlm_command command, uint64_t address, unsigned char* data, size_t length) {
  quantum_.inc(clock_.cycles(config_.access_cycles));
  if (command == tlm::TLM_READ_COMMAND) ++stats_.reads, stats_.bytes_read += length;
  else ++stats_.writes, stats_.bytes_written += length;

  if (length != 0 && !range_fits_address_space(address, length)) {
    // Chunks past 2^64 would wrap to address 0: refuse the whole access, as the bus would.
    ++stats_.bus_errors;
    DLVP_LOG_WARN_LIMITED(name(), "software " << (command == tlm::TLM_READ_COMMAND ? "read" : "write") << " of "
                                              << length << " bytes at 0x" << std::hex << address
                                              << " wraps around the 64-bit address space: address error");
    return -static_cast<int>(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }
  if (config_.dmi && try_dmi(command, address, data, length)) return 0;
  // Bus transactions of at most max_burst_bytes; a register access is one transaction.
  for (size_t done = 0; done < length;) {
    const auto chunk = static_cast<unsigned>(std::min<size_t>(length - done, config_.max_burst_bytes));
    setup_payload(trans_, command, address + done, data + done, chunk);
    sc_core::sc_time delay = quantum_.get_local_time();
    socket->b_transport(trans_, delay);
    quantum_.set(delay);
    if (trans_.is_response_error()) {
      ++stats_.bus_errors;
      DLVP_LOG_WARN_LIMITED(name(), "bus error (" << trans_.get_response_string() << ") on software "
                                                  << (command == tlm::TLM_READ_COMMAND ? "read" : "write") << " at 0x"
                                                  << std::hex << address + done);
      return -static_cast<int>(trans_.get_response_status());
    }
    if (trans_.is_dmi_allowed() && config_.dmi && !dmi_.valid) request_dmi(address + done);
    done += chunk;
    if (quantum_.need_sync()) quantum_.sync();
  }
  return 0;
}

bool CpuNative::try_dmi(tlm::tlm_command command, uint64_t address, unsigned char* data, size_t length) {
  if (!dmi_.valid || !dmi_covers(dmi_.dmi, address, length)) return false;
  const bool write = command == tlm::TLM_WRITE_COMMAND;
  if (write ? !dmi_.dmi.is_write_allowed() : !dmi_.dmi.is_read_allowed()) return false;
  unsigned char* memory = dmi_.dmi.get_dmi_ptr() + (address - dmi_.dmi.get_start_address());
  if (write) std::memcpy(memory, data, length);
  else std::memcpy(data, memory, length);
  stats_.dmi_bytes += length;
  // The memory accounts the bytes (energy, statistics) and says how long they took.
  if (dmi_.accountant) {
    const sc_core::sc_time issued = sc_core::sc_time_stamp() + quantum_.get_local_time();
    quantum_.inc(dmi_.accountant->account_at(issued, address - dmi_.accountant_offset, length, write) - issued);
  }
  else quantum_.inc(write ? dmi_.dmi.get_write_latency() : dmi_.dmi.get_read_latency());
  if (quantum_.need_sync()) quantum_.sync();
  return true;
}

void CpuNative::request_dmi(uint64_t address) {
  const DmiGrant grant = request_dmi_with_accounting(socket, address);
  if (grant.granted) {
    dmi_.valid = true;
    dmi_.dmi = grant.dmi;
    dmi_.accountant = grant.accountant;
    dmi_.accountant_offset = grant.accountant_offset;
    DLVP_LOG_DEBUG(name(), "DMI granted for 0x" << std::hex << grant.dmi.get_start_address() << "-0x"
                                                << grant.dmi.get_end_address());
  }
}

void CpuNative::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (dmi_.valid && start <= dmi_.dmi.get_end_address() && end >= dmi_.dmi.get_start_address()) dmi_.valid = false;
}

void CpuNative::wait_for_interrupt(uint32_t lines) {
  ++stats_.wfi_calls;
  quantum_.inc(clock_.cycles(1));
  quantum_.sync();  // the CPU sleeps at its own local time, then waits in global time
  const bool external = lines & DLVP_IRQ_EXTERNAL, timer = lines & DLVP_IRQ_TIMER;
  if ((external && irq_external.read()) || (timer && irq_timer.read()) || !(external || timer)) return;
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  if (external && timer) wait(irq_external.posedge_event() | irq_timer.posedge_event());
  else wait(external ? irq_external.posedge_event() : irq_timer.posedge_event());
  stats_.wfi_time += sc_core::sc_time_stamp() - start;
}

void CpuNative::spend_cycles(uint64_t cycles) {
  quantum_.inc(clock_.cycles(cycles));
  if (quantum_.need_sync()) quantum_.sync();
}

dlvp_access_status CpuNative::op_read(void* ctx, uint64_t address, void* data, size_t length) {
  return static_cast<CpuNative*>(ctx)->access(tlm::TLM_READ_COMMAND, address, static_cast<unsigned char*>(data), length);
}
dlvp_access_status CpuNative::op_write(void* ctx, uint64_t address, const void* data, size_t length) {
  // TLM payloads carry non-const data pointers; writes never modify it.
  return static_cast<CpuNative*>(ctx)->access(tlm::TLM_WRITE_COMMAND, address,
                                              const_cast<unsigned char*>(static_cast<const unsigned char*>(data)), length);
}
void CpuNative::op_wait_for_interrupt(void* ctx, uint32_t lines) {
  static_cast<CpuNative*>(ctx)->wait_for_interrupt(lines);
}

// The lines as of the thread's last synchronization: within a quantum of local time the app sees
// an interrupt at its next sync at the latest (docs/cpu.md, "Native mode").
uint32_t CpuNative::op_pending_interrupts(void* ctx) {
  const auto* cpu = static_cast<CpuNative*>(ctx);
  return (cpu->irq_external.read() ? DLVP_IRQ_EXTERNAL : 0u) | (cpu->irq_timer.read() ? DLVP_IRQ_TIMER : 0u);
}
void CpuNative::op_spend_cycles(void* ctx, uint64_t cycles) { static_cast<CpuNative*>(ctx)->spend_cycles(cycles); }

void CpuNative::report(nlohmann::json& out, double elapsed_ns) const {
  out["mode"] = "native";
  out["app"] = app_path_;
  out["reads"] = stats_.reads;
  out["writes"] = stats_.writes;
  out["bytes_read"] = stats_.bytes_read;
  out["bytes_written"] = stats_.bytes_written;
  out["dmi_bytes"] = stats_.dmi_bytes;
  out["bus_errors"] = stats_.bus_errors;
  out["wfi_calls"] = stats_.wfi_calls;
  out["sleep_time_ns"] = stats_.wfi_time.to_seconds() * 1e9;
  out["sleep_fraction"] = elapsed_ns > 0 ? stats_.wfi_time.to_seconds() * 1e9 / elapsed_ns : 0.0;
}

}  // namespace dlvp
