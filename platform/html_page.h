// The HTML pages dlvp writes (docs/report.md, "HTML pages"): one self-contained file each, with the
// charting library, the shared stylesheet and script, the page kind's script and the page's data
// (JSON) inlined, so it opens offline from the file system. A page kind is a script in
// tools/report_web (`report`, `sweep`) that builds its charts from the data; a new kind is one more
// script there and one more call of write_html_page.
#pragma once
#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace dlvp {

// Writes the page of kind `kind` (the script tools/report_web/<kind>.js) showing `data`. Throws
// std::logic_error when the build embedded no script of that kind (a programming error).
void write_html_page(std::ostream& os, const std::string& title, const std::string& kind, const nlohmann::json& data);

// report.html of a run: the page `report` with the run's report.json as its data.
void write_report_html(std::ostream& os, const nlohmann::json& report);

// `dlvp report DIR`: DIR/report.html from DIR/report.json, written whole or not at all. Throws
// ConfigError naming the file when report.json cannot be read, does not parse (with the byte
// offset), is no dlvp report or one of a newer schema; returns "" or "cannot write <path>: reason".
std::string write_report_html_of_folder(const std::string& dir);

}  // namespace dlvp
