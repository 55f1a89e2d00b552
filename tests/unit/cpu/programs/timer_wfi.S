// Sleeps in WFI until the platform timer's compare interrupt (1000 ticks ahead), then checks mip
// and the time CSR; exits with 0, or 1 on a mismatch.
#include "soc_macros.h"
  .section .text.init, "ax"
  .globl _start
_start:
  li s0, TIMER_BASE
  lw t0, TIMER_MTIME(s0)
  addi t0, t0, 1000
  li t1, -1
  sw t1, TIMER_MTIMECMP + 4(s0)  // hi = all ones first: no early match
  sw t0, TIMER_MTIMECMP(s0)
  sw zero, TIMER_MTIMECMP + 4(s0)
  li t0, 0x80                     // MTIE
  csrw mie, t0
  wfi
  csrr a0, mip
  andi a0, a0, 0x80
  beqz a0, bad
  csrr a1, time
  li t2, 1000
  bltu a1, t2, bad
  li a0, 0
  EXIT_WITH(a0)
bad:
  li a0, 1
  EXIT_WITH(a0)
