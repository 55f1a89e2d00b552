// The IFU's per-instruction trace and per-job summaries, and their tracks in a Chrome/Perfetto
// trace (ip/common/chrome_trace.h: one track per queue, one for jobs). Bounded: beyond `capacity` records (and job
// summaries) nothing more is kept and the overflow is counted, so a guest that runs jobs forever
// cannot exhaust the host's memory.
#pragma once
#include "isa.h"

#include "ip/common/bounded_records.h"
#include "ip/common/chrome_trace.h"

#include <systemc>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp::ifu {

enum class Outcome : uint8_t {
  pending,  // dispatched, not finished yet
  retired,  // executed
  failed,   // stopped the job (its error code and index are the job's)
  dropped,  // queued when the job stopped on an error; never executed
};
const char* to_string(Outcome outcome);

struct InstructionRecord {
  uint64_t job = 0;      // job number (0 = first START)
  uint64_t instr_base = 0;  // the job's INSTR_BASE: which program (package) the tag belongs to
  uint32_t index = 0;    // program index
  uint8_t opcode = 0;
  isa::Queue queue = isa::kQueueNone;
  uint32_t tag = 0;      // Header.tag (layer id)
  sc_core::sc_time dispatch;  // entered its queue (END: decoded)
  sc_core::sc_time issue;     // its queue took it, before waiting for tokens
  sc_core::sc_time start;     // began executing: after its pops
  sc_core::sc_time end;       // finished, including its pushes
  Outcome outcome = Outcome::pending;

  sc_core::sc_time token_wait() const { return start > issue ? start - issue : sc_core::SC_ZERO_TIME; }
};

// What one queue did during one job.
struct QueueFigures {
  uint64_t instructions = 0;                         // executed (retired or failed)
  sc_core::sc_time busy = sc_core::SC_ZERO_TIME;     // sum of end - start
  sc_core::sc_time token_wait = sc_core::SC_ZERO_TIME;  // head taken until its tokens were there
  sc_core::sc_time dispatch_stall = sc_core::SC_ZERO_TIME;  // dispatcher blocked on this full queue

  void add(const QueueFigures& other);
};

struct JobSummary {
  uint64_t job = 0;
  uint64_t instr_base = 0;
  sc_core::sc_time start, end;  // START write .. DONE/ERROR
  uint64_t cycles = 0;          // IFU cycles, the CYCLES register
  uint32_t instructions_retired = 0;
  isa::ErrorCode error = isa::kErrNone;
  uint32_t error_index = 0;
  uint64_t fetch_bytes = 0;
  std::array<QueueFigures, 3> queues{};  // by isa::Queue
};

class IfuTrace {
 public:
  explicit IfuTrace(uint64_t capacity) : records_(capacity), jobs_(capacity) {}

  // Returns the record's position, or kNoRecord (ifu_queue.h) when the trace is full.
  size_t add(const InstructionRecord& record) { return records_.add(record); }
  InstructionRecord& at(size_t position) { return records_.at(position); }
  const std::vector<InstructionRecord>& records() const { return records_.kept(); }
  uint64_t records_not_kept() const { return records_.not_kept(); }

  void add_job(const JobSummary& summary) { jobs_.add(summary); }
  const std::vector<JobSummary>& jobs() const { return jobs_.kept(); }

  // Track ids (tid) in a trace: the queues by isa::Queue, then the jobs.
  static constexpr int kJobTrack = 3;
  static constexpr int kTrackCount = 4;
  // The name of layer `tag` of the program at `instr_base`.
  using LayerNamer = std::function<std::string(uint64_t instr_base, uint32_t tag)>;

  // The tracks of process `pid`: per queue its instructions ("CONV <layer>") and their token waits,
  // and the jobs; names from `layer_name`.
  void add_tracks(ChromeTrace& trace, int pid, const LayerNamer& layer_name) const;
  // A trace of these tracks alone, layers named by tag ("layer3"); ts and dur in microseconds.
  void write_chrome_trace(std::ostream& out, const std::string& process_name) const;

 private:
  BoundedRecords<InstructionRecord> records_;
  BoundedRecords<JobSummary> jobs_;
};

}  // namespace dlvp::ifu
