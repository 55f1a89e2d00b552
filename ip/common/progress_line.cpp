#include "progress_line.h"

#include <unistd.h>

#include <cstdio>

namespace dlvp {

bool ProgressLine::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(std::ostream& os, bool enabled, double delay_s, double period_s)
    : os_(os),
      enabled_(enabled),
      start_(Clock::now()),
      next_(start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay_s))),
      period_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(period_s))) {}

void ProgressLine::update(const std::function<std::string()>& text) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (now < next_) return;
  next_ = now + period_;
  char wall[32];
  std::snprintf(wall, sizeof wall, ", wall %.1f s", std::chrono::duration<double>(now - start_).count());
  // Carriage return, the line, erase to its end: the previous, longer line leaves nothing behind.
  os_ << '\r' << text() << wall << "\033[K" << std::flush;
  drawn_ = true;
}

void ProgressLine::clear() {
  if (!drawn_) return;
  os_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace dlvp
