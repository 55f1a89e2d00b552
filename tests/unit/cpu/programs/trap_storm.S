// A trap handler that itself traps, one instruction in: its stack lies outside memory, so each
// entry pushes one word lower and faults again. The hart must halt (trap storm), not descend for
// ever.
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li sp, 0x00100000
  sw zero, 0(sp)
1:
  j 1b
  .balign 4
handler:
  addi sp, sp, -16
  sw ra, 0(sp)
  mret
