// UTF-8 for text that comes from input files and guests (ONNX node names, layer names, file names)
// on its way into report.json (nlohmann::json refuses ill-formed UTF-8 when it writes), CSV files,
// messages and fixed-width console tables: cuts fall between characters, never inside one.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace dlvp::utf8 {

// `text` with every ill-formed sequence (Unicode Table 3-7: no overlong forms, surrogates or code
// points above U+10FFFF) replaced by U+FFFD, one per maximal ill-formed subpart as Unicode
// recommends.
std::string valid(std::string_view text);

// valid(text) with every control character (U+0000..U+001F, U+007F) replaced by '?': one line that
// cannot break a report's line or drive a terminal.
std::string printable(std::string_view text);

// The longest tail of `text` of at most `max_bytes` bytes that starts at a character boundary.
std::string_view tail(std::string_view text, size_t max_bytes);

// The longest prefix of printable(text) of at most `max_bytes` bytes.
std::string prefix(std::string_view text, size_t max_bytes);

// printable(text) cut to at most `width` characters (code points) and padded with spaces to
// `width`: a fixed-width column of a text table.
std::string column(std::string_view text, size_t width);

}  // namespace dlvp::utf8
