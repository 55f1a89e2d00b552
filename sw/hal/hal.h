// The hardware abstraction layer: the only part of sw/ that knows whether it runs natively inside
// the CPU host model or as RISC-V code on the ISS. Everything the software does to the SoC goes
// through these calls (docs/architecture.md). Freestanding C++17: no exceptions, no RTTI, no STL.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace hal {

// 32/64-bit MMIO and memory accesses in the SoC's address space. A bus error calls the fault
// handler, which reports it on the console and ends the program with kExitBusError.
uint32_t read32(uint64_t address);
void write32(uint64_t address, uint32_t value);
uint64_t read64(uint64_t address);
void write64(uint64_t address, uint64_t value);

// Like read32/write32, but a bus error is returned to the caller (false) instead of faulting;
// how drivers probe for hardware and how tests check that errors reach software.
bool probe_read32(uint64_t address, uint32_t* value);
bool probe_write32(uint64_t address, uint32_t value);

// Bulk copies between program memory and SoC memory (DDR). On RISC-V these are memcpy; natively
// they are burst transfers (or DMI) in the SoC's address space.
void copy_to_soc(uint64_t address, const void* source, size_t bytes);
void copy_from_soc(void* destination, uint64_t address, size_t bytes);

// Software compute time the code just spent, in CPU cycles: natively, where host code runs in zero
// simulated time, they pass on the CPU's clock (the app's own estimate); on RISC-V nothing (the
// ISS times the instructions it ran).
void spend_cycles(uint64_t cycles);

// Sleeps until an interrupt is pending at the CPU: the external one, or the timer's while a timer
// handler is attached. When interrupts are enabled, its handler has run when this returns.
void wait_for_interrupt();

// Interrupts (docs/software.md, "Interrupts"). Each source of the interrupt controller (a
// device's `irq` in the device table) may have a handler. When the CPU takes the external
// interrupt, the HAL claims a source, runs its handler, completes the source, and repeats while
// one is pending. Interrupts are enabled from the start of app_main; handlers run with them
// disabled (no nesting). On RISC-V the core takes them between two instructions (vectored
// mtvec); natively the HAL takes them between two of its operations.
using InterruptHandler = void (*)(uint32_t source, void* context);
// Registers `handler` for `source` (1..31) and enables the source at the interrupt controller; a
// null handler disables the source. False (nothing changed): no interrupt controller, or a source
// out of range.
bool attach_interrupt(uint32_t source, InterruptHandler handler, void* context);
// Disables (`masked`) or enables `source` at the interrupt controller, its handler kept. Device
// interrupt lines are levels: a handler that leaves the device's cause to the code it wakes
// masks its source, and that code unmasks it once the device is served.
void mask_interrupt(uint32_t source, bool masked);
// The timer's handler (null: none, and the timer interrupt stays masked). It must move MTIMECMP
// on, or the interrupt is taken again at once.
void attach_timer_interrupt(void (*handler)(void* context), void* context);
// The CPU's global interrupt enable (mstatus.MIE on RISC-V); returns the previous state.
bool set_interrupts_enabled(bool enabled);
// Sleeps until `condition(context)` holds. The condition is checked with interrupts disabled and
// the CPU sleeps until one is pending (waking without taking it); interrupts are then enabled
// so that its handler runs, and the condition is checked again. An interrupt arriving between a
// check and the sleep is therefore never missed.
void wait_until(bool (*condition)(void* context), void* context);
// External interrupts taken so far: claimed sources with a handler, and without one (completed
// and dropped).
struct InterruptCounts {
  uint32_t handled;
  uint32_t unhandled;
};
InterruptCounts interrupt_counts();

// Console (the UART), the timer, and the end of the program (through the system controller).
void console_write(const char* text);
void console_printf(const char* format, ...) __attribute__((format(printf, 1, 2)));
// Console input (the UART's receiver, fed by the scenario's uart.input): waits for the next
// received character and returns it (0..255), or -1 once the input has ended (or there is none).
// It polls the UART: the wait passes simulated time.
int console_getc();
// Reads characters into `buffer` up to and including a newline, until the input ends or
// `size` - 1 are read, and NUL-terminates them; returns how many were read (0: the input ended).
size_t console_read(char* buffer, size_t size);
uint64_t timer_ticks();
uint64_t timer_frequency_hz();
[[noreturn]] void exit(int code);

constexpr int kExitBusError = 0xBE;
// The program stopped on a fatal error other than a bus error: on the RISC-V build an unexpected
// trap (illegal instruction, misaligned access, ecall, breakpoint, interrupt) or a run-time error
// (out of memory in operator new, pure virtual call). The console says which.
constexpr int kExitFatal = 0xBF;

// The base address, size and interrupt line of a device, from the system controller's table
// (ip/common/soc_map.h device ids). Returns false when the SoC has no such device.
struct Device {
  uint64_t base;
  uint64_t size;
  uint32_t irq;
};
bool find_device(uint32_t device_id, Device* out);
// Boot argument `index` (0..7, sysctl kBootArgs) that the scenario passed (software.args); 0 beyond.
uint64_t boot_arg(uint32_t index);
// Like find_device, but a missing device is fatal (reported, program ends).
Device require_device(uint32_t device_id);
// The first DDR address software may use as a scratch area: above the program region
// (soc::kProgramRegionBytes), where the RISC-V build keeps its image, heap and stack. The same in
// both builds, so that both give the same outputs.
uint64_t workspace_base();

// Reports a named result to the platform (report.json `app.results`, docs/report.md): value =
// mantissa x 10^exponent (exponent -18..18), `unit` "" or null for none. Names and units are
// printable UTF-8 of at most dlvp::sysctl::kResultTextMaxBytes (64) bytes; reporting a name again
// replaces its value. Returns the system controller's RESULT_STATUS (dlvp::sysctl::ResultStatus,
// 0: kept); a refused result is logged by the platform, the program goes on.
uint32_t report_result(const char* name, int64_t mantissa, int32_t exponent, const char* unit);

// Marks a CPU stage of the package at `package` (its layer record `layer`) as begun or ended
// (the system controller's CPU_STAGE, docs/periph.md): the platform times it and attributes the
// energy counted meanwhile to that layer (the per-layer report's CPU rows).
void mark_cpu_stage(uint64_t package, uint32_t layer, bool begin);

// The SoC address of a NUL-terminated string passed to a device by address (`slot` 0 or 1: two
// strings at once). RISC-V: the string itself. Native: a copy of its first 65 bytes in
// soc::kNativeStagingBase (ip/common/soc_map.h). 0 for a null pointer.
uint64_t text_address(const char* text, uint32_t slot);

}  // namespace hal

// Every app defines this; the HAL's start-up code calls it and exits with its return value.
int app_main();
