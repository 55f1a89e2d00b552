// One RV32IMAC hart (Zicsr, Zifencei, machine mode only), free of SystemC so that instruction
// tests run on a flat memory in microseconds. The SystemC CPU host (cpu_iss) wraps it.
//
// Speed (docs/cpu.md): instructions are decoded once into a decode cache (per 4 KiB page of RAM,
// an array of Decoded entries indexed by (pc - page) / 2, filled lazily, invalidated entry by
// entry by stores to pages holding decoded code and wholesale by fence.i); dispatch is threaded
// code over the dense Op enum (a switch with compilers without labels as values); RAM is
// accessed through one host pointer (DMI); the hart counts cycles and checks its cycle budget
// only when control leaves straight-line code (taken branch, jump, new cache line), never per
// instruction. Everything else — device accesses, RAM without DMI, cache line transfers — goes
// through the Bus interface, off the per-instruction path.
#pragma once
#include "ip/cpu/rv32_cache.h"
#include "ip/cpu/rv32_isa.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace dlvp::rv32 {

// The cycle model's costs (docs/cpu.md, table "cycle model").
struct CycleModel {
  uint32_t branch_penalty = 2;  // taken branch, jump, trap entry, mret, fence.i: pipeline refill
  uint32_t load_use = 1;        // stall of an instruction that reads the result of the load before it
  uint32_t mul = 3;             // MUL, MULH, MULHSU, MULHU
  uint32_t div = 34;            // DIV, DIVU, REM, REMU (radix-2: 32 steps + 2)
  uint32_t memory = 1;          // load or store hitting in the L1 (issue included)
};

// What the hart cannot do by itself. Called off the per-instruction path only.
class Bus {
 public:
  virtual ~Bus() = default;
  // Uncached access (devices; RAM without DMI) of 1, 2 or 4 bytes. The implementation adds the
  // access's time to the hart (Hart::add_cycles). False on a bus error.
  virtual bool read(uint32_t address, void* data, unsigned size) = 0;
  virtual bool write(uint32_t address, const void* data, unsigned size) = 0;
  // Reads RAM without timing (instruction bytes when there is no DMI, the tohost word).
  virtual bool peek(uint32_t address, void* data, unsigned size) = 0;
  // Moves one cache line between the L1 and RAM (a fill or a write-back); returns its cycles.
  virtual uint64_t line_transfer(uint32_t address, unsigned bytes, bool write) = 0;
};

struct HartConfig {
  uint32_t ram_base = 0x80000000u;  // main memory: executable, cacheable, atomics allowed
  uint32_t ram_size = 0;            // bytes
  CycleModel cycles;
  CacheGeometry icache, dcache;     // the two caches share one line size
  uint64_t period_ps = 1000;        // CPU clock period, for the time CSR
  uint64_t timer_hz = 100000000;    // tick rate of the time CSR (the platform timer's MTIME)
  uint32_t hart_id = 0;
  // Misaligned loads and stores to RAM done in two aligned parts (docs/cpu.md, "Misaligned
  // accesses") instead of trapping (cpu.misaligned).
  bool emulate_misaligned = false;
  // A hart that cannot make progress halts (Stop::halted): more than trap_loop_limit traps in a
  // row without an instruction retiring, or more than trap_storm_limit traps in a row, each within
  // trap_storm_window instructions of the one before and with no mret between (a handler that
  // itself keeps trapping, e.g. on a stack outside memory).
  uint32_t trap_loop_limit = 3;
  uint32_t trap_storm_limit = 1000;
  uint32_t trap_storm_window = 16;
};

enum class Stop {
  budget,      // the cycle budget is used up (a quantum boundary)
  wfi,         // WFI with no interrupt pending and enabled in mie: sleep until one is
  tohost,      // a non-zero value was written to the tohost word
  halted,      // trap loop: the hart cannot make progress (halt_reason())
  step,        // step(): one instruction done
  watchpoint,  // a load or store touched a watched range (watch_hit()); the instruction has retired
};

// A debugger's data watchpoint (gdb's Z2, Z3, Z4): a store, a load, or either touching any byte
// of [address, address + length).
enum class WatchKind : uint8_t { write = 2, read = 3, access = 4 };
struct Watchpoint {
  WatchKind kind;
  uint32_t address, length;
  bool operator==(const Watchpoint& o) const { return kind == o.kind && address == o.address && length == o.length; }
};
struct WatchHit {
  WatchKind kind;
  uint32_t address;  // the first watched byte the access touched
};

class Hart {
 public:
  struct Stats {
    uint64_t loads = 0, stores = 0;                    // RAM accesses through the D-cache
    uint64_t uncached_loads = 0, uncached_stores = 0;  // through the bus (devices, RAM without DMI)
    uint64_t exceptions[16] = {}, interrupts[16] = {}; // by cause
    uint64_t decoded = 0, invalidated = 0, fence_i = 0, wfi = 0;
    uint64_t icache_fills = 0, dcache_fills = 0, dcache_write_backs = 0;
    uint64_t misaligned_emulated = 0;  // loads and stores done in two parts (emulate_misaligned)
  };
  struct TrapRecord {
    uint32_t cause = 0, epc = 0, tval = 0;
  };

  Hart(const HartConfig& config, Bus& bus);

  // Registers zero, pc = `pc`, CSRs at reset values; the decode cache is kept.
  void reset(uint32_t pc);
  // Host pointer to all of RAM (DMI), or nullptr: RAM then goes through the bus, uncached.
  void set_ram_pointer(uint8_t* ram);
  bool has_ram_pointer() const { return ram_ != nullptr; }

  // Runs until the cycle budget is used up (checked at taken branches, jumps and cache line
  // changes), WFI with nothing to wake it, a tohost write, or a halt.
  Stop run();
  // Runs one instruction (or takes one trap).
  Stop step();

  // Clock: cycles since reset (never written by software; mcycle is an offset view of it).
  uint64_t cycles() const { return cycles_; }
  void add_cycles(uint64_t n) { cycles_ += n; }
  void set_budget_end(uint64_t cycle) { budget_end_ = cycle; }
  uint64_t budget_end() const { return budget_end_; }

  // Interrupt lines (mip.MEIP, mip.MTIP), sampled by the host at synchronization points.
  void set_interrupt_lines(bool external, bool timer);
  // An interrupt is pending and enabled in mie (what wakes WFI, whatever mstatus.MIE says).
  bool interrupt_waiting() const { return (mip_ & mie_) != 0; }
  bool interrupt_ready() const { return (mstatus_ & kMstatusMie) && (mip_ & mie_); }

  // Data watchpoints (a debugger's): the run stops after the load or store that touches one
  // (Stop::watchpoint). With none set the interpreter's inline memory paths are unchanged; with
  // write watchpoints, stores to their pages leave the inline path (page_flags_); with read or
  // access watchpoints, every load and store does (inline_limit_ = 0). False when kMaxWatchpoints
  // are set already (add) or no such watchpoint exists (remove).
  static constexpr size_t kMaxWatchpoints = 16;
  bool add_watchpoint(const Watchpoint& w);
  bool remove_watchpoint(const Watchpoint& w);
  void clear_watchpoints();
  const WatchHit& watch_hit() const { return watch_hit_; }

  // Compliance: stores of a non-zero word to `address` stop the run (Stop::tohost).
  void watch_tohost(uint32_t address);
  uint32_t tohost_value() const { return tohost_value_; }

  // Decode cache: forget everything (fence.i) or the entries covering [address, address + size)
  // (stores from outside the hart, e.g. a debugger).
  void flush_decode_cache();
  void invalidate_code(uint32_t address, uint32_t size);

  // State, for the host, tests and debuggers.
  uint32_t pc() const { return pc_; }
  void set_pc(uint32_t pc) { pc_ = pc; fetch_line_ = kNoLine; }
  uint32_t reg(unsigned i) const { return x_[i & 31]; }
  void set_reg(unsigned i, uint32_t value) { if (i & 31) x_[i & 31] = value; }
  // Reads a CSR as an instruction would (false: no such CSR).
  bool read_csr(uint16_t csr, uint32_t& value) const;
  uint64_t instructions() const { return instret_; }  // retired since reset
  bool halted() const { return halted_; }
  const std::string& halt_reason() const { return halt_reason_; }
  const Stats& stats() const { return stats_; }
  const Cache& icache() const { return icache_; }
  const Cache& dcache() const { return dcache_; }
  const HartConfig& config() const { return config_; }

 private:
  enum class Access { ok, trap, tohost, watch };
  static constexpr uint32_t kPageShift = 12;
  static constexpr uint32_t kPageBytes = 1u << kPageShift;
  static constexpr uint32_t kEntriesPerPage = kPageBytes / 2;
  static constexpr uint32_t kNoLine = ~0u;
  static constexpr uint8_t kCodePage = 1;   // page_flags_: the page holds decoded instructions
  static constexpr uint8_t kWatchPage = 2;  // the page holds the tohost word
  static constexpr uint8_t kDataWatchPage = 4;  // the page holds bytes a write or access watchpoint covers

  template <bool kSingleStep>
  Stop execute();

  // Fetch and decode.
  bool enter_line(uint32_t pc);
  Decoded* allocate_page(uint32_t page);
  bool fill_entry(uint32_t pc, Decoded& entry);
  bool fetch_bits(uint32_t pc, uint32_t& bits, uint32_t& fault_address);
  bool read_code(uint32_t address, uint16_t& half);
  uint8_t cycles_of(const Decoded& d, uint32_t pc);
  void invalidate_entries(uint32_t ram_offset, uint32_t size);

  // Data memory: the interpreter does the common case inline, these the rest.
  void dcache_access(uint32_t address, bool write);
  Access load_any(uint32_t address, void* value, unsigned size, uint32_t pc);
  Access store_any(uint32_t address, const void* value, unsigned size, uint32_t pc);
  Access after_ram_store(uint32_t ram_offset, unsigned size);
  Access misaligned_access(uint32_t address, void* value, unsigned size, bool write, uint32_t pc);
  void ram_part(uint32_t address, uint8_t* bytes, unsigned size, bool write);
  Access atomic(const Decoded& d, uint32_t pc);
  bool watched(uint32_t address, unsigned size, bool write);  // sets watch_hit_
  void update_watch_state();

  // Traps and CSRs (rv32_csr.cpp).
  void exception(uint32_t cause, uint32_t tval, uint32_t epc);
  void take_interrupt(uint32_t pc);
  void trap(uint32_t cause, uint32_t tval, uint32_t epc);
  void check_progress(uint32_t cause, uint32_t tval, uint32_t epc);
  void illegal_instruction(uint32_t pc);
  void mret();
  bool csr_instruction(Decoded d, uint32_t pc);
  bool write_csr(uint16_t csr, uint32_t value, uint32_t pc);
  uint64_t mcycle() const { return cycles_ + mcycle_offset_; }
  uint64_t minstret() const { return instret_ + minstret_offset_; }
  uint64_t time() const;
  void set_c_extension(bool enabled, uint32_t pc);

  HartConfig config_;
  Bus& bus_;

  // Architectural state. x_[32] is the sink of writes to x0.
  uint32_t x_[33] = {};
  uint32_t pc_ = 0;
  uint32_t mstatus_ = 0, misa_ = kMisaValue, mie_ = 0, mip_ = 0, mtvec_ = 0;
  uint32_t mscratch_ = 0, mepc_ = 0, mcause_ = 0, mtval_ = 0;
  uint64_t mcycle_offset_ = 0, minstret_offset_ = 0;
  uint32_t ialign_mask_ = 0;  // 2 when the C extension is off: jump targets must be 4-byte aligned
  uint32_t reservation_ = 0;
  bool reserved_ = false;

  // Time and progress.
  uint64_t cycles_ = 0, budget_end_ = 0, instret_ = 0;
  uint32_t branch_penalty_;

  // Memory. RAM offsets below dmi_limit_ are reached through ram_ (0 without DMI); the interpreter's
  // inline loads and stores take those below inline_limit_ (dmi_limit_, or 0 to send all to
  // load_any / store_any while read or access watchpoints are set).
  uint32_t ram_base_, ram_size_, dmi_limit_ = 0, inline_limit_ = 0;
  uint8_t* ram_ = nullptr;
  std::vector<std::unique_ptr<Decoded[]>> pages_;  // per RAM page, allocated on first fetch
  std::vector<uint32_t> allocated_pages_;
  std::vector<uint8_t> page_flags_;
  Decoded* page_ = nullptr;      // entries of the page of the current fetch line
  uint32_t fetch_line_ = kNoLine;
  unsigned line_shift_;
  Cache icache_, dcache_;

  // Watchpoints.
  std::vector<Watchpoint> watchpoints_;
  bool watch_loads_ = false, watch_stores_ = false;
  WatchHit watch_hit_{WatchKind::write, 0};

  // Compliance and trap-loop detection.
  uint32_t tohost_offset_ = ~0u, tohost_value_ = 0;
  uint64_t last_trap_instret_ = ~uint64_t{0};
  uint32_t traps_without_progress_ = 0, trap_storm_ = 0;
  bool mret_since_trap_ = true;
  TrapRecord first_trap_;
  bool halted_ = false;
  std::string halt_reason_;

  Stats stats_;
};

}  // namespace dlvp::rv32
