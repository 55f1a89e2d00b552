// Zicsr and the machine-mode CSRs: the six CSR instructions, reset values, WARL fields, counters,
// and the illegal-instruction trap for writes to read-only CSRs and for absent CSRs.
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

  // Identification
  TEST_CASE(1, a0, 0x40001105, csrr a0, misa)
  TEST_CASE(2, a0, 0, csrr a0, mhartid)
  TEST_CASE(3, a0, 0, csrr a0, mvendorid)
  TEST_CASE(4, a0, 0, csrr a0, marchid)
  TEST_CASE(5, a0, 0, csrr a0, mimpid)
  TEST_CASE(6, a0, 0, csrr a0, 0xf15)  // mconfigptr

  // mstatus: MIE and MPIE writable, MPP reads M (3)
  TEST_CASE(10, a0, 0x1800, csrr a0, mstatus)
  TEST_CASE(11, a0, 0x1808, csrsi mstatus, MSTATUS_MIE; csrr a0, mstatus)
  TEST_CASE(12, a0, 0x1808, csrrci a0, mstatus, MSTATUS_MIE)
  TEST_CASE(13, a0, 0x1800, csrr a0, mstatus)
  TEST_CASE(14, a0, 0x1888, li a1, -1; csrw mstatus, a1; csrr a0, mstatus)
  TEST_CASE(15, a0, 0x1800, csrw mstatus, zero; csrr a0, mstatus)
  TEST_CASE(16, a0, 0, li a1, -1; csrw mstatush, a1; csrr a0, mstatush)

  // The six instructions on mscratch (rd = old value)
  TEST_CASE(20, a0, 0, li a1, 0x12345678; csrrw a0, mscratch, a1)
  TEST_CASE(21, a0, 0x12345678, csrr a0, mscratch)
  TEST_CASE(22, a0, 0x12345678, li a1, 0x0f; csrrs a0, mscratch, a1)
  TEST_CASE(23, a0, 0x1234567f, csrr a0, mscratch)
  TEST_CASE(24, a0, 0x1234567f, li a1, 0xf0; csrrc a0, mscratch, a1)
  TEST_CASE(25, a0, 0x1234560f, csrr a0, mscratch)
  TEST_CASE(26, a0, 0x1234560f, csrrwi a0, mscratch, 21)
  TEST_CASE(27, a0, 21, csrr a0, mscratch)
  TEST_CASE(28, a0, 21, csrrsi a0, mscratch, 10)
  TEST_CASE(29, a0, 31, csrr a0, mscratch)
  TEST_CASE(30, a0, 31, csrrci a0, mscratch, 5)
  TEST_CASE(31, a0, 26, csrr a0, mscratch)
  TEST_CASE(32, a1, 26, li a1, 99; csrrw a1, mscratch, a1)  // rd = rs1
  TEST_CASE(33, a0, 99, csrr a0, mscratch)
  TEST_CASE(34, a0, 99, csrrw x0, mscratch, zero; li a0, 99)
  TEST_CASE(35, a0, 0, csrr a0, mscratch)

  // mtvec: modes 0 and 1; the reserved modes 2 and 3 fall back to direct
  TEST_CASE(40, a0, 0x80001001, li a1, 0x80001001; csrw mtvec, a1; csrr a0, mtvec)
  TEST_CASE(41, a0, 0x80001000, li a1, 0x80001002; csrw mtvec, a1; csrr a0, mtvec)
  TEST_CASE(42, a0, 0x80001000, li a1, 0x80001003; csrw mtvec, a1; csrr a0, mtvec)
  la t0, unexpected_trap
  csrw mtvec, t0
  // mepc bit 0 is always zero; mcause and mtval hold any value
  TEST_CASE(43, a0, 0x80000002, li a1, 0x80000003; csrw mepc, a1; csrr a0, mepc)
  TEST_CASE(44, a0, 0x8000000b, li a1, 0x8000000b; csrw mcause, a1; csrr a0, mcause)
  TEST_CASE(45, a0, 0xdeadbeef, li a1, 0xdeadbeef; csrw mtval, a1; csrr a0, mtval)
  // mie: MSIE, MTIE, MEIE; mip: the lines (low here), writes ignored
  TEST_CASE(46, a0, 0x888, li a1, -1; csrw mie, a1; csrr a0, mie)
  TEST_CASE(47, a0, 0, csrw mie, zero; li a1, -1; csrw mip, a1; csrr a0, mip)

  // Counters: minstret counts retired instructions; a write is what the next instruction reads
  TEST_CASE(50, a0, 2, csrr a1, minstret; nop; csrr a2, minstret; sub a0, a2, a1)
  TEST_CASE(51, a0, 100, li a1, 100; csrw minstret, a1; csrr a0, minstret)
  TEST_CASE(52, a0, 7, li a1, 7; csrw minstreth, a1; csrr a0, minstreth)
  TEST_CASE(53, a0, 7, csrr a0, instreth)
  TEST_CASE(54, a0, 2, csrr a1, instret; nop; csrr a2, instret; sub a0, a2, a1)
  li gp, 55
  csrr a1, mcycle
  csrr a2, mcycle
  bgeu a1, a2, fail
  TEST_CASE(56, a0, 1, csrw mcycle, zero; csrr a1, mcycle; sltiu a0, a1, 16)
  TEST_CASE(57, a0, 5, li a1, 5; csrw mcycleh, a1; csrr a0, mcycleh)
  TEST_CASE(58, a0, 5, csrr a0, cycleh)
  li gp, 59
  csrr a1, cycle
  csrr a2, cycle
  bgeu a1, a2, fail
  // time advances with the clock
  li gp, 60
  csrr a1, time
  li t0, 1000
1:
  addi t0, t0, -1
  bnez t0, 1b
  csrr a2, time
  bgeu a1, a2, fail
  TEST_CASE(61, a0, 0, csrr a0, timeh)
  // Performance-monitoring counters exist and count nothing
  TEST_CASE(62, a0, 0, csrr a0, mhpmcounter3)
  TEST_CASE(63, a0, 0, li a1, 5; csrw mhpmcounter31, a1; csrr a0, mhpmcounter31)
  TEST_CASE(64, a0, 0, csrr a0, mhpmcounter3h)
  TEST_CASE(65, a0, 0, csrr a0, hpmcounter3)
  TEST_CASE(66, a0, 0, csrr a0, hpmcounter31h)
  TEST_CASE(67, a0, 0, li a1, 5; csrw mhpmevent3, a1; csrr a0, mhpmevent3)
  TEST_CASE(68, a0, 0, li a1, 5; csrw mcountinhibit, a1; csrr a0, mcountinhibit)

  // Read-only CSRs may be read by CSRRS/CSRRC with x0 or uimm 0...
  TEST_CASE(70, a0, 0, csrrs a0, mhartid, zero)
  TEST_CASE(71, a0, 0, csrrci a0, mhartid, 0)
  // ...but any write is an illegal instruction (mtval = its bits; rd is not written)
  li gp, 72
  li a0, 0x55
  ARM_TRAP 1f
2: csrw mhartid, a0
  j fail
1: CHECK_TRAP 2, 2b, 0xf1451073
  li gp, 73
  li a1, 1
  ARM_TRAP 1f
2: csrrs a0, cycle, a1
  j fail
1: CHECK_TRAP 2, 2b, 0xc005a573
  li t6, 0x55
  bne a0, t6, fail
  li gp, 74
  ARM_TRAP 1f
2: csrrwi a0, time, 0
  j fail
1: CHECK_TRAP 2, 2b, 0xc0105573
  li gp, 75
  ARM_TRAP 1f
2: .word 0xc0001073  // unimp = csrrw x0, cycle, x0
  j fail
1: CHECK_TRAP 2, 2b, 0xc0001073

  // Absent CSRs are illegal: S-mode, U-mode counters enable, PMP, debug, custom
  li gp, 80
  ARM_TRAP 1f
2: csrr a0, satp
  j fail
1: CHECK_TRAP 2, 2b, 0x18002573
  li gp, 81
  ARM_TRAP 1f
2: csrr a0, mcounteren
  j fail
1: CHECK_TRAP 2, 2b, 0x30602573
  li gp, 82
  ARM_TRAP 1f
2: csrr a0, medeleg
  j fail
1: CHECK_TRAP 2, 2b, 0x30202573
  li gp, 83
  ARM_TRAP 1f
2: csrr a0, pmpcfg0
  j fail
1: CHECK_TRAP 2, 2b, 0x3a002573
  li gp, 84
  ARM_TRAP 1f
2: csrr a0, 0x7c0
  j fail
1: CHECK_TRAP 2, 2b, 0x7c002573
  li gp, 85
  ARM_TRAP 1f
2: csrw 0x7a0, zero  // tselect
  j fail
1: CHECK_TRAP 2, 2b, 0x7a001073
  li t6, 0x55
  bne a0, t6, fail

  TEST_END
