// DMA engine register map, shared by the model (ip/dma), the bare-metal driver (sw/) and the tools.
// Freestanding: only <stdint.h>.
//
// The 4 KiB window holds a few global registers and one block of registers per channel at
// channel_base(ch) = 0x100 + ch * 0x40. Each list below is the single description of its
// registers; the offset enums and the RegDef tables are generated from it.
#pragma once
#include <stdint.h>

#include "../common/regdef.h"

// REG(name, offset, width_bytes, reset_value, access, description)
#define DLVP_DMA_GLOBAL_REGISTERS(REG)                                                                   \
  REG(ID, 0x000, 4, 0x444D4130u, RO, "block identifier, ASCII 'DMA0'")                                   \
  REG(VERSION, 0x004, 4, 0x00010000u, RO, "register map version: major << 16 | minor")                   \
  REG(IRQ_STATUS, 0x008, 4, 0, W1C, "channels interrupting; writing 1 clears that channel's DONE and ERROR") \
  REG(CHANNELS, 0x00C, 4, 0, RO, "number of channels this instance has")

// Offsets relative to channel_base(ch).
#define DLVP_DMA_CHANNEL_REGISTERS(REG)                                                                  \
  REG(SRC_ADDR, 0x00, 8, 0, RW, "address of the first source byte (space: CTRL.SRC_SPACE)")              \
  REG(DST_ADDR, 0x08, 8, 0, RW, "address of the first destination byte (space: CTRL.DST_SPACE)")         \
  REG(ROWS, 0x10, 4, 0, RW, "number of rows of the 2-D block")                                           \
  REG(ROW_BYTES, 0x14, 4, 0, RW, "bytes per row")                                                        \
  REG(SRC_STRIDE, 0x18, 4, 0, RW, "bytes from one source row start to the next")                         \
  REG(DST_STRIDE, 0x1C, 4, 0, RW, "bytes from one destination row start to the next (>= ROW_BYTES)")     \
  REG(CTRL, 0x20, 4, 0, RW, "job control: start, interrupt enable, address spaces")                     \
  REG(STATUS, 0x24, 4, 0, W1C, "job status; write 1 clears DONE/ERROR")                                  \
  REG(ERROR_CODE, 0x28, 4, 0, RO, "DmaErrorCode of the latest error")                                    \
  REG(BYTES_DONE, 0x30, 8, 0, RO, "bytes written to the destination by the latest register-started job")

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
#define DLVP_DMA_GLOBAL_FIELDS(FIELD) \
  DLVP_VERSION_FIELDS(FIELD)          \
  FIELD(IRQ_STATUS, CHANNELS, 0, ::dlvp::dma::kMaxChannels, REG,                                     \
        "bit n: channel n has DONE or ERROR set with IRQ_ENABLE (bits of absent channels read 0)")
#define DLVP_DMA_CHANNEL_FIELDS(FIELD)                                                               \
  FIELD(CTRL, START, 0, 1, REG, "1: start the transfer (self-clearing)")                             \
  FIELD(CTRL, IRQ_ENABLE, 1, 1, REG, "interrupt when STATUS.DONE or STATUS.ERROR is set")            \
  FIELD(CTRL, SRC_SPACE, 2, 1, REG, "space of SRC_ADDR: 0 system bus, 1 local buffers")              \
  FIELD(CTRL, DST_SPACE, 3, 1, REG, "space of DST_ADDR: 0 system bus, 1 local buffers")              \
  FIELD(STATUS, BUSY, 0, 1, RO, "a transfer is running")                                             \
  FIELD(STATUS, DONE, 1, 1, REG, "the latest transfer completed")                                    \
  FIELD(STATUS, ERROR, 2, 1, REG, "the latest transfer stopped on an error (ERROR_CODE)")

namespace dlvp::dma {

enum GlobalReg : uint32_t { DLVP_DMA_GLOBAL_REGISTERS(DLVP_REG_OFFSET_ENUM) };
enum ChannelReg : uint32_t { DLVP_DMA_CHANNEL_REGISTERS(DLVP_REG_OFFSET_ENUM) };

constexpr uint32_t kMaxChannels = 4;
constexpr uint32_t kChannelBlockBase = 0x100;
constexpr uint32_t kChannelBlockBytes = 0x40;
constexpr uint32_t channel_base(uint32_t channel) { return kChannelBlockBase + channel * kChannelBlockBytes; }
// Window offset of a channel register, e.g. channel_reg(1, CTRL).
constexpr uint32_t channel_reg(uint32_t channel, ChannelReg reg) { return channel_base(channel) + reg; }

// RegDef and FieldDef tables for the model and the SVD (channel offsets relative to channel_base).
inline constexpr regs::RegDef kGlobalRegisterDefs[] = {DLVP_DMA_GLOBAL_REGISTERS(DLVP_REG_DEF_ENTRY)};
inline constexpr regs::RegDef kChannelRegisterDefs[] = {DLVP_DMA_CHANNEL_REGISTERS(DLVP_REG_DEF_ENTRY)};

DLVP_FIELD_TABLE(GlobalField, kGlobalFieldDefs, DLVP_DMA_GLOBAL_FIELDS);
DLVP_FIELD_TABLE(ChannelField, kChannelFieldDefs, DLVP_DMA_CHANNEL_FIELDS);
DLVP_CHECK_FIELDS(kGlobalRegisterDefs, kGlobalFieldDefs, "DMA");
DLVP_CHECK_FIELDS(kChannelRegisterDefs, kChannelFieldDefs, "DMA channel");

// CTRL bits.
constexpr uint32_t kCtrlStart = regs::field_mask(kChannelFieldDefs[CTRL_START]);
constexpr uint32_t kCtrlIrqEnable = regs::field_mask(kChannelFieldDefs[CTRL_IRQ_ENABLE]);
constexpr uint32_t kCtrlSrcSpace = regs::field_mask(kChannelFieldDefs[CTRL_SRC_SPACE]);
constexpr uint32_t kCtrlDstSpace = regs::field_mask(kChannelFieldDefs[CTRL_DST_SPACE]);

// STATUS bits.
constexpr uint32_t kStatusBusy = regs::field_mask(kChannelFieldDefs[STATUS_BUSY]);
constexpr uint32_t kStatusDone = regs::field_mask(kChannelFieldDefs[STATUS_DONE]);
constexpr uint32_t kStatusError = regs::field_mask(kChannelFieldDefs[STATUS_ERROR]);

// Address spaces a transfer end can be in (CTRL.SRC_SPACE / CTRL.DST_SPACE).
enum DmaSpace : int {
  kSystemSpace = 0,  // the system bus: DDR and memory-mapped devices
  kLocalSpace = 1,   // the accelerators' on-chip buffers
};

enum class DmaErrorCode : uint32_t {
  none = 0,
  zero_size = 1,         // ROWS or ROW_BYTES is 0
  stride_overlap = 2,    // DST_STRIDE < ROW_BYTES with more than one row: destination rows overlap
  src_out_of_range = 3,  // a source row is not inside one valid range of its space
  dst_out_of_range = 4,  // a destination row is not inside one valid range of its space
  bus_error = 5,         // a target answered a burst with an error response; the job stopped
  busy = 6,              // START while the channel was busy; the running job continues
};

constexpr const char* to_string(DmaErrorCode code) {
  switch (code) {
    case DmaErrorCode::none: return "none";
    case DmaErrorCode::zero_size: return "zero size";
    case DmaErrorCode::stride_overlap: return "destination stride smaller than row (rows overlap)";
    case DmaErrorCode::src_out_of_range: return "source out of range";
    case DmaErrorCode::dst_out_of_range: return "destination out of range";
    case DmaErrorCode::bus_error: return "bus error during transfer";
    case DmaErrorCode::busy: return "start while busy";
  }
  return "unknown";
}

}  // namespace dlvp::dma
