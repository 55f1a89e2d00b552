// Takes the external interrupt of interrupt-controller source 1 (raised by the test bench):
// enable it, sleep in WFI, claim and complete in the handler; exits with the claimed source.
#include "soc_macros.h"
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s0, INTC_BASE
  li t0, 2                  // source 1
  sw t0, INTC_ENABLE(s0)
  li t0, 0x800              // MEIE
  csrw mie, t0
  li s1, 0
  csrsi mstatus, 8
  wfi
  li t2, 10000
1:
  bnez s1, 2f
  addi t2, t2, -1
  bnez t2, 1b
2:
  csrw mstatus, zero
  EXIT_WITH(s1)
  .balign 4
handler:
  lw s1, INTC_CLAIM(s0)
  sw s1, INTC_CLAIM(s0)
  mret
