#include "ifu_trace.h"

#include "ifu_queue.h"
#include "instruction_checks.h"

#include "ip/common/energy_tag.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace dlvp::ifu {

namespace {

double microseconds(const sc_core::sc_time& t) { return t.to_seconds() * 1e6; }

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

void IfuTrace::add_tracks(ChromeTrace& trace, int pid, const LayerNamer& layer_name) const {
  for (int q = isa::kQueueLoad; q <= isa::kQueueStore; ++q)
    trace.thread_name(pid, q, std::string("IFU ") + queue_name(static_cast<isa::Queue>(q)) + " queue");
  trace.thread_name(pid, kJobTrack, "IFU jobs");
  for (const InstructionRecord& r : records_.kept()) {
    if (r.queue == isa::kQueueNone || r.outcome == Outcome::dropped || r.outcome == Outcome::pending) continue;
    const std::string layer = layer_name(r.instr_base, r.tag);
    const std::string name = std::string(opcode_name(r.opcode)) + " " + layer;
    const auto args = [&] {
      return nlohmann::json{{"layer", layer},
                            {"tag", r.tag},
                            {"job", r.job},
                            {"index", r.index},
                            {"dispatch_us", microseconds(r.dispatch)},
                            {"token_wait_us", microseconds(r.token_wait())},
                            {"outcome", to_string(r.outcome)}};
    };
    if (r.start > r.issue)
      trace.slice("wait tokens: " + name, "token_wait", pid, r.queue, microseconds(r.issue), microseconds(r.start),
                  [&] { return nlohmann::json{{"layer", layer}, {"index", r.index}}; });
    trace.slice(name, queue_name(r.queue), pid, r.queue, microseconds(r.start), microseconds(r.end), args);
  }
  for (const JobSummary& j : jobs_.kept()) {
    const std::string result = j.error == isa::kErrNone ? "done" : std::string("error: ") + error_name(j.error);
    trace.slice("job " + std::to_string(j.job) + " (" + result + ")", "job", pid, kJobTrack, microseconds(j.start),
                microseconds(j.end), [&] {
                  return nlohmann::json{{"instr_base", j.instr_base},
                                        {"cycles", j.cycles},
                                        {"instructions_retired", j.instructions_retired},
                                        {"error_index", j.error_index}};
                });
  }
}

void IfuTrace::write_chrome_trace(std::ostream& out, const std::string& process_name) const {
  ChromeTrace trace(out, std::numeric_limits<double>::infinity());
  trace.begin(nlohmann::json::object());
  trace.process_name(1, process_name);
  add_tracks(trace, 1, [](uint64_t, uint32_t tag) { return layer_tag_name(tag); });
  trace.end();
}

}  // namespace dlvp::ifu
