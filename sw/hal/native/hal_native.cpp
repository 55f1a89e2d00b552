// HAL backend for native (host-compiled) execution inside the CPU host model: every access is a
// call into the model, which turns it into TLM transactions (or DMI copies) on the SoC's bus.
#include "sw/hal/native/hal_native.h"

#include "sw/hal/hal.h"

#include "ip/common/soc_map.h"
#include "ip/periph/sysctl_regs.h"

#include <stdio.h>

namespace {

const dlvp_host_ops* g_ops = nullptr;

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
  return value;
}

template <typename T>
void write_value(uint64_t address, T value) {
  if (g_ops->write(g_ops->context, address, &value, sizeof value) != 0) bus_fault(address, true);
}

}  // namespace

namespace hal {

uint32_t read32(uint64_t address) { return read_value<uint32_t>(address); }
void write32(uint64_t address, uint32_t value) { write_value(address, value); }
uint64_t read64(uint64_t address) { return read_value<uint64_t>(address); }
void write64(uint64_t address, uint64_t value) { write_value(address, value); }

bool probe_read32(uint64_t address, uint32_t* value) {
  return g_ops->read(g_ops->context, address, value, sizeof *value) == 0;
}
bool probe_write32(uint64_t address, uint32_t value) {
  return g_ops->write(g_ops->context, address, &value, sizeof value) == 0;
}

void copy_to_soc(uint64_t address, const void* source, size_t bytes) {
  if (g_ops->write(g_ops->context, address, source, bytes) != 0) bus_fault(address, true);
}
void copy_from_soc(void* destination, uint64_t address, size_t bytes) {
  if (g_ops->read(g_ops->context, address, destination, bytes) != 0) bus_fault(address, false);
}

void wait_for_interrupt() { g_ops->wait_for_interrupt(g_ops->context); }

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

}  // namespace hal::native
