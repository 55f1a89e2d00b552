// UART register map, shared by the model (ip/periph/uart.*) and the software (sw/hal).
// Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

namespace dlvp::uart {

// STATUS bits.
constexpr uint32_t kStatusTxReady = 1u << 0;  // the TX FIFO accepts a character now
constexpr uint32_t kStatusTxEmpty = 1u << 1;  // every written character has been shifted out
constexpr uint32_t kStatusRxValid = 1u << 2;  // a received character is waiting in RXDATA
// The input source has ended (uart.input: none, or a file or stdin at its end) and every character
// it gave has been read: RXDATA stays empty (a virtual console's end-of-input; not on hardware).
constexpr uint32_t kStatusRxEnded = 1u << 3;

// RXDATA: bit 31 set = nothing received; bits 7:0 hold the character otherwise.
constexpr uint32_t kRxEmpty = 1u << 31;
constexpr uint32_t kRxDataMask = 0xffu;

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_UART_REGISTERS(REG)                                                                   \
  REG(TXDATA, 0x000, 4, 0, WO, "write: bits 7:0 are queued for transmission (dropped when the FIFO is full)") \
  REG(RXDATA, 0x004, 4, ::dlvp::uart::kRxEmpty, RO, "read: takes the oldest received character (bits 7:0); bit 31 = nothing received") \
  REG(STATUS, 0x008, 4, 0, RO, "bit 0 TX ready, bit 1 TX empty, bit 2 RX valid, bit 3 RX input ended") \
  REG(TX_DROPPED, 0x00c, 4, 0, RO, "characters dropped because the TX FIFO was full")

enum Reg : uint32_t { DLVP_UART_REGISTERS(DLVP_REG_OFFSET_ENUM) };
inline constexpr regs::RegDef kRegisters[] = {DLVP_UART_REGISTERS(DLVP_REG_DEF_ENTRY)};

}  // namespace dlvp::uart
