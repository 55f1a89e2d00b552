// Misaligned loads and stores of every width (riscv-tests' ma_data style), under both settings
// of cpu.misaligned: the harness sets `emulating` to 1 when the hart emulates them. Emulated:
// the value the bytes give (little-endian, sign- or zero-extended), stores touching only their
// bytes, an access fault when the part past the boundary is outside RAM (mtval: its first byte,
// nothing stored) or the access is to a device (mtval: the address). Trapping: mcause 4 / 6 with
// mtval = the address, rd and memory untouched. Also records the extra cycles of an emulated
// load that hits in the L1 (`extra_cycles`, checked by the harness against the cycle model).
#include "test_macros.h"

#define RAM_END (RAM_BASE + RAM_BYTES)

// `inst reg, offset(base)` traps with `cause`, mepc = it, mtval = data + offset.
.macro MA_TRAPS cause, inst, reg, base, offset, data
  ARM_TRAP 1f
2:\inst \reg, \offset(\base)
  j fail
1:CHECK_TRAP_AT \cause, 2b, \data+\offset
.endm

// Case n: `inst a0, offset(s0)` gives `expected` when emulating; traps with `cause` otherwise.
.macro MA_LOAD n, inst, offset, expected
  li gp, \n
  li a0, 0x5a
  beqz s1, 3f
  \inst a0, \offset(s0)
  li t6, \expected
  bne a0, t6, fail
  j 4f
3:MA_TRAPS 4, \inst, a0, s0, \offset, ma_data
  li t6, 0x5a
  bne a0, t6, fail
4:
.endm

// Case n: `inst a1, offset(s2)` on the zeroed store buffer, then its words are w0, w1, w2 when
// emulating (all zero when trapping, with mcause 6).
.macro MA_STORE n, inst, offset, value, w0, w1, w2
  li gp, \n
  sw zero, 0(s2)
  sw zero, 4(s2)
  sw zero, 8(s2)
  li a1, \value
  beqz s1, 3f
  \inst a1, \offset(s2)
  li t3, \w0
  li t4, \w1
  li t5, \w2
  j 4f
3:MA_TRAPS 6, \inst, a1, s2, \offset, ma_store
  li t3, 0
  li t4, 0
  li t5, 0
4:lw t6, 0(s2)
  bne t6, t3, fail
  lw t6, 4(s2)
  bne t6, t4, fail
  lw t6, 8(s2)
  bne t6, t5, fail
.endm

// Case n: `inst reg, 0(address)` traps with (emulated_cause, emulated_tval) when emulating,
// (trap_cause, address) otherwise.
.macro MA_FAULT n, inst, reg, address, emulated_cause, emulated_tval, trap_cause
  li gp, \n
  li s3, \address
  ARM_TRAP 1f
2:\inst \reg, 0(s3)
  j fail
1:la s10, 2b
  li s11, \emulated_tval
  li s9, \emulated_cause
  bnez s1, 5f
  li s11, \address
  li s9, \trap_cause
5:CHECK_TRAP_CAUSE_IN s9
.endm

  TEST_BEGIN
  la t0, emulating
  lw s1, 0(t0)
  la s0, ma_data
  la s2, ma_store

  // bytes of ma_data: 11 22 93 44 a5 66 f7 08
  MA_LOAD 1, lh, 1, 0xffff9322
  MA_LOAD 2, lhu, 1, 0x9322
  MA_LOAD 3, lh, 3, 0xffffa544     // across the word boundary
  MA_LOAD 4, lhu, 3, 0xa544
  MA_LOAD 5, lh, 5, 0xfffff766
  MA_LOAD 6, lw, 1, 0xa5449322
  MA_LOAD 7, lw, 2, 0x66a54493
  MA_LOAD 8, lw, 3, 0xf766a544
  MA_LOAD 9, lhu, 7, 0x4d08        // the last byte of a 32-byte line and the first of the next

  MA_STORE 20, sh, 1, 0xbeef, 0x00beef00, 0, 0
  MA_STORE 21, sh, 3, 0xbeef, 0xef000000, 0xbe, 0
  MA_STORE 22, sw, 1, 0x12345678, 0x34567800, 0x12, 0
  MA_STORE 23, sw, 2, 0x12345678, 0x56780000, 0x1234, 0
  MA_STORE 24, sw, 7, 0x12345678, 0, 0x78000000, 0x123456

  // The second part outside RAM: an access fault at RAM_END (emulating), nothing stored.
  li s3, RAM_END - 2
  sh zero, 0(s3)
  li a1, 0x12345678
  MA_FAULT 30, sw, a1, (RAM_END-2), 7, RAM_END, 6
  lhu t6, 0(s3)
  bnez t6, fail
  MA_FAULT 31, lw, a0, (RAM_END-2), 5, RAM_END, 4
  // A device's registers take aligned accesses only.
  MA_FAULT 32, lw, a0, (TEST_DEVICE+1), 5, (TEST_DEVICE+1), 4

  // Extra cycles of an emulated load hitting in the L1 over an aligned one: the second pass, with
  // the code's line in the I-cache and the data's in the D-cache.
  li gp, 40
  beqz s1, 6f
  li t0, 2
  .balign 32
7:lw a0, 0(s0)
  csrr t1, mcycle
  lw a0, 0(s0)
  csrr t2, mcycle
  lw a0, 1(s0)
  csrr t3, mcycle
  addi t0, t0, -1
  bnez t0, 7b
  sub t4, t2, t1
  sub t5, t3, t2
  sub t5, t5, t4
  la t0, extra_cycles
  sw t5, 0(t0)
6:
  TEST_END

  .data
  .balign 32
  .skip 24
ma_data:                           // 8 bytes before a 32-byte line boundary
  .byte 0x11, 0x22, 0x93, 0x44, 0xa5, 0x66, 0xf7, 0x08, 0x4d
  .balign 16
ma_store:
  .word 0, 0, 0, 0
  .globl emulating
emulating:
  .word 0
  .globl extra_cycles
extra_cycles:
  .word 0
