// Every exception cause of a machine-mode RV32IMAC hart, with mepc and mtval as the privileged
// specification defines them, plus trap entry/return (mstatus, vectored mtvec, misa.C).
#include "test_macros.h"
  .option rvc
  TEST_BEGIN

  // --- 2: illegal instruction (mtval = the instruction's bits, rd not written) ---
  li gp, 1
  ARM_TRAP 1f
2: .word 0x0000000b  // custom-0
  j fail
1: CHECK_TRAP 2, 2b, 0x0000000b
  li gp, 2
  ARM_TRAP 1f
2: .word 0x00003007  // FLD: no D extension
  j fail
1: CHECK_TRAP 2, 2b, 0x00003007
  li gp, 3
  ARM_TRAP 1f
2: .half 0x0000      // the all-zero (defined illegal) instruction
  j fail
1: CHECK_TRAP 2, 2b, 0
  li gp, 4
  ARM_TRAP 1f
2: .half 0x6000      // C.FLW: no F extension
  j fail
1: CHECK_TRAP 2, 2b, 0x6000
  li gp, 5
  ARM_TRAP 1f
2: .word 0x10200073  // SRET: no S mode
  j fail
1: CHECK_TRAP 2, 2b, 0x10200073
  li gp, 6
  ARM_TRAP 1f
2: .word 0x02059513  // SLLI a0, a1, 32: shamt[5] = 1 is reserved on RV32
  j fail
1: CHECK_TRAP 2, 2b, 0x02059513

  // --- 11: environment call; 3: breakpoint (mtval = pc) ---
  li gp, 10
  ARM_TRAP 1f
2: ecall
  j fail
1: CHECK_TRAP 11, 2b, 0
  li gp, 11
  ARM_TRAP 1f
2: ebreak
  j fail
1: CHECK_TRAP_AT 3, 2b, 2b
  li gp, 12
  ARM_TRAP 1f
2: c.ebreak
  j fail
1: CHECK_TRAP_AT 3, 2b, 2b

  // --- 4 / 6: misaligned loads, stores, AMOs (mtval = address, rd not written) ---
  la s0, tdata
  li a0, 0x66
  li gp, 20
  ARM_TRAP 1f
2: lw a0, 1(s0)
  j fail
1: CHECK_TRAP_AT 4, 2b, tdata+1
  li gp, 21
  ARM_TRAP 1f
2: lh a0, 3(s0)
  j fail
1: CHECK_TRAP_AT 4, 2b, tdata+3
  li gp, 22
  ARM_TRAP 1f
2: lhu a0, 1(s0)
  j fail
1: CHECK_TRAP_AT 4, 2b, tdata+1
  li gp, 23
  ARM_TRAP 1f
2: lw a0, 2(s0)
  j fail
1: CHECK_TRAP_AT 4, 2b, tdata+2
  li gp, 24
  li t6, 0x66
  bne a0, t6, fail
  li gp, 25
  ARM_TRAP 1f
2: sw a0, 2(s0)
  j fail
1: CHECK_TRAP_AT 6, 2b, tdata+2
  li gp, 26
  ARM_TRAP 1f
2: sh a0, 1(s0)
  j fail
1: CHECK_TRAP_AT 6, 2b, tdata+1
  li gp, 27
  addi a1, s0, 2
  ARM_TRAP 1f
2: amoadd.w a0, a0, (a1)
  j fail
1: CHECK_TRAP_AT 6, 2b, tdata+2
  li gp, 28
  ARM_TRAP 1f
2: lr.w a0, (a1)
  j fail
1: CHECK_TRAP_AT 4, 2b, tdata+2
  li gp, 29
  ARM_TRAP 1f
2: sc.w a0, a0, (a1)
  j fail
1: CHECK_TRAP_AT 6, 2b, tdata+2
  li gp, 30
  lw a1, 0(s0)      // memory untouched by the faulting stores
  li t6, 0x11223344
  bne a1, t6, fail
  li t6, 0x66
  bne a0, t6, fail

  // --- 5 / 7: access faults: unmapped addresses, a bus error, atomics on a device ---
  li gp, 40
  li a1, 0x00001000
  ARM_TRAP 1f
2: lw a0, 0(a1)
  j fail
1: CHECK_TRAP 5, 2b, 0x00001000
  li gp, 41
  ARM_TRAP 1f
2: sb a0, 3(a1)
  j fail
1: CHECK_TRAP 7, 2b, 0x00001003
  li gp, 42
  li a1, TEST_DEVICE
  ARM_TRAP 1f
2: lw a0, 0x100(a1)  // beyond the device's registers: bus error
  j fail
1: CHECK_TRAP 5, 2b, TEST_DEVICE + 0x100
  li gp, 43
  ARM_TRAP 1f
2: amoswap.w a0, a0, (a1)
  j fail
1: CHECK_TRAP 7, 2b, TEST_DEVICE
  li gp, 44
  ARM_TRAP 1f
2: lr.w a0, (a1)
  j fail
1: CHECK_TRAP 5, 2b, TEST_DEVICE
  li gp, 45
  ARM_TRAP 1f
2: sc.w a0, a0, (a1)
  j fail
1: CHECK_TRAP 7, 2b, TEST_DEVICE
  li gp, 46
  li t6, 0x66
  bne a0, t6, fail
  // a device word is fine for plain loads and stores
  TEST_CASE(47, a0, 0x5a5a, li a1, TEST_DEVICE; li a2, 0x5a5a; sw a2, DEV_SCRATCH(a1); lw a0, DEV_SCRATCH(a1))

  // --- 1: instruction access fault (mepc = mtval = the target) ---
  li gp, 50
  li a1, 0x00002000
  ARM_TRAP 1f
  jalr ra, 0(a1)
  j fail
1: li s10, 0x00002000
  li s11, 0x00002000
  CHECK_TRAP_REGS 1
  li gp, 51
  li a1, RAM_BASE + RAM_BYTES
  ARM_TRAP 1f
  jr a1
  j fail
1: li s10, RAM_BASE + RAM_BYTES
  li s11, RAM_BASE + RAM_BYTES
  CHECK_TRAP_REGS 1
  // a 4-byte instruction whose second half lies beyond RAM: mtval = the address of that half
  li gp, 52
  li a1, RAM_BASE + RAM_BYTES - 2
  li t0, 0x0003
  sh t0, 0(a1)
  ARM_TRAP 1f
  jr a1
  j fail
1: li s10, RAM_BASE + RAM_BYTES - 2
  li s11, RAM_BASE + RAM_BYTES
  CHECK_TRAP_REGS 1

  // --- trap entry and mret: MIE -> MPIE, MPIE -> MIE; MPP stays M ---
  TEST_CASE(60, a0, 0x1888, li a1, MSTATUS_MPIE; csrw mstatus, a1; la a1, 1f; csrw mepc, a1; mret; j fail; 1: csrr a0, mstatus)
  TEST_CASE(61, a0, 0x1880, csrw mstatus, zero; la a1, 1f; csrw mepc, a1; mret; j fail; 1: csrr a0, mstatus)
  li gp, 62
  csrw mstatus, zero
  csrsi mstatus, MSTATUS_MIE
  ARM_TRAP 1f
2: ecall
  j fail
1: CHECK_TRAP 11, 2b, 0
  la t1, trap_record
  lw a0, 20(t1)      // mstatus inside the handler
  li t6, 0x1880
  bne a0, t6, fail
  csrr a0, mstatus   // after mret
  li t6, 0x1888
  bne a0, t6, fail
  csrw mstatus, zero
  // vectored mtvec: exceptions still go to the base
  li gp, 63
  ARM_TRAP 1f
  la t0, trap_recorder
  ori t0, t0, 1
  csrw mtvec, t0
2: ecall
  j fail
1: CHECK_TRAP 11, 2b, 0

  // --- 0: instruction address misaligned, with misa.C cleared ---
  .balign 4
  .option push
  .option norvc
  li gp, 70
  li t3, 4           // misa.C
  csrc misa, t3      // at a 4-byte aligned pc: the write takes effect
  csrr a0, misa
  li t6, 0x40001101
  bne a0, t6, fail
  j 3f
  .balign 4
  .half 0
misaligned_target:   // at 2 mod 4, close by: branches to it assemble to one instruction
  j fail
  .half 0
3:
  li gp, 71
  li ra, 0x1234
  la a1, misaligned_target
  ARM_TRAP 1f
2: jalr ra, 0(a1)
  j fail
1: CHECK_TRAP_AT 0, 2b, misaligned_target
  li t6, 0x1234      // the jump wrote no link
  bne ra, t6, fail
  li gp, 72
  ARM_TRAP 1f
2: beq x0, x0, misaligned_target
  j fail
1: CHECK_TRAP_AT 0, 2b, misaligned_target
  li gp, 73
  ARM_TRAP 1f
2: jal ra, misaligned_target
  j fail
1: CHECK_TRAP_AT 0, 2b, misaligned_target
  li gp, 74          // compressed encodings are illegal while C is off
  ARM_TRAP 1f
2: .half 0x4501      // c.li a0, 0
  .half 0x0001
  j fail
1: CHECK_TRAP 2, 2b, 0x4501
  li gp, 75          // mepc reads with bit 1 masked while C is off
  li a1, 0x80000006
  csrw mepc, a1
  csrr a0, mepc
  li t6, 0x80000004
  bne a0, t6, fail
  csrs misa, t3
  csrr a0, misa
  li t6, 0x40001105
  bne a0, t6, fail
  csrr a0, mepc
  li t6, 0x80000006
  bne a0, t6, fail
  .option pop
  // clearing C at a pc whose successor is not 4-byte aligned is ignored
  li gp, 76
  .balign 4
  c.nop
  csrc misa, t3
  csrr a0, misa
  li t6, 0x40001105
  bne a0, t6, fail

  TEST_END

  .data
  .balign 16
tdata:
  .word 0x11223344, 0
