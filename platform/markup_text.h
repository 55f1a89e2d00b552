// Text placed in the markup dlvp writes (report.html and the other pages, the SVD file): the
// characters HTML and XML reserve in text and in quoted attribute values, escaped.
#pragma once
#include <string>
#include <string_view>

namespace dlvp {

// `text` with & < > " as entities (valid in HTML and XML element text and attribute values).
std::string markup_escaped(std::string_view text);

}  // namespace dlvp
