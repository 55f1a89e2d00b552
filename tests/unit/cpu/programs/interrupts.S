// Machine timer and external interrupts on the flat test machine, whose test device drives the
// two lines: WFI wake-up (also with mstatus.MIE = 0), mie/mip, direct and vectored mtvec,
// priority, mepc after WFI and after the CSR write that enables a pending interrupt.
// The handlers use s8 and s9 only; the tests keep out of them.
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

  li s0, TEST_DEVICE

  // WFI returns when an interrupt is pending and enabled in mie, even with MIE = 0 (no trap)
  li gp, 1
  csrw mstatus, zero
  li t0, MIP_MTIP
  csrw mie, t0
  li t0, 2
  sw t0, DEV_RAISE_MASK(s0)
  csrr s2, mcycle
  li t0, 5000
  sw t0, DEV_RAISE_AFTER(s0)
  wfi
  csrr s3, mcycle
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  beqz a0, fail
  sub a0, s3, s2     // it slept until the line rose
  li t6, 5000
  bltu a0, t6, fail
  sw zero, DEV_LINES(s0)
  csrr a0, mip
  bnez a0, fail
  // mip shows both lines, whatever mie says
  TEST_CASE(2, a0, 0x880, csrw mie, zero; li t0, 3; sw t0, DEV_LINES(s0); csrr a0, mip)
  // WFI with an interrupt already pending and enabled does not sleep
  li gp, 3
  li t0, MIP_MTIP
  csrw mie, t0
  csrr s2, mcycle
  wfi
  csrr s3, mcycle
  sub a0, s3, s2
  li t6, 100
  bgeu a0, t6, fail
  sw zero, DEV_LINES(s0)

  // An external interrupt through a direct mtvec
  li gp, 10
  la t0, irq_handler
  csrw mtvec, t0
  li t0, MIP_MEIP
  csrw mie, t0
  la s1, irq_record
  sw zero, 0(s1)
  csrsi mstatus, MSTATUS_MIE
  li t0, 1
  sw t0, DEV_LINES(s0)
  li t2, 1000
1: lw t0, 0(s1)
  bnez t0, 2f
  addi t2, t2, -1
  bnez t2, 1b
  j fail
2: TEST_CASE(11, a0, 0x8000000b, lw a0, 4(s1))
  TEST_CASE(12, a0, 0x1880, lw a0, 8(s1))   // in the handler: MPIE = 1, MIE = 0
  TEST_CASE(13, a0, 0x1888, csrr a0, mstatus)  // after mret: MIE again, MPIE = 1
  TEST_CASE(14, a0, 1, lw a0, 0(s1))
  csrw mstatus, zero

  // A timer interrupt through a vectored mtvec: base + 4 x 7
  li gp, 20
  la t0, vector_table
  ori t0, t0, 1
  csrw mtvec, t0
  li t0, MIP_MTIP
  csrw mie, t0
  sw zero, 0(s1)
  sw zero, 16(s1)
  csrsi mstatus, MSTATUS_MIE
  li t0, 2
  sw t0, DEV_LINES(s0)
  li t2, 1000
1: lw t0, 0(s1)
  bnez t0, 2f
  addi t2, t2, -1
  bnez t2, 1b
  j fail
2: TEST_CASE(21, a0, 0x80000007, lw a0, 4(s1))
  TEST_CASE(22, a0, 7, lw a0, 16(s1))
  csrw mstatus, zero

  // Both lines: the external interrupt goes first (its handler lowers both lines)
  li gp, 30
  li t0, MIP_MTIP | MIP_MEIP
  csrw mie, t0
  sw zero, 0(s1)
  li t0, 3
  sw t0, DEV_LINES(s0)
  csrsi mstatus, MSTATUS_MIE
  li t2, 100
1: addi t2, t2, -1
  bnez t2, 1b
  TEST_CASE(31, a0, 0x8000000b, lw a0, 4(s1))
  TEST_CASE(32, a0, 11, lw a0, 16(s1))
  TEST_CASE(33, a0, 1, lw a0, 0(s1))
  csrw mstatus, zero

  // A line whose bit is clear in mie does not interrupt
  li gp, 40
  li t0, MIP_MEIP
  csrw mie, t0
  sw zero, 0(s1)
  li t0, 2
  sw t0, DEV_LINES(s0)
  csrsi mstatus, MSTATUS_MIE
  li t2, 200
1: addi t2, t2, -1
  bnez t2, 1b
  TEST_CASE(41, a0, 0, lw a0, 0(s1))
  csrw mstatus, zero
  sw zero, DEV_LINES(s0)

  // The CSR write that enables a pending interrupt takes it at once: mepc = the next instruction
  li gp, 50
  la t0, irq_handler
  csrw mtvec, t0
  li t0, MIP_MEIP
  csrw mie, t0
  sw zero, 0(s1)
  li t0, 1
  sw t0, DEV_LINES(s0)
  nop
  nop
  csrsi mstatus, MSTATUS_MIE
3: nop
  TEST_CASE(51, a0, 1, lw a0, 0(s1))
  la s10, 3b
  li gp, 52
  lw a0, 12(s1)
  bne a0, s10, fail
  csrw mstatus, zero

  // WFI sleeps until the line rises, then the interrupt is taken with mepc = WFI + 4
  li gp, 60
  sw zero, 0(s1)
  li t0, 1
  sw t0, DEV_RAISE_MASK(s0)
  li t0, 3000
  sw t0, DEV_RAISE_AFTER(s0)
  csrsi mstatus, MSTATUS_MIE
  wfi
3: nop
  TEST_CASE(61, a0, 1, lw a0, 0(s1))
  TEST_CASE(62, a0, 0x8000000b, lw a0, 4(s1))
  la s10, 3b
  li gp, 63
  lw a0, 12(s1)
  bne a0, s10, fail
  csrw mstatus, zero

  TEST_END

  .text
  .balign 4
irq_handler:           // records mcause, mstatus, mepc; lowers the lines
  la s9, irq_record
  csrr s8, mcause
  sw s8, 4(s9)
  csrr s8, mstatus
  sw s8, 8(s9)
  csrr s8, mepc
  sw s8, 12(s9)
  lw s8, 0(s9)
  addi s8, s8, 1
  sw s8, 0(s9)
  li s8, TEST_DEVICE
  sw zero, DEV_LINES(s8)
  mret

  .balign 64
vector_table:          // 4-byte jumps: entry n at base + 4n
  j fail               // 0: exceptions
  .rept 6
  j fail
  .endr
  j vector_timer       // 7
  .rept 3
  j fail
  .endr
  j vector_external    // 11
vector_timer:
  la s9, irq_record
  li s8, 7
  sw s8, 16(s9)
  j irq_handler
vector_external:
  la s9, irq_record
  li s8, 11
  sw s8, 16(s9)
  j irq_handler

  .data
  .balign 4
irq_record: .word 0, 0, 0, 0, 0  // count, mcause, mstatus, mepc, vector entry
