// Facts about the SoC that software must know before it can discover anything else.
// Freestanding (shared by the models, sw/ and the tools).
//
// Software knows one address: the system controller's. Its device table (see
// ip/periph/sysctl_regs.h) gives every other block's base, size and interrupt line, so the same
// binary runs on any memory map a scenario builds.
//
// The memory contract of the RISC-V build is also here, as macros, because the C preprocessor
// also runs it over the linker script (sw/bsp/riscv/dlvp.ld.S): the program image, its data, heap
// and stack live in the first DLVP_PROGRAM_REGION_BYTES of DDR; no software uses that region as a
// scratch area, in either CPU mode (hal::workspace_base() is the first byte above it).
#pragma once

#define DLVP_SOC_DDR_BASE 0x80000000
#define DLVP_PROGRAM_REGION_BYTES 0x01000000  // 16 MiB

#ifdef __cplusplus
#include <stdint.h>

namespace dlvp::soc {

constexpr uint64_t kSysctlBase = 0x10000000;   // fixed: the one address software knows
constexpr uint64_t kDdrBase = DLVP_SOC_DDR_BASE;  // DDR starts here (docs/architecture.md)
// The RISC-V program's region from kDdrBase: image, data, heap, stack (sw/bsp/riscv/dlvp.ld.S).
constexpr uint64_t kProgramRegionBytes = DLVP_PROGRAM_REGION_BYTES;
// The native build has no program image in DDR: its HAL copies the strings it passes to devices by
// address (app result names and units, sysctl_regs.h RESULT_*) into the program region's last
// kNativeStagingBytes (hal::text_address). The RISC-V build passes its strings where they are.
constexpr uint64_t kNativeStagingBytes = 256;
constexpr uint64_t kNativeStagingBase = kDdrBase + kProgramRegionBytes - kNativeStagingBytes;
constexpr uint32_t kRegisterWindowBytes = 0x1000;  // each block's register window: 4 KiB

// Device identifiers in the system controller's device table.
enum DeviceId : uint32_t {
  kDevNone = 0,
  kDevSysctl = 1,
  kDevUart = 2,
  kDevTimer = 3,
  kDevIntc = 4,
  kDevDma = 5,
  kDevIfu = 6,
  kDevCnn = 7,
  kDevLstm = 8,
  kDevPmu = 9,
  kDevDdr = 16,
};

constexpr uint32_t kNoIrq = 0xffffffffu;  // device table entry for a block without an interrupt

}  // namespace dlvp::soc
#endif  // __cplusplus
