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
  REG(IRQ_STATUS, 0x008, 4, 0, W1C,                                                                      \
      "bit n: channel n has DONE or ERROR set with IRQ_ENABLE; writing 1 clears that channel's DONE and " \
      "ERROR")                                                                                           \
  REG(CHANNELS, 0x00C, 4, 0, RO, "number of channels this instance has")

// Offsets relative to channel_base(ch).
#define DLVP_DMA_CHANNEL_REGISTERS(REG)                                                                  \
  REG(SRC_ADDR, 0x00, 8, 0, RW, "address of the first source byte (space: CTRL.SRC_SPACE)")              \
  REG(DST_ADDR, 0x08, 8, 0, RW, "address of the first destination byte (space: CTRL.DST_SPACE)")         \
  REG(ROWS, 0x10, 4, 0, RW, "number of rows of the 2-D block")                                           \
  REG(ROW_BYTES, 0x14, 4, 0, RW, "bytes per row")                                                        \
  REG(SRC_STRIDE, 0x18, 4, 0, RW, "bytes from one source row start to the next")                         \
  REG(DST_STRIDE, 0x1C, 4, 0, RW, "bytes from one destination row start to the next (>= ROW_BYTES)")     \
  REG(CTRL, 0x20, 4, 0, RW,                                                                              \
      "bit0 START (self-clearing), bit1 IRQ_ENABLE, bit2 SRC_SPACE, bit3 DST_SPACE (0 system bus, 1 "     \
      "local buffers)")                                                                                  \
  REG(STATUS, 0x24, 4, 0, W1C, "bit0 BUSY (read-only), bit1 DONE, bit2 ERROR; write 1 clears DONE/ERROR") \
  REG(ERROR_CODE, 0x28, 4, 0, RO, "DmaErrorCode of the latest error")                                    \
  REG(BYTES_DONE, 0x30, 8, 0, RO, "bytes written to the destination by the latest register-started job")

namespace dlvp::dma {

enum GlobalReg : uint32_t { DLVP_DMA_GLOBAL_REGISTERS(DLVP_REG_OFFSET_ENUM) };
enum ChannelReg : uint32_t { DLVP_DMA_CHANNEL_REGISTERS(DLVP_REG_OFFSET_ENUM) };

constexpr uint32_t kMaxChannels = 4;
constexpr uint32_t kChannelBlockBase = 0x100;
constexpr uint32_t kChannelBlockBytes = 0x40;
constexpr uint32_t channel_base(uint32_t channel) { return kChannelBlockBase + channel * kChannelBlockBytes; }
// Window offset of a channel register, e.g. channel_reg(1, CTRL).
constexpr uint32_t channel_reg(uint32_t channel, ChannelReg reg) { return channel_base(channel) + reg; }

// CTRL bits.
constexpr uint32_t kCtrlStart = 1u << 0;
constexpr uint32_t kCtrlIrqEnable = 1u << 1;
constexpr uint32_t kCtrlSrcSpace = 1u << 2;
constexpr uint32_t kCtrlDstSpace = 1u << 3;

// STATUS bits.
constexpr uint32_t kStatusBusy = 1u << 0;
constexpr uint32_t kStatusDone = 1u << 1;
constexpr uint32_t kStatusError = 1u << 2;

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

// RegDef tables for the model (channel offsets relative to channel_base).
inline constexpr regs::RegDef kGlobalRegisterDefs[] = {DLVP_DMA_GLOBAL_REGISTERS(DLVP_REG_DEF_ENTRY)};
inline constexpr regs::RegDef kChannelRegisterDefs[] = {DLVP_DMA_CHANNEL_REGISTERS(DLVP_REG_DEF_ENTRY)};

}  // namespace dlvp::dma
