// Zifencei and self-modifying code: the decode cache must never run stale instructions, after
// FENCE.I and also after a plain store to code (which this ISS makes visible at once).
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

  TEST_CASE(1, a0, 1, call patch_fn)
  // patched, then FENCE.I
  TEST_CASE(2, a0, 2, la a1, patch_fn; li t0, 0x00200513; sw t0, 0(a1); fence.i; call patch_fn)
  // patched, no FENCE.I: the store invalidates the decoded entry
  TEST_CASE(3, a0, 3, la a1, patch_fn; li t0, 0x00300513; sw t0, 0(a1); call patch_fn)

  // straight-line code patched just before it runs, differently in each of two iterations
  li gp, 4
  li s2, 0
  la a1, 2f
  li s3, 0x00a00513  // addi a0, x0, 10
1: sw s3, 0(a1)
  nop
2: addi a0, x0, 0
  li t6, 10
  add t6, t6, s2
  bne a0, t6, fail
  li t0, 0x00100000  // immediate + 1
  add s3, s3, t0
  addi s2, s2, 1
  li t0, 2
  bne s2, t0, 1b

  // a compressed instruction patched with a halfword store
  TEST_CASE(5, a0, 5, call cpatch)
  TEST_CASE(6, a0, 6, la a1, cpatch; li t0, 0x4519; sh t0, 0(a1); fence.i; call cpatch)
  // a 4-byte instruction replaced by two 2-byte ones (c.li a0, 8; c.nop)
  TEST_CASE(7, a0, 7, call wpatch)
  TEST_CASE(8, a0, 8, la a1, wpatch; li t0, 0x00014521; sw t0, 0(a1); call wpatch)
  // and back: the upper half's store alone changes the second instruction
  TEST_CASE(9, a0, 9, la a1, wpatch; li t0, 0x00900513; sw t0, 0(a1); fence.i; call wpatch)
  // byte stores into an instruction: addi a0, x0, 9 -> addi a0, x0, 0x19 (imm byte 3 = 0x01)
  TEST_CASE(10, a0, 0x19, la a1, wpatch; li t0, 0x01; sb t0, 3(a1); call wpatch)

  TEST_END

  .text
  .balign 4
patch_fn:
  addi a0, x0, 1
  ret
  .option push
  .option rvc
  .balign 4
cpatch:
  c.li a0, 5
  c.jr ra
  .option pop
  .balign 4
wpatch:
  addi a0, x0, 7
  ret
