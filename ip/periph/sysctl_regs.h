// System controller register map, shared by the model (ip/periph/sysctl.*) and the software
// (sw/hal). Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
//
// The system controller sits at the one fixed address software knows (soc::kSysctlBase in
// ip/common/soc_map.h). Its device table tells software where everything else is: write an index
// to DEVICE_SELECT, then read DEVICE_ID / DEVICE_BASE / DEVICE_SIZE / DEVICE_IRQ of that entry.
// An index at or beyond DEVICE_COUNT reads DEVICE_ID = soc::kDevNone (0), base and size 0 and
// DEVICE_IRQ = soc::kNoIrq.
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

namespace dlvp::sysctl {

constexpr uint32_t kMagic = 0x444C5650;    // ID register: "DLVP" in ASCII
// VERSION register: major << 16 | minor of this map (1.1: BOOT_ARG4..7; 1.2: RESULT_*; 1.3: CPU_STAGE*).
constexpr uint32_t kVersion = 0x00010003;

// EXIT: writing a value ends the simulation; the value is the program's exit code, which the
// simulator reports (all 32 bits) and returns as its exit status when it is 0..119 (0 = success,
// anything else = failure, as for a POSIX process; platform/exit_status.h).
constexpr uint32_t kExitSuccess = 0;
constexpr uint32_t kExitFailure = 1;

// App results (report.json `app.results`, docs/report.md): software writes a result's name (and
// optionally its unit) as the DDR address of a NUL-terminated string, its value as a decimal
// mantissa and exponent, then writes RESULT_COMMIT. The platform reads the strings with the debug
// transport, at most kResultTextMaxBytes each, and keeps at most kMaxResults names (committing a
// name again replaces its value). RESULT_STATUS says what became of the last commit.
constexpr uint32_t kResultTextMaxBytes = 64;  // a name's or a unit's bytes, its NUL excluded
constexpr uint32_t kMaxResults = 256;
constexpr int32_t kResultExponentMin = -18, kResultExponentMax = 18;
enum ResultStatus : uint32_t {
  kResultOk = 0,
  kResultBadName = 1,      // not 1..64 bytes of printable UTF-8 in DDR before a NUL
  kResultBadUnit = 2,      // likewise for a unit address other than 0 (empty allowed)
  kResultBadExponent = 3,  // outside kResultExponentMin..kResultExponentMax
  kResultFull = 4,         // a new name beyond kMaxResults: counted, not kept
};

// CPU stage marks (CPUC, issue 16; docs/periph.md): the driver writes CPU_STAGE_PACKAGE (the
// package's DDR address) and CPU_STAGE_LAYER (the stage's layer record), then CPU_STAGE with BEGIN
// when the CPU begins a package's CPU stage and with END when it has written the stage's output.
// The platform times the stage and attributes the energy counted meanwhile to that layer, so that
// the per-layer report shows CPU layers (ip/periph/cpu_stage_marks.h).
constexpr uint32_t kCpuStageBegin = 1u << 0;
constexpr uint32_t kCpuStageEnd = 1u << 1;

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_SYSCTL_REGISTERS(REG)                                                                 \
  REG(ID, 0x000, 4, ::dlvp::sysctl::kMagic, RO, "magic number 0x444C5650 (\"DLVP\")")             \
  REG(VERSION, 0x004, 4, ::dlvp::sysctl::kVersion, RO, "register map version: major << 16 | minor") \
  REG(EXIT, 0x008, 4, 0, WO, "write: end the simulation with this exit code")                     \
  REG(SCRATCH, 0x00c, 4, 0, RW, "free for software (no effect)")                                  \
  REG(DEVICE_COUNT, 0x010, 4, 0, RO, "number of entries in the device table")                     \
  REG(DEVICE_SELECT, 0x014, 4, 0, RW, "index of the device table entry the DEVICE_* registers show") \
  REG(DEVICE_ID, 0x018, 4, 0, RO, "selected entry: device id (soc::DeviceId), 0 when out of range") \
  REG(DEVICE_IRQ, 0x01c, 4, 0, RO, "selected entry: interrupt source number, soc::kNoIrq when none") \
  REG(DEVICE_BASE, 0x020, 8, 0, RO, "selected entry: base address of its window")                 \
  REG(DEVICE_SIZE, 0x028, 8, 0, RO, "selected entry: size of its window in bytes")                 \
  REG(BOOT_ARG0, 0x040, 8, 0, RO, "boot argument 0 from the scenario (software.args)")            \
  REG(BOOT_ARG1, 0x048, 8, 0, RO, "boot argument 1")                                               \
  REG(BOOT_ARG2, 0x050, 8, 0, RO, "boot argument 2")                                               \
  REG(BOOT_ARG3, 0x058, 8, 0, RO, "boot argument 3")                                               \
  REG(BOOT_ARG4, 0x060, 8, 0, RO, "boot argument 4")                                               \
  REG(BOOT_ARG5, 0x068, 8, 0, RO, "boot argument 5")                                               \
  REG(BOOT_ARG6, 0x070, 8, 0, RO, "boot argument 6")                                               \
  REG(BOOT_ARG7, 0x078, 8, 0, RO, "boot argument 7")                                               \
  REG(RESULT_NAME, 0x080, 8, 0, RW, "app result: DDR address of its name (NUL-terminated printable UTF-8, 1..64 bytes)") \
  REG(RESULT_UNIT, 0x088, 8, 0, RW, "app result: DDR address of its unit (NUL-terminated, 0..64 bytes); 0: none") \
  REG(RESULT_VALUE, 0x090, 8, 0, RW, "app result: signed 64-bit decimal mantissa")                   \
  REG(RESULT_EXPONENT, 0x098, 4, 0, RW, "app result: decimal exponent, int32 -18..18 (value = mantissa x 10^exponent)") \
  REG(RESULT_COMMIT, 0x09c, 4, 0, WO, "write: record the result described by RESULT_NAME..RESULT_EXPONENT") \
  REG(RESULT_STATUS, 0x0a0, 4, 0, RO, "outcome of the last commit (sysctl::ResultStatus)")          \
  REG(RESULT_COUNT, 0x0a4, 4, 0, RO, "results kept")                                             \
  REG(CPU_STAGE_PACKAGE, 0x0a8, 8, 0, RW, "CPU stage mark: DDR address of the package whose CPU stage runs") \
  REG(CPU_STAGE_LAYER, 0x0b0, 4, 0, RW, "CPU stage mark: the stage's layer record (its Header.tag)") \
  REG(CPU_STAGE, 0x0b4, 4, 0, WO, "write BEGIN or END: the CPU stage named above begins or has ended")

constexpr uint32_t kBootArgs = 8;
constexpr uint32_t boot_arg_reg(uint32_t i) { return 0x040 + 8 * i; }

enum Reg : uint32_t { DLVP_SYSCTL_REGISTERS(DLVP_REG_OFFSET_ENUM) };
inline constexpr regs::RegDef kRegisters[] = {DLVP_SYSCTL_REGISTERS(DLVP_REG_DEF_ENTRY)};

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_SYSCTL_FIELDS(FIELD)                                                                 \
  DLVP_VERSION_FIELDS(FIELD)                                                                       \
  FIELD(CPU_STAGE, BEGIN, 0, 1, REG, "1: the CPU begins the stage (time and energy count from here)") \
  FIELD(CPU_STAGE, END, 1, 1, REG, "1: the stage has ended (written after BEGIN; both at once: ignored)")

DLVP_FIELD_TABLE(Field, kFields, DLVP_SYSCTL_FIELDS);
DLVP_CHECK_FIELDS(kRegisters, kFields, "sysctl");

}  // namespace dlvp::sysctl
