// A program the hart cannot run: an illegal instruction with mtvec = 0 (nothing is mapped there),
// so every trap faults again at once. The hart must detect the loop and halt.
  .section .text.init, "ax"
  .globl _start
_start:
  csrw mtvec, zero
  .word 0x0000000b
1:
  j 1b
