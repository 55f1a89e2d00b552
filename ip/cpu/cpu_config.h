// Parameters of the CPU host (scenario section `cpu`): the mode, the clock, the native host's
// access costs, and the RV32 ISS's cycle model and L1 caches (docs/cpu.md).
#pragma once
#include "ip/common/params.h"

#include <string>

namespace dlvp {

struct CpuConfig {
  std::string mode = "native";
  double clock_mhz = 667.0;           // the Zynq-7020's Cortex-A9 clock, the Aristotle board's host
  uint32_t access_cycles = 1;         // CPU cycles to issue one load/store before the bus delay
  uint32_t max_burst_bytes = 64;      // largest bus transaction of a bulk copy without DMI
  bool dmi = true;                    // use DMI for memory that grants it

  // ISS cycle model (docs/cpu.md, "Cycle model").
  uint32_t branch_penalty_cycles = 2;  // taken branch, jump, trap entry, mret, fence.i
  uint32_t load_use_cycles = 1;
  uint32_t mul_cycles = 3;
  uint32_t div_cycles = 34;
  uint32_t l1_hit_cycles = 1;
  std::string misaligned = "trap";    // misaligned loads/stores: trap, or emulate in two parts
  // ISS L1 caches (tags only): the Cortex-A9's 32 KiB, 4-way, 32-byte lines by default.
  uint32_t l1_line_bytes = 32;
  uint32_t l1i_size_bytes = 32 * 1024;
  uint32_t l1i_ways = 4;
  uint32_t l1d_size_bytes = 32 * 1024;
  uint32_t l1d_ways = 4;
  std::string signature_file;  // compliance signature output (iss mode), "" = none
  uint32_t gdb_port = 0;       // iss: GDB remote-protocol server on 127.0.0.1:gdb_port, 0 = none

  static void bind(ParamBinder& b, CpuConfig& c) {
    b.choice("mode", c.mode, {"native", "iss"},
             "how the software runs: native = host-compiled app plugin (.so), iss = RV32IMAC ELF on the instruction-set simulator");
    b.real("clock_mhz", c.clock_mhz, "MHz", "CPU clock", 1, 10000);
    b.integer("access_cycles", c.access_cycles, "cycles", "native: CPU cycles to issue one load/store", 0, 1000);
    b.integer("max_burst_bytes", c.max_burst_bytes, "B", "native: largest bus transaction of a bulk copy without DMI", 4, 4096);
    b.flag("dmi", c.dmi, "use direct memory interface pointers where memory grants them");
    b.integer("branch_penalty_cycles", c.branch_penalty_cycles, "cycles",
              "iss: extra cycles of a taken branch, a jump, a trap entry, mret and fence.i", 0, 50);
    b.integer("load_use_cycles", c.load_use_cycles, "cycles",
              "iss: stall of an instruction that uses the result of the load just before it", 0, 50);
    b.integer("mul_cycles", c.mul_cycles, "cycles", "iss: MUL/MULH/MULHSU/MULHU", 1, 100);
    b.integer("div_cycles", c.div_cycles, "cycles", "iss: DIV/DIVU/REM/REMU", 1, 200);
    b.integer("l1_hit_cycles", c.l1_hit_cycles, "cycles", "iss: load or store that hits in the L1 D-cache (issue included)", 1, 50);
    b.choice("misaligned", c.misaligned, {"trap", "emulate"},
             "iss: a misaligned load or store traps (mcause 4/6), or is done in two aligned parts costing one more "
             "L1 access (RAM only; devices give an access fault)");
    b.integer("l1_line_bytes", c.l1_line_bytes, "B", "iss: L1 line size (power of two)", 8, 4096);
    b.integer("l1i_size_bytes", c.l1i_size_bytes, "B", "iss: L1 instruction cache size (power of two)", 64, 1u << 24);
    b.integer("l1i_ways", c.l1i_ways, "", "iss: L1 instruction cache associativity (power of two)", 1, 64);
    b.integer("l1d_size_bytes", c.l1d_size_bytes, "B", "iss: L1 data cache size (power of two)", 64, 1u << 24);
    b.integer("l1d_ways", c.l1d_ways, "", "iss: L1 data cache associativity (power of two)", 1, 64);
    b.text("signature_file", c.signature_file,
           "iss: write the words between the ELF's begin_signature and end_signature here at the end (dlvp run --signature)");
    b.integer("gdb_port", c.gdb_port, "",
              "iss: wait for gdb on 127.0.0.1:gdb_port and run under its control (dlvp run --gdb PORT); 0 = no debugger",
              0, 65535);
    if (c.gdb_port && c.mode != "iss")
      throw ConfigError(b.origin()(b.key("gdb_port")) + ": key '" + b.key("gdb_port") + "' needs " + b.key("mode") +
                        ": iss (gdb debugs the RV32 program)");
    check_cache(b, "l1i_size_bytes", c.l1i_size_bytes, "l1i_ways", c.l1i_ways, c.l1_line_bytes);
    check_cache(b, "l1d_size_bytes", c.l1d_size_bytes, "l1d_ways", c.l1d_ways, c.l1_line_bytes);
  }

 private:
  static bool power_of_two(uint32_t v) { return v && !(v & (v - 1)); }
  static void check_cache(ParamBinder& b, const char* size_key, uint32_t size, const char* ways_key, uint32_t ways,
                          uint32_t line) {
    auto fail = [&](const char* key, const std::string& what) {
      throw ConfigError(b.origin()(b.key(key)) + ": key '" + b.key(key) + "' " + what);
    };
    if (!power_of_two(line)) fail("l1_line_bytes", "= " + std::to_string(line) + " must be a power of two");
    if (!power_of_two(size)) fail(size_key, "= " + std::to_string(size) + " must be a power of two");
    if (!power_of_two(ways)) fail(ways_key, "= " + std::to_string(ways) + " must be a power of two");
    if (uint64_t{ways} * line > size)
      fail(size_key, "= " + std::to_string(size) + " is smaller than " + ways_key + " x l1_line_bytes");
  }
};

}  // namespace dlvp
