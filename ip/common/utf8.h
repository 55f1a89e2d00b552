// UTF-8 text from outside (ONNX node names, file names) made safe to cut, pad and print: cuts fall
// between characters, never inside one, and what comes out is always valid UTF-8 without control
// characters (a name cannot break a report's line or a terminal).
#pragma once
#include <cstddef>
#include <string>

namespace dlvp {

// `text` with every byte that does not start a well-formed UTF-8 sequence (RFC 3629: no overlong
// forms, surrogates or code points above U+10FFFF) replaced by U+FFFD and every control character
// (U+0000..U+001F, U+007F) by '?'.
std::string printable_utf8(const std::string& text);

// The longest prefix of printable_utf8(text) of at most `max_bytes` bytes that ends between two
// characters.
std::string utf8_prefix(const std::string& text, size_t max_bytes);

// printable_utf8(text) cut to at most `width` characters (code points) and padded with spaces to
// `width`: a fixed-width column of a text table.
std::string utf8_column(const std::string& text, size_t width);

}  // namespace dlvp
