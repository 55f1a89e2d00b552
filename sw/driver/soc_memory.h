// Bulk operations on SoC memory for programs whose own memory is elsewhere (chunked through
// hal::copy_from_soc / copy_to_soc, so they work in native and RISC-V builds alike).
#pragma once
#include <stdint.h>

namespace drv {

// Bytes that differ between [a, a + bytes) and [b, b + bytes).
uint64_t soc_differences(uint64_t a, uint64_t b, uint64_t bytes);
// Copies [source, source + bytes) to destination (the ranges must not overlap).
void soc_copy(uint64_t destination, uint64_t source, uint64_t bytes);

}  // namespace drv
