// The sparse LSTM engine's timing model (ip/lstm/lstm_timing, which the engine charges and dlvpc's
// prediction replays) against an independent clock-by-clock model of the same micro-architecture
// (tests/reference/lstm_timing_reference): hand-derived cases first, then random work.
#include "ip/lstm/lstm_timing.h"
#include "tests/reference/lstm_timing_reference.h"

#include <gtest/gtest.h>

#include <random>

namespace dlvp {
namespace {

using Columns = std::vector<std::vector<uint32_t>>;

ref::LstmPipeline pipeline_of(const LstmConfig& c) {
  ref::LstmPipeline p;
  p.fifo_depth = c.fifo_depth;
  p.macs_per_pe = c.macs_per_pe;
  p.multiplier_latency = c.multiplier_latency;
  p.adder_latency = c.adder_latency;
  p.elementwise_lanes = c.elementwise_lanes;
  p.elementwise_latency = c.elementwise_latency;
  return p;
}

lstm::SpmvWork work_of(const Columns& columns, uint32_t pes, uint32_t rows, uint32_t channels, bool acc_last) {
  lstm::SpmvWork w;
  w.pes = pes, w.rows = rows, w.cols = static_cast<uint32_t>(columns.size()), w.channels = channels;
  w.acc_last = acc_last;
  for (const auto& column : columns)
    for (const uint32_t n : column) {
      w.entries.push_back(n);
      w.nonzeros += n;
    }
  return w;
}

// Two PEs, columns alternately all in PE 0 and all in PE 1, 4 entries each.
Columns alternating(uint32_t n) {
  Columns columns;
  for (uint32_t j = 0; j < n; ++j) columns.push_back(j % 2 == 0 ? std::vector<uint32_t>{4, 0} : std::vector<uint32_t>{0, 4});
  return columns;
}

TEST(LstmTimingReference, OneColumnTakesAPointerReadAndTheLongestSlice) {
  ref::LstmPipeline p;  // multiplier 2 + adder 1 stages
  const ref::SpmvCycles t = ref::simulate_spmv(p, 4, {{3, 5, 2, 0}}, 1, 64, false);
  EXPECT_EQ(t.columns_done, 1u + 5u);
  EXPECT_EQ(t.pointer_reads, 4u);  // every PE reads column 0's pointer
  EXPECT_EQ(t.cycles, 6u + 2u + 1u);
  // Three channels on one multiplier: each entry three times; on three multipliers: once.
  EXPECT_EQ(ref::simulate_spmv(p, 4, {{3, 5, 2, 0}}, 3, 64, false).columns_done, 1u + 15u);
  p.macs_per_pe = 3;
  EXPECT_EQ(ref::simulate_spmv(p, 4, {{3, 5, 2, 0}}, 3, 64, false).columns_done, 1u + 5u);
  // AccLast: 64 rows over 4 PEs leave 16 per PE, one per cycle and channel.
  EXPECT_EQ(ref::simulate_spmv(p, 4, {{3, 5, 2, 0}}, 3, 64, true).cycles, 6u + 3u + 16u * 3u);
}

TEST(LstmTimingReference, AnEntryHidesTheNextPointerRead) {
  // One PE: columns of 2, 3, 0, 0, 1 entries. Column 0's pointer is exposed; 1's and 2's are read
  // under the previous column's entries; 3 and 4 follow an empty column: exposed.
  const ref::SpmvCycles t = ref::simulate_spmv(ref::LstmPipeline{}, 1, {{2}, {3}, {0}, {0}, {1}}, 1, 8, false);
  EXPECT_EQ(t.pointer_reads, 3u);
  EXPECT_EQ(t.columns_done, 1u + 2 + 3 + 0 + 1 + 1 + 1);
}

TEST(LstmTimingReference, AShallowFifoSerializesAnImbalance) {
  ref::LstmPipeline p;
  p.fifo_depth = 1;
  // Depth 1: column j waits for both PEs to finish j - 1. Per pair of columns: the loaded PE's
  // pointer + 4 entries, then the other's pointer + 4 entries: 10 cycles.
  const ref::SpmvCycles shallow = ref::simulate_spmv(p, 2, alternating(64), 1, 2, false);
  EXPECT_EQ(shallow.columns_done, 32u * 10u);
  // Depth 8: the PEs run decoupled; each walks 32 loaded columns of 1 + 4 cycles, PE 1 after its
  // exposed read of column 0.
  p.fifo_depth = 8;
  const ref::SpmvCycles deep = ref::simulate_spmv(p, 2, alternating(64), 1, 2, false);
  EXPECT_EQ(deep.columns_done, 1u + 32u * 5u);
  EXPECT_GT(shallow.broadcaster_waits, deep.broadcaster_waits);
}

TEST(LstmTimingReference, GatesTakeOneCyclePerLaneGroupPlusTheLatency) {
  ref::LstmPipeline p;  // 32 lanes, 12 stages
  EXPECT_EQ(ref::simulate_gates(p, 1024), 32u + 12u);
  EXPECT_EQ(ref::simulate_gates(p, 1025), 33u + 12u);
  EXPECT_EQ(ref::simulate_gates(p, 1), 1u + 12u);
}

TEST(LstmTimingReference, TheEnginesModelMatchesTheReferenceOnHandCases) {
  LstmConfig c;
  const ref::LstmPipeline p = pipeline_of(c);
  for (const bool acc_last : {false, true}) {
    const lstm::LstmTiming t = lstm::spmv_timing(c, work_of({{3, 5, 2, 0}}, 4, 64, 1, acc_last));
    EXPECT_EQ(t.cycles, ref::simulate_spmv(p, 4, {{3, 5, 2, 0}}, 1, 64, acc_last).cycles);
  }
  for (const uint32_t depth : {1u, 8u}) {
    c.fifo_depth = depth;
    const lstm::LstmTiming t = lstm::spmv_timing(c, work_of(alternating(64), 2, 2, 1, false));
    EXPECT_EQ(t.column_cycles, ref::simulate_spmv(pipeline_of(c), 2, alternating(64), 1, 2, false).columns_done);
  }
  EXPECT_EQ(lstm::gates_timing(c, 1024, 1).cycles, ref::simulate_gates(p, 1024));
}

// Random work: PEs, columns (some empty), skewed slices, FIFO depths, channels and multipliers.
TEST(LstmTimingReference, TheEnginesModelMatchesTheReferenceOnRandomWork) {
  std::mt19937 rng(20261206);
  const auto pick = [&](uint32_t lo, uint32_t hi) { return std::uniform_int_distribution<uint32_t>(lo, hi)(rng); };
  for (int trial = 0; trial < 400; ++trial) {
    LstmConfig c;
    c.fifo_depth = pick(1, 10);
    c.macs_per_pe = pick(1, 3);
    c.multiplier_latency = pick(0, 4);
    c.adder_latency = pick(0, 2);
    c.elementwise_lanes = pick(1, 40);
    c.elementwise_latency = pick(0, 16);
    const uint32_t pes = pick(1, 8), cols = pick(0, 40), channels = pick(1, 4), rows = pick(1, 64);
    const uint32_t density = pick(0, 100), skew = pick(0, 6);  // % of slots with entries; PE 0's extra entries
    Columns columns(cols, std::vector<uint32_t>(pes));
    for (auto& column : columns)
      for (uint32_t pe = 0; pe < pes; ++pe)
        if (pick(1, 100) <= density) column[pe] = pick(1, 4) + (pe == 0 ? skew : 0);
    const bool acc_last = pick(0, 1) == 1;
    const lstm::LstmTiming t = lstm::spmv_timing(c, work_of(columns, pes, rows, channels, acc_last));
    const ref::SpmvCycles r = ref::simulate_spmv(pipeline_of(c), pes, columns, channels, rows, acc_last);
    SCOPED_TRACE("trial " + std::to_string(trial) + ": " + std::to_string(pes) + " PEs, " + std::to_string(cols) +
                 " columns, depth " + std::to_string(c.fifo_depth));
    ASSERT_EQ(t.cycles, r.cycles);
    ASSERT_EQ(t.column_cycles, r.columns_done);
    ASSERT_EQ(t.pointer_cycles, r.pointer_reads);
    ASSERT_EQ(t.broadcast_stall_cycles, r.broadcaster_waits);
    const uint64_t cells = uint64_t{pick(1, 1024)} * channels;
    ASSERT_EQ(lstm::gates_timing(c, static_cast<uint32_t>(cells / channels), channels).cycles,
              ref::simulate_gates(pipeline_of(c), cells));
  }
}

}  // namespace
}  // namespace dlvp
