// Overflow-safe range checks for every address, length, offset or size a guest (or an input file)
// controls: `address + length` is never computed, so a range that would wrap past 2^64 is simply
// not inside anything. Freestanding (no SystemC, no library), usable by tools and tests too.
#pragma once
#include <stdint.h>

namespace dlvp {

// True when the `length` bytes from `address` all lie in [base, base + size). An empty range
// (length 0) lies nowhere: callers that accept empty accesses decide about them first.
constexpr bool range_within(uint64_t address, uint64_t length, uint64_t base, uint64_t size) {
  return length != 0 && address >= base && address - base < size && length <= size - (address - base);
}

// The same against the inclusive range [first, last] (TLM DMI regions, memory map regions), which
// may end at 2^64 - 1 where base + size is not representable. With first = 0 and last = 2^64 - 1:
// "the range does not wrap around the address space".
constexpr bool range_within_last(uint64_t address, uint64_t length, uint64_t first, uint64_t last) {
  return length != 0 && first <= address && address <= last && length - 1 <= last - address;
}

// True when `length` bytes from `address` stay inside the 64-bit address space (no wrap).
constexpr bool range_fits_address_space(uint64_t address, uint64_t length) {
  return range_within_last(address, length, 0, ~uint64_t{0});
}

}  // namespace dlvp
