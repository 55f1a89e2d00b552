// An independent timing model of the sparse LSTM engine (docs/lstm.md, "Engine: timing"), written
// from the micro-architecture's description rather than from ip/lstm/lstm_timing's recurrences:
// a clock-by-clock simulation of the column broadcaster, each PE's activation FIFO and each PE's
// pointer read and entry walk. The engine's closed-form model must agree with it cycle for cycle
// (tests/unit/lstm/test_lstm_timing_reference.cpp); it shares no code with the engine.
#pragma once
#include <cstdint>
#include <vector>

namespace dlvp::ref {

struct LstmPipeline {
  uint32_t fifo_depth = 8;           // columns a PE's activation FIFO holds (the one it works on included)
  uint32_t macs_per_pe = 1;          // multipliers per PE: channels sharing an entry
  uint32_t multiplier_latency = 2;   // pipeline stages after the last entry issues
  uint32_t adder_latency = 1;
  uint32_t elementwise_lanes = 32;   // cells per cycle of the element-wise unit
  uint32_t elementwise_latency = 12;
};

struct SpmvCycles {
  uint64_t cycles = 0;           // until the last result leaves
  uint64_t columns_done = 0;     // cycle at which the slowest PE finished its last column
  uint64_t pointer_reads = 0;    // PE-cycles spent on pointer reads no entry hid
  uint64_t broadcaster_waits = 0;  // cycles the broadcaster held a column for want of FIFO room
};

// One LSTM_SPMV on `pes` PEs: `entries[col][pe]` entries of each column in each PE's slice, `channels`
// activation vectors sharing each entry, `rows` outputs (leaving one per PE per cycle and channel
// when `acc_last`).
SpmvCycles simulate_spmv(const LstmPipeline& pipeline, uint32_t pes, const std::vector<std::vector<uint32_t>>& entries,
                         uint32_t channels, uint32_t rows, bool acc_last);

// One LSTM_GATES over `cells` cells: lanes cells enter per cycle, the last leaves after the latency.
uint64_t simulate_gates(const LstmPipeline& pipeline, uint64_t cells);

}  // namespace dlvp::ref
