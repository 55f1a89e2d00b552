// UART register map, shared by the model (ip/periph/uart.*) and the software (sw/hal).
// Freestanding: only <stdint.h> and the X-macro helpers of regdef.h.
#pragma once
#include "ip/common/regdef.h"

#include <stdint.h>

namespace dlvp::uart {

// FIELD(register, name, bit offset, bit width, access (REG: the register's), description)
// STATUS.RX_ENDED: the input source has ended (uart.input: none, or a file or stdin at its end)
// and every character it gave has been read (a virtual console's end-of-input; not on hardware).
#define DLVP_UART_FIELDS(FIELD)                                                                    \
  FIELD(TXDATA, DATA, 0, 8, REG, "character queued for transmission (dropped when the FIFO is full)") \
  FIELD(RXDATA, DATA, 0, 8, REG, "the oldest received character (valid when EMPTY is 0)")          \
  FIELD(RXDATA, EMPTY, 31, 1, REG, "nothing received: DATA is not a character")                    \
  FIELD(STATUS, TX_READY, 0, 1, REG, "the TX FIFO accepts a character now")                        \
  FIELD(STATUS, TX_EMPTY, 1, 1, REG, "every written character has been shifted out")               \
  FIELD(STATUS, RX_VALID, 2, 1, REG, "a received character is waiting in RXDATA")                  \
  FIELD(STATUS, RX_ENDED, 3, 1, REG, "the input has ended and every character of it was read")

DLVP_FIELD_TABLE(Field, kFields, DLVP_UART_FIELDS);

// STATUS bits.
constexpr uint32_t kStatusTxReady = regs::field_mask(kFields[STATUS_TX_READY]);
constexpr uint32_t kStatusTxEmpty = regs::field_mask(kFields[STATUS_TX_EMPTY]);
constexpr uint32_t kStatusRxValid = regs::field_mask(kFields[STATUS_RX_VALID]);
constexpr uint32_t kStatusRxEnded = regs::field_mask(kFields[STATUS_RX_ENDED]);

// RXDATA: EMPTY set = nothing received; DATA holds the character otherwise.
constexpr uint32_t kRxEmpty = regs::field_mask(kFields[RXDATA_EMPTY]);
constexpr uint32_t kRxDataMask = regs::field_mask(kFields[RXDATA_DATA]);

// REG(name, offset, width in bytes, reset value, access, description)
#define DLVP_UART_REGISTERS(REG)                                                                   \
  REG(TXDATA, 0x000, 4, 0, WO, "write: a character to transmit")                                 \
  REG(RXDATA, 0x004, 4, ::dlvp::uart::kRxEmpty, RO, "read: takes the oldest received character")  \
  REG(STATUS, 0x008, 4, 0, RO, "transmitter and receiver state")                                  \
  REG(TX_DROPPED, 0x00c, 4, 0, RO, "characters dropped because the TX FIFO was full")

enum Reg : uint32_t { DLVP_UART_REGISTERS(DLVP_REG_OFFSET_ENUM) };
inline constexpr regs::RegDef kRegisters[] = {DLVP_UART_REGISTERS(DLVP_REG_DEF_ENTRY)};
DLVP_CHECK_FIELDS(kRegisters, kFields, "UART");

}  // namespace dlvp::uart
