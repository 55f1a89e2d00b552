// Sparse LSTM engine register map, shared by the model (ip/lstm) and the bare-metal software (sw/).
// Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
//
// A 4 KiB window: identification, the configuration the instance was built with (read-only, so
// software and the compiler's runtime can size chunks), performance counters (since reset or the
// last PERF_CTRL.CLEAR) and the last malformed weight stream the engine refused (kErrBadStream:
// the IFU reports the instruction index, these registers the PE and the stream index). 8-byte
// registers may be read as two 4-byte halves (little-endian).
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_LSTM_REGISTERS(REG)                                                                            \
  REG(ID, 0x000, 4, 0x4C53544Du, RO, "block identifier, ASCII 'LSTM'")                                      \
  REG(VERSION, 0x004, 4, 0x00010000u, RO, "register map version: major << 16 | minor")                      \
  REG(PES, 0x008, 4, 0, RO, "processing elements")                                                          \
  REG(CLOCK_KHZ, 0x00C, 4, 0, RO, "engine clock in kHz")                                                    \
  REG(WEIGHT_MEMORY_BYTES, 0x010, 4, 0, RO, "weight memory per PE in bytes (its slice of the weight buffer)") \
  REG(VECTOR_BUFFER_BYTES, 0x014, 4, 0, RO, "vector buffer size in bytes")                                  \
  REG(FIFO_DEPTH, 0x018, 4, 0, RO, "activation FIFO depth per PE, columns")                                 \
  REG(ACCUMULATOR_BITS, 0x01C, 4, 0, RO, "gate and projection accumulator width in bits")                   \
  REG(MACS_PER_PE, 0x020, 4, 0, RO, "12 x 16-bit multipliers per PE")                                       \
  REG(ELEMENTWISE_LANES, 0x024, 4, 0, RO, "cells the element-wise unit finishes per cycle")                 \
  REG(PERF_CTRL, 0x03C, 4, 0, RW, "performance counter control")                                             \
  REG(CYCLES, 0x040, 8, 0, RO, "engine cycles of the executed instructions")                                \
  REG(MACS, 0x048, 8, 0, RO, "multiply-accumulates (entries x channels, padding included)")                 \
  REG(NONZERO_MACS, 0x050, 8, 0, RO, "multiply-accumulates of non-zero weights")                            \
  REG(DENSE_MACS, 0x058, 8, 0, RO, "multiply-accumulates the dense products would have taken")              \
  REG(INSTRUCTIONS, 0x060, 4, 0, RO, "instructions executed")                                               \
  REG(ERRORS, 0x064, 4, 0, RO, "instructions refused (bad field, buffer overrun, malformed stream)")         \
  REG(STREAM_ERRORS, 0x068, 4, 0, RO, "instructions refused for a malformed weight stream")                 \
  REG(LAST_STREAM_ERROR, 0x06C, 4, 0, RO, "last malformed stream: what and where")                          \
  REG(LAST_STREAM_INDEX, 0x070, 4, 0, RO, "last malformed stream: the pointer or entry index at fault")

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_LSTM_FIELDS(FIELD)                                                                      \
  DLVP_VERSION_FIELDS(FIELD)                                                                         \
  FIELD(PERF_CTRL, CLEAR, 0, 1, REG, "1: zero the performance counters (self-clearing)")             \
  FIELD(LAST_STREAM_ERROR, CODE, 0, 8, REG, "lstm::StreamError code")                                \
  FIELD(LAST_STREAM_ERROR, PE, 16, 16, REG, "the PE whose stream it was")

namespace dlvp::lstm_regs {

enum Reg : uint32_t { DLVP_LSTM_REGISTERS(DLVP_REG_OFFSET_ENUM) };

constexpr uint32_t kWindowBytes = 0x1000;

inline constexpr regs::RegDef kRegisters[] = {DLVP_LSTM_REGISTERS(DLVP_REG_DEF_ENTRY)};

DLVP_FIELD_TABLE(Field, kFields, DLVP_LSTM_FIELDS);
DLVP_CHECK_FIELDS(kRegisters, kFields, "LSTM");

constexpr uint32_t kPerfCtrlClear = regs::field_mask(kFields[PERF_CTRL_CLEAR]);
constexpr uint32_t kStreamErrorPeShift = regs::field_shift(kFields[LAST_STREAM_ERROR_PE]);

}  // namespace dlvp::lstm_regs
