// The C and C++ run-time pieces a freestanding C++17 program needs on the RISC-V build, where the
// toolchain ships no libstdc++/libsupc++ (no exceptions, no RTTI): the program entry after crt0,
// operator new/delete on picolibc's malloc, and the ABI hooks the compiler calls.
// Static constructors run; static destructors never do (the program ends by writing the system
// controller's EXIT register, there is nothing to return to), so __cxa_atexit records nothing.
// Thread-safe static guards (__cxa_guard_*) are not needed: sw/ builds with -fno-threadsafe-statics.
#include "sw/bsp/riscv/csr.h"
#include "sw/hal/hal.h"
#include "sw/hal/hal_interrupts.h"

#include <stdlib.h>

namespace {

[[noreturn]] void runtime_error(const char* what) {
  hal::console_write(what);
  hal::exit(hal::kExitFatal);
}

void* allocate(size_t bytes) {
  void* p = malloc(bytes ? bytes : 1);
  if (!p) runtime_error("fatal: out of memory (operator new)\n");
  return p;
}

}  // namespace

extern "C" {

// Constructor list, from the linker script (dlvp.ld.S).
extern void (*const __init_array_start[])();
extern void (*const __init_array_end[])();

// Called by crt0's _start once sp, gp, tp and .bss are set up.
[[noreturn]] void dlvp_bsp_start() {
  for (void (*const* f)() = __init_array_start; f != __init_array_end; ++f) (*f)();
  hal::detail::init_interrupts();
  riscv::set_mie(DLVP_MIE_MEIE);
  hal::set_interrupts_enabled(true);
  hal::exit(app_main());
}

void* __dso_handle = &__dso_handle;
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void __cxa_pure_virtual() { runtime_error("fatal: pure virtual function called\n"); }

// picolibc's exit() and abort() end here.
[[noreturn]] void _exit(int code) { hal::exit(code); }

}  // extern "C"

void* operator new(size_t bytes) { return allocate(bytes); }
void* operator new[](size_t bytes) { return allocate(bytes); }
void operator delete(void* p) noexcept { free(p); }
void operator delete[](void* p) noexcept { free(p); }
void operator delete(void* p, size_t) noexcept { free(p); }
void operator delete[](void* p, size_t) noexcept { free(p); }
