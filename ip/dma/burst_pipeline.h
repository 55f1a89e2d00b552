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
// `issue(burst, read, slot, at, done)` performs one transaction of `burst` (the read of its source
// when `read`, else the write of its destination) issued at `at`, through staging slot `slot`
// (< staging_slots), sets its completion in `done` and returns false when it failed.
template <typename Time, typename Issue>
BurstPipelineResult<Time> run_burst_pipeline(const DmaDescriptor& d, uint32_t burst_bytes, uint32_t max_outstanding,
                                             uint32_t staging_slots, Time start, Time cycle, Issue&& issue) {
  struct Slot {
    DmaBurst burst;
    Time data_ready{};  // read completion
    Time freed{};       // write completion
  };
  const uint32_t window = max_outstanding, slots = staging_slots;
  std::vector<Time> read_done(window), write_done(window);
  std::vector<Slot> slot(slots);
  BurstWalker walker(d, burst_bytes);
  BurstPipelineResult<Time> result{start, true};
  uint64_t reads = 0, writes = 0;
  Time next_read = start, next_write = start;
  for (;;) {
    const bool can_read = !walker.done() && reads - writes < slots;
    const bool can_write = writes < reads;
    if (!can_read && !can_write) break;
    Time read_at = next_read;
    if (reads >= window) read_at = std::max(read_at, read_done[reads % window]);
    if (reads >= slots) read_at = std::max(read_at, slot[reads % slots].freed);
    Time write_at = next_write;
    if (can_write) {
      write_at = std::max(write_at, slot[writes % slots].data_ready);
      if (writes >= window) write_at = std::max(write_at, write_done[writes % window]);
    }
    const bool read = can_read && (!can_write || read_at <= write_at);
    const uint32_t index = static_cast<uint32_t>((read ? reads : writes) % slots);
    Slot& s = slot[index];
    if (read) s.burst = walker.next();
    Time done = read ? read_at : write_at;
    const bool ok = issue(static_cast<const DmaBurst&>(s.burst), read, index, read ? read_at : write_at, done);
    result.end = std::max(result.end, done);
    if (!ok) {
      result.ok = false;
      break;
    }
    if (read) {
      s.data_ready = read_done[reads % window] = done;
      next_read = read_at + cycle;
      ++reads;
    } else {
      s.freed = write_done[writes % window] = done;
      next_write = write_at + cycle;
      ++writes;
    }
  }
  return result;
}

}  // namespace dlvp::dma
