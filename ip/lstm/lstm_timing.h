// The timing model of the sparse LSTM engine (docs/lstm.md, "Engine: timing"): how many engine
// cycles an LSTM_SPMV or LSTM_GATES takes, from the per-PE, per-column work and the
// micro-architecture (PEs decoupled by an activation FIFO, one cycle per entry per PE, pointer
// reads, pipeline fill, the element-wise unit's lanes and latency). A pure function of the
// configuration and the work, SystemC-free, so the compiler predicts exactly what the engine
// simulates.
#pragma once
#include "ip/lstm/lstm_arith.h"
#include "ip/lstm/lstm_config.h"

#include <cstdint>
#include <vector>

namespace dlvp::lstm {

// min / mean / max of the entries the PEs walked, and the imbalance max / mean.
struct PeLoad {
  uint64_t min = 0, max = 0;
  double mean = 0;
  double imbalance() const { return mean > 0 ? static_cast<double>(max) / mean : 1.0; }
};

// Where the cycles of one instruction (or of a sum of instructions) go, and what they did.
// cycles = column_cycles + fill_cycles + output_cycles + elementwise_cycles.
struct LstmTiming {
  uint64_t cycles = 0;
  uint64_t column_cycles = 0;           // SPMV: until the slowest PE finished its last column
  uint64_t fill_cycles = 0;             // SPMV: multiplier + adder pipeline
  uint64_t output_cycles = 0;           // SPMV with AccLast: y leaves, one value per PE per cycle
  uint64_t elementwise_cycles = 0;      // GATES
  uint64_t broadcast_stall_cycles = 0;  // SPMV: the broadcaster waited for room in a PE's FIFO
  uint64_t pointer_cycles = 0;          // SPMV: PE-cycles of pointer reads not hidden (summed over PEs)
  uint64_t entries = 0;                 // entries walked (padding included)
  uint64_t nonzero_macs = 0;            // MACs of non-zero weights: non-zeros x channels
  uint64_t macs = 0;                    // entries x channels (padding included: the PE computes them)
  uint64_t dense_macs = 0;              // rows x cols x channels: the dense product's
  uint64_t cells = 0;                   // GATES: hidden x channels
  std::vector<uint64_t> pe_entries;     // entries per PE

  LstmTiming& operator+=(const LstmTiming& other);
  PeLoad pe_load() const;
  // 2 x non-zeros x channels / time and 2 x rows x cols x channels / time, in GOPS at `clock_mhz`.
  double effective_gops(double clock_mhz) const;
  double dense_equivalent_gops(double clock_mhz) const;
};

// Cycles of an LSTM_SPMV. PE p finishes column j at
//   t_p(j) = max(t_p(j - 1), b(j)) + entries_p(j) x ceil(channels / macs_per_pe) + exposed_p(j)
// where exposed_p(j) = 1 when its pointer read is not hidden (the first column, or the previous
// column gave the PE no entry to overlap it with); the broadcaster issues column j at
//   b(j) = max(b(j - 1) + 1, max_p t_p(j - fifo_depth))
// (one column per cycle, and only when every PE's FIFO has room). cycles = max_p t_p(last) +
// multiplier_latency + adder_latency (+ ceil(rows / pes) x channels with AccLast).
LstmTiming spmv_timing(const LstmConfig& config, const SpmvWork& work);

// Cycles of an LSTM_GATES, and of each GRU_GATES stage (a lane takes one cell or unit per cycle,
// its lookups in parallel): ceil(hidden x channels / elementwise_lanes) + elementwise_latency.
LstmTiming gates_timing(const LstmConfig& config, uint32_t hidden, uint32_t channels);

}  // namespace dlvp::lstm
