// The CPU host in native mode: runs a host-compiled bare-metal app (a plugin .so) inside a
// SystemC thread. The app's HAL calls become TLM transactions on the system bus, timed with a
// quantum keeper (temporal decoupling); bulk copies to DDR use DMI where the memory grants it,
// accounted to the memory through its DmiAccountant; "wait for interrupt" sleeps until an
// interrupt line is high. Native code itself runs in zero simulated time except for the cycles
// the app declares (spend_cycles) and the issue cost of each access.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/tlm_util.h"
#include "ip/cpu/cpu_config.h"
#include "ip/cpu/cpu_host.h"
#include "ip/cpu/native_abi.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <string>

namespace dlvp {

class CpuNative : public CpuHost {
 public:
  // Opens the plugin now, so a bad path is a ConfigError before simulation starts.
  CpuNative(sc_core::sc_module_name name, const CpuConfig& config, const std::string& app_path);
  ~CpuNative() override;

  bool finished() const override { return finished_; }
  int app_return_code() const { return app_return_code_; }

  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  struct DmiRegion {
    bool valid = false;
    tlm::tlm_dmi dmi;
    DmiAccountant* accountant = nullptr;
    uint64_t accountant_offset = 0;
  };

  void run();
  dlvp_access_status access(tlm::tlm_command command, uint64_t address, unsigned char* data, size_t length);
  bool try_dmi(tlm::tlm_command command, uint64_t address, unsigned char* data, size_t length);
  void request_dmi(uint64_t address);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) override;
  void wait_for_interrupt(uint32_t lines);
  void spend_cycles(uint64_t cycles);

  static dlvp_access_status op_read(void* ctx, uint64_t address, void* data, size_t length);
  static dlvp_access_status op_write(void* ctx, uint64_t address, const void* data, size_t length);
  static void op_wait_for_interrupt(void* ctx, uint32_t lines);
  static void op_spend_cycles(void* ctx, uint64_t cycles);
  static uint32_t op_pending_interrupts(void* ctx);

  CpuConfig config_;
  ClockDomain clock_;
  std::string app_path_;
  void* plugin_ = nullptr;
  dlvp_native_entry_fn entry_ = nullptr;
  tlm_utils::tlm_quantumkeeper quantum_;
  tlm::tlm_generic_payload trans_;
  DmiRegion dmi_;
  bool finished_ = false;
  int app_return_code_ = 0;

  struct Stats {
    uint64_t reads = 0, writes = 0, bytes_read = 0, bytes_written = 0, dmi_bytes = 0;
    uint64_t bus_errors = 0, wfi_calls = 0;
    sc_core::sc_time wfi_time = sc_core::SC_ZERO_TIME;
  } stats_;
};

}  // namespace dlvp
