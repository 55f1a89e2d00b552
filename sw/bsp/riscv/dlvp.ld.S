/*
 * Linker script of the RISC-V build. The C preprocessor runs over it (sw/bsp/riscv/CMakeLists.txt)
 * so that the memory contract comes from its one source, ip/common/soc_map.h: the program lives in
 * the first DLVP_PROGRAM_REGION_BYTES (16 MiB) of DDR from DLVP_SOC_DDR_BASE (0x80000000).
 *
 *   0x80000000  .text, .rodata, .init_array             code pages (segment R X)
 *   next 4 KiB  .tohost, .data, .sdata, .tdata          writable data (segment R W), loaded in place
 *               .tbss, .sbss, .bss                      zeroed by crt0
 *               heap  [__heap_start, __heap_end)        the rest of the region (picolibc's malloc)
 *   0x80fc0000  stack [__stack_bottom, __stack_top)     STACK_BYTES, grows down from 0x81000000
 *
 * Writable data starts on a fresh 4 KiB page: a store to a page that holds translated code makes
 * QEMU (and the ISS's decode cache) treat it as self-modifying code, which is ~50x slower.
 *
 * Stack: 256 KiB, generous: the largest frames (-fstack-usage) are classify's app_main 1.3 KiB,
 * Accelerator::open_package 1.1 KiB, console_printf and soc_differences 0.6 KiB each; the deepest
 * call chain stays below 4 KiB. The apps' big buffers are static (.bss: classify 132 KiB,
 * cpu_bench 233 KiB). Heap: what is left of the region after the image and the stack, at least
 * MIN_HEAP_BYTES (no app allocates today).
 */
#include "ip/common/soc_map.h"

#define STACK_BYTES 0x40000    /* 256 KiB */
#define MIN_HEAP_BYTES 0x100000 /* 1 MiB: the image must leave at least this much for the heap */

OUTPUT_ARCH(riscv)
ENTRY(_start)

MEMORY
{
  program (rwx) : ORIGIN = DLVP_SOC_DDR_BASE, LENGTH = DLVP_PROGRAM_REGION_BYTES
}

PHDRS
{
  code PT_LOAD FLAGS(5); /* R X */
  data PT_LOAD FLAGS(6); /* R W */
  tls PT_TLS;
}

SECTIONS
{
  .text : {
    KEEP(*(.text.start))
    *(.text.trap)
    *(.text.unlikely .text.unlikely.*)
    *(.text.startup .text.startup.*)
    *(.text .text.*)
  } >program :code

  .rodata : ALIGN(8) {
    *(.rodata .rodata.*)
    *(.srodata.cst16) *(.srodata.cst8) *(.srodata.cst4) *(.srodata.cst2)
    *(.srodata .srodata.*)
  } >program :code

  /* Constructor lists, read-only at run time (nothing relocates them). */
  .init_array : ALIGN(4) {
    __init_array_start = .;
    KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*) SORT_BY_INIT_PRIORITY(.ctors.*)))
    KEEP(*(.init_array .ctors))
    __init_array_end = .;
  } >program :code

  .tohost : ALIGN(4096) {
    KEEP(*(.tohost))
  } >program :data

  .data : ALIGN(16) {
    *(.data .data.*)
    . = ALIGN(8);
    __global_pointer$ = . + 0x800;
    *(.sdata .sdata.* .sdata2 .sdata2.*)
  } >program :data

  /* Thread-local storage: one thread, whose TLS block is the image's own .tdata + .tbss (tp). */
  .tdata : ALIGN(16) {
    *(.tdata .tdata.*)
  } >program :data :tls
  .tbss : ALIGN(16) {
    *(.tbss .tbss.*)
    *(.tcommon)
  } >program :data :tls
  __tls_base = ADDR(.tdata);
  __zero_start = ADDR(.tbss);
  /* The linker does not advance the location counter over .tbss; this reserves its memory. */
  .tbss_space (NOLOAD) : {
    . = ADDR(.tbss) + SIZEOF(.tbss);
  } >program :data

  .bss (NOLOAD) : ALIGN(16) {
    *(.sbss .sbss.*)
    *(.bss .bss.*)
    *(COMMON)
    . = ALIGN(16);
    __bss_end = .;
  } >program :data

  /* Heap and stack are symbols, not sections: the loader neither copies nor zeroes them. */
  __stack_top = ORIGIN(program) + LENGTH(program);
  __stack_bottom = __stack_top - STACK_BYTES;
  __heap_start = ALIGN(__bss_end, 16);
  __heap_end = __stack_bottom;

  /DISCARD/ : {
    *(.eh_frame .eh_frame.* .gcc_except_table .gcc_except_table.*)
    *(.note .note.*)
  }
}

ASSERT(__heap_end - __heap_start >= MIN_HEAP_BYTES,
       "the program image leaves less than 1 MiB of heap in the 16 MiB program region (ip/common/soc_map.h)")
