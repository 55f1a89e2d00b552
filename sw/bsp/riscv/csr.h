// Machine-mode CSRs of the RV32 core as the BSP and the RISC-V HAL use them (privileged spec
// names and bit positions). Included by C++ and by assembly (crt0.S): the C++ part is guarded.
#pragma once

// Bit masks without integer suffixes: the assembler reads them too.
// mstatus
#define DLVP_MSTATUS_MIE (1 << 3)
// mie / mip
#define DLVP_MIE_MTIE (1 << 7)
#define DLVP_MIE_MEIE (1 << 11)
// mcause: exception codes (interrupts have bit 31 set)
#define DLVP_MCAUSE_INTERRUPT 0x80000000u
#define DLVP_IRQ_CAUSE_TIMER 7
#define DLVP_IRQ_CAUSE_EXTERNAL 11
#define DLVP_CAUSE_FETCH_MISALIGNED 0
#define DLVP_CAUSE_FETCH_ACCESS 1
#define DLVP_CAUSE_ILLEGAL_INSTRUCTION 2
#define DLVP_CAUSE_BREAKPOINT 3
#define DLVP_CAUSE_LOAD_MISALIGNED 4
#define DLVP_CAUSE_LOAD_ACCESS 5
#define DLVP_CAUSE_STORE_MISALIGNED 6
#define DLVP_CAUSE_STORE_ACCESS 7
#define DLVP_CAUSE_ECALL_M 11

#ifdef __cplusplus
#include <stdint.h>

namespace riscv {

inline uint32_t read_minstret() {
  uint32_t v;
  asm volatile("csrr %0, minstret" : "=r"(v));
  return v;
}
inline uint32_t read_minstreth() {
  uint32_t v;
  asm volatile("csrr %0, minstreth" : "=r"(v));
  return v;
}
inline void set_mie(uint32_t bits) { asm volatile("csrs mie, %0" ::"r"(bits)); }
inline void clear_mie(uint32_t bits) { asm volatile("csrc mie, %0" ::"r"(bits)); }
// Sets or clears mstatus.MIE; returns whether it was set. "memory": no access moves across it.
inline bool set_global_interrupts(bool enabled) {
  uint32_t previous;
  if (enabled) asm volatile("csrrsi %0, mstatus, %1" : "=r"(previous) : "i"(DLVP_MSTATUS_MIE) : "memory");
  else asm volatile("csrrci %0, mstatus, %1" : "=r"(previous) : "i"(DLVP_MSTATUS_MIE) : "memory");
  return previous & DLVP_MSTATUS_MIE;
}

// Instructions retired so far (minstreth:minstret, read hi-lo-hi so that a carry between the
// two reads cannot tear the value).
inline uint64_t instructions_retired() {
  uint32_t hi, lo;
  do {
    hi = read_minstreth();
    lo = read_minstret();
  } while (hi != read_minstreth());
  return uint64_t{hi} << 32 | lo;
}

}  // namespace riscv
#endif  // __cplusplus
