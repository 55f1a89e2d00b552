// Conventions of the self-checking cpu test programs (tests/unit/cpu/programs/*.S).
//
// - gp holds the number of the running test case. A mismatch jumps to `fail`, which writes
//   (gp << 1) | 1 to `tohost`; reaching the end writes 1 (the riscv-tests convention the ISS
//   implements). The harness then reports the failing case's number.
// - Expected values are written in the programs, derived from the ISA specification.
// - Any trap a test did not arm fails the running case (mtvec = unexpected_trap).
// - ARM_TRAP / CHECK_TRAP: the next trap is recorded (mcause, mepc, mtval, mstatus, count) by
//   trap_recorder, which resumes at the armed label.
// - The flat test machine (hart_machine.h) maps RAM at 0x8000_0000 (RAM_BYTES) and a test
//   device at TEST_DEVICE; everything else answers with a bus error.

#define RAM_BASE 0x80000000
#define RAM_BYTES 0x100000
#define TEST_DEVICE 0x10000000
#define DEV_SCRATCH 0x0   /* read/write */
#define DEV_LINES 0x4     /* interrupt lines now: bit 0 external, bit 1 timer */
#define DEV_RAISE_MASK 0x8   /* lines that DEV_RAISE_AFTER raises */
#define DEV_RAISE_AFTER 0xc  /* write n: raise DEV_RAISE_MASK's lines n cycles later */
#define MACHINE_LINE_CYCLES 10  /* what one cache line fill or write-back costs on the test machine */

#define MSTATUS_MIE 0x8
#define MSTATUS_MPIE 0x80
#define MSTATUS_MPP 0x1800
#define MIP_MTIP 0x80
#define MIP_MEIP 0x800

// One check: run the instructions, compare `reg` with `expected`.
#define TEST_CASE(n, reg, expected, ...) \
  li gp, n;                              \
  __VA_ARGS__;                           \
  li t6, expected;                       \
  bne reg, t6, fail

// Register-register and register-immediate operations: a0 = a1 op a2 / a0 = a1 op imm.
#define TEST_RR(n, inst, expected, v1, v2) TEST_CASE(n, a0, expected, li a1, v1; li a2, v2; inst a0, a1, a2)
#define TEST_RI(n, inst, expected, v1, imm) TEST_CASE(n, a0, expected, li a1, v1; inst a0, a1, imm)

// Branches: taken must reach the label after it; not taken must fall through.
#define TEST_TAKEN(n, inst, v1, v2) \
  li gp, n; li a1, v1; li a2, v2; inst a1, a2, 1f; j fail; 1:
#define TEST_NOT_TAKEN(n, inst, v1, v2) \
  li gp, n; li a1, v1; li a2, v2; inst a1, a2, fail

.macro TEST_BEGIN
  .section .text.init, "ax"
  .globl _start
_start:
  .option push
  .option norvc
  li gp, 0x7ff
  la t0, unexpected_trap
  csrw mtvec, t0
  la sp, stack_top
  j tests_begin

  .balign 4
unexpected_trap:
  j fail

  // Records the trap and resumes at trap_resume. 4-byte instructions only: it also runs while
  // misa.C is clear.
  .balign 4
trap_recorder:
  la t1, trap_record
  csrr t0, mcause
  sw t0, 0(t1)
  csrr t0, mepc
  sw t0, 4(t1)
  csrr t0, mtval
  sw t0, 8(t1)
  lw t0, 12(t1)
  addi t0, t0, 1
  sw t0, 12(t1)
  csrr t0, mstatus
  sw t0, 20(t1)
  lw t0, 16(t1)
  csrw mepc, t0
  mret
  .option pop

  .balign 4
tests_begin:
.endm

// The next trap is recorded and returns to `resume`.
.macro ARM_TRAP resume
  la t0, \resume
  la t1, trap_record
  sw t0, 16(t1)
  sw zero, 12(t1)
  la t0, trap_recorder
  csrw mtvec, t0
.endm

// Exactly one trap happened, with this mcause, mepc = s10 and mtval = s11.
.macro CHECK_TRAP_REGS cause
  li t2, \cause
  CHECK_TRAP_CAUSE_IN t2
.endm

// Same, with mcause in register `reg` (not t0 or t1).
.macro CHECK_TRAP_CAUSE_IN reg
  la t1, trap_record
  lw t0, 12(t1)
  addi t0, t0, -1
  bnez t0, fail
  lw t0, 0(t1)
  bne t0, \reg, fail
  lw t0, 4(t1)
  bne t0, s10, fail
  lw t0, 8(t1)
  bne t0, s11, fail
  la t0, unexpected_trap
  csrw mtvec, t0
.endm

// Same, with mepc a label and mtval a value...
.macro CHECK_TRAP cause, epc, tval
  la s10, \epc
  li s11, \tval
  CHECK_TRAP_REGS \cause
.endm

// ...or mtval an address (a label, or label+offset).
.macro CHECK_TRAP_AT cause, epc, tval
  la s10, \epc
  la s11, \tval
  CHECK_TRAP_REGS \cause
.endm

.macro TEST_END
  .balign 4  // reachable by jumps also while misa.C is clear
  .option push
  .option norvc
pass:
  li t0, 1
  j write_tohost
fail:
  slli t0, gp, 1
  ori t0, t0, 1
write_tohost:
  la t1, tohost
  sw t0, 0(t1)
  sw zero, 4(t1)
1:
  j 1b
  .option pop

  .section .tohost, "aw", @progbits
  .balign 8
  .globl tohost
tohost: .word 0, 0
  .globl fromhost
fromhost: .word 0, 0

  .data
  .balign 4
trap_record:
  .word 0, 0, 0, 0, 0, 0  // mcause, mepc, mtval, count, resume address, mstatus in the handler
.endm
