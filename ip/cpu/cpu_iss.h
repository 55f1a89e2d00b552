// The CPU host in iss mode: runs the real RV32IMAC bare-metal program (an ELF) on the
// instruction-set simulator (rv32::Hart) in a SystemC thread. See docs/cpu.md.
//
// - Memory: RAM (the DDR) through one DMI pointer, its cost through L1 cache models whose line
//   fills and write-backs are accounted by the memory's DmiAccountant (time and energy);
//   everything else (devices, RAM without DMI) by b_transport with the CPU's local time.
// - Time: the hart counts cycles; the CPU's time is cycles x clock period. It synchronizes at the
//   global quantum's boundaries, after every device access, and when it sleeps in WFI.
// - Interrupts: irq_external and irq_timer are sampled at those synchronization points (latency
//   at most one quantum).
// - End: the program ends the run like any software, by writing the system controller's EXIT
//   register; the CPU does the same write for a tohost result or a trap loop.
// - Debugging: with cpu.gdb_port the hart runs under a GDB remote-protocol server (gdb_server.h)
//   in a run loop of its own, so the ordinary loop has no check for it.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/tlm_util.h"
#include "ip/cpu/cpu_config.h"
#include "ip/cpu/cpu_host.h"
#include "ip/cpu/elf_loader.h"
#include "ip/cpu/gdb_server.h"
#include "ip/cpu/rv32_hart.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlvp {

class CpuIss : public CpuHost, private rv32::Bus, private gdb::DebugMemory {
 public:
  // Exit status of a run the CPU ends because the program cannot make progress (trap loop).
  static constexpr uint32_t kExitTrapLoop = 0xDF;
  // Exit status of a run gdb ends with `kill` (a lost connection is a detach: the program runs on).
  static constexpr uint32_t kExitKilled = 0x89;
  // Under gdb, the CPU looks for Ctrl-C every this many quanta (about 1 ms of wall time).
  static constexpr uint32_t kGdbPollQuanta = 256;

  // The platform around the CPU.
  struct Platform {
    uint64_t ram_base = 0x80000000;  // main memory (DDR): executable, cacheable
    uint64_t ram_size = 0;
    double timer_mhz = 100.0;        // tick rate of the time CSR (the platform timer's MTIME)
    std::optional<uint64_t> exit_register;  // where an exit status ends the run (sysctl EXIT)
  };

  // Reads and checks the ELF now (ConfigError naming it when it is not an RV32 executable, or a
  // segment lies outside RAM), so bad input is reported before simulation starts.
  CpuIss(sc_core::sc_module_name name, const CpuConfig& config, const std::string& elf_path, EnergyLedger& ledger,
         const Platform& platform);

  // Places the program in memory (the platform's debug writes); before the simulation starts.
  void load_program(const ElfImage::Writer& write) const { elf_.write_to(write); }

  bool finished() const override { return finished_; }
  rv32::Hart& hart() { return *hart_; }
  const ElfImage& program() const { return elf_; }
  // tohost value when the program wrote one (1 = pass, else failing test << 1 | 1).
  std::optional<uint32_t> tohost() const { return tohost_; }
  // The signature file (cpu.signature_file) could not be written: the run must end with the
  // output-write-failure status.
  bool signature_write_failed() const { return signature_write_failed_; }

  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void run();
  bool handle(rv32::Stop stop);  // what a stop of the hart means; false when the run has ended
  void end_of_simulation() override;

  // Under gdb (cpu.gdb_port): gdb decides when the hart runs; while it is stopped, this thread
  // blocks in the socket and simulated time stands still.
  void run_under_gdb();
  // Runs until a breakpoint, a watchpoint or Ctrl-C (why it stopped), or the end (nothing).
  std::optional<gdb::StopReason> continue_under_gdb();
  std::optional<rv32::Stop> run_to_breakpoint(bool& leaving);  // one quantum, instruction by instruction
  // gdb::DebugMemory: the platform's debug transport.
  bool debug_read(uint32_t address, uint8_t* data, uint32_t size) override;
  bool debug_write(uint32_t address, const uint8_t* data, uint32_t size) override;

  // Time.
  sc_core::sc_time cpu_time() const;   // cycles x period
  sc_core::sc_time local_time() const; // how far the CPU runs ahead of the kernel
  void sync();                         // waits out the local time, then after_sync()
  void after_sync();                   // samples the interrupt lines, sets the next budget
  void sleep();                        // WFI: waits for an interrupt line to change
  void advance_clock_to_now();
  uint64_t cycles_of(const sc_core::sc_time& t) const;
  uint64_t elapsed_cycles(const sc_core::sc_time& issued, const sc_core::sc_time& delay) const;

  // rv32::Bus.
  bool read(uint32_t address, void* data, unsigned size) override;
  bool write(uint32_t address, const void* data, unsigned size) override;
  bool peek(uint32_t address, void* data, unsigned size) override;
  uint64_t line_transfer(uint32_t address, unsigned bytes, bool write) override;
  bool transport(tlm::tlm_command command, uint32_t address, void* data, unsigned size);
  bool in_ram(uint64_t address) const { return address - platform_.ram_base < ram_size_; }

  // DMI.
  void request_dmi(uint64_t address);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) override;

  // End of the run.
  void end_run(uint32_t status);
  void dump_signature();
  void flush_energy();

  CpuConfig config_;
  Platform platform_;
  ClockDomain clock_;
  uint64_t period_ticks_;  // clock period in sc_time resolution units
  uint64_t ram_size_;      // the part of the RAM the 32-bit address space reaches
  std::string elf_path_;
  ElfImage elf_;
  EnergyLedger& ledger_;
  std::unique_ptr<rv32::Hart> hart_;
  tlm_utils::tlm_quantumkeeper quantum_;
  tlm::tlm_generic_payload trans_;
  std::vector<unsigned char> line_buffer_;

  DmiAccountant* accountant_ = nullptr;  // of the DMI region holding the RAM
  uint64_t accountant_offset_ = 0;

  bool finished_ = false;
  std::optional<uint32_t> exit_status_;  // written to the exit register (by the program or end_run)
  std::unique_ptr<gdb::GdbServer> gdb_;
  std::optional<uint32_t> tohost_;
  bool signature_write_failed_ = false;
  std::string halt_reason_;

  struct Counters {
    CounterId instruction, l1i_read, l1i_write, l1d_read, l1d_write;
  } counters_{};
  struct Flushed {
    uint64_t instructions = 0, icache_fills = 0, loads = 0, stores = 0, dcache_fills = 0, write_backs = 0;
  } flushed_;

  struct Stats {
    uint64_t device_reads = 0, device_writes = 0, ram_bus_accesses = 0, bus_errors = 0, sleeps = 0, sleep_cycles = 0;
    sc_core::sc_time sleep_time = sc_core::SC_ZERO_TIME;
  } stats_;
  std::chrono::steady_clock::time_point wall_start_;
  double wall_seconds_ = 0;
};

}  // namespace dlvp
