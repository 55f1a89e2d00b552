// HAL backend for native (host-compiled) execution inside the CPU host model: every access is a
// call into the model, which turns it into TLM transactions (or DMI copies) on the SoC's bus.
#include "sw/hal/native/hal_native.h"

#include "sw/hal/hal.h"
#include "sw/hal/hal_interrupts.h"

#include "ip/common/soc_map.h"
#include "ip/periph/sysctl_regs.h"

#include <stdio.h>

namespace {

const dlvp_host_ops* g_ops = nullptr;
bool g_interrupts_enabled = false;  // mstatus.MIE's counterpart

// Takes the interrupts pending now, as a core does between two instructions: here between two HAL
// operations (docs/software.md, "Interrupts"). Handlers run with interrupts disabled.
void take_interrupts() {
  if (!g_interrupts_enabled) return;
  const uint32_t lines = g_ops->pending_interrupts(g_ops->context);
  const bool timer = (lines & DLVP_IRQ_TIMER) && hal::detail::timer_attached();
  if (!(lines & DLVP_IRQ_EXTERNAL) && !timer) return;
  g_interrupts_enabled = false;
  if (lines & DLVP_IRQ_EXTERNAL) hal::detail::dispatch_external();
  if (timer) hal::detail::dispatch_timer();
  g_interrupts_enabled = true;
}

[[noreturn]] void bus_fault(uint64_t address, bool write) {
  char line[96];
  snprintf(line, sizeof line, "bus error: %s at 0x%llx\n", write ? "write" : "read",
           static_cast<unsigned long long>(address));
  hal::console_write(line);
  hal::exit(hal::kExitBusError);
}

template <typename T>
T read_value(uint64_t address) {
  T value = 0;
  if (g_ops->read(g_ops->context, address, &value, sizeof value) != 0) bus_fault(address, false);
  take_interrupts();
  return value;
}

template <typename T>
void write_value(uint64_t address, T value) {
  if (g_ops->write(g_ops->context, address, &value, sizeof value) != 0) bus_fault(address, true);
  take_interrupts();
}

}  // namespace

namespace hal {

uint32_t read32(uint64_t address) { return read_value<uint32_t>(address); }
void write32(uint64_t address, uint32_t value) { write_value(address, value); }
uint64_t read64(uint64_t address) { return read_value<uint64_t>(address); }
void write64(uint64_t address, uint64_t value) { write_value(address, value); }

bool probe_read32(uint64_t address, uint32_t* value) {
  const bool ok = g_ops->read(g_ops->context, address, value, sizeof *value) == 0;
  take_interrupts();
  return ok;
}
bool probe_write32(uint64_t address, uint32_t value) {
  const bool ok = g_ops->write(g_ops->context, address, &value, sizeof value) == 0;
  take_interrupts();
  return ok;
}

void copy_to_soc(uint64_t address, const void* source, size_t bytes) {
  if (g_ops->write(g_ops->context, address, source, bytes) != 0) bus_fault(address, true);
  take_interrupts();
}
void copy_from_soc(void* destination, uint64_t address, size_t bytes) {
  if (g_ops->read(g_ops->context, address, destination, bytes) != 0) bus_fault(address, false);
  take_interrupts();
}

void wait_for_interrupt() {
  g_ops->wait_for_interrupt(g_ops->context, DLVP_IRQ_EXTERNAL | (detail::timer_attached() ? DLVP_IRQ_TIMER : 0u));
  take_interrupts();
}

void spend_cycles(uint64_t cycles) {
  g_ops->spend_cycles(g_ops->context, cycles);
  take_interrupts();
}

bool set_interrupts_enabled(bool enabled) {
  const bool previous = g_interrupts_enabled;
  g_interrupts_enabled = enabled;
  if (enabled && !previous) take_interrupts();  // as setting mstatus.MIE with one pending
  return previous;
}

uint64_t text_address(const char* text, uint32_t slot) {
  if (!text) return 0;
  // The string and its NUL, or its first kResultTextMaxBytes + 1 bytes (which the platform refuses).
  constexpr size_t kMax = dlvp::sysctl::kResultTextMaxBytes + 1;
  static_assert(2 * kMax <= dlvp::soc::kNativeStagingBytes, "two strings fit the staging area");
  size_t bytes = 0;
  while (bytes < kMax && text[bytes]) ++bytes;
  if (bytes < kMax) ++bytes;
  const uint64_t address = dlvp::soc::kNativeStagingBase + (slot ? kMax : 0);
  copy_to_soc(address, text, bytes);
  return address;
}

}  // namespace hal

namespace hal::native {

void attach(const dlvp_host_ops* ops) { g_ops = ops; }

void start_interrupts() {
  hal::detail::init_interrupts();
  hal::set_interrupts_enabled(true);
}

}  // namespace hal::native
