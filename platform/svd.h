// The SoC's registers as a CMSIS-SVD description (the XML that debuggers and IDEs read to show
// peripherals by name: docs/periph.md, "SVD"). Everything comes from the register and field
// X-macro lists (ip/*/*_regs.h) and the memory map's table of blocks (MemoryMapConfig::slots()):
// nothing about a register is written down again.
#pragma once
#include <cstdint>
#include <ostream>

namespace dlvp {

struct SvdOptions {
  uint32_t dma_channels;  // the DMA's channel registers are an array of this many
};
// The options of the default scenario (DmaConfig's defaults).
SvdOptions default_svd_options();

// Writes the description: one peripheral per block at its default base (the system controller's
// fixed one included), its interrupt line if any, every register with offset, size, access,
// reset value, description and bit fields (the *_FIELDS lists).
void write_svd(std::ostream& os, const SvdOptions& options);

}  // namespace dlvp
