#include "tools/builder/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace dlvp::builder {

std::vector<uint64_t> place_tensors(const std::vector<Lifetime>& tensors, uint64_t align, uint64_t& total) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors[a].bytes > tensors[b].bytes; });

  std::vector<uint64_t> offset(tensors.size(), 0);
  std::vector<size_t> placed;
  total = 0;
  for (const size_t t : order) {
    const uint64_t size = (tensors[t].bytes + align - 1) / align * align;
    // Busy ranges of the placed tensors alive at the same time, by offset.
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (const size_t p : placed)
      if (tensors[p].first <= tensors[t].last && tensors[t].first <= tensors[p].last)
        busy.emplace_back(offset[p], offset[p] + tensors[p].bytes);
    std::sort(busy.begin(), busy.end());
    uint64_t at = 0;
    for (const auto& [begin, end] : busy) {
      if (at + size <= begin) break;
      at = std::max(at, (end + align - 1) / align * align);
    }
    offset[t] = at;
    total = std::max(total, at + tensors[t].bytes);
    placed.push_back(t);
  }
  total = (total + align - 1) / align * align;
  return offset;
}

}  // namespace dlvp::builder
