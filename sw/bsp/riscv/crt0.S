// Start-up and trap entry of the RISC-V build (RV32IMAC, machine mode, ilp32).
//
// The program is loaded in place (every section's load address is its run address, dlvp.ld.S),
// so there is no .data to copy: _start sets gp, sp, tp and mtvec, clears .tbss and .bss, and
// hands over to dlvp_bsp_start (runtime.cpp: constructors, interrupts enabled, app_main,
// hal::exit). mtvec is vectored (docs/software.md, "Interrupts"): exceptions and the timer
// interrupt enter dlvp_trap_entry, the external interrupt (the interrupt controller) its own
// entry, which goes straight to the HAL's dispatcher.
#include "sw/bsp/riscv/csr.h"

  .section .text.start, "ax", @progbits
  .globl _start
  .type _start, @function
_start:
  .option push
  .option norelax  // gp is not set yet: this must not become gp-relative
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top
  la tp, __tls_base  // the image's own .tdata/.tbss is the one thread's TLS block (picolibc's errno)
  la t0, dlvp_trap_vectors
  ori t0, t0, 1  // vectored mode: an interrupt with cause n enters base + 4 n
  csrw mtvec, t0
  csrw mie, zero
  csrci mstatus, DLVP_MSTATUS_MIE
  // .tbss and .bss: [__zero_start, __bss_end), both 16-byte aligned.
  la t0, __zero_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  sw zero, 4(t0)
  sw zero, 8(t0)
  sw zero, 12(t0)
  addi t0, t0, 16
  j 1b
2:
  call dlvp_bsp_start  // does not return
3:
  wfi
  j 3b
  .size _start, . - _start

// The registers a C++ function may clobber, saved on the interrupted code's stack (one hart, no
// user mode); 16 words keep the stack 16-byte aligned.
.macro save_caller_saved
  addi sp, sp, -64
  sw ra, 0(sp)
  sw t0, 4(sp)
  sw t1, 8(sp)
  sw t2, 12(sp)
  sw a0, 16(sp)
  sw a1, 20(sp)
  sw a2, 24(sp)
  sw a3, 28(sp)
  sw a4, 32(sp)
  sw a5, 36(sp)
  sw a6, 40(sp)
  sw a7, 44(sp)
  sw t3, 48(sp)
  sw t4, 52(sp)
  sw t5, 56(sp)
  sw t6, 60(sp)
.endm

.macro restore_caller_saved
  lw ra, 0(sp)
  lw t0, 4(sp)
  lw t1, 8(sp)
  lw t2, 12(sp)
  lw a0, 16(sp)
  lw a1, 20(sp)
  lw a2, 24(sp)
  lw a3, 28(sp)
  lw a4, 32(sp)
  lw a5, 36(sp)
  lw a6, 40(sp)
  lw a7, 44(sp)
  lw t3, 48(sp)
  lw t4, 52(sp)
  lw t5, 56(sp)
  lw t6, 60(sp)
  addi sp, sp, 64
.endm

// The vector table: entry 0 takes every exception, entry n the interrupt with cause n. Machine
// external (11) has its own entry; the timer (7) and anything unexpected go through the general
// handler, which knows what to do with them.
  .section .text.trap, "ax", @progbits
  .balign 64  // mtvec's base must be 4-byte aligned; a line of its own
  .globl dlvp_trap_vectors
  .type dlvp_trap_vectors, @function
  .option push
  .option norvc  // each entry one 4-byte jump
dlvp_trap_vectors:
  .rept 11
  j dlvp_trap_entry  // 0: exceptions; 1-10: other interrupts (7: the timer)
  .endr
  j dlvp_external_entry  // 11: machine external interrupt
  .rept 4
  j dlvp_trap_entry  // causes 12-15
  .endr
  .option pop
  .size dlvp_trap_vectors, . - dlvp_trap_vectors

// Trap entry: calls dlvp_trap_handler(mcause, mepc, mtval) (sw/hal/riscv/hal_riscv.cpp), which
// either ends the program or returns the pc to resume at (the interrupted one, or past a skipped
// probe access), and returns there with mret.
  .globl dlvp_trap_entry
  .type dlvp_trap_entry, @function
dlvp_trap_entry:
  save_caller_saved
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  call dlvp_trap_handler
  csrw mepc, a0
  restore_caller_saved
  mret
  .size dlvp_trap_entry, . - dlvp_trap_entry

// The external interrupt: the HAL claims, serves and completes the pending sources; the
// interrupted code resumes where it was (mepc unchanged).
  .globl dlvp_external_entry
  .type dlvp_external_entry, @function
dlvp_external_entry:
  save_caller_saved
  call dlvp_external_interrupt
  restore_caller_saved
  mret
  .size dlvp_external_entry, . - dlvp_external_entry

// The compliance and bare-simulator convention: a write of a non-zero value to `tohost` ends the
// run (1 = pass, (value >> 1) = failing test number). dlvp apps end through the system
// controller's EXIT register instead; cpu_bench uses tohost where there is no system controller.
  .section .tohost, "aw", @progbits
  .balign 64
  .globl tohost
  .type tohost, @object
  .size tohost, 8  // simulators that implement HTIF (QEMU's spike machine) check the size
tohost:
  .dword 0
  .balign 64
  .globl fromhost
  .type fromhost, @object
  .size fromhost, 8
fromhost:
  .dword 0
