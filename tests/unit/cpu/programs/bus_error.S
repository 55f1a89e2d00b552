// A load from an unmapped address: the bus answers with an error, the hart takes a load access
// fault (mcause 5, mtval = the address), and the handler exits with mcause (99 if mtval is wrong).
#include "soc_macros.h"
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s0, 0x00001000
  lw a0, 0(s0)
  li a0, 98
  EXIT_WITH(a0)
  .balign 4
handler:
  csrr a1, mtval
  bne a1, s0, 1f
  csrr a0, mcause
  EXIT_WITH(a0)
1:
  li a0, 99
  EXIT_WITH(a0)
