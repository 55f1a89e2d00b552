#include "log.h"

#include <systemc>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace dlvp::log {
namespace {

std::unique_ptr<std::ofstream> g_mirror;
bool g_mirror_failed = false;
unsigned long g_mirror_lost_lines = 0;
std::atomic<unsigned long> g_warnings{0}, g_errors{0}, g_suppressed{0};
std::vector<const LimitedSite*> g_suppressing_sites;  // in the order they began to suppress

void mirror(const std::string& line) {
  if (!g_mirror) return;
  if (*g_mirror) *g_mirror << line << '\n';
  if (!*g_mirror) {  // disk full, or a stream that never opened: the line is lost
    g_mirror_failed = true;
    ++g_mirror_lost_lines;
  }
}

// The source tree's root as this file was compiled ("/.../ip/common/log.cpp" minus the suffix),
// stripped from call sites so that they read "ip/bus/bus.cpp:200".
std::string relative_to_tree(const char* path) {
  static const std::string root = [] {
    const std::string self = __FILE__, suffix = "ip/common/log.cpp";
    return self.size() >= suffix.size() && self.compare(self.size() - suffix.size(), suffix.size(), suffix) == 0
               ? self.substr(0, self.size() - suffix.size())
               : std::string();
  }();
  const std::string p = path;
  return !root.empty() && p.compare(0, root.size(), root) == 0 ? p.substr(root.size()) : p;
}

const char* level_name(sc_core::sc_severity severity, int verbosity) {
  switch (severity) {
    case sc_core::SC_WARNING: return "warn ";
    case sc_core::SC_ERROR: return "error";
    case sc_core::SC_FATAL: return "fatal";
    default: return verbosity >= sc_core::SC_DEBUG ? "trace" : verbosity >= sc_core::SC_HIGH ? "debug" : "info ";
  }
}

// Our own lines ("dlvp" message type) are formatted compactly; SystemC's own reports keep their
// type and id so that kernel warnings stay recognizable.
void handler(const sc_core::sc_report& report, const sc_core::sc_actions& actions) {
  const std::string type = report.get_msg_type();
  // SystemC's own informational reports ("simulation stopped by user") obey dlvp's threshold.
  const bool kernel_info = report.get_severity() == sc_core::SC_INFO && type.rfind("dlvp", 0) != 0;
  const bool shown = !kernel_info || static_cast<int>(g_threshold) >= static_cast<int>(Level::info);
  if (shown && (actions & sc_core::SC_DISPLAY || actions & sc_core::SC_LOG)) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%12.3f us", report.get_time().to_seconds() * 1e6);
    const bool guest_error = type.rfind("dlvp-error:", 0) == 0;
    std::string line = std::string("[") + stamp + "] " +
                       (guest_error ? "error" : level_name(report.get_severity(), report.get_verbosity())) + " ";
    if (guest_error) line += type.substr(11) + ": " + report.get_msg();
    else if (type.rfind("dlvp:", 0) == 0) line += type.substr(5) + ": " + report.get_msg();
    else line += type + ": " + report.get_msg();
    std::cerr << line << '\n';
    mirror(line);
  }
  if (report.get_severity() == sc_core::SC_WARNING) ++g_warnings;
  if (report.get_severity() >= sc_core::SC_ERROR) ++g_errors;
  // Keep SystemC's own stop/abort/throw semantics for kernel errors.
  if (actions & sc_core::SC_THROW) throw report;
  if (actions & sc_core::SC_STOP) sc_core::sc_stop();
  if (actions & sc_core::SC_ABORT) std::abort();
}

}  // namespace

void set_threshold(Level level) { g_threshold = level; }

bool parse_level(const std::string& text, Level& out) {
  static const std::pair<const char*, Level> names[] = {
      {"error", Level::error}, {"warn", Level::warn}, {"info", Level::info}, {"debug", Level::debug}, {"trace", Level::trace}};
  for (const auto& [name, level] : names)
    if (text == name) return out = level, true;
  return false;
}

bool parse_option(const std::string& text, Level& level, Categories& categories) {
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string word = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (word == "mmio") categories.mmio = true;
    else if (word == "irq") categories.irq = true;
    else if (!parse_level(word, level)) return false;
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

void install_report_handler(const std::string& mirror_path) {
  sc_core::sc_report_handler::set_handler(handler);
  sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_DEBUG);
  // Guest-caused problems are warnings; they must never stop the simulation.
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DISPLAY);
  g_mirror.reset();
  g_mirror_failed = false;
  g_mirror_lost_lines = 0;
  if (!mirror_path.empty()) {
    g_mirror = std::make_unique<std::ofstream>(mirror_path);
    if (!*g_mirror) g_mirror_failed = true;
  }
}

unsigned long warning_count() { return g_warnings; }
unsigned long error_count() { return g_errors; }

bool mirror_failed() {
  if (g_mirror && *g_mirror && !g_mirror->flush()) g_mirror_failed = true;
  return g_mirror_failed;
}

unsigned long mirror_write_failures() {
  mirror_failed();
  return std::max<unsigned long>(g_mirror_lost_lines, g_mirror_failed ? 1 : 0);
}

void LimitedSite::show(Level level, const std::string& who, const std::string& message) {
  ++shown_;
  log::emit(level, who, message);
}

void LimitedSite::suppress(Level level, const std::string& who) {
  ++g_suppressed;
  if (suppressed_++ > 0) return;
  g_suppressing_sites.push_back(this);
  log::emit(level, who, "further lines from " + where() + " are suppressed (" + std::to_string(limit_) +
                            " shown); report.json counts them in log.suppressed");
}

std::string LimitedSite::where() const { return relative_to_tree(where_); }

unsigned long suppressed_count() { return g_suppressed; }

std::vector<std::pair<std::string, unsigned long>> suppressed_by_site() {
  std::vector<std::pair<std::string, unsigned long>> sites;
  for (const LimitedSite* site : g_suppressing_sites) sites.emplace_back(site->where(), site->suppressed());
  return sites;
}

void emit(Level level, const std::string& who, const std::string& message) {
  const std::string type = (level == Level::error ? "dlvp-error:" : "dlvp:") + who;
  switch (level) {
    case Level::error:
      // Reported at info severity so that guest-caused errors never throw or stop the kernel.
      ++g_errors;
      sc_core::sc_report_handler::report(sc_core::SC_INFO, type.c_str(), message.c_str(), sc_core::SC_NONE, "", 0);
      break;
    case Level::warn: sc_core::sc_report_handler::report(sc_core::SC_WARNING, type.c_str(), message.c_str(), "", 0); break;
    case Level::info: sc_core::sc_report_handler::report(sc_core::SC_INFO, type.c_str(), message.c_str(), sc_core::SC_MEDIUM, "", 0); break;
    case Level::debug: sc_core::sc_report_handler::report(sc_core::SC_INFO, type.c_str(), message.c_str(), sc_core::SC_HIGH, "", 0); break;
    case Level::trace: sc_core::sc_report_handler::report(sc_core::SC_INFO, type.c_str(), message.c_str(), sc_core::SC_DEBUG, "", 0); break;
  }
}

}  // namespace dlvp::log
