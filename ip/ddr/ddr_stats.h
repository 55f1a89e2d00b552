// Statistics of a DDR controller, kept for report.json and for tests.
#pragma once
#include "ddr_power_state.h"

#include <cstdint>
#include <vector>

namespace dlvp {

struct DdrStats {
  uint64_t bytes_read = 0, bytes_written = 0;        // includes DMI traffic
  uint64_t read_transactions = 0, write_transactions = 0;
  uint64_t read_bursts = 0, write_bursts = 0;
  uint64_t row_hits = 0, row_empties = 0, row_conflicts = 0;
  uint64_t activates = 0, precharges = 0, refreshes = 0;
  uint64_t dmi_bytes_read = 0, dmi_bytes_written = 0;
  uint64_t error_responses = 0;
  double read_latency_sum_ns = 0, max_read_latency_ns = 0;  // per read transaction, acceptance to last data
  uint64_t queued_transactions = 0;        // served through the FR-FCFS queues (the rest at once)
  uint64_t max_read_queue = 0, max_write_queue = 0;  // peak transactions in a channel's queue
  uint64_t backpressure_stalls = 0;        // transactions that found their queue full
  double backpressure_wait_ns = 0;         // their time until a place freed
  // Per bank, indexed [(channel * ranks + rank) * banks + bank].
  std::vector<uint64_t> bank_activates, bank_reads, bank_writes;
  DdrPowerStats power;  // time per power state (all ranks), low-power entries and exits

  uint64_t bursts() const { return read_bursts + write_bursts; }
  double row_hit_rate() const {
    const uint64_t total = row_hits + row_empties + row_conflicts;
    return total ? double(row_hits) / double(total) : 0.0;
  }
  double avg_read_latency_ns() const {
    return read_transactions ? read_latency_sum_ns / double(read_transactions) : 0.0;
  }
};

}  // namespace dlvp
