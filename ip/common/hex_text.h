// Addresses and values in messages and generated files: "0x" and the hex digits, at least `digits`
// of them (zero-padded). One formatting for every message that names an address.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace dlvp {

enum class HexCase { kLower, kUpper };

inline std::string hex(uint64_t value, int digits = 0, HexCase letters = HexCase::kLower) {
  char text[24];
  std::snprintf(text, sizeof text, letters == HexCase::kUpper ? "0x%0*llX" : "0x%0*llx", digits,
                static_cast<unsigned long long>(value));
  return text;
}

}  // namespace dlvp
