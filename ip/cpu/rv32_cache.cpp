#include "rv32_cache.h"

#include <algorithm>

namespace dlvp::rv32 {
namespace {

unsigned log2_of(uint32_t power_of_two) {
  unsigned n = 0;
  while ((1u << n) < power_of_two) ++n;
  return n;
}

}  // namespace

Cache::Cache(const CacheGeometry& geometry) : geometry_(geometry) {
  line_shift_ = log2_of(geometry.line_bytes);
  const uint32_t sets = std::max<uint32_t>(1, geometry.size_bytes / (geometry.ways * geometry.line_bytes));
  set_mask_ = sets - 1;
  ways_.assign(size_t{sets} * geometry.ways, Way{});
}

Cache::Outcome Cache::access(uint32_t line, bool write) {
  Way* set = &ways_[size_t{line & set_mask_} * geometry_.ways];
  const uint32_t tag = line + 1;
  uint32_t i = 0;
  while (i < geometry_.ways && set[i].tag_plus_one != tag) ++i;
  Outcome outcome;
  if (i == geometry_.ways) {  // miss: the least recently used way (the last) is the victim
    ++stats_.misses;
    i = geometry_.ways - 1;
    outcome.hit = false;
    if (set[i].tag_plus_one && set[i].dirty) {
      outcome.write_back = true;
      outcome.victim_line = set[i].tag_plus_one - 1;
      ++stats_.write_backs;
    }
    set[i] = Way{tag, false};
  }
  Way entry = set[i];
  entry.dirty = entry.dirty || write;
  std::move_backward(set, set + i, set + i + 1);  // ways 0..i-1 age by one
  set[0] = entry;
  outcome.dirty = entry.dirty;
  return outcome;
}

void Cache::invalidate_all() { std::fill(ways_.begin(), ways_.end(), Way{}); }

}  // namespace dlvp::rv32
