#include "ip/lstm/lstm_timing.h"

#include <algorithm>

namespace dlvp::lstm {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

LstmTiming& LstmTiming::operator+=(const LstmTiming& o) {
  cycles += o.cycles;
  column_cycles += o.column_cycles;
  fill_cycles += o.fill_cycles;
  output_cycles += o.output_cycles;
  elementwise_cycles += o.elementwise_cycles;
  broadcast_stall_cycles += o.broadcast_stall_cycles;
  pointer_cycles += o.pointer_cycles;
  entries += o.entries;
  nonzero_macs += o.nonzero_macs;
  macs += o.macs;
  dense_macs += o.dense_macs;
  cells += o.cells;
  if (pe_entries.size() < o.pe_entries.size()) pe_entries.resize(o.pe_entries.size(), 0);
  for (size_t p = 0; p < o.pe_entries.size(); ++p) pe_entries[p] += o.pe_entries[p];
  return *this;
}

PeLoad LstmTiming::pe_load() const {
  PeLoad load;
  if (pe_entries.empty()) return load;
  const auto [lo, hi] = std::minmax_element(pe_entries.begin(), pe_entries.end());
  load.min = *lo, load.max = *hi;
  uint64_t sum = 0;
  for (const uint64_t e : pe_entries) sum += e;
  load.mean = static_cast<double>(sum) / static_cast<double>(pe_entries.size());
  return load;
}

double LstmTiming::effective_gops(double clock_mhz) const {
  // ops per cycle x cycles per ns: 2 x work / (cycles / clock_mhz x 1e3 ns) / 1e9 x 1e9.
  return cycles ? 2.0 * static_cast<double>(nonzero_macs) * clock_mhz * 1e-3 / static_cast<double>(cycles) : 0.0;
}

double LstmTiming::dense_equivalent_gops(double clock_mhz) const {
  return cycles ? 2.0 * static_cast<double>(dense_macs) * clock_mhz * 1e-3 / static_cast<double>(cycles) : 0.0;
}

LstmTiming spmv_timing(const LstmConfig& config, const SpmvWork& w) {
  LstmTiming t;
  const uint32_t pes = w.pes, depth = config.fifo_depth;
  const uint64_t passes = ceil_div(w.channels, config.macs_per_pe);  // cycles per entry
  std::vector<uint64_t> finish(pes, 0);          // t_p of the last column walked
  std::vector<uint64_t> column_done(depth, 0);   // max_p t_p(j) of the last `depth` columns, ring
  t.pe_entries.assign(pes, 0);
  uint64_t broadcast = 0;
  for (uint32_t j = 0; j < w.cols; ++j) {
    uint64_t issue = j == 0 ? 0 : broadcast + 1;
    if (j >= depth) {
      const uint64_t room = column_done[j % depth];  // every PE finished column j - depth
      if (room > issue) t.broadcast_stall_cycles += room - issue;
      issue = std::max(issue, room);
    }
    broadcast = issue;
    uint64_t slowest = 0;
    for (uint32_t p = 0; p < pes; ++p) {
      const uint64_t entries = w.at(j, p);
      const bool exposed = j == 0 || w.at(j - 1, p) == 0;
      t.pointer_cycles += exposed ? 1 : 0;
      finish[p] = std::max(finish[p], issue) + entries * passes + (exposed ? 1 : 0);
      slowest = std::max(slowest, finish[p]);
      t.pe_entries[p] += entries;
    }
    column_done[j % depth] = slowest;
  }
  for (const uint64_t f : finish) t.column_cycles = std::max(t.column_cycles, f);
  t.fill_cycles = uint64_t{config.multiplier_latency} + config.adder_latency;
  t.output_cycles = w.acc_last ? ceil_div(w.rows, pes) * w.channels : 0;
  t.cycles = t.column_cycles + t.fill_cycles + t.output_cycles;
  t.entries = w.total_entries();
  t.nonzero_macs = w.nonzeros * w.channels;
  t.macs = t.entries * w.channels;
  t.dense_macs = uint64_t{w.rows} * w.cols * w.channels;
  return t;
}

LstmTiming gates_timing(const LstmConfig& config, uint32_t hidden, uint32_t channels) {
  LstmTiming t;
  t.cells = uint64_t{hidden} * channels;
  t.elementwise_cycles = ceil_div(t.cells, config.elementwise_lanes) + config.elementwise_latency;
  t.cycles = t.elementwise_cycles;
  return t;
}

}  // namespace dlvp::lstm
