// The C ABI between the native CPU host model (ip/cpu/cpu_native) and a native app plugin (.so): a
// HW/SW contract like the register maps, so it lives with the model and sw/hal includes it.
// The plugin exports dlvp_native_entry(); the CPU model calls it from its SystemC thread with a
// table of operations that turn the HAL's accesses into TLM transactions on the SoC's bus.
#pragma once
#include <stddef.h>
#include <stdint.h>

extern "C" {

#define DLVP_HOST_ABI_VERSION 2u

// Status of an access: 0 = OK, otherwise a bus error (the TLM response status, negated).
typedef int dlvp_access_status;

struct dlvp_host_ops {
  uint32_t abi_version;
  void* context;
  dlvp_access_status (*read)(void* context, uint64_t address, void* data, size_t length);
  dlvp_access_status (*write)(void* context, uint64_t address, const void* data, size_t length);
  // Sleeps until one of the CPU's interrupt `lines` (DLVP_IRQ_EXTERNAL | DLVP_IRQ_TIMER) is high
  // (returns at once if one is).
  void (*wait_for_interrupt)(void* context, uint32_t lines);
  // Accounts software compute time: `cycles` CPU cycles pass (the app's own estimate).
  void (*spend_cycles)(void* context, uint64_t cycles);
  // (version 2) The CPU's interrupt lines now: DLVP_IRQ_EXTERNAL | DLVP_IRQ_TIMER. The native HAL
  // asks after each operation and runs the app's handlers, as a core takes an interrupt between
  // two instructions (docs/software.md, "Interrupts").
  uint32_t (*pending_interrupts)(void* context);
};

#define DLVP_IRQ_EXTERNAL 1u
#define DLVP_IRQ_TIMER 2u

// Exported by every native app plugin; returns the app's exit code.
typedef int (*dlvp_native_entry_fn)(const struct dlvp_host_ops* ops);
int dlvp_native_entry(const struct dlvp_host_ops* ops);
}
