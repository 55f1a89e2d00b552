// Instruction fetch unit register map, shared by the model (ip/ifu), the bare-metal driver (sw/)
// and the tools. Freestanding: only <stdint.h>, the X-macro helpers of regdef.h and the ISA header.
//
// Software writes the job (INSTR_BASE, INSTR_COUNT, the argument windows ARG_BASEn/ARG_SIZEn),
// then CTRL.START, and waits for the DONE or ERROR interrupt. See docs/ifu.md.
#pragma once
#include <stdint.h>

#include "../common/regdef.h"
#include "isa.h"

// REG(name, offset, width_bytes, reset_value, access, description)
#define DLVP_IFU_REGISTERS(REG)                                                                           \
  REG(ID, 0x000, 4, 0x49465530u, RO, "block identifier, ASCII 'IFU0'")                                    \
  REG(VERSION, 0x004, 4, ::dlvp::isa::kVersion, RO, "version of the instruction set this unit executes")  \
  REG(CTRL, 0x008, 4, 0, RW, "job control: start and interrupt enables")                                 \
  REG(STATUS, 0x00C, 4, 0, W1C, "job status; writing 1 clears DONE/ERROR")                                 \
  REG(ERROR_CODE, 0x010, 4, 0, RO, "isa::ErrorCode of the latest failed job (0 after a START)")           \
  REG(ERROR_INDEX, 0x014, 4, 0, RO, "program index of the instruction that stopped the latest job")       \
  REG(INSTR_BASE, 0x018, 8, 0, RW, "system-bus address of instruction 0 of the job")                      \
  REG(INSTR_COUNT, 0x020, 4, 0, RW, "number of instructions the job may fetch (an END must be among them)") \
  REG(QUEUE_DEPTH, 0x024, 4, 0, RO, "instructions each of the load/compute/store queues holds")           \
  REG(CYCLES, 0x028, 8, 0, RO, "IFU cycles from START to the end of the job (while BUSY: so far)")        \
  REG(INSTRUCTIONS_RETIRED, 0x030, 4, 0, RO, "instructions of the latest job that completed (END included)") \
  REG(ARG_BASE0, 0x100, 8, 0, RW, "job argument 0: base of its DDR window")                              \
  REG(ARG_SIZE0, 0x108, 8, 0, RW, "job argument 0: size of its DDR window in bytes")                     \
  REG(ARG_BASE1, 0x110, 8, 0, RW, "job argument 1: base of its DDR window")                              \
  REG(ARG_SIZE1, 0x118, 8, 0, RW, "job argument 1: size of its DDR window in bytes")                     \
  REG(ARG_BASE2, 0x120, 8, 0, RW, "job argument 2: base of its DDR window")                              \
  REG(ARG_SIZE2, 0x128, 8, 0, RW, "job argument 2: size of its DDR window in bytes")                     \
  REG(ARG_BASE3, 0x130, 8, 0, RW, "job argument 3: base of its DDR window")                              \
  REG(ARG_SIZE3, 0x138, 8, 0, RW, "job argument 3: size of its DDR window in bytes")                     \
  REG(ARG_BASE4, 0x140, 8, 0, RW, "job argument 4: base of its DDR window")                              \
  REG(ARG_SIZE4, 0x148, 8, 0, RW, "job argument 4: size of its DDR window in bytes")                     \
  REG(ARG_BASE5, 0x150, 8, 0, RW, "job argument 5: base of its DDR window")                              \
  REG(ARG_SIZE5, 0x158, 8, 0, RW, "job argument 5: size of its DDR window in bytes")                     \
  REG(ARG_BASE6, 0x160, 8, 0, RW, "job argument 6: base of its DDR window")                              \
  REG(ARG_SIZE6, 0x168, 8, 0, RW, "job argument 6: size of its DDR window in bytes")                     \
  REG(ARG_BASE7, 0x170, 8, 0, RW, "job argument 7: base of its DDR window")                              \
  REG(ARG_SIZE7, 0x178, 8, 0, RW, "job argument 7: size of its DDR window in bytes")

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_IFU_FIELDS(FIELD)                                                                       \
  FIELD(CTRL, START, 0, 1, REG, "1: start the job (self-clearing)")                                  \
  FIELD(CTRL, DONE_IRQ_ENABLE, 1, 1, REG, "interrupt when STATUS.DONE is set")                       \
  FIELD(CTRL, ERROR_IRQ_ENABLE, 2, 1, REG, "interrupt when STATUS.ERROR is set")                     \
  FIELD(STATUS, BUSY, 0, 1, RO, "a job is running")                                                  \
  FIELD(STATUS, DONE, 1, 1, REG, "the latest job completed (its END retired)")                       \
  FIELD(STATUS, ERROR, 2, 1, REG, "the latest job stopped on an error (ERROR_CODE, ERROR_INDEX)")

namespace dlvp::ifu {

enum Reg : uint32_t { DLVP_IFU_REGISTERS(DLVP_REG_OFFSET_ENUM) };

// Argument n's registers (n < isa::kArgCount), e.g. arg_base_reg(2) == ARG_BASE2.
constexpr uint32_t kArgBlockBytes = 0x10;
constexpr uint32_t arg_base_reg(uint32_t n) { return ARG_BASE0 + n * kArgBlockBytes; }
constexpr uint32_t arg_size_reg(uint32_t n) { return ARG_SIZE0 + n * kArgBlockBytes; }
static_assert(arg_base_reg(::dlvp::isa::kArgCount - 1) == ARG_BASE7, "one ARG_BASE register per job argument");
static_assert(arg_size_reg(::dlvp::isa::kArgCount - 1) == ARG_SIZE7, "one ARG_SIZE register per job argument");

inline constexpr regs::RegDef kRegisterDefs[] = {DLVP_IFU_REGISTERS(DLVP_REG_DEF_ENTRY)};

DLVP_FIELD_TABLE(Field, kFieldDefs, DLVP_IFU_FIELDS);
DLVP_CHECK_FIELDS(kRegisterDefs, kFieldDefs, "IFU");

// CTRL bits.
constexpr uint32_t kCtrlStart = regs::field_mask(kFieldDefs[CTRL_START]);
constexpr uint32_t kCtrlDoneIrqEnable = regs::field_mask(kFieldDefs[CTRL_DONE_IRQ_ENABLE]);
constexpr uint32_t kCtrlErrorIrqEnable = regs::field_mask(kFieldDefs[CTRL_ERROR_IRQ_ENABLE]);

// STATUS bits.
constexpr uint32_t kStatusBusy = regs::field_mask(kFieldDefs[STATUS_BUSY]);
constexpr uint32_t kStatusDone = regs::field_mask(kFieldDefs[STATUS_DONE]);
constexpr uint32_t kStatusError = regs::field_mask(kFieldDefs[STATUS_ERROR]);

}  // namespace dlvp::ifu
