// Logging through SystemC's report handler, with simulated time and hierarchical name in every
// line. The macros test the threshold before formatting, so a disabled level costs one compare.
#pragma once
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace dlvp::log {

enum class Level : int { error = 0, warn = 1, info = 2, debug = 3, trace = 4 };

// Current threshold: messages above it are dropped before they are formatted.
inline Level g_threshold = Level::warn;
inline Level threshold() { return g_threshold; }
void set_threshold(Level level);
// Parses "error|warn|info|debug|trace"; returns false on anything else.
bool parse_level(const std::string& text, Level& out);

// Per-event records a run may ask for whatever the level (dlvp run --log mmio,irq): every device
// register access, every interrupt raised, claimed and completed (ip/common/soc_trace.h).
struct Categories {
  bool mmio = false;
  bool irq = false;
  bool any() const { return mmio || irq; }
};
// A comma-separated list of at most one level and any categories ("debug", "mmio,irq",
// "info,mmio"); adds to `level` and `categories`. False on an unknown or empty word.
bool parse_option(const std::string& text, Level& level, Categories& categories);

// Installs dlvp's report handler (format: "[   1.234 us] warn  top.ddr: message").
// Also mirrors every line to `mirror_path` when it is not empty.
void install_report_handler(const std::string& mirror_path = "");
// Counts of warnings and errors reported so far (for summaries and tests).
unsigned long warning_count();
unsigned long error_count();

// The mirror file could not be opened or a line could not be written to it (disk full): the run
// must end with the output-write-failure status. Flushes the mirror first, so a failure still
// buffered is seen too. `mirror_write_failures()` counts the lines refused once the stream had
// failed (at least 1 when failed; lines lost inside the failing buffer are not told apart).
bool mirror_failed();
unsigned long mirror_write_failures();

void emit(Level level, const std::string& who, const std::string& message);

// Rate limiting of guest-triggerable lines (DLVP_LOG_*_LIMITED): each call site prints its first
// kLinesPerSite lines, then one line saying that it is suppressing further ones, then only counts.
// A guest looping on a faulting access thus writes a bounded log whatever the run's length.
constexpr unsigned long kLinesPerSite = 20;

class LimitedSite {
 public:
  // `where` is "file:line" of the call site, or what the site prints (a string literal: the site
  // is static); `limit` the lines it shows.
  explicit LimitedSite(const char* where, unsigned long limit = kLinesPerSite) : where_(where), limit_(limit) {}
  // True while the site is under its limit: the caller formats the line and calls show().
  bool shows_next() const { return shown_ < limit_; }
  void show(Level level, const std::string& who, const std::string& message);
  // A line past the limit: counted; the first one is replaced by a notice naming the site.
  void suppress(Level level, const std::string& who);
  // The call site, relative to the source tree ("ip/bus/bus.cpp:200").
  std::string where() const;
  unsigned long suppressed() const { return suppressed_; }

 private:
  const char* where_;
  unsigned long limit_;
  unsigned long shown_ = 0, suppressed_ = 0;
};

// Lines suppressed so far by all sites, and per site ("file:line" -> count, sites that suppressed
// at least one line, in the order they began to).
unsigned long suppressed_count();
std::vector<std::pair<std::string, unsigned long>> suppressed_by_site();

}  // namespace dlvp::log

#define DLVP_LOG(level, who, expr)                                  \
  do {                                                              \
    if (static_cast<int>(level) <= static_cast<int>(::dlvp::log::threshold())) { \
      std::ostringstream dlvp_log_os_;                              \
      dlvp_log_os_ << expr;                                         \
      ::dlvp::log::emit(level, who, dlvp_log_os_.str());            \
    }                                                               \
  } while (0)

// Like DLVP_LOG, limited to log::kLinesPerSite lines from this call site (see LimitedSite). For
// every line a guest or an input can trigger repeatedly; once the site is quiet, a call costs a
// comparison and a counter increment.
#define DLVP_LOG_LIMITED(level, who, expr)                                                    \
  do {                                                                                        \
    if (static_cast<int>(level) <= static_cast<int>(::dlvp::log::threshold())) {              \
      static ::dlvp::log::LimitedSite dlvp_log_site_(__FILE__ ":" DLVP_LOG_STRINGIZE(__LINE__)); \
      if (dlvp_log_site_.shows_next()) {                                                      \
        std::ostringstream dlvp_log_os_;                                                      \
        dlvp_log_os_ << expr;                                                                 \
        dlvp_log_site_.show(level, who, dlvp_log_os_.str());                                  \
      } else {                                                                                \
        dlvp_log_site_.suppress(level, who);                                                  \
      }                                                                                       \
    }                                                                                         \
  } while (0)
#define DLVP_LOG_STRINGIZE(x) DLVP_LOG_STRINGIZE_(x)
#define DLVP_LOG_STRINGIZE_(x) #x

#define DLVP_LOG_ERROR(who, expr) DLVP_LOG(::dlvp::log::Level::error, who, expr)
#define DLVP_LOG_WARN(who, expr) DLVP_LOG(::dlvp::log::Level::warn, who, expr)
#define DLVP_LOG_INFO(who, expr) DLVP_LOG(::dlvp::log::Level::info, who, expr)
#define DLVP_LOG_DEBUG(who, expr) DLVP_LOG(::dlvp::log::Level::debug, who, expr)
#define DLVP_LOG_ERROR_LIMITED(who, expr) DLVP_LOG_LIMITED(::dlvp::log::Level::error, who, expr)
#define DLVP_LOG_WARN_LIMITED(who, expr) DLVP_LOG_LIMITED(::dlvp::log::Level::warn, who, expr)
#define DLVP_LOG_INFO_LIMITED(who, expr) DLVP_LOG_LIMITED(::dlvp::log::Level::info, who, expr)
