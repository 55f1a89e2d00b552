// Register definitions shared by the models (ip/), the bare-metal software (sw/) and the tools.
// Freestanding: no library beyond <stdint.h>, so the RISC-V build can include it.
//
// A block's register map is one X-macro list in its *_regs.h header:
//   #define DLVP_DMA_REGISTERS(REG) REG(SRC_ADDR, 0x000, 8, 0, RW, "source address") ...
// From that one list the header derives the offsets software uses and the table the model's
// RegisterBank is built from; nothing about a register is written down twice.
#pragma once
#include <stdint.h>

namespace dlvp::regs {

enum class Access : uint8_t {
  RW,   // read/write
  RO,   // read-only; a write is answered with a TLM command error
  WO,   // write-only; reads return 0
  W1C,  // read/write-1-to-clear (status bits)
};

struct RegDef {
  const char* name;
  uint32_t offset;       // byte offset inside the block's register window
  uint8_t width_bytes;   // 4 or 8
  uint64_t reset_value;
  Access access;
  const char* description;
};

}  // namespace dlvp::regs

// Helpers that turn a register list into an enum of offsets and a RegDef table.
#define DLVP_REG_OFFSET_ENUM(name, offset, width, reset, access, desc) name = (offset),
#define DLVP_REG_DEF_ENTRY(name, offset, width, reset, access, desc) \
  ::dlvp::regs::RegDef{#name, (offset), (width), (reset), ::dlvp::regs::Access::access, desc},
