// The SoC memory map (docs/architecture.md): a table of named address regions built by the platform
// from the scenario. A region's index is the bus initiator port its target is bound to. The map is
// plain data and knows nothing of SystemC; the bus decodes every transaction through it.
#pragma once
#include "ip/common/range_check.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp {

class MemoryMap {
 public:
  struct Region {
    std::string name;
    uint64_t base = 0;
    uint64_t size = 0;  // bytes, at least 1

    // Last address inside the region (inclusive: a region may end at the top of the 64-bit space).
    uint64_t last() const { return base + (size - 1); }
    // True when [address, address + length) lies entirely inside; length 0 touches `address` only.
    bool covers(uint64_t address, uint64_t length) const {
      return range_within_last(address, length == 0 ? 1 : length, base, last());
    }
  };

  // `origin` prefixes error messages so that they name the scenario file the map was built from.
  explicit MemoryMap(std::string origin = "memory map");

  // Adds a region and returns its index (= the bus port its target is bound to). Throws ConfigError
  // naming the region on size 0, on an end past 2^64, on a duplicate name, and naming both regions
  // on an overlap.
  size_t add(std::string name, uint64_t base, uint64_t size);

  // The region that holds all of [address, address + length), or nullptr when that range is
  // unmapped or crosses a region boundary. Sets `index` on success. O(1) on a repeat of the last
  // region hit, O(log n) otherwise.
  const Region* decode(uint64_t address, uint64_t length, size_t& index) const;

  // For an unmapped `address`: the maximal unmapped range around it, [first, last]. Returns false
  // (and leaves the outputs alone) when `address` is mapped.
  bool unmapped_range(uint64_t address, uint64_t& first, uint64_t& last) const;

  const std::vector<Region>& regions() const { return regions_; }
  size_t size() const { return regions_.size(); }
  const std::string& origin() const { return origin_; }

 private:
  // Sorted by base for binary search; bases and indexes kept together for cache locality.
  struct Span {
    uint64_t base;
    size_t index;
  };
  // Position in spans_ of the first region whose base is above `address`.
  size_t upper_span(uint64_t address) const;
  std::string describe(const Region& region) const;

  std::string origin_;
  std::vector<Region> regions_;  // in index (port) order
  std::vector<Span> spans_;      // in address order
  mutable size_t last_hit_ = 0;  // index of the region of the last successful decode
};

}  // namespace dlvp
