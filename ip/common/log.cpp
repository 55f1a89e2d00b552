#include "log.h"

#include <systemc>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

namespace dlvp::log {
namespace {

std::unique_ptr<std::ofstream> g_mirror;
bool g_mirror_failed = false;
std::atomic<unsigned long> g_warnings{0}, g_errors{0};

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
    if (g_mirror && *g_mirror) *g_mirror << line << '\n';
    if (g_mirror && !*g_mirror) g_mirror_failed = true;
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

void install_report_handler(const std::string& mirror_path) {
  sc_core::sc_report_handler::set_handler(handler);
  sc_core::sc_report_handler::set_verbosity_level(sc_core::SC_DEBUG);
  // Guest-caused problems are warnings; they must never stop the simulation.
  sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DISPLAY);
  g_mirror.reset();
  g_mirror_failed = false;
  if (!mirror_path.empty()) {
    g_mirror = std::make_unique<std::ofstream>(mirror_path);
    if (!*g_mirror) g_mirror_failed = true;
  }
}

bool mirror_failed() {
  if (g_mirror && *g_mirror && !g_mirror->flush()) g_mirror_failed = true;
  return g_mirror_failed;
}

unsigned long warning_count() { return g_warnings; }
unsigned long error_count() { return g_errors; }

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
