// Random int8 data for the builder's tests (weights, tables, shifts), uniform in [lo, hi].
#pragma once
#include <cstdint>
#include <random>
#include <vector>

namespace dlvp::builder {

inline std::vector<int8_t> random_bytes(std::mt19937& rng, uint64_t n, int lo = -128, int hi = 127) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(std::uniform_int_distribution<int>(lo, hi)(rng));
  return v;
}

}  // namespace dlvp::builder
