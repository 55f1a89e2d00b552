// Chrome trace-event JSON, the "JSON Object Format" that chrome://tracing and Perfetto's UI load
// (docs/report.md, "trace.json"): {"displayTimeUnit", "otherData", "traceEvents": [...]}, times in
// microseconds. Metadata events ("M": process and thread names, sort order), complete slices ("X":
// name, cat, ph, pid, tid, ts, dur, args) and counters ("C": one series per key of args).
//
// Bounded: the producer emits its events twice, first into a counting pass that only gathers their
// times, then into the writing pass. When there are more events than the cap, the writing pass keeps
// those that begin before the cut-off time of the cap-th earliest one, so that the trace is a whole
// prefix of the run (every track complete up to the same moment) rather than some tracks cut early.
// Events are written one by one, never held as a whole document.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

class ChromeTrace {
 public:
  // The counting pass: no output, only the times of the events.
  ChromeTrace() = default;
  // The writing pass: events beginning at or after `cutoff_us` are left out (counted).
  ChromeTrace(std::ostream& out, double cutoff_us) : out_(&out), cutoff_us_(cutoff_us) {}

  // The cut-off time that keeps at most `max_events` of the events a counting pass saw (+infinity
  // when all fit).
  double cutoff_for(uint64_t max_events);
  uint64_t counted() const { return times_.size(); }

  // The document's head; `other_data` goes to "otherData" (the format's free metadata object).
  void begin(const nlohmann::json& other_data);
  void end();

  void process_name(int pid, const std::string& name);
  void thread_name(int pid, int tid, const std::string& name);

  // `args` is called only for an event that is written, so a counting pass builds no JSON.
  template <typename Args>
  void slice(const std::string& name, const char* category, int pid, int tid, double begin_us, double end_us,
             Args&& args) {
    if (!keep(begin_us)) return;
    nlohmann::json event = {{"name", name}, {"cat", category}, {"ph", "X"},   {"pid", pid},
                            {"tid", tid},   {"ts", begin_us},  {"dur", end_us - begin_us}};
    event["args"] = args();
    write(event);
  }
  // One counter track per key of `values` (Perfetto names it "<name> <key>"; chrome://tracing
  // stacks the keys of one counter).
  template <typename Values>
  void counter(const std::string& name, int pid, double ts_us, Values&& values) {
    if (!keep(ts_us)) return;
    write({{"name", name}, {"ph", "C"}, {"pid", pid}, {"ts", ts_us}, {"args", values()}});
  }

  uint64_t written() const { return written_; }
  uint64_t left_out() const { return left_out_; }

 private:
  bool keep(double ts_us);
  void write(const nlohmann::json& event);

  std::ostream* out_ = nullptr;  // null: the counting pass
  double cutoff_us_ = std::numeric_limits<double>::infinity();
  std::vector<double> times_;
  uint64_t written_ = 0, left_out_ = 0;
  bool first_ = true;
};

}  // namespace dlvp
