// The native HAL backend's one entry besides the HAL itself: the table of host operations every
// access goes through. dlvp_native_entry (native_entry.cpp) attaches the CPU model's table before
// app_main; a host program that runs sw/ code without the simulator (a test, a fuzz target)
// attaches its own.
#pragma once
#include "ip/cpu/native_abi.h"

namespace hal::native {

void attach(const dlvp_host_ops* ops);
// Enables interrupts (after attach, before app_main), as the RISC-V start-up does.
void start_interrupts();

}  // namespace hal::native
