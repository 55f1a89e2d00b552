// System controller: identifies the SoC (ID, VERSION), ends the simulation when software writes
// its exit status to EXIT, and holds the device table through which software discovers every
// other block (id, base, size, interrupt line) — see sysctl_regs.h.
#pragma once
#include "ip/common/params.h"
#include "ip/common/register_bank.h"
#include "ip/common/reportable.h"
#include "ip/common/register_window.h"
#include "ip/periph/cpu_stage_marks.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dlvp {

struct SysctlConfig {
  RegisterTiming timing;

  static void bind(ParamBinder& b, SysctlConfig& c);
};

// One named result an app committed (sysctl_regs.h, RESULT_*): value = mantissa x 10^exponent.
struct AppResult {
  std::string name, unit;  // printable UTF-8; unit empty when the app gave none
  int64_t mantissa = 0;
  int32_t exponent = 0;
};

class Sysctl : public sc_core::sc_module, public Reportable {
 public:
  // Reads guest memory without side effects or time (the platform's debug transport): returns the
  // bytes read into `data`, at most `bytes`.
  using GuestReader = std::function<unsigned(uint64_t address, uint8_t* data, unsigned bytes)>;

  struct Device {
    uint32_t id;    // soc::DeviceId
    uint64_t base;  // bytes
    uint64_t size;  // bytes
    uint32_t irq;   // interrupt source number, soc::kNoIrq when none
  };

  tlm_utils::simple_target_socket<Sysctl> socket;

  Sysctl(sc_core::sc_module_name name, const SysctlConfig& config);

  // Called by the platform for every block (itself included) before the simulation starts.
  // Throws std::invalid_argument on an empty window or one that wraps around the address space.
  void add_device(uint32_t id, uint64_t base, uint64_t size, uint32_t irq);
  const std::vector<Device>& devices() const { return devices_; }
  // Boot arguments software reads (BOOT_ARG0..7), set by the platform from `software.args`.
  void set_boot_arg(uint32_t index, uint64_t value);

  // How RESULT_COMMIT reads names and units; without one every commit is refused (kResultBadName).
  void set_guest_reader(GuestReader reader) { guest_reader_ = std::move(reader); }
  // The results kept, in the order their names were first committed; and the commits left out.
  const std::vector<AppResult>& app_results() const { return results_; }
  uint64_t app_results_dropped() const { return results_dropped_; }  // new names beyond kMaxResults
  uint64_t app_results_refused() const { return results_refused_; }  // bad name, unit or exponent

  // CPUC: the CPU stage marks (CPU_STAGE*), to which the platform attaches the energy ledger.
  CpuStageMarks& cpu_stage_marks() { return cpu_stages_; }

  bool exit_requested() const { return exit_requested_; }
  uint32_t exit_code() const { return exit_code_; }
  // Initiator-local time of the EXIT write.
  sc_core::sc_time exit_time() const { return exit_time_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  void on_exit(uint32_t code);
  void on_result_commit();
  void on_cpu_stage(uint64_t mark);
  uint32_t commit_result();  // sysctl::ResultStatus
  // The NUL-terminated string at `address` when it lies in DDR and is printable UTF-8 of at most
  // kResultTextMaxBytes bytes; false otherwise.
  bool read_guest_text(uint64_t address, std::string* text) const;
  // The entry DEVICE_SELECT points at, or an empty one (id kDevNone) when out of range.
  Device selected() const;

  SysctlConfig config_;
  RegisterBank bank_;
  std::vector<Device> devices_;
  sc_core::sc_time access_time_;  // initiator's local time of the access being served
  bool exit_requested_ = false;
  uint32_t exit_code_ = 0;
  sc_core::sc_time exit_time_;

  GuestReader guest_reader_;
  std::vector<AppResult> results_;
  uint64_t results_dropped_ = 0, results_refused_ = 0;

  CpuStageMarks cpu_stages_;
  RegisterAccessStats access_stats_;
  uint64_t ignored_exits_ = 0;
};

}  // namespace dlvp
