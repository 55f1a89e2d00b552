// RV32C: every RV32 compressed instruction, written with explicit c. mnemonics.
#include "test_macros.h"
  .option rvc
  TEST_BEGIN

  // CI format
  TEST_CASE(1, a0, 0xffffffe0, c.li a0, -32)
  TEST_CASE(2, a0, 31, c.li a0, 31)
  TEST_CASE(3, a0, 0x1f000, c.lui a0, 0x1f)
  TEST_CASE(4, a0, 0xfffe0000, c.lui a0, 0xfffe0)
  TEST_CASE(5, a0, 4, c.li a0, 5; c.addi a0, -1)
  TEST_CASE(6, a0, 36, c.li a0, 5; c.addi a0, 31)
  TEST_CASE(7, a0, 0x80000000, c.li a0, 1; c.slli a0, 31)
  TEST_CASE(8, s3, 0x00012340, li s3, 0x1234; c.slli s3, 4)
  // C.ADDI16SP and C.ADDI4SPN
  li gp, 9
  mv s1, sp
  c.addi16sp sp, -64
  sub a0, s1, sp
  li t6, 64
  bne a0, t6, fail
  c.addi16sp sp, 496
  sub a0, sp, s1
  li t6, 432
  bne a0, t6, fail
  mv sp, s1
  TEST_CASE(10, a0, 1020, c.addi4spn a0, sp, 1020; sub a0, a0, sp)
  TEST_CASE(11, a0, 4, c.addi4spn a0, sp, 4; sub a0, a0, sp)

  // CB format: shifts and AND immediate
  TEST_CASE(12, a0, 0x40000000, li a0, 0x80000000; c.srli a0, 1)
  TEST_CASE(13, a0, 0x00000001, li a0, 0x80000000; c.srli a0, 31)
  TEST_CASE(14, a0, 0xf8000000, li a0, 0x80000000; c.srai a0, 4)
  TEST_CASE(15, a0, 0xfffffff0, li a0, -1; c.andi a0, -16)
  TEST_CASE(16, a0, 0x0000001e, li a0, 0x3e; c.andi a0, 31)

  // CA format
  TEST_CASE(17, a0, 2, li a0, 7; li a1, 5; c.sub a0, a1)
  TEST_CASE(18, a0, 0xfffffffe, li a0, 5; li a1, 7; c.sub a0, a1)
  TEST_CASE(19, a0, 0x0ff0, li a0, 0xff00; li a1, 0xf0f0; c.xor a0, a1)
  TEST_CASE(20, a0, 0xfff0, li a0, 0xff00; li a1, 0xf0f0; c.or a0, a1)
  TEST_CASE(21, a0, 0xf000, li a0, 0xff00; li a1, 0xf0f0; c.and a0, a1)
  TEST_CASE(22, s1, 0x3, li s1, 0x5; li a5, 0x6; c.xor s1, a5)

  // CR format: moves and adds on any register
  TEST_CASE(23, a0, 0x1234, li a1, 0x1234; c.mv a0, a1)
  TEST_CASE(24, a0, 0x1239, li a0, 5; li a1, 0x1234; c.add a0, a1)
  TEST_CASE(25, t2, 0x77, li t1, 0x77; c.mv t2, t1)
  TEST_CASE(26, s3, 0x30, li s3, 0x10; li s4, 0x20; c.add s3, s4)
  TEST_CASE(27, t5, 0x80000000, li t5, 0x40000000; c.add t5, t5)

  // CL / CS format
  la a1, cbuf
  TEST_CASE(30, a0, 0x13579bdf, li a2, 0x13579bdf; c.sw a2, 124(a1); c.lw a0, 124(a1))
  TEST_CASE(31, a0, 0x2468ace0, li a2, 0x2468ace0; c.sw a2, 0(a1); lw a0, 0(a1))
  TEST_CASE(32, a0, 0x0badcafe, li s0, 0x0badcafe; sw s0, 64(a1); c.lw a0, 64(a1))
  // CSS / CI format, sp-relative
  TEST_CASE(33, a0, 0xdeadbeef, addi sp, sp, -256; li t0, 0xdeadbeef; c.swsp t0, 252(sp); c.lwsp a0, 252(sp); addi sp, sp, 256)
  TEST_CASE(34, ra, 0x55aa, addi sp, sp, -16; li t0, 0x55aa; c.swsp t0, 4(sp); c.lwsp ra, 4(sp); addi sp, sp, 16)
  TEST_CASE(35, a0, 0x1111, addi sp, sp, -16; li t0, 0x1111; sw t0, 0(sp); c.lwsp a0, 0(sp); addi sp, sp, 16)

  // CJ and CR jumps: link = pc + 2
  li gp, 40
  c.j 1f
  j fail
1:
  li gp, 41
  c.jal 1f
2:
  j fail
1:
  la t0, 2b
  bne ra, t0, fail
  li gp, 42
  la a1, 1f
  c.jr a1
  j fail
1:
  li gp, 43
  la a1, 1f
  c.jalr a1
2:
  j fail
1:
  la t0, 2b
  bne ra, t0, fail
  li gp, 44          // C.JALR ra: the target comes from the old ra
  la ra, 1f
  c.jalr ra
2:
  j fail
1:
  la t0, 2b
  bne ra, t0, fail

  // CB branches
  li gp, 50
  li a0, 0
  c.beqz a0, 1f
  j fail
1:
  li gp, 51
  li a0, 1
  c.beqz a0, 2f
  j 1f
2:
  j fail
1:
  li gp, 52
  li a0, -3
  c.bnez a0, 1f
  j fail
1:
  li gp, 53
  li a0, 0
  c.bnez a0, 2f
  j 1f
2:
  j fail
1:
  TEST_CASE(54, a1, 10, li a0, 10; li a1, 0; 1: c.addi a1, 1; c.addi a0, -1; c.bnez a0, 1b)

  // C.NOP, and instruction lengths: a compressed instruction is 2 bytes
  TEST_CASE(60, a0, 3, li a0, 3; c.nop; c.nop)
  TEST_CASE(61, a0, 2, la t0, 1f; la t1, 2f; 1: c.addi a0, 1; 2: sub a0, t1, t0)
  // mixing: a 4-byte instruction at a 2-byte (not 4-byte) aligned address
  TEST_CASE(62, a0, 0x12345000, .balign 4; c.nop; lui a0, 0x12345)

  TEST_END

  .data
  .balign 16
cbuf: .space 128
