// When each burst of a DMA job is issued (docs/dma.md, "Timing model"): the rule the DMA engine
// (DmaEngine::transfer, in sc_time) and dlvpc's timing prediction (tools/dlvpc/memory_path, in
// integer picoseconds) both follow, written once. SystemC-free; `Time` is any ordered type with
// + (sc_core::sc_time, int64_t).
#pragma once
#include "dma_descriptor.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace dlvp::dma {

template <typename Time>
struct BurstPipelineResult {
  Time end;       // the latest completion (the start when nothing was issued)
  bool ok = true; // false: a transaction failed and the job stopped after it
};

// Reads are issued in order, each at max(previous read + 1 cycle, completion of the read
// max_outstanding earlier, the write that frees its staging slot); each write follows as soon as
// its data arrived, under the same window. Of the next read and the next write, the earlier is
// issued first, so every target sees the channel's transactions in time order.
//
// One transaction per step(), so that a caller replaying several channels (dlvpc) can interleave
// their transactions in time order; run_burst_pipeline() below runs a whole job.
template <typename Time>
class BurstPipeline {
 public:
  BurstPipeline(const DmaDescriptor& d, uint32_t burst_bytes, uint32_t max_outstanding, uint32_t staging_slots,
                Time start, Time cycle)
      : window_(max_outstanding), slots_(staging_slots), cycle_(cycle), read_done_(window_), write_done_(window_),
        slot_(slots_), walker_(d, burst_bytes), next_read_(start), next_write_(start), result_{start, true} {
    plan();
  }

  // True when every transaction has been issued (or one failed).
  bool done() const { return !pending_; }
  // When the next transaction is issued (meaningful while !done()).
  Time next_at() const { return at_; }
  const BurstPipelineResult<Time>& result() const { return result_; }

  // Issues the next transaction: `issue(burst, read, slot, at, done)` performs one transaction of
  // `burst` (the read of its source when `read`, else the write of its destination) issued at
  // `at`, through staging slot `slot` (< staging_slots), sets its completion in `done` and
  // returns false when it failed.
  template <typename Issue>
  void step(Issue&& issue) {
    const uint32_t index = static_cast<uint32_t>((read_ ? reads_ : writes_) % slots_);
    Slot& s = slot_[index];
    if (read_) s.burst = walker_.next();
    Time done = at_;
    const bool ok = issue(static_cast<const DmaBurst&>(s.burst), read_, index, at_, done);
    result_.end = std::max(result_.end, done);
    if (!ok) {
      result_.ok = false;
      pending_ = false;
      return;
    }
    if (read_) {
      s.data_ready = read_done_[reads_ % window_] = done;
      next_read_ = at_ + cycle_;
      ++reads_;
    } else {
      s.freed = write_done_[writes_ % window_] = done;
      next_write_ = at_ + cycle_;
      ++writes_;
    }
    plan();
  }

 private:
  struct Slot {
    DmaBurst burst;
    Time data_ready{};  // read completion
    Time freed{};       // write completion
  };

  // Decides the next transaction (read or write) and its issue time.
  void plan() {
    const bool can_read = !walker_.done() && reads_ - writes_ < slots_;
    const bool can_write = writes_ < reads_;
    pending_ = can_read || can_write;
    if (!pending_) return;
    Time read_at = next_read_;
    if (reads_ >= window_) read_at = std::max(read_at, read_done_[reads_ % window_]);
    if (reads_ >= slots_) read_at = std::max(read_at, slot_[reads_ % slots_].freed);
    Time write_at = next_write_;
    if (can_write) {
      write_at = std::max(write_at, slot_[writes_ % slots_].data_ready);
      if (writes_ >= window_) write_at = std::max(write_at, write_done_[writes_ % window_]);
    }
    read_ = can_read && (!can_write || read_at <= write_at);
    at_ = read_ ? read_at : write_at;
  }

  uint32_t window_, slots_;
  Time cycle_;
  std::vector<Time> read_done_, write_done_;
  std::vector<Slot> slot_;
  BurstWalker walker_;
  uint64_t reads_ = 0, writes_ = 0;
  Time next_read_, next_write_;
  BurstPipelineResult<Time> result_;
  bool pending_ = false, read_ = false;
  Time at_{};
};

// A whole job's transactions, one after the other (see BurstPipeline::step for `issue`).
template <typename Time, typename Issue>
BurstPipelineResult<Time> run_burst_pipeline(const DmaDescriptor& d, uint32_t burst_bytes, uint32_t max_outstanding,
                                             uint32_t staging_slots, Time start, Time cycle, Issue&& issue) {
  BurstPipeline<Time> pipeline(d, burst_bytes, max_outstanding, staging_slots, start, cycle);
  while (!pipeline.done()) pipeline.step(issue);
  return pipeline.result();
}

}  // namespace dlvp::dma
