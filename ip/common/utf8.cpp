#include "ip/common/utf8.h"

namespace dlvp {
namespace {

constexpr const char* kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed sequence starting at text[i] (RFC 3629, table 3-7 of Unicode), 0 if none.
size_t sequence_length(const std::string& text, size_t i) {
  const auto byte = [&](size_t k) { return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u; };
  const auto tail = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return byte(k) >= lo && byte(k) <= hi; };
  const unsigned b0 = byte(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return tail(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned lo = b0 == 0xE0 ? 0xA0 : 0x80, hi = b0 == 0xED ? 0x9F : 0xBF;  // no overlongs, no surrogates
    return tail(1, lo, hi) && tail(2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned lo = b0 == 0xF0 ? 0x90 : 0x80, hi = b0 == 0xF4 ? 0x8F : 0xBF;  // no overlongs, <= U+10FFFF
    return tail(1, lo, hi) && tail(2) && tail(3) ? 4 : 0;
  }
  return 0;
}

// Calls emit(character bytes) for each character of printable_utf8(text) until it returns false.
template <typename Emit>
void for_each_character(const std::string& text, Emit emit) {
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_length(text, i);
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const std::string character = n == 0 ? kReplacement : (n == 1 && (c < 0x20 || c == 0x7F)) ? "?" : text.substr(i, n);
    if (!emit(character)) return;
    i += n == 0 ? 1 : n;
  }
}

}  // namespace

std::string printable_utf8(const std::string& text) {
  std::string out;
  for_each_character(text, [&](const std::string& c) {
    out += c;
    return true;
  });
  return out;
}

std::string utf8_prefix(const std::string& text, size_t max_bytes) {
  std::string out;
  for_each_character(text, [&](const std::string& c) {
    if (out.size() + c.size() > max_bytes) return false;
    out += c;
    return true;
  });
  return out;
}

std::string utf8_column(const std::string& text, size_t width) {
  std::string out;
  size_t characters = 0;
  for_each_character(text, [&](const std::string& c) {
    if (characters == width) return false;
    out += c;
    return ++characters < width;
  });
  return out + std::string(width - characters, ' ');
}

}  // namespace dlvp
