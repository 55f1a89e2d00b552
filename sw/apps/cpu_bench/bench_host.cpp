#include "sw/apps/cpu_bench/bench_host.h"

#include "ip/periph/sysctl_regs.h"
#include "ip/common/soc_map.h"
#include "sw/hal/hal.h"

#include <stdint.h>

#if defined(__riscv)
extern "C" volatile uint64_t tohost;  // sw/bsp/riscv/crt0.S
#endif

namespace bench {
namespace {

#if defined(__riscv)
// QEMU's virt machine (hw/riscv/virt.c memory map).
constexpr uintptr_t kQemuUart = 0x10000000;      // ns16550a, byte registers
constexpr uintptr_t kQemuUartLsr = kQemuUart + 5;  // line status register
constexpr uint8_t kQemuLsrThrEmpty = 1u << 5;      // the transmit holding register accepts a byte
constexpr uintptr_t kQemuFinisher = 0x100000;    // sifive_test: a write ends QEMU
constexpr uint32_t kQemuFinisherPass = 0x5555;
constexpr uint32_t kQemuFinisherFail = 0x3333;   // | exit code << 16

void qemu_write(const char* text) {
  volatile uint8_t* thr = reinterpret_cast<volatile uint8_t*>(kQemuUart);
  const volatile uint8_t* lsr = reinterpret_cast<const volatile uint8_t*>(kQemuUartLsr);
  for (const char* c = text; *c; ++c) {
    while (!(*lsr & kQemuLsrThrEmpty)) {
    }
    *thr = static_cast<uint8_t>(*c);
  }
}

[[noreturn]] void qemu_exit(int code) {
  *reinterpret_cast<volatile uint32_t*>(kQemuFinisher) =
      code == 0 ? kQemuFinisherPass : (static_cast<uint32_t>(code) << 16 | kQemuFinisherFail);
  for (;;) asm volatile("wfi");
}

[[noreturn]] void tohost_exit(int code) {
  tohost = (static_cast<uint64_t>(code) << 1) | 1;
  for (;;) asm volatile("wfi");
}
#endif

}  // namespace

Host detect_host() {
#if defined(__riscv)
  uint32_t id = 0;
  if (!hal::probe_read32(dlvp::soc::kSysctlBase + dlvp::sysctl::ID, &id)) return Host::bare;
  return id == dlvp::sysctl::kMagic ? Host::dlvp : Host::qemu_virt;
#else
  return Host::dlvp;
#endif
}

const char* host_name(Host host) {
  switch (host) {
    case Host::dlvp: return "dlvp";
    case Host::qemu_virt: return "qemu virt";
    default: return "bare";
  }
}

void host_write(Host host, const char* text) {
#if defined(__riscv)
  if (host == Host::qemu_virt) return qemu_write(text);
  if (host == Host::bare) return;
#endif
  hal::console_write(text);
}

void host_exit(Host host, int code) {
#if defined(__riscv)
  if (host == Host::qemu_virt) qemu_exit(code);
  if (host == Host::bare) tohost_exit(code);
#endif
  hal::exit(code);
}

}  // namespace bench
