// A runaway program: forever a load from an unmapped address, whose access-fault handler skips it
// and returns (so the hart never halts on a trap loop). The run ends at run.max_time_ms; every load
// is a bus error, and the simulator's log must stay bounded however long it runs.
#include "soc_macros.h"
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s0, 0x00001000
  .option push
  .option norvc  // a 4-byte load: the handler skips 4 bytes
loop:
  lw a0, 0(s0)
  j loop
  .option pop
  .balign 4
handler:
  csrr t1, mepc
  addi t1, t1, 4
  csrw mepc, t1
  mret
