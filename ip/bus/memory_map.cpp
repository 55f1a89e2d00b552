#include "memory_map.h"

#include "ip/common/config_error.h"

#include <algorithm>
#include <limits>
#include <sstream>

namespace dlvp {

MemoryMap::MemoryMap(std::string origin) : origin_(std::move(origin)) {}

std::string MemoryMap::describe(const Region& region) const {
  std::ostringstream os;
  os << "region '" << region.name << "' [0x" << std::hex << region.base << ", 0x" << region.last() << "]";
  return os.str();
}

size_t MemoryMap::add(std::string name, uint64_t base, uint64_t size) {
  std::ostringstream where;
  where << origin_ << ": region '" << name << "' at 0x" << std::hex << base;
  if (size == 0) throw ConfigError(where.str() + " has size 0");
  if (!range_fits_address_space(base, size)) {
    where << " with size 0x" << size << " extends past the end of the 64-bit address space";
    throw ConfigError(where.str());
  }
  for (const Region& other : regions_)
    if (other.name == name) throw ConfigError(where.str() + ": the name is already used by " + describe(other));

  Region region{std::move(name), base, size};
  const size_t pos = upper_span(base);
  // Only the neighbours in address order can overlap a region that does not overlap them.
  if (pos > 0 && regions_[spans_[pos - 1].index].last() >= base)
    throw ConfigError(origin_ + ": " + describe(region) + " overlaps " + describe(regions_[spans_[pos - 1].index]));
  if (pos < spans_.size() && spans_[pos].base <= region.last())
    throw ConfigError(origin_ + ": " + describe(region) + " overlaps " + describe(regions_[spans_[pos].index]));

  const size_t index = regions_.size();
  regions_.push_back(std::move(region));
  spans_.insert(spans_.begin() + static_cast<std::ptrdiff_t>(pos), Span{base, index});
  return index;
}

size_t MemoryMap::upper_span(uint64_t address) const {
  const auto it = std::upper_bound(spans_.begin(), spans_.end(), address,
                                   [](uint64_t a, const Span& s) { return a < s.base; });
  return static_cast<size_t>(it - spans_.begin());
}

const MemoryMap::Region* MemoryMap::decode(uint64_t address, uint64_t length, size_t& index) const {
  // Traffic comes in runs to one target: try the last hit before searching.
  if (last_hit_ < regions_.size() && regions_[last_hit_].covers(address, length)) {
    index = last_hit_;
    return &regions_[last_hit_];
  }
  const size_t pos = upper_span(address);
  if (pos == 0) return nullptr;
  const size_t candidate = spans_[pos - 1].index;
  if (!regions_[candidate].covers(address, length)) return nullptr;
  last_hit_ = index = candidate;
  return &regions_[candidate];
}

bool MemoryMap::unmapped_range(uint64_t address, uint64_t& first, uint64_t& last) const {
  const size_t pos = upper_span(address);
  uint64_t lo = 0;
  if (pos > 0) {
    const Region& below = regions_[spans_[pos - 1].index];
    if (below.covers(address, 1)) return false;
    lo = below.last() + 1;  // cannot wrap: `address` lies above it
  }
  first = lo;
  last = pos < spans_.size() ? spans_[pos].base - 1 : std::numeric_limits<uint64_t>::max();
  return true;
}

}  // namespace dlvp
