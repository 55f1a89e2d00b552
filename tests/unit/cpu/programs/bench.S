// An integer loop for measuring the ISS's speed: 14 instructions per iteration (ALU, shifts, a
// load and a store on a 64-byte table, a loop branch). Ends through tohost.
  .section .text.init, "ax"
  .globl _start
_start:
  li s0, 4000000     // iterations
  la s1, table
  li a0, 0x12345678
  li a1, 0
loop:
  add a1, a1, a0
  xor a0, a0, a1
  slli t0, a0, 3
  srli t1, a1, 5
  add a0, a0, t0
  sub a1, a1, t1
  andi t2, s0, 15
  slli t2, t2, 2
  add t2, t2, s1
  lw t3, 0(t2)
  add t3, t3, a0
  sw t3, 0(t2)
  addi s0, s0, -1
  bnez s0, loop
  la t0, checksum
  sw a0, 0(t0)
  li t0, 1
  la t1, tohost
  sw t0, 0(t1)
1:
  j 1b

  .section .tohost, "aw", @progbits
  .balign 8
  .globl tohost
tohost: .word 0, 0

  .data
  .balign 64
table: .space 64
  .globl checksum
checksum: .word 0
