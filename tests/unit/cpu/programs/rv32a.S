// RV32A: LR/SC (success, failure without or with another reservation) and every AMO, with the
// aq/rl variants, rd = x0 and rd = rs2.
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

  la s0, word
  la s1, other
  // LR then SC to the same word succeeds (rd = 0) and stores.
  TEST_CASE(1, a0, 5, li a2, 5; sw a2, 0(s0); lr.w a0, (s0))
  TEST_CASE(2, a4, 0, li a3, 9; sc.w a4, a3, (s0))
  TEST_CASE(3, a0, 9, lw a0, 0(s0))
  // The reservation is gone: SC fails (rd = 1) and stores nothing.
  TEST_CASE(4, a4, 1, li a3, 11; sc.w a4, a3, (s0))
  TEST_CASE(5, a0, 9, lw a0, 0(s0))
  // SC to another address than the reserved one fails.
  TEST_CASE(6, a4, 1, lr.w a0, (s0); li a3, 12; sc.w a4, a3, (s1))
  TEST_CASE(7, a0, 0, lw a0, 0(s1))
  // Ordering bits change nothing here.
  TEST_CASE(8, a4, 0, lr.w.aq a0, (s0); li a3, 13; sc.w.rl a4, a3, (s0))
  TEST_CASE(9, a0, 13, lw a0, 0(s0))
  TEST_CASE(10, a4, 0, lr.w.aqrl a0, (s0); li a3, 14; sc.w.aqrl a4, a3, (s0))
  TEST_CASE(11, a0, 14, lw a0, 0(s0))
  // A trap between LR and SC clears the reservation (ecall round trip).
  li gp, 12
  lr.w a0, (s0)
  ARM_TRAP 1f
  ecall
1:
  li a3, 15
  sc.w a4, a3, (s0)
  li t6, 1
  bne a4, t6, fail

  // AMOs: rd = old value, memory = op(old, rs2)
  TEST_CASE(20, a0, 14, li a2, 7; amoswap.w a0, a2, (s0))
  TEST_CASE(21, a0, 7, lw a0, 0(s0))
  TEST_CASE(22, a0, 7, li a2, 3; amoadd.w a0, a2, (s0))
  TEST_CASE(23, a0, 10, lw a0, 0(s0))
  TEST_CASE(24, a0, 0xff00, li a2, 0xff00; sw a2, 0(s0); li a2, 0x0ff0; amoxor.w a0, a2, (s0))
  TEST_CASE(25, a0, 0xf0f0, lw a0, 0(s0))
  TEST_CASE(26, a0, 0xf0f0, li a2, 0x0ff0; amoand.w a0, a2, (s0))
  TEST_CASE(27, a0, 0x00f0, lw a0, 0(s0))
  TEST_CASE(28, a0, 0x00f0, li a2, 0x0f00; amoor.w a0, a2, (s0))
  TEST_CASE(29, a0, 0x0ff0, lw a0, 0(s0))
  TEST_CASE(30, a0, -5, li a2, -5; sw a2, 0(s0); li a2, 3; amomin.w a0, a2, (s0))
  TEST_CASE(31, a0, -5, lw a0, 0(s0))
  TEST_CASE(32, a0, -5, li a2, -7; amomin.w a0, a2, (s0))
  TEST_CASE(33, a0, -7, lw a0, 0(s0))
  TEST_CASE(34, a0, -7, li a2, 3; amomax.w a0, a2, (s0))
  TEST_CASE(35, a0, 3, lw a0, 0(s0))
  TEST_CASE(36, a0, 3, li a2, -1; amomax.w a0, a2, (s0))
  TEST_CASE(37, a0, 3, lw a0, 0(s0))
  TEST_CASE(38, a0, 3, li a2, 0xffffffff; amominu.w a0, a2, (s0))
  TEST_CASE(39, a0, 3, lw a0, 0(s0))
  TEST_CASE(40, a0, 0xfffffff0, li a2, 0xfffffff0; sw a2, 0(s0); li a2, 2; amominu.w a0, a2, (s0))
  TEST_CASE(41, a0, 2, lw a0, 0(s0))
  TEST_CASE(42, a0, 2, li a2, 0xffffffff; amomaxu.w a0, a2, (s0))
  TEST_CASE(43, a0, 0xffffffff, lw a0, 0(s0))
  TEST_CASE(44, a0, 0xffffffff, li a2, 1; amomaxu.w a0, a2, (s0))
  TEST_CASE(45, a0, 0xffffffff, lw a0, 0(s0))
  // rd = x0 still updates memory; rd = rs2 reads the operand before writing rd
  TEST_CASE(50, a0, 5, li a2, 4; sw a2, 0(s0); li a2, 1; amoadd.w.aqrl x0, a2, (s0); lw a0, 0(s0))
  TEST_CASE(51, a2, 5, li a2, 8; amoswap.w a2, a2, (s0))
  TEST_CASE(52, a0, 8, lw a0, 0(s0))

  TEST_END

  .data
  .balign 8
word: .word 0
other: .word 0
