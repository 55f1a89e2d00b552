// The cycle model (docs/cpu.md) with the default parameters: each block is timed by mcycle
// in the second of two iterations (caches warm). A block's figure includes the closing csrr (1).
// The expected values come from the cycle-model table, not from running the ISS.
#include "test_macros.h"
  .option norvc
  TEST_BEGIN

#define MEASURE(n, expected, ...) \
  li gp, n; li s4, 2; 1: csrr s2, mcycle; __VA_ARGS__; csrr s3, mcycle; addi s4, s4, -1; bnez s4, 1b; \
  sub a0, s3, s2; li t6, expected; bne a0, t6, fail

  la s0, word
  MEASURE(1, 9, nop; nop; nop; nop; nop; nop; nop; nop)         // ALU: 1 each
  MEASURE(2, 4, mul a0, a1, a2)                                 // mul: 3
  MEASURE(3, 4, mulhu a0, a1, a2)
  MEASURE(4, 35, div a0, a1, a2)                                // div: 34
  MEASURE(5, 35, remu a0, a1, a2)
  MEASURE(6, 3, lw a0, 0(s0); addi a1, a1, 1)                   // load hit 1, no dependency
  MEASURE(7, 4, lw a0, 0(s0); addi a1, a0, 1)                   // + load-use 1
  MEASURE(8, 4, lw a0, 0(s0); add a1, a2, a0)                   // rs2 dependency
  MEASURE(9, 2, sw a0, 0(s0))                                   // store hit 1
  MEASURE(10, 4, beq x0, x0, 2f; 2:)                            // taken branch 1 + 2
  MEASURE(11, 2, bne x0, x0, fail)                              // not taken 1
  MEASURE(12, 4, jal x0, 2f; 2:)                                // jump 1 + 2
  MEASURE(13, 6, la a5, 2f; jalr x0, 0(a5); 2:)                 // la 2, jalr 1 + 2
  MEASURE(14, 3, amoadd.w a0, a1, (s0))                         // AMO: load + store
  MEASURE(15, 2, csrr a0, mscratch)                             // CSR 1
  MEASURE(16, 4, fence.i)                                       // 1 + pipeline refill 2
  MEASURE(17, 2, fence)
  // L1 misses: a new line each iteration costs one line fill of the test machine
  la s5, lines
  MEASURE(20, 3 + MACHINE_LINE_CYCLES, lw a0, 0(s5); addi s5, s5, 64)
  MEASURE(21, 3 + MACHINE_LINE_CYCLES, sw a0, 0(s5); addi s5, s5, 64)
  TEST_END

  .data
  .balign 64
word: .word 0
  .balign 64
lines: .space 4096
