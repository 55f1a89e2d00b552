#include "job_timeline.h"

#include "ip/ifu/instruction_checks.h"

#include <set>

namespace dlvp {

namespace {

double nanoseconds(const sc_core::sc_time& t) { return t.to_seconds() * 1e9; }

bool executed(const ifu::InstructionRecord& r) {
  return r.queue != isa::kQueueNone && (r.outcome == ifu::Outcome::retired || r.outcome == ifu::Outcome::failed);
}

}  // namespace

nlohmann::json build_job_timeline(const std::vector<ifu::InstructionRecord>& records,
                                  const std::vector<ifu::JobSummary>& jobs, uint64_t limit,
                                  const std::function<std::string(uint64_t)>& package_of) {
  nlohmann::json instructions = nlohmann::json::array();
  std::set<uint64_t> shown_jobs;
  uint64_t not_shown = 0;
  for (const ifu::InstructionRecord& r : records) {
    if (!executed(r)) continue;
    if (instructions.size() >= limit) {
      ++not_shown;
      continue;
    }
    shown_jobs.insert(r.job);
    instructions.push_back({{"job", r.job},
                            {"queue", ifu::queue_name(r.queue)},
                            {"opcode", ifu::opcode_name(r.opcode)},
                            {"tag", r.tag},
                            {"start_ns", nanoseconds(r.start)},
                            {"end_ns", nanoseconds(r.end)}});
  }
  nlohmann::json job_list = nlohmann::json::array();
  for (const ifu::JobSummary& j : jobs) {
    if (!shown_jobs.count(j.job)) continue;
    job_list.push_back({{"job", j.job},
                        {"instr_base", j.instr_base},
                        {"package", package_of(j.instr_base)},
                        {"start_ns", nanoseconds(j.start)},
                        {"end_ns", nanoseconds(j.end)},
                        {"result", j.error == isa::kErrNone ? std::string("done") : ifu::error_name(j.error)}});
  }
  return {{"limit", limit}, {"instructions", std::move(instructions)}, {"instructions_not_shown", not_shown},
          {"jobs", std::move(job_list)}};
}

}  // namespace dlvp
