// The entry point of a native app plugin (ip/cpu/native_abi.h): compiled into each plugin, not
// into the HAL library, so that host programs may link the drivers without an app_main.
#include "sw/hal/hal.h"
#include "sw/hal/native/hal_native.h"

extern "C" int dlvp_native_entry(const dlvp_host_ops* ops) {
  if (!ops || ops->abi_version != DLVP_HOST_ABI_VERSION) return 0x7F;
  hal::native::attach(ops);
  hal::native::start_interrupts();
  const int code = app_main();
  hal::exit(code);
}
