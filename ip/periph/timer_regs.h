// Timer (RISC-V CLINT style) register map, shared by the model (ip/periph/timer.*) and the
// software (sw/hal). Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
//
// MTIME counts ticks of FREQUENCY Hz since time zero; the interrupt line is high while
// MTIME >= MTIMECMP. 8-byte registers may be accessed as two 4-byte halves (little-endian); a
// 32-bit core reads MTIME as hi, lo, hi (retry if hi changed) and writes MTIMECMP as
// hi = all ones, lo, hi so that no intermediate value fires early.
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

namespace dlvp::timer {

constexpr uint64_t kMtimecmpNever = ~uint64_t{0};  // reset value: the interrupt never fires

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_TIMER_REGISTERS(REG)                                                                  \
  REG(MTIME, 0x000, 8, 0, RO, "ticks elapsed at the time of the access")                          \
  REG(MTIMECMP, 0x008, 8, ::dlvp::timer::kMtimecmpNever, RW, "interrupt while MTIME >= MTIMECMP") \
  REG(FREQUENCY, 0x010, 4, 0, RO, "MTIME tick rate in Hz")

enum Reg : uint32_t { DLVP_TIMER_REGISTERS(DLVP_REG_OFFSET_ENUM) };
inline constexpr regs::RegDef kRegisters[] = {DLVP_TIMER_REGISTERS(DLVP_REG_DEF_ENTRY)};

}  // namespace dlvp::timer
