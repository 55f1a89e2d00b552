#include "ifu_trace.h"

#include "ifu_queue.h"
#include "instruction_checks.h"

#include <nlohmann/json.hpp>

namespace dlvp::ifu {

namespace {

constexpr int kProcessId = 1;
constexpr int kJobTrack = 3;  // tracks 0..2 are the queues (isa::Queue)

double microseconds(const sc_core::sc_time& t) { return t.to_seconds() * 1e6; }

nlohmann::json track_name(int track, const std::string& name) {
  return {{"name", "thread_name"}, {"ph", "M"}, {"pid", kProcessId}, {"tid", track}, {"args", {{"name", name}}}};
}

nlohmann::json slice(const std::string& name, const char* category, int track, const sc_core::sc_time& begin,
                     const sc_core::sc_time& end) {
  return {{"name", name},
          {"cat", category},
          {"ph", "X"},
          {"pid", kProcessId},
          {"tid", track},
          {"ts", microseconds(begin)},
          {"dur", microseconds(end - begin)}};
}

void write_event(std::ostream& out, const nlohmann::json& event, bool& first) {
  out << (first ? "\n" : ",\n") << event.dump();
  first = false;
}

}  // namespace

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::pending: return "pending";
    case Outcome::retired: return "retired";
    case Outcome::failed: return "failed";
    case Outcome::dropped: return "dropped";
  }
  return "?";
}

void QueueFigures::add(const QueueFigures& other) {
  instructions += other.instructions;
  busy += other.busy;
  token_wait += other.token_wait;
  dispatch_stall += other.dispatch_stall;
}

// Written event by event so that a long trace is never held twice in memory.
void IfuTrace::write_chrome_trace(std::ostream& out, const std::string& process_name) const {
  bool first = true;
  out << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
  write_event(out, {{"name", "process_name"}, {"ph", "M"}, {"pid", kProcessId}, {"args", {{"name", process_name}}}},
              first);
  for (int q = isa::kQueueLoad; q <= isa::kQueueStore; ++q)
    write_event(out, track_name(q, std::string(queue_name(static_cast<isa::Queue>(q))) + " queue"), first);
  write_event(out, track_name(kJobTrack, "jobs"), first);

  for (const InstructionRecord& r : records_.kept()) {
    if (r.queue == isa::kQueueNone || r.outcome == Outcome::dropped || r.outcome == Outcome::pending) continue;
    const std::string name = std::string(opcode_name(r.opcode)) + " #" + std::to_string(r.index);
    if (r.start > r.issue) write_event(out, slice("wait tokens: " + name, "token_wait", r.queue, r.issue, r.start), first);
    nlohmann::json event = slice(name, queue_name(r.queue), r.queue, r.start, r.end);
    event["args"] = {{"job", r.job},
                     {"index", r.index},
                     {"tag", r.tag},
                     {"dispatch_us", microseconds(r.dispatch)},
                     {"token_wait_us", microseconds(r.token_wait())},
                     {"outcome", to_string(r.outcome)}};
    write_event(out, event, first);
  }
  for (const JobSummary& j : jobs_.kept()) {
    const std::string result = j.error == isa::kErrNone ? "done" : std::string("error: ") + error_name(j.error);
    nlohmann::json event = slice("job " + std::to_string(j.job) + " (" + result + ")", "job", kJobTrack, j.start, j.end);
    event["args"] = {{"cycles", j.cycles}, {"instructions_retired", j.instructions_retired}, {"error_index", j.error_index}};
    write_event(out, event, first);
  }
  out << "\n]}\n";
}

}  // namespace dlvp::ifu
