// RV32IMAC + Zicsr + Zifencei decoder: instruction bits -> rv32::Decoded. Pure functions, no
// state; the hart calls it once per decode-cache entry (docs/cpu.md). Every encoding the
// specifications reserve (RV64-only compressed forms, F/D instructions, shamt[5] = 1, zero
// immediates of C.ADDI4SPN / C.ADDI16SP / C.LUI, C.LWSP / C.JR with x0) decodes to kIllegal.
#pragma once
#include "ip/cpu/rv32_isa.h"

#include <cstdint>

namespace dlvp::rv32 {

// Length in bytes of the instruction whose low 16 bits are `low`: 2 (compressed) or 4. Longer
// encodings (bits 4:2 = 111) are not implemented; they report 4 and decode as illegal.
inline unsigned instruction_length(uint32_t low) { return (low & 3) == 3 ? 4 : 2; }

// Decodes one instruction; `bits` holds 16 bits for a compressed instruction (the upper half is
// ignored) or 32. Fills every field except `cycles`.
Decoded decode(uint32_t bits);

// True when the decoded instruction reads register `reg` (1..31) as a source.
inline bool reads_register(const Decoded& d, uint8_t reg) { return reg != 0 && (d.rs1 == reg || d.rs2 == reg); }

}  // namespace dlvp::rv32
