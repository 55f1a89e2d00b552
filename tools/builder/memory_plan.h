// Placement of intermediate activations in the scratch window (docs/builder.md, "Memory plan").
#pragma once
#include <cstdint>
#include <vector>

namespace dlvp::builder {

// A tensor that lives from the layer that writes it to the last layer that reads it (inclusive).
struct Lifetime {
  uint64_t bytes = 0;
  uint32_t first = 0, last = 0;
};

// Offsets (aligned to `align`) such that tensors whose lifetimes overlap never share bytes; tensors
// whose lifetimes are disjoint may. Largest tensors are placed first, each at the lowest free gap.
// Returns the offsets; `total` receives the bytes the window must span.
std::vector<uint64_t> place_tensors(const std::vector<Lifetime>& tensors, uint64_t align, uint64_t& total);

}  // namespace dlvp::builder
