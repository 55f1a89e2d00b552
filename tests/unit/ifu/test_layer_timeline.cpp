// attribute_layers (ip/ifu/layer_timeline.h): every instant of a job goes to one layer and one
// category, by the documented rule; the layers add up to the job.
#include "ip/ifu/layer_timeline.h"

#include <gtest/gtest.h>

#include <random>

namespace dlvp::ifu {
namespace {

ExecutedInstruction load(uint32_t index, uint32_t layer, Picoseconds issue, Picoseconds start, Picoseconds end) {
  return {index, layer, isa::kQueueLoad, issue, start, end};
}
ExecutedInstruction compute(uint32_t index, uint32_t layer, Picoseconds issue, Picoseconds start, Picoseconds end) {
  return {index, layer, isa::kQueueCompute, issue, start, end};
}
ExecutedInstruction store(uint32_t index, uint32_t layer, Picoseconds issue, Picoseconds start, Picoseconds end) {
  return {index, layer, isa::kQueueStore, issue, start, end};
}

void expect_consistent(const std::vector<LayerTime>& layers, Picoseconds job) {
  Picoseconds sum = 0;
  for (const LayerTime& l : layers) {
    EXPECT_EQ(l.time, l.engine_busy + l.memory_stall + l.store_tail + l.other) << "layer " << l.layer;
    for (Picoseconds part : {l.engine_busy, l.memory_stall, l.store_tail, l.other, l.overlapped}) EXPECT_GE(part, 0);
    EXPECT_LE(l.overlapped, l.span);
    sum += l.time;
  }
  EXPECT_EQ(sum, job);
}

TEST(IfuLayerTimeline, SequentialLayersSplitIntoStallBusyAndTail) {
  const auto layers = attribute_layers(0, 75,
                                       {load(0, 1, 0, 0, 10), compute(1, 1, 0, 10, 30), store(2, 1, 0, 30, 40),
                                        load(3, 2, 0, 40, 50), compute(4, 2, 0, 50, 60), store(5, 2, 0, 60, 70)});
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].layer, 1u);
  EXPECT_EQ(layers[0].memory_stall, 10);
  EXPECT_EQ(layers[0].engine_busy, 20);
  EXPECT_EQ(layers[0].store_tail, 10);
  EXPECT_EQ(layers[0].time, 40);
  EXPECT_EQ(layers[1].memory_stall, 10);
  EXPECT_EQ(layers[1].engine_busy, 10);
  EXPECT_EQ(layers[1].store_tail, 10);
  EXPECT_EQ(layers[1].other, 5);  // the END handshake after the last store: the last layer's
  EXPECT_EQ(layers[0].load_instructions + layers[0].compute_instructions + layers[0].store_instructions, 3u);
  expect_consistent(layers, 75);
}

TEST(IfuLayerTimeline, PrefetchUnderTheEngineIsOverlappedNotCharged) {
  // Layer 2's load (20..35) runs while layer 1 computes (10..30) and its store drains (30..40).
  const auto layers = attribute_layers(0, 50,
                                       {load(0, 1, 0, 0, 10), compute(1, 1, 0, 10, 30), store(2, 1, 10, 30, 40),
                                        load(3, 2, 20, 20, 35), compute(4, 2, 20, 40, 50)});
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].store_tail, 10);  // the oldest transfer in flight (the store) owns 30..40
  EXPECT_EQ(layers[1].memory_stall, 0);
  EXPECT_EQ(layers[1].engine_busy, 10);
  EXPECT_EQ(layers[1].span, 30);        // 20..50
  EXPECT_EQ(layers[1].overlapped, 20);  // 20..40 went to layer 1
  EXPECT_EQ(layers[0].overlapped, 0);
  expect_consistent(layers, 50);
}

TEST(IfuLayerTimeline, IdleTimeGoesToTheLayerTheEngineWorksOnNext) {
  // 0..5: fetch before any instruction runs; 20..25: a token handshake with nothing in flight.
  const auto layers = attribute_layers(0, 40, {load(0, 7, 5, 5, 10), compute(1, 7, 5, 10, 20),
                                               load(2, 9, 20, 25, 30), compute(3, 9, 25, 30, 40)});
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].other, 5);
  EXPECT_EQ(layers[1].other, 5);
  EXPECT_EQ(layers[1].memory_stall, 5);
  expect_consistent(layers, 40);
}

TEST(IfuLayerTimeline, TransferOnlyLayerOwnsTheGapItFills) {
  // Layer 2 (a concatenation done by the DMA) moves data between layer 1's and layer 3's computes.
  const auto layers = attribute_layers(0, 40, {compute(0, 1, 0, 0, 10), load(1, 2, 10, 10, 20), store(2, 2, 10, 20, 30),
                                               compute(3, 3, 30, 30, 40)});
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[1].layer, 2u);
  EXPECT_EQ(layers[1].memory_stall, 10);
  EXPECT_EQ(layers[1].store_tail, 10);
  expect_consistent(layers, 40);
}

TEST(IfuLayerTimeline, LayersComeInProgramOrderAndTimesAreClippedToTheJob) {
  const auto layers = attribute_layers(100, 130, {compute(5, 3, 90, 100, 120), compute(2, 8, 95, 120, 140)});
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].layer, 8u);  // index 2 comes first in the program
  EXPECT_EQ(layers[0].engine_busy, 10);
  EXPECT_EQ(layers[1].engine_busy, 20);
  expect_consistent(layers, 30);
}

TEST(IfuLayerTimeline, NoInstructionNoLayer) { EXPECT_TRUE(attribute_layers(0, 100, {}).empty()); }

TEST(IfuLayerTimeline, RandomPipelinesAlwaysAddUpToTheJob) {
  std::mt19937 random(12345);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<ExecutedInstruction> program;
    Picoseconds lane_free[3] = {0, 0, 0};
    uint32_t layer = 0;
    for (uint32_t index = 0; index < 60; ++index) {
      if (random() % 5 == 0) ++layer;
      const auto queue = static_cast<isa::Queue>(random() % 3);
      const Picoseconds issue = lane_free[queue];
      const Picoseconds start = issue + Picoseconds(random() % 7);
      const Picoseconds end = start + Picoseconds(random() % 13);
      lane_free[queue] = end;
      program.push_back({index, layer, queue, issue, start, end});
    }
    const Picoseconds job_end = std::max({lane_free[0], lane_free[1], lane_free[2]}) + Picoseconds(random() % 5);
    expect_consistent(attribute_layers(0, job_end, program), job_end);
  }
}

}  // namespace
}  // namespace dlvp::ifu
