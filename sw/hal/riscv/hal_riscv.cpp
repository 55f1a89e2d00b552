// HAL backend for the RISC-V build, run by the instruction-set simulator (or any RV32 machine-mode
// core): MMIO is volatile loads and stores, the SoC's address space is the core's 32-bit one, a
// bus error is a load/store access-fault trap, and sleeping is wfi.
//
// 64-bit registers are accessed as two 32-bit halves (RV32 has no 64-bit load/store; the register
// banks accept partial accesses, ip/common/register_bank.cpp): writes low then high, reads
// hi-lo-hi so that a counter carrying between the halves (the timer's MTIME) is never torn.
#include "ip/common/range_check.h"
#include "sw/bsp/riscv/csr.h"
#include "sw/hal/hal.h"
#include "sw/hal/hal_interrupts.h"

#include <stdio.h>
#include <string.h>

namespace {

constexpr uint64_t kAddressSpace = uint64_t{1} << 32;

// A probe in progress: the trap handler skips a faulting access while `active` and sets `faulted`.
struct Probe {
  volatile bool active = false;
  volatile bool faulted = false;
};
Probe g_probe;

volatile int g_fatal_depth = 0;  // > 0 while a fatal error is being reported

// Reports `line` and ends the program. A fault while reporting (the UART or the system
// controller is missing) skips the report; a fault while exiting leaves the core asleep.
[[noreturn]] void fatal(const char* line, int code) {
  const int depth = ++g_fatal_depth;
  if (depth == 1) hal::console_write(line);
  if (depth <= 2) hal::exit(code);
  for (;;) asm volatile("wfi");
}

// The same line the native HAL prints for a bus error.
[[noreturn]] void bus_fault(uint64_t address, bool write) {
  char line[96];
  snprintf(line, sizeof line, "bus error: %s at 0x%llx\n", write ? "write" : "read",
           static_cast<unsigned long long>(address));
  fatal(line, hal::kExitBusError);
}

// An empty copy needs only its start inside the space; anything else must lie inside it whole.
bool in_address_space(uint64_t address, uint64_t bytes) {
  return bytes == 0 ? address < kAddressSpace : dlvp::range_within(address, bytes, 0, kAddressSpace);
}

volatile uint32_t* word_at(uint64_t address) {
  return reinterpret_cast<volatile uint32_t*>(static_cast<uintptr_t>(address));
}

// A register's word, or a bus error when it lies beyond the core's 32-bit address space.
volatile uint32_t* register_at(uint64_t address, bool write) {
  if (!in_address_space(address, 4)) bus_fault(address, write);
  return word_at(address);
}

void check_range(uint64_t address, size_t bytes, bool write) {
  if (!in_address_space(address, bytes)) bus_fault(address, write);
}

void begin_probe() {
  g_probe.faulted = false;
  g_probe.active = true;
}

// True when the access since begin_probe() did not fault.
bool end_probe() {
  g_probe.active = false;
  return !g_probe.faulted;
}

const char* cause_name(uint32_t mcause) {
  if (mcause & DLVP_MCAUSE_INTERRUPT) return "unexpected interrupt";
  switch (mcause) {
    case DLVP_CAUSE_FETCH_MISALIGNED: return "instruction address misaligned";
    case DLVP_CAUSE_FETCH_ACCESS: return "instruction access fault";
    case DLVP_CAUSE_ILLEGAL_INSTRUCTION: return "illegal instruction";
    case DLVP_CAUSE_BREAKPOINT: return "breakpoint";
    case DLVP_CAUSE_LOAD_MISALIGNED: return "load address misaligned";
    case DLVP_CAUSE_STORE_MISALIGNED: return "store address misaligned";
    case DLVP_CAUSE_ECALL_M: return "environment call";
    default: return "exception";
  }
}

// Length of the instruction at `pc`: 4 bytes when its two low bits are 11, else 2 (compressed).
uint32_t instruction_bytes(uint32_t pc) {
  return (*reinterpret_cast<const volatile uint16_t*>(static_cast<uintptr_t>(pc)) & 3) == 3 ? 4 : 2;
}

}  // namespace

// Called by crt0's external-interrupt entry (vector 11).
extern "C" void dlvp_external_interrupt() { hal::detail::dispatch_external(); }

// Called by crt0's trap entry; returns the pc to resume at.
extern "C" uint32_t dlvp_trap_handler(uint32_t mcause, uint32_t mepc, uint32_t mtval) {
  if (mcause == (DLVP_MCAUSE_INTERRUPT | DLVP_IRQ_CAUSE_TIMER)) {
    if (hal::detail::timer_attached()) hal::detail::dispatch_timer();
    else riscv::clear_mie(DLVP_MIE_MTIE);  // detached since the wait that unmasked it
    return mepc;
  }
  if (mcause == (DLVP_MCAUSE_INTERRUPT | DLVP_IRQ_CAUSE_EXTERNAL)) {  // direct mode (a debugger reset mtvec)
    hal::detail::dispatch_external();
    return mepc;
  }
  const bool access_fault = mcause == DLVP_CAUSE_LOAD_ACCESS || mcause == DLVP_CAUSE_STORE_ACCESS;
  if (access_fault && g_probe.active) {
    g_probe.faulted = true;
    return mepc + instruction_bytes(mepc);
  }
  if (access_fault) bus_fault(mtval, mcause == DLVP_CAUSE_STORE_ACCESS);
  char line[128];
  snprintf(line, sizeof line, "fatal: %s (mcause 0x%lx) at pc 0x%08lx, mtval 0x%08lx\n", cause_name(mcause),
           static_cast<unsigned long>(mcause), static_cast<unsigned long>(mepc), static_cast<unsigned long>(mtval));
  fatal(line, hal::kExitFatal);
}

namespace hal {

uint32_t read32(uint64_t address) { return *register_at(address, false); }
void write32(uint64_t address, uint32_t value) { *register_at(address, true) = value; }

uint64_t read64(uint64_t address) {
  volatile uint32_t* low = register_at(address, false);
  volatile uint32_t* high = register_at(address + 4, false);
  uint32_t hi, lo;
  do {
    hi = *high;
    lo = *low;
  } while (hi != *high);
  return uint64_t{hi} << 32 | lo;
}

void write64(uint64_t address, uint64_t value) {
  volatile uint32_t* low = register_at(address, true);
  volatile uint32_t* high = register_at(address + 4, true);
  *low = static_cast<uint32_t>(value);
  *high = static_cast<uint32_t>(value >> 32);
}

bool probe_read32(uint64_t address, uint32_t* value) {
  if (!in_address_space(address, 4)) return false;
  begin_probe();
  const uint32_t v = *word_at(address);
  if (!end_probe()) return false;
  *value = v;
  return true;
}

bool probe_write32(uint64_t address, uint32_t value) {
  if (!in_address_space(address, 4)) return false;
  begin_probe();
  *word_at(address) = value;
  return end_probe();
}

void copy_to_soc(uint64_t address, const void* source, size_t bytes) {
  check_range(address, bytes, true);
  memcpy(reinterpret_cast<void*>(static_cast<uintptr_t>(address)), source, bytes);
}

uint64_t text_address(const char* text, uint32_t) { return reinterpret_cast<uintptr_t>(text); }

void copy_from_soc(void* destination, uint64_t address, size_t bytes) {
  check_range(address, bytes, false);
  memcpy(destination, reinterpret_cast<const void*>(static_cast<uintptr_t>(address)), bytes);
}

// wfi wakes on a pending interrupt enabled in mie whatever mstatus.MIE; with MIE set the core
// then takes it (the handler runs before wfi's successor), with MIE clear the caller
// (wait_until) enables interrupts when it is ready to.
void wait_for_interrupt() {
  if (hal::detail::timer_attached()) riscv::set_mie(DLVP_MIE_MTIE);
  else riscv::clear_mie(DLVP_MIE_MTIE);
  riscv::set_mie(DLVP_MIE_MEIE);
  asm volatile("wfi" ::: "memory");
}

bool set_interrupts_enabled(bool enabled) { return riscv::set_global_interrupts(enabled); }

void spend_cycles(uint64_t) {}

}  // namespace hal
