// RV32M: multiplication and division, including division by zero and signed overflow (which
// never trap: the quotient is all ones / the dividend, the remainder the dividend / zero).
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

  TEST_RR(1, mul, 21, 3, 7)
  TEST_RR(2, mul, 1, -1, -1)
  TEST_RR(3, mul, 0x80000000, 0x80000000, -1)
  TEST_RR(4, mul, 0x242d2080, 0x12345678, 0x9abcdef0)
  TEST_RR(5, mul, 0, 0, 0xffffffff)

  TEST_RR(10, mulh, 0, -1, -1)
  TEST_RR(11, mulh, 0xffffffff, -1, 1)
  TEST_RR(12, mulh, 0x40000000, 0x80000000, 0x80000000)
  TEST_RR(13, mulh, 0xf8cc93d6, 0x12345678, 0x9abcdef0)
  TEST_RR(14, mulh, 0x3fffffff, 0x7fffffff, 0x7fffffff)

  TEST_RR(20, mulhu, 0xfffffffe, 0xffffffff, 0xffffffff)
  TEST_RR(21, mulhu, 0x0b00ea4e, 0x12345678, 0x9abcdef0)
  TEST_RR(22, mulhu, 0, 0x7fffffff, 1)

  TEST_RR(30, mulhsu, 0xffffffff, -1, 0xffffffff)
  TEST_RR(31, mulhsu, 0x80000000, 0x80000000, 0xffffffff)
  TEST_RR(32, mulhsu, 0x0b00ea4e, 0x12345678, 0x9abcdef0)
  TEST_RR(33, mulhsu, 0xf8cc93d6, 0x9abcdef0, 0x12345678)

  TEST_RR(40, div, 3, 20, 6)
  TEST_RR(41, div, -3, -20, 6)
  TEST_RR(42, div, -3, 20, -6)
  TEST_RR(43, div, 3, -20, -6)
  TEST_RR(44, div, -1, 20, 0)
  TEST_RR(45, div, 0x80000000, 0x80000000, -1)
  TEST_RR(46, div, 0, 5, 6)

  TEST_RR(50, divu, 3, 20, 6)
  TEST_RR(51, divu, 0x7fffffff, 0xffffffff, 2)
  TEST_RR(52, divu, 0xffffffff, 20, 0)
  TEST_RR(53, divu, 0, 0x80000000, 0xffffffff)

  TEST_RR(60, rem, 2, 20, 6)
  TEST_RR(61, rem, -2, -20, 6)
  TEST_RR(62, rem, 2, 20, -6)
  TEST_RR(63, rem, -2, -20, -6)
  TEST_RR(64, rem, 20, 20, 0)
  TEST_RR(65, rem, 0, 0x80000000, -1)

  TEST_RR(70, remu, 2, 20, 6)
  TEST_RR(71, remu, 5, 0xffffffff, 10)
  TEST_RR(72, remu, 20, 20, 0)
  TEST_RR(73, remu, 0x80000000, 0x80000000, 0xffffffff)

  // rd = x0 and rd = rs1 = rs2
  TEST_CASE(80, x0, 0, li a1, 3; mul x0, a1, a1)
  TEST_CASE(81, a1, 9, li a1, 3; mul a1, a1, a1)
  TEST_CASE(82, a1, 1, li a1, 7; div a1, a1, a1)

  TEST_END
