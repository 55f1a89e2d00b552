#include "tests/reference/lstm_timing_reference.h"

#include <algorithm>
#include <deque>

namespace dlvp::ref {
namespace {

// A PE: the columns in its FIFO (the front one is being walked once `working`), and whether the
// last column it walked gave it entries, during which it read the next column's pointer.
struct Pe {
  std::deque<uint32_t> fifo;
  bool working = false;
  uint64_t done_at = 0;
  bool pointer_prefetched = false;
};

}  // namespace

SpmvCycles simulate_spmv(const LstmPipeline& pipeline, uint32_t pes, const std::vector<std::vector<uint32_t>>& entries,
                         uint32_t channels, uint32_t rows, bool acc_last) {
  const uint32_t cols = static_cast<uint32_t>(entries.size());
  const uint64_t cycles_per_entry = (channels + pipeline.macs_per_pe - 1) / pipeline.macs_per_pe;
  std::vector<Pe> pe(pes);
  SpmvCycles out;
  uint32_t next_column = 0;
  for (uint64_t cycle = 0;; ++cycle) {
    bool issued_this_cycle = false;
    // Within one cycle: columns finish and leave their FIFOs, idle PEs take their next column
    // (an empty column with a prefetched pointer takes no time), and the broadcaster, once per
    // cycle, sends the next column when every FIFO has room. Repeat until nothing changes.
    for (bool changed = true; changed;) {
      changed = false;
      for (Pe& p : pe) {
        if (p.working && p.done_at == cycle) {
          p.working = false;
          p.fifo.pop_front();
          changed = true;
        }
        if (!p.working && !p.fifo.empty()) {
          const uint32_t j = p.fifo.front();
          const uint32_t n = entries[j][&p - pe.data()];
          const uint64_t pointer = p.pointer_prefetched ? 0 : 1;
          out.pointer_reads += pointer;
          p.working = true;
          p.done_at = cycle + pointer + n * cycles_per_entry;
          p.pointer_prefetched = n > 0;
          changed = true;
        }
      }
      if (!issued_this_cycle && next_column < cols) {
        const bool room = std::all_of(pe.begin(), pe.end(), [&](const Pe& p) { return p.fifo.size() < pipeline.fifo_depth; });
        if (room) {
          for (Pe& p : pe) p.fifo.push_back(next_column);
          ++next_column;
          issued_this_cycle = true;
          changed = true;
        }
      }
    }
    const bool idle = next_column == cols && std::all_of(pe.begin(), pe.end(), [](const Pe& p) { return p.fifo.empty(); });
    if (idle) {
      out.columns_done = cycle;
      break;
    }
    if (!issued_this_cycle && next_column < cols && (next_column > 0 || cycle > 0)) ++out.broadcaster_waits;
  }
  // The last column's results through the multiplier and adder stages, then y out of the PEs: rows
  // are interleaved over the PEs, each PE sends one value per channel per cycle.
  const uint64_t rows_per_pe = (uint64_t{rows} + pes - 1) / pes;
  out.cycles = out.columns_done + pipeline.multiplier_latency + pipeline.adder_latency +
               (acc_last ? rows_per_pe * channels : 0);
  return out;
}

uint64_t simulate_gates(const LstmPipeline& pipeline, uint64_t cells) {
  uint64_t cycle = 0, entered = 0;
  while (entered < cells) {
    entered += std::min<uint64_t>(pipeline.elementwise_lanes, cells - entered);
    ++cycle;
  }
  return cycle + pipeline.elementwise_latency;
}

}  // namespace dlvp::ref
