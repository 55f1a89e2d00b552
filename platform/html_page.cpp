#include "html_page.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"
#include "platform/markup_text.h"
#include "platform/output_folder.h"
#include "platform/report.h"
#include "tools/report_web/web_assets.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dlvp {

namespace {

std::string_view required_asset(const std::string& name) {
  const std::string_view text = web::asset(name.c_str());
  if (text.empty()) throw std::logic_error("no embedded web asset '" + name + "'");
  return text;
}

// JSON that can stand inside a <script> element: '<' only occurs inside strings, where \u003c is the
// same character, so no "</script>" or "<!--" in the data can end the element early.
std::string script_safe_json(const nlohmann::json& data) {
  const std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

}  // namespace

void write_html_page(std::ostream& os, const std::string& title, const std::string& kind, const nlohmann::json& data) {
  const std::string_view page_script = required_asset(kind + ".js");
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
     << "<meta name=\"generator\" content=\"dlvp\">\n<title>" << markup_escaped(title) << "</title>\n<style>\n"
     << required_asset("page.css") << "</style>\n</head>\n<body>\n<main id=\"page\"></main>\n"
     << "<script type=\"application/json\" id=\"dlvp-data\">" << script_safe_json(data) << "</script>\n"
     << "<script>\n" << required_asset("echarts.min.js") << "\n</script>\n"
     << "<script>\n" << required_asset("common.js") << "\n</script>\n"
     << "<script>\n" << page_script << "\n</script>\n</body>\n</html>\n";
}

void write_report_html(std::ostream& os, const nlohmann::json& report) {
  write_html_page(os, "dlvp report: " + report.value("scenario", std::string("run")), "report", report);
}

std::string write_report_html_of_folder(const std::string& dir) {
  const std::string path = dir + "/" + OutputFolder::kReport;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read (is " + dir + " the output folder of a dlvp run?)");
  nlohmann::json report;
  try {
    report = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts from 1: the offset of the byte it stopped at is one less.
    throw ConfigError(path + ": not JSON at offset " + std::to_string(e.byte ? e.byte - 1 : 0) + ": " + e.what());
  }
  if (!report.is_object() || report.value("schema", nlohmann::json()) != "dlvp-report")
    throw ConfigError(path + ": not a dlvp report (its key 'schema' is not \"dlvp-report\")");
  const nlohmann::json& version = report["schema_version"];
  if (!version.is_number_unsigned() || version.get<uint64_t>() > kReportSchemaVersion)
    throw ConfigError(path + ": schema_version " + version.dump() + " is not one this dlvp reads (1.." +
                      std::to_string(kReportSchemaVersion) + ")");
  const std::string html = dir + "/" + OutputFolder::kReportHtml;
  const std::string error = write_file_atomically(html, [&](std::ostream& os) { write_report_html(os, report); });
  return error.empty() ? "" : "cannot write " + html + ": " + error;
}

}  // namespace dlvp
