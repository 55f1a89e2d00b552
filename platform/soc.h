// The SoC of docs/architecture.mdbuilt from a PlatformConfig: CPU host (native or RV32 ISS, by
// cpu.mode), system bus, DDR, DMA (with a local buffer bus to the on-chip scratchpad), UART,
// interrupt controller, timer and system controller, and the IFU with its two compute engines (the
// CNN cluster; the sparse LSTM engine unless lstm.enabled is false), whose buffers sit in the DMA's
// local space. The memory map is the table of MemoryMapConfig plus DDR.
#pragma once
#include "ip/bus/bus.h"
#include "ip/bus/memory_map.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/sram_buffer.h"
#include "ip/cnn/cnn_engine.h"
#include "ip/cpu/cpu_host.h"
#include "ip/cpu/cpu_iss.h"
#include "ip/cpu/cpu_native.h"
#include "ip/ddr/ddr_controller.h"
#include "ip/dma/dma_engine.h"
#include "ip/ifu/ifu.h"
#include "ip/lstm/lstm_engine.h"
#include "ip/periph/intc.h"
#include "ip/periph/sysctl.h"
#include "ip/periph/timer.h"
#include "ip/periph/uart.h"
#include "ip/pmu/pmu.h"
#include "ip/pmu/ddr_bandwidth_monitor.h"
#include "ip/pmu/power_monitor.h"
#include "platform/platform_config.h"

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <vector>

namespace dlvp {

class Soc : public sc_core::sc_module {
 public:
  Soc(sc_core::sc_module_name name, const PlatformConfig& config, EnergyLedger& ledger);

  const MemoryMap& memory_map() const { return map_; }
  // Places a file's bytes in memory through the bus's debug transport (as a debugger or boot
  // loader would), once elaboration is complete. Throws ConfigError naming the file when it cannot
  // be read or does not fit.
  void load_file(const std::string& path, uint64_t address, const std::string& what);
  std::vector<const Reportable*> reportables() const;

  CpuHost& cpu() { return *cpu_; }
  const CpuIss* iss() const { return cpu_iss_; }  // nullptr in native mode
  DdrController& ddr() { return *ddr_; }
  Sysctl& sysctl() { return *sysctl_; }
  Uart& uart() { return *uart_; }
  Bus& bus() { return *bus_; }
  DmaEngine& dma() { return *dma_; }
  Ifu& ifu() { return *ifu_; }
  CnnEngine& cnn() { return *cnn_; }
  LstmEngine* lstm() { return lstm_.get(); }  // null when lstm.enabled is false
  const PowerMonitor& power() const { return power_; }
  const DdrBandwidthMonitor& ddr_bandwidth() const { return ddr_bandwidth_; }
  // Samples power and DDR bandwidth at `t` (the runner calls it every report.power_interval_ns of
  // simulated time).
  void sample_over_time(const sc_core::sc_time& t);

  // Where the engines' buffers start in the DMA's local space (the scratchpad is at 0).
  static constexpr uint64_t kCnnLocalBase = 0x01000000;
  static constexpr uint64_t kLstmLocalBase = 0x10000000;  // above the CNN's largest buffers (3 x 64 MiB)

 private:
  void start_of_simulation() override;  // places the ELF (iss mode) and software.load files in memory
  void build_cpu(const PlatformConfig& config, EnergyLedger& ledger);
  bool write_debug(uint64_t address, const uint8_t* data, size_t size);
  unsigned read_debug(uint64_t address, uint8_t* data, unsigned size);
  void build_memory_map(const PlatformConfig& config);
  void add_leakage(const PlatformConfig& config, EnergyLedger& ledger);
  void wire_interrupts(const PlatformConfig& config);
  void build_local_space(const PlatformConfig& config, EnergyLedger& ledger);
  void add_local_buffer(SramBuffer& buffer, uint64_t base);
  const MemoryMap& build_buffer_map(const PlatformConfig& config);

  tlm_utils::simple_initiator_socket<Soc> loader_socket_{"loader_socket"};
  std::vector<MemoryLoad> loads_;
  MemoryMap map_;
  MemoryMap buffer_map_;
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<Bus> buffer_bus_;
  std::unique_ptr<CpuHost> cpu_;
  CpuIss* cpu_iss_ = nullptr;  // cpu_ in iss mode
  std::unique_ptr<DdrController> ddr_;
  std::unique_ptr<DmaEngine> dma_;
  std::unique_ptr<Uart> uart_;
  std::unique_ptr<Intc> intc_;
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<Sysctl> sysctl_;
  std::unique_ptr<SramBuffer> scratchpad_;
  std::unique_ptr<Pmu> pmu_;
  PowerMonitor power_;
  DdrBandwidthMonitor ddr_bandwidth_;
  std::unique_ptr<CnnEngine> cnn_;
  std::unique_ptr<LstmEngine> lstm_;
  std::unique_ptr<Ifu> ifu_;

  sc_core::sc_signal<bool> cpu_external_irq_{"cpu_external_irq"};
  sc_core::sc_signal<bool> cpu_timer_irq_{"cpu_timer_irq"};
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> source_irqs_;  // intc source lines
};

}  // namespace dlvp
