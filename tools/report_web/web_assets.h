// The files the HTML pages inline (tools/report_web): the charting library from node_modules at the
// version package-lock.json pins, the shared stylesheet and script, and one script per page kind.
// Embedded by the build (embed_assets.cmake), so dlvp needs neither the files nor a network when
// it writes a page.
#pragma once
#include <string_view>

namespace dlvp::web {

// The text of asset `name` ("echarts.min.js", "page.css", "common.js", "report.js", ...); empty
// when there is none of that name.
std::string_view asset(const char* name);

}  // namespace dlvp::web
