// Logging through SystemC's report handler, with simulated time and hierarchical name in every
// line. The macros test the threshold before formatting, so a disabled level costs one compare.
#pragma once
#include <sstream>
#include <string>

namespace dlvp::log {

enum class Level : int { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

// Current threshold: messages above it are dropped before they are formatted.
inline Level g_threshold = Level::warn;
inline Level threshold() { return g_threshold; }
void set_threshold(Level level);
// Parses "error|warn|info|debug|trace"; returns false on anything else.
bool parse_level(const std::string& text, Level& out);

// Installs dlvp's report handler (format: "[   1.234 us] warn  top.ddr: message").
// Also mirrors every line to `mirror_path` when it is not empty.
void install_report_handler(const std::string& mirror_path = "");
// The mirror file could not be opened or a line could not be written to it (disk full): the run
// must end with the output-write-failure status. Flushes the mirror first, so a failure still
// buffered is seen too.
bool mirror_failed();

// Counts of warnings and errors reported so far (for summaries and tests).
unsigned long warning_count();
unsigned long error_count();

void emit(Level level, const std::string& who, const std::string& message);

}  // namespace dlvp::log

#define DLVP_LOG(level, who, expr)                                  \
  do {                                                              \
    if (static_cast<int>(level) <= static_cast<int>(::dlvp::log::threshold())) { \
      std::ostringstream dlvp_log_os_;                              \
      dlvp_log_os_ << expr;                                         \
      ::dlvp::log::emit(level, who, dlvp_log_os_.str());            \
    }                                                               \
  } while (0)

#define DLVP_LOG_ERROR(who, expr) DLVP_LOG(::dlvp::log::Level::error, who, expr)
#define DLVP_LOG_WARN(who, expr) DLVP_LOG(::dlvp::log::Level::warn, who, expr)
#define DLVP_LOG_INFO(who, expr) DLVP_LOG(::dlvp::log::Level::info, who, expr)
#define DLVP_LOG_DEBUG(who, expr) DLVP_LOG(::dlvp::log::Level::debug, who, expr)
