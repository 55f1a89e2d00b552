// Interrupt controller (PLIC-like) register map, shared by the model (ip/periph/intc.*) and the
// software (sw/hal). Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
//
// Source 0 means "no interrupt"; sources 1..SOURCES-1 are wired to devices. Bit n of PENDING,
// ENABLE and IN_SERVICE belongs to source n. Handler protocol: read CLAIM (returns the
// lowest-numbered pending and enabled source and clears its pending bit, 0 if none), serve the
// device, write the same id to CLAIM (complete). A source whose line is still high after the
// completion becomes pending again.
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

namespace dlvp::intc {

constexpr uint32_t kNoSource = 0;     // CLAIM result when nothing is pending and enabled
constexpr uint32_t kMaxSources = 32;  // one bit per source in a 32-bit register (incl. source 0)

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_INTC_REGISTERS(REG)                                                                   \
  REG(PENDING, 0x000, 4, 0, RO, "sources pending")                                                \
  REG(ENABLE, 0x004, 4, 0, RW, "sources that may interrupt the CPU")                              \
  REG(CLAIM, 0x008, 4, 0, RW, "read: claim the lowest pending enabled source (0 = none); write: complete that id") \
  REG(SOURCES, 0x00c, 4, 0, RO, "number of sources including source 0")                          \
  REG(IN_SERVICE, 0x010, 4, 0, RO, "sources claimed and not yet completed")

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_INTC_FIELDS(FIELD)                                                                    \
  FIELD(PENDING, SOURCES, 0, ::dlvp::intc::kMaxSources, REG, "bit n: source n is pending")         \
  FIELD(ENABLE, SOURCES, 0, ::dlvp::intc::kMaxSources, REG,                                        \
        "bit n: source n may interrupt the CPU (bits of absent sources read 0)")                   \
  FIELD(IN_SERVICE, SOURCES, 0, ::dlvp::intc::kMaxSources, REG, "bit n: source n is claimed and not yet completed")

enum Reg : uint32_t { DLVP_INTC_REGISTERS(DLVP_REG_OFFSET_ENUM) };
inline constexpr regs::RegDef kRegisters[] = {DLVP_INTC_REGISTERS(DLVP_REG_DEF_ENTRY)};

DLVP_FIELD_TABLE(Field, kFields, DLVP_INTC_FIELDS);
DLVP_CHECK_FIELDS(kRegisters, kFields, "INTC");

}  // namespace dlvp::intc
