// A progress line on a terminal: long commands (`dlvp run`, dlvpc) rewrite one line of stderr a few
// times per second once they have run for about 2 s of wall time, and clear it at the end. Nothing
// is written when stderr is not a terminal (a pipe, a file, a test's capture).
#pragma once
#include <chrono>
#include <functional>
#include <ostream>
#include <string>

namespace dlvp {

class ProgressLine {
 public:
  static bool stderr_is_terminal();

  // `enabled` false: every call is a no-op. The line appears once `delay_s` of wall time has passed
  // and is redrawn at most every `period_s`.
  ProgressLine(std::ostream& os, bool enabled, double delay_s = 2.0, double period_s = 0.25);
  ~ProgressLine() { clear(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Redraws the line with text() when due; cheap otherwise (one clock read). The wall time since
  // the start is appended.
  void update(const std::function<std::string()>& text);
  // Erases the line if one was drawn.
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& os_;
  bool enabled_;
  Clock::time_point start_, next_;
  Clock::duration period_;
  bool drawn_ = false;
};

}  // namespace dlvp
