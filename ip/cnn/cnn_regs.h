// CNN PE cluster register map, shared by the model (ip/cnn) and the bare-metal software (sw/).
// Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
//
// A 4 KiB window: identification, the configuration the instance was built with (read-only, so
// software can size its tiles), and performance counters read like a PMU. Counters count what
// the engine executed since reset or since the last PERF_CTRL.CLEAR. 8-byte registers may be read
// as two 4-byte halves (little-endian).
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_CNN_REGISTERS(REG)                                                                           \
  REG(ID, 0x000, 4, 0x434E4E30u, RO, "block identifier, ASCII 'CNN0'")                                    \
  REG(VERSION, 0x004, 4, 0x00010000u, RO, "register map version: major << 16 | minor")                    \
  REG(PES, 0x008, 4, 0, RO, "processing elements")                                                        \
  REG(CONVOLVERS, 0x00C, 4, 0, RO, "K x K convolvers per PE")                                             \
  REG(KERNEL, 0x010, 4, 0, RO, "convolver window K")                                                      \
  REG(CLOCK_KHZ, 0x014, 4, 0, RO, "engine clock in kHz")                                                  \
  REG(INPUT_BUFFER_BYTES, 0x018, 4, 0, RO, "input buffer size in bytes")                                  \
  REG(WEIGHT_BUFFER_BYTES, 0x01C, 4, 0, RO, "weight buffer size in bytes")                                \
  REG(OUTPUT_BUFFER_BYTES, 0x020, 4, 0, RO, "output buffer size in bytes")                                \
  REG(INPUT_PORT_BYTES, 0x024, 4, 0, RO, "input buffer read port, bytes per cycle")                       \
  REG(WEIGHT_PORT_BYTES, 0x028, 4, 0, RO, "weight buffer read port, bytes per cycle")                     \
  REG(OUTPUT_PORT_BYTES, 0x02C, 4, 0, RO, "output buffer port, bytes per cycle")                          \
  REG(ACCUMULATOR_BITS, 0x030, 4, 0, RO, "accumulator and partial-sum width in bits")                     \
  REG(PERF_CTRL, 0x03C, 4, 0, RW, "performance counter control")                                           \
  REG(CYCLES, 0x040, 8, 0, RO, "engine cycles of the executed compute instructions")                      \
  REG(BUSY_CYCLES, 0x048, 8, 0, RO, "cycles in which the multipliers computed (MAC windows)")             \
  REG(STALL_CYCLES, 0x050, 8, 0, RO,                                                                      \
      "cycles without MACs: line-buffer fill, drain, port stalls, overhead (CYCLES - BUSY_CYCLES - "      \
      "post-processing)")                                                                                 \
  REG(MACS, 0x058, 8, 0, RO, "multiply-accumulates")                                                      \
  REG(INSTRUCTIONS, 0x060, 4, 0, RO, "compute instructions executed")                                     \
  REG(ERRORS, 0x064, 4, 0, RO, "compute instructions rejected (bad field, buffer overrun)")               \
  REG(BUFFER_READ_BYTES, 0x068, 8, 0, RO, "bytes the datapath read from the three buffers")              \
  REG(BUFFER_WRITE_BYTES, 0x070, 8, 0, RO, "bytes the datapath wrote into the output buffer")            \
  REG(ARRAY_TRANSFERS, 0x078, 8, 0, RO, "8-bit line-buffer and broadcast transfers")                      \
  REG(RF_ACCESSES, 0x080, 8, 0, RO, "accumulator reads and writes")

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_CNN_FIELDS(FIELD) \
  DLVP_VERSION_FIELDS(FIELD)   \
  FIELD(PERF_CTRL, CLEAR, 0, 1, REG, "1: zero the performance counters (self-clearing)")

namespace dlvp::cnn_regs {

enum Reg : uint32_t { DLVP_CNN_REGISTERS(DLVP_REG_OFFSET_ENUM) };

constexpr uint32_t kWindowBytes = 0x1000;

inline constexpr regs::RegDef kRegisters[] = {DLVP_CNN_REGISTERS(DLVP_REG_DEF_ENTRY)};

DLVP_FIELD_TABLE(Field, kFields, DLVP_CNN_FIELDS);
DLVP_CHECK_FIELDS(kRegisters, kFields, "CNN");

constexpr uint32_t kPerfCtrlClear = regs::field_mask(kFields[PERF_CTRL_CLEAR]);

}  // namespace dlvp::cnn_regs
