// Lists that software makes grow (a record per executed instruction, per fault, per job): each
// keeps its first `capacity` entries and counts the rest, so that no program, however long it
// runs, grows the simulator's memory or its reports without bound.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace dlvp {

template <typename T>
class BoundedRecords {
 public:
  static constexpr size_t kNotKept = std::numeric_limits<size_t>::max();

  explicit BoundedRecords(uint64_t capacity) : capacity_(capacity) {}

  // Returns the record's position, or kNotKept (counted) when the list is full.
  size_t add(T record) {
    if (items_.size() >= capacity_) {
      ++not_kept_;
      return kNotKept;
    }
    items_.push_back(std::move(record));
    return items_.size() - 1;
  }
  T& at(size_t position) { return items_[position]; }
  const std::vector<T>& kept() const { return items_; }
  uint64_t not_kept() const { return not_kept_; }
  uint64_t capacity() const { return capacity_; }

 private:
  uint64_t capacity_;
  std::vector<T> items_;
  uint64_t not_kept_ = 0;
};

// The entry of `key` in a map that software adds keys to (statistics per layer tag): once the map
// holds `capacity` keys, keys not seen before share the entry of `overflow_key`.
template <typename Map>
typename Map::value_type& bounded_entry(Map& map, const typename Map::key_type& key, size_t capacity,
                                        const typename Map::key_type& overflow_key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.try_emplace(map.size() < capacity ? key : overflow_key).first;
  return *it;
}

}  // namespace dlvp
