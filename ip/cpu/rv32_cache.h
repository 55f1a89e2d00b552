// A set-associative L1 cache model of tags only (the data stay in memory, so the model can never
// be stale): LRU replacement, write-back and write-allocate. The hart asks it on every access
// that leaves the most recently used line; a miss tells the hart which line to fill and which
// dirty line (if any) to write back, so the memory's DMI accountant is called once per line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlvp::rv32 {

struct CacheGeometry {
  uint32_t size_bytes = 32 * 1024;
  uint32_t ways = 4;
  uint32_t line_bytes = 32;
};

class Cache {
 public:
  struct Outcome {
    bool hit = true;
    bool dirty = false;       // the line is dirty after the access
    bool write_back = false;  // a dirty line was evicted
    uint32_t victim_line = 0; // its line number (address >> line shift)
  };
  struct Stats {
    uint64_t misses = 0, write_backs = 0;
  };

  // Sizes must be powers of two with size >= ways * line (checked by the configuration).
  explicit Cache(const CacheGeometry& geometry);

  // The common case inline: `line` is the most recently used way of its set (and already dirty
  // for a write), so the access changes nothing. Otherwise the caller calls access().
  bool hits_most_recent(uint32_t line, bool write) const {
    const Way& way = ways_[std::size_t{line & set_mask_} * geometry_.ways];
    return way.tag_plus_one == line + 1 && (way.dirty || !write);
  }
  // Looks up line number `line` (address >> line_shift()), allocating it on a miss and marking it
  // dirty on a write.
  Outcome access(uint32_t line, bool write);
  void invalidate_all();

  unsigned line_shift() const { return line_shift_; }
  uint32_t line_bytes() const { return 1u << line_shift_; }
  const Stats& stats() const { return stats_; }
  const CacheGeometry& geometry() const { return geometry_; }

 private:
  struct Way {
    uint32_t tag_plus_one = 0;  // line number + 1; 0 = invalid
    bool dirty = false;
  };

  CacheGeometry geometry_;
  unsigned line_shift_ = 0;
  uint32_t set_mask_ = 0;
  std::vector<Way> ways_;  // [set * ways + i], most recently used first
  Stats stats_;
};

}  // namespace dlvp::rv32
