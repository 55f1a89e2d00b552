// The HAL's interrupt dispatch, shared by both backends (hal_common.cpp): each backend takes the
// CPU's interrupt (a trap on RISC-V, a check after each operation natively) and calls these with
// interrupts disabled.
#pragma once
#include <stdint.h>

namespace hal::detail {

// Looks up the interrupt controller; the backend's start-up calls it before it enables
// interrupts (a handler must not look up devices: find_device selects table entries).
void init_interrupts();
// The external interrupt: claims, serves and completes sources until none is pending.
void dispatch_external();
// The timer interrupt, unmasked only while a handler is attached.
bool timer_attached();
void dispatch_timer();

}  // namespace hal::detail
