// Start-up of the C test programs: stack, zeroed bss, main(), then tohost = 1 (main's result is
// left in `main_result` for the harness).
  .section .text.init, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, stack_top
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  call main
  la t0, main_result
  sw a0, 0(t0)
  li t0, 1
  la t1, tohost
  sw t0, 0(t1)
3:
  j 3b

  .section .tohost, "aw", @progbits
  .balign 8
  .globl tohost
tohost: .word 0, 0

  .data
  .balign 4
  .globl main_result
main_result: .word 0
