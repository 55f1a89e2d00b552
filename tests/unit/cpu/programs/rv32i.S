// RV32I: every base instruction (32-bit encodings), with the edge cases of the specification.
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

  // LUI, AUIPC
  TEST_CASE(1, a0, 0x12345000, lui a0, 0x12345)
  TEST_CASE(2, a0, 0xfffff000, lui a0, 0xfffff)
  TEST_CASE(3, a0, 0x1000, 1: auipc a0, 0x1; la a1, 1b; sub a0, a0, a1)
  TEST_CASE(4, a0, 0xfffff000, 1: auipc a0, 0xfffff; la a1, 1b; sub a0, a0, a1)

  // JAL: link = pc + 4
  li gp, 5
  la a2, 2f
  jal a0, 1f
2:
  j fail
1:
  bne a0, a2, fail
  // JALR: target = (rs1 + imm) & ~1; link written after the target is computed
  li gp, 6
  la a1, 1f
  addi a1, a1, -7
  jalr a0, 8(a1)
2:
  j fail
1:
  la t0, 2b
  bne a0, t0, fail
  li gp, 7
  la a0, 1f
  jalr a0, 0(a0)
2:
  j fail
1:
  la t0, 2b
  bne a0, t0, fail
  li gp, 8
  la a1, 1f
  jalr x0, 0(a1)
  j fail
1:

  // Branches
  TEST_TAKEN(10, beq, 5, 5)
  TEST_NOT_TAKEN(11, beq, 5, 6)
  TEST_TAKEN(12, bne, 5, 6)
  TEST_NOT_TAKEN(13, bne, 7, 7)
  TEST_TAKEN(14, blt, -1, 1)
  TEST_NOT_TAKEN(15, blt, 1, -1)
  TEST_NOT_TAKEN(16, blt, 3, 3)
  TEST_TAKEN(17, bge, -1, -1)
  TEST_TAKEN(18, bge, 1, -1)
  TEST_NOT_TAKEN(19, bge, -2, -1)
  TEST_TAKEN(20, bltu, 1, 0xffffffff)
  TEST_NOT_TAKEN(21, bltu, 0xffffffff, 1)
  TEST_TAKEN(22, bgeu, 0xffffffff, 1)
  TEST_TAKEN(23, bgeu, 4, 4)
  TEST_NOT_TAKEN(24, bgeu, 0, 1)
  // a backward branch: ten iterations
  TEST_CASE(25, a0, 10, li a0, 0; li a1, 10; 1: addi a0, a0, 1; bne a0, a1, 1b)

  // Loads (tdata bytes: ff 00 ff 00 | 00 ff 00 ff | f0 0f f0 0f | 0f f0 0f f0)
  la s0, tdata
  TEST_CASE(30, a0, 0xffffffff, lb a0, 0(s0))
  TEST_CASE(31, a0, 0x00000000, lb a0, 1(s0))
  TEST_CASE(32, a0, 0x000000ff, lbu a0, 0(s0))
  TEST_CASE(33, a0, 0xfffffff0, lb a0, 8(s0))
  TEST_CASE(34, a0, 0x000000f0, lbu a0, 8(s0))
  TEST_CASE(35, a0, 0x000000ff, lh a0, 0(s0))
  TEST_CASE(36, a0, 0xffffff00, lh a0, 4(s0))
  TEST_CASE(37, a0, 0x0000ff00, lhu a0, 4(s0))
  TEST_CASE(38, a0, 0xffffff00, lh a0, 6(s0))
  TEST_CASE(39, a0, 0x00ff00ff, lw a0, 0(s0))
  TEST_CASE(40, a0, 0xff00ff00, lw a0, 4(s0))
  TEST_CASE(41, a0, 0xf00ff00f, addi a1, s0, 16; lw a0, -4(a1))
  TEST_CASE(42, a0, 0x0000f00f, addi a1, s0, 16; lhu a0, -2(a1))
  TEST_CASE(43, a0, 0xf00ff00f, lw a0, 12(s0); li t0, 0; lw t0, 12(s0))

  // Stores
  la s1, tbuf
  TEST_CASE(50, a0, 0xaabbccdd, li a2, 0xaabbccdd; sw a2, 0(s1); lw a0, 0(s1))
  TEST_CASE(51, a0, 0xaabb11dd, li a3, 0x11; sb a3, 1(s1); lw a0, 0(s1))
  TEST_CASE(52, a0, 0x223311dd, li a3, 0x2233; sh a3, 2(s1); lw a0, 0(s1))
  TEST_CASE(53, a0, 0x2233ffdd, li a3, 0x123456ff; sb a3, 1(s1); lw a0, 0(s1))
  TEST_CASE(54, a0, 0x5678ffdd, li a3, 0x12345678; sh a3, 2(s1); lw a0, 0(s1))
  TEST_CASE(55, a0, 0xcafef00d, li a3, 0xcafef00d; addi a1, s1, 12; sw a3, -4(a1); lw a0, 8(s1))
  TEST_CASE(56, a0, 0x0000beef, li a3, 0xbeef; addi a1, s1, 16; sh a3, -2(a1); lhu a0, 14(s1))
  TEST_CASE(57, a0, 0x000000ab, li a3, 0xab; sb a3, 7(s1); lbu a0, 7(s1))

  // Register-immediate
  TEST_RI(60, addi, 0x00000003, 1, 2)
  TEST_RI(61, addi, 0xfffff801, 1, -2048)
  TEST_RI(62, addi, 0x80000000, 0x7fffffff, 1)
  TEST_RI(63, addi, 0x000007ff, 0, 2047)
  TEST_RI(64, slti, 1, -1, 0)
  TEST_RI(65, slti, 0, 0, -1)
  TEST_RI(66, slti, 0, 5, 5)
  TEST_RI(67, sltiu, 1, 5, -1)
  TEST_RI(68, sltiu, 0, 0xffffffff, 1)
  TEST_RI(69, sltiu, 1, 0, 1)
  TEST_RI(70, xori, 0xffff00ff, 0x0000ff00, -1)
  TEST_RI(71, xori, 0x00ff0f0f, 0x00ff08f0, 0x7ff)
  TEST_RI(72, ori, 0xff00fff0, 0xff00ff00, 0x0f0)
  TEST_RI(73, ori, 0xffffffff, 0x00000000, -1)
  TEST_RI(74, andi, 0x000000f0, 0xff00fff0, 0x0f0)
  TEST_RI(75, andi, 0xff00ff00, 0xff00ff00, -256)
  TEST_RI(76, slli, 0x80000000, 1, 31)
  TEST_RI(77, slli, 0x01234567, 0x01234567, 0)
  TEST_RI(78, slli, 0x23456780, 0x12345678, 4)
  TEST_RI(79, srli, 0x00000001, 0x80000000, 31)
  TEST_RI(80, srli, 0x08000000, 0x80000000, 4)
  TEST_RI(81, srai, 0xffffffff, 0x80000000, 31)
  TEST_RI(82, srai, 0xf8000000, 0x80000000, 4)
  TEST_RI(83, srai, 0x07ffffff, 0x7fffffff, 4)

  // Register-register
  TEST_RR(90, add, 0x80000000, 0x7fffffff, 1)
  TEST_RR(91, add, 0x00000000, 0xffffffff, 1)
  TEST_RR(92, sub, 0xffffffff, 0, 1)
  TEST_RR(93, sub, 0x7fffffff, 0x80000000, 1)
  TEST_RR(94, sll, 0x00000002, 1, 33)
  TEST_RR(95, sll, 0x80000000, 1, 31)
  TEST_RR(96, slt, 1, -1, 1)
  TEST_RR(97, slt, 0, 1, -1)
  TEST_RR(98, sltu, 1, 1, 0xffffffff)
  TEST_RR(99, sltu, 0, 0xffffffff, 1)
  TEST_RR(100, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(101, srl, 0x00000001, 0x80000000, 31)
  TEST_RR(102, srl, 0x40000000, 0x80000000, 33)
  TEST_RR(103, sra, 0xf8000000, 0x80000000, 4)
  TEST_RR(104, sra, 0xffffffff, 0x80000000, 63)
  TEST_RR(105, or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
  TEST_RR(106, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)
  // rd = rs1 = rs2
  TEST_CASE(107, a1, 0x00000022, li a1, 0x11; add a1, a1, a1)

  // x0 reads zero whatever is written to it
  TEST_CASE(110, x0, 0, addi x0, x0, 5)
  TEST_CASE(111, x0, 0, li a1, 7; add x0, a1, a1)
  TEST_CASE(112, x0, 0, lui x0, 0x12345)
  TEST_CASE(113, a0, 0, lw x0, 0(s0); mv a0, x0)
  TEST_CASE(114, a0, 0, jal x0, 1f; 1: mv a0, x0)

  // FENCE (any ordering set, and FENCE.TSO)
  TEST_CASE(120, a0, 1, fence; fence rw, rw; fence iorw, iorw; fence.tso; li a0, 1)

  TEST_END

  .data
  .balign 16
tdata:
  .word 0x00ff00ff, 0xff00ff00, 0x0ff00ff0, 0xf00ff00f
tbuf:
  .word 0, 0, 0, 0
