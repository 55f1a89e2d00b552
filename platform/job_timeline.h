// The job timeline of report.json (`accelerator.timeline`, docs/report.md): what the IFU's load,
// compute and store queues executed and when, for the first instructions of the run, bounded so
// that a long run's report stays small. Read from the IFU's instruction trace (itself bounded by
// ifu.trace_records); report.html draws it with the layer names of the package.
#pragma once
#include "ip/ifu/ifu_trace.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace dlvp {

// `limit` executed instructions (retired or failed, in trace order: the first jobs) as
// {job, queue, opcode, tag, start_ns, end_ns}, the jobs they belong to as {job, start_ns, end_ns,
// result}, and how many executed instructions the trace holds beyond them.
nlohmann::json build_job_timeline(const std::vector<ifu::InstructionRecord>& records,
                                  const std::vector<ifu::JobSummary>& jobs, uint64_t limit);

}  // namespace dlvp
