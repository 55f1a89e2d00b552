// PMU register map (freestanding; shared with sw/). Software writes SNAPSHOT, then reads a
// consistent set of figures latched at the simulated time of that write: the time, and per
// memory-hierarchy level the number of counted events, their energy and its static part.
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

namespace dlvp::pmu {

constexpr uint32_t kMagic = 0x504D5530;  // "PMU0"
// 1.1: STATIC_ENERGY_*; 1.2: ACCEL_* (completed jobs' time split); 1.3: POWER_*, AVG_POWER_*, PEAK_POWER_*
constexpr uint32_t kVersion = 0x00010003;

// Levels in the order of the LEVEL_* registers (the energy ledger's Level order).
enum LevelIndex : uint32_t { kDram = 0, kBuffer = 1, kArray = 2, kRf = 3, kMac = 4, kOther = 5, kLevels = 6 };

#define DLVP_PMU_REGISTERS(REG)                                                                      \
  REG(ID, 0x000, 4, ::dlvp::pmu::kMagic, RO, "magic 0x504D5530 (\"PMU0\")")                         \
  REG(VERSION, 0x004, 4, ::dlvp::pmu::kVersion, RO, "register map version: major << 16 | minor")     \
  REG(SNAPSHOT, 0x008, 4, 0, WO, "write: latch every figure below at this simulated time")          \
  REG(ENERGY_UNIT, 0x00c, 4, 0, RO, "0: LEVEL_ENERGY in fJ (pJ table x 1000); 1: in milli-MAC (normalized table)") \
  REG(TIME_NS, 0x010, 8, 0, RO, "simulated time of the snapshot, ns")                               \
  REG(EVENTS_DRAM, 0x020, 8, 0, RO, "DRAM events counted (commands, bursts)")                       \
  REG(EVENTS_BUFFER, 0x028, 8, 0, RO, "on-chip buffer accesses counted (64-bit words)")             \
  REG(EVENTS_ARRAY, 0x030, 8, 0, RO, "array transfers counted")                                     \
  REG(EVENTS_RF, 0x038, 8, 0, RO, "register-file / accumulator accesses counted")                   \
  REG(EVENTS_MAC, 0x040, 8, 0, RO, "multiplies and adds counted")                                   \
  REG(EVENTS_OTHER, 0x048, 8, 0, RO, "bus beats and other events counted")                          \
  REG(ENERGY_DRAM, 0x060, 8, 0, RO, "DRAM energy, static included, up to the snapshot, see ENERGY_UNIT") \
  REG(ENERGY_BUFFER, 0x068, 8, 0, RO, "on-chip buffer energy")                                      \
  REG(ENERGY_ARRAY, 0x070, 8, 0, RO, "array energy")                                                \
  REG(ENERGY_RF, 0x078, 8, 0, RO, "register-file energy")                                           \
  REG(ENERGY_MAC, 0x080, 8, 0, RO, "arithmetic energy")                                             \
  REG(ENERGY_OTHER, 0x088, 8, 0, RO, "bus, leakage and other energy")                               \
  REG(STATIC_ENERGY_DRAM, 0x0a0, 8, 0, RO, "static part of ENERGY_DRAM: standby, power-down, self-refresh, refresh") \
  REG(STATIC_ENERGY_BUFFER, 0x0a8, 8, 0, RO, "static part of ENERGY_BUFFER (leakage)")                \
  REG(STATIC_ENERGY_ARRAY, 0x0b0, 8, 0, RO, "static part of ENERGY_ARRAY")                            \
  REG(STATIC_ENERGY_RF, 0x0b8, 8, 0, RO, "static part of ENERGY_RF")                                  \
  REG(STATIC_ENERGY_MAC, 0x0c0, 8, 0, RO, "static part of ENERGY_MAC")                                \
  REG(STATIC_ENERGY_OTHER, 0x0c8, 8, 0, RO, "static part of ENERGY_OTHER (leakage)")                 \
  REG(ACCEL_JOBS, 0x0d0, 8, 0, RO, "accelerator jobs completed (DONE) up to the snapshot")           \
  REG(ACCEL_JOB_TIME_NS, 0x0d8, 8, 0, RO, "their time, START to DONE, ns: = the sum of the four below") \
  REG(ACCEL_ENGINE_BUSY_NS, 0x0e0, 8, 0, RO, "of it: a compute engine executes (the layers' engine busy)") \
  REG(ACCEL_MEMORY_STALL_NS, 0x0e8, 8, 0, RO, "of it: the engine waits for loads (memory stall)")   \
  REG(ACCEL_STORE_TAIL_NS, 0x0f0, 8, 0, RO, "of it: the engine waits for stores to drain (store tail)") \
  REG(ACCEL_OTHER_NS, 0x0f8, 8, 0, RO, "of it: nothing in flight (fetch, dispatch, handshakes)") \
  REG(POWER_INTERVAL_NS, 0x100, 8, 0, RO, "report.power_interval_ns: the span PEAK_POWER_* average over") \
  REG(POWER_SAMPLES, 0x108, 8, 0, RO, "power samples taken up to the snapshot")                    \
  REG(AVG_POWER_DRAM, 0x110, 8, 0, RO, "DRAM energy / TIME_NS at the snapshot: ENERGY_UNIT per ns (fJ/ns = uW)") \
  REG(AVG_POWER_BUFFER, 0x118, 8, 0, RO, "on-chip buffer average power")                          \
  REG(AVG_POWER_ARRAY, 0x120, 8, 0, RO, "array average power")                                    \
  REG(AVG_POWER_RF, 0x128, 8, 0, RO, "register-file average power")                               \
  REG(AVG_POWER_MAC, 0x130, 8, 0, RO, "arithmetic average power")                                 \
  REG(AVG_POWER_OTHER, 0x138, 8, 0, RO, "bus, leakage and other average power")                   \
  REG(AVG_POWER_TOTAL, 0x140, 8, 0, RO, "average power of all levels")                            \
  REG(PEAK_POWER_DRAM, 0x150, 8, 0, RO, "highest DRAM power over one sampled interval up to the snapshot (unit of AVG_POWER_*)") \
  REG(PEAK_POWER_BUFFER, 0x158, 8, 0, RO, "on-chip buffer peak power")                            \
  REG(PEAK_POWER_ARRAY, 0x160, 8, 0, RO, "array peak power")                                      \
  REG(PEAK_POWER_RF, 0x168, 8, 0, RO, "register-file peak power")                                 \
  REG(PEAK_POWER_MAC, 0x170, 8, 0, RO, "arithmetic peak power")                                   \
  REG(PEAK_POWER_OTHER, 0x178, 8, 0, RO, "bus, leakage and other peak power")                     \
  REG(PEAK_POWER_TOTAL, 0x180, 8, 0, RO, "highest total power over one interval (not the sum of the level peaks)")

enum Reg : uint32_t { DLVP_PMU_REGISTERS(DLVP_REG_OFFSET_ENUM) };
inline constexpr regs::RegDef kRegisters[] = {DLVP_PMU_REGISTERS(DLVP_REG_DEF_ENTRY)};

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_PMU_FIELDS(FIELD) DLVP_VERSION_FIELDS(FIELD)

DLVP_FIELD_TABLE(Field, kFields, DLVP_PMU_FIELDS);
DLVP_CHECK_FIELDS(kRegisters, kFields, "PMU");

constexpr uint32_t events_reg(uint32_t level) { return EVENTS_DRAM + 8 * level; }
constexpr uint32_t energy_reg(uint32_t level) { return ENERGY_DRAM + 8 * level; }
constexpr uint32_t static_energy_reg(uint32_t level) { return STATIC_ENERGY_DRAM + 8 * level; }
constexpr uint32_t avg_power_reg(uint32_t level) { return AVG_POWER_DRAM + 8 * level; }  // level kLevels: total
constexpr uint32_t peak_power_reg(uint32_t level) { return PEAK_POWER_DRAM + 8 * level; }
static_assert(avg_power_reg(kLevels) == AVG_POWER_TOTAL && peak_power_reg(kLevels) == PEAK_POWER_TOTAL,
              "the TOTAL registers follow the level registers");

}  // namespace dlvp::pmu
