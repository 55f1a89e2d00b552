#include "ip/common/utf8.h"

#include <cstdint>

namespace dlvp::utf8 {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool continuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Bytes of the well-formed character at text[at], or 0; `*subpart` is then the length of the
// maximal ill-formed subpart there (at least 1).
size_t character_at(std::string_view text, size_t at, size_t* subpart) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[at + i]); };
  const uint8_t lead = byte(0);
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // the range of the second byte (Table 3-7)
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing beyond U+10FFFF
  }
  size_t good = 1;
  if (length != 0) {
    while (good < length && at + good < text.size()) {
      const uint8_t b = byte(good);
      if (good == 1 ? (b < low || b > high) : !continuation(b)) break;
      ++good;
    }
    if (good == length) return length;
  }
  *subpart = good;
  return 0;
}

// Calls emit(character) for each character of valid(text) (U+FFFD for each ill-formed subpart;
// controls as '?' when `printable`) until it returns false.
template <typename Emit>
void for_each_character(std::string_view text, bool printable, Emit emit) {
  for (size_t at = 0; at < text.size();) {
    size_t subpart = 1;
    const size_t n = character_at(text, at, &subpart);
    std::string_view character = n ? text.substr(at, n) : kReplacement;
    if (printable && n == 1 && (static_cast<uint8_t>(text[at]) < 0x20 || text[at] == 0x7F)) character = "?";
    if (!emit(character)) return;
    at += n ? n : subpart;
  }
}

std::string collect(std::string_view text, bool printable) {
  std::string out;
  out.reserve(text.size());
  for_each_character(text, printable, [&](std::string_view c) {
    out.append(c);
    return true;
  });
  return out;
}

}  // namespace

std::string valid(std::string_view text) { return collect(text, false); }
std::string printable(std::string_view text) { return collect(text, true); }

std::string_view tail(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t start = text.size() - max_bytes;
  while (start < text.size() && continuation(static_cast<uint8_t>(text[start]))) ++start;
  return text.substr(start);
}

std::string prefix(std::string_view text, size_t max_bytes) {
  std::string out;
  for_each_character(text, true, [&](std::string_view c) {
    if (out.size() + c.size() > max_bytes) return false;
    out.append(c);
    return true;
  });
  return out;
}

std::string column(std::string_view text, size_t width) {
  std::string out;
  size_t characters = 0;
  if (width != 0)
    for_each_character(text, true, [&](std::string_view c) {
      out.append(c);
      return ++characters < width;
    });
  return out + std::string(width - characters, ' ');
}

}  // namespace dlvp::utf8
