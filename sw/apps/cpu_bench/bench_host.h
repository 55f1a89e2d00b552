// Where the CPU benchmark runs, and how it prints and ends there. The same RISC-V ELF runs on the
// dlvp SoC (ISS) and on QEMU's `virt` machine, whose devices differ: 0x10000000 is dlvp's system
// controller but QEMU's 16550 UART. The benchmark therefore touches no device before it knows the
// host, and finds out with one read of the system controller's ID register: the "DLVP" magic on
// the SoC; on QEMU a read of the 16550's receive buffer (no side effect without input), which is
// not the magic; on a bare simulator with nothing there, an access fault (caught by the probe).
#pragma once

namespace bench {

enum class Host {
  dlvp,       // the SoC: console on its UART (HAL), end through the system controller's EXIT
  qemu_virt,  // QEMU virt: console on the 16550 at 0x10000000, end through the sifive_test finisher
  bare,       // no device at 0x10000000: no console, end through `tohost` (HTIF convention)
};

Host detect_host();  // always Host::dlvp in the native build
const char* host_name(Host host);
void host_write(Host host, const char* text);
[[noreturn]] void host_exit(Host host, int code);

}  // namespace bench
