#include "chrome_trace.h"

#include <algorithm>

namespace dlvp {

double ChromeTrace::cutoff_for(uint64_t max_events) {
  if (times_.size() <= max_events) return std::numeric_limits<double>::infinity();
  // Events at the cut-off time itself are left out too, so ties keep the count at or below the cap.
  std::nth_element(times_.begin(), times_.begin() + static_cast<std::ptrdiff_t>(max_events), times_.end());
  return times_[max_events];
}

void ChromeTrace::begin(const nlohmann::json& other_data) {
  if (!out_) return;
  *out_ << "{\"displayTimeUnit\":\"ns\",\"otherData\":" << other_data.dump() << ",\"traceEvents\":[";
}

void ChromeTrace::end() {
  if (out_) *out_ << "\n]}\n";
}

void ChromeTrace::process_name(int pid, const std::string& name) {
  if (out_) write({{"name", "process_name"}, {"ph", "M"}, {"pid", pid}, {"args", {{"name", name}}}});
}

void ChromeTrace::thread_name(int pid, int tid, const std::string& name) {
  if (!out_) return;
  write({{"name", "thread_name"}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}});
  // The tracks in the order of their ids, not of their first event.
  write({{"name", "thread_sort_index"}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{"sort_index", tid}}}});
}

bool ChromeTrace::keep(double ts_us) {
  if (!out_) {
    times_.push_back(ts_us);
    return false;
  }
  if (ts_us < cutoff_us_) return true;
  ++left_out_;
  return false;
}

void ChromeTrace::write(const nlohmann::json& event) {
  // Names come from model packages: invalid UTF-8 is replaced, never an exception.
  *out_ << (first_ ? "\n" : ",\n") << event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  first_ = false;
  if (event["ph"] != "M") ++written_;
}

}  // namespace dlvp
