// The job timeline of report.json (`accelerator.timeline`, docs/report.md): what the IFU's load,
// compute and store queues executed and when, for the first instructions of the run, bounded so
// that a long run's report stays small. Read from the IFU's instruction trace (itself bounded by
// ifu.trace_records); report.html draws it with the layer names of each job's package.
#pragma once
#include "ip/ifu/ifu_trace.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dlvp {

// `limit` executed instructions (retired or failed, in trace order: the first jobs) as
// {job, queue, opcode, tag, start_ns, end_ns}, the jobs they belong to as {job, instr_base,
// package, start_ns, end_ns, result} (`package`: package_of(instr_base), the name of the layer
// table whose layers the job's tags are), and how many executed instructions the trace holds
// beyond them.
nlohmann::json build_job_timeline(const std::vector<ifu::InstructionRecord>& records,
                                  const std::vector<ifu::JobSummary>& jobs, uint64_t limit,
                                  const std::function<std::string(uint64_t)>& package_of);

}  // namespace dlvp
