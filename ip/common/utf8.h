// UTF-8 for text that comes from input files and guests (layer names, model names) on its way into
// report.json (nlohmann::json refuses ill-formed UTF-8 when it writes), CSV files and the console.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace dlvp::utf8 {

// `text` with every ill-formed sequence (Unicode Table 3-7) replaced by U+FFFD, one per maximal
// ill-formed subpart as Unicode recommends.
std::string valid(std::string_view text);

// The longest tail of `text` of at most `max_bytes` bytes that starts at a character boundary
// (never inside a multi-byte character).
std::string_view tail(std::string_view text, size_t max_bytes);

}  // namespace dlvp::utf8
