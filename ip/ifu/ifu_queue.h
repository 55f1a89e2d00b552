// One instruction queue of the IFU (load, compute or store): a FIFO of finite depth between the
// dispatcher and the queue's execution thread.
//
// Loosely timed: the dispatcher and the queue thread each run ahead of SystemC time on their own
// quantum keeper, so every entry carries the time it was dispatched and every free slot the time
// it became free. The dispatcher takes the oldest free slot (dispatch time = the later of its own
// time and the slot's); the queue thread takes the oldest entry (at the later of its own time and
// the dispatch time). Neither needs to synchronize with the other for the times to be exact.
#pragma once
#include "ip/common/energy_ledger.h"
#include "isa.h"

#include "ip/common/bounded_records.h"

#include <systemc>

#include <cstddef>
#include <cstdint>
#include <deque>

namespace dlvp::ifu {

constexpr size_t kNoRecord = BoundedRecords<int>::kNotKept;  // instruction not in the trace

struct QueuedInstruction {
  isa::Instruction instruction;
  uint32_t index = 0;              // program index
  sc_core::sc_time dispatched;     // absolute simulated time it entered the queue
  size_t record = kNoRecord;       // its trace record
  TagId ledger_tag = kUntagged;    // its program's layer (energy_tag.h): the engine's and the DMA's tag
};

class InstructionQueue {
 public:
  // Empties the queue and frees all `depth` slots at time `at`.
  void reset(uint32_t depth, const sc_core::sc_time& at) {
    entries_.clear();
    free_slots_.assign(depth, at);
  }
  bool has_free_slot() const { return !free_slots_.empty(); }
  // When the oldest free slot became free (has_free_slot() must hold).
  const sc_core::sc_time& free_since() const { return free_slots_.front(); }
  // Occupies the oldest free slot.
  void push(const QueuedInstruction& entry) {
    free_slots_.pop_front();
    entries_.push_back(entry);
  }

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const QueuedInstruction& front() const { return entries_.front(); }
  // Removes the oldest entry; its slot is free from `at` on.
  QueuedInstruction take(const sc_core::sc_time& at) {
    QueuedInstruction entry = entries_.front();
    entries_.pop_front();
    free_slots_.push_back(at);
    return entry;
  }
  // Removes every entry (a job stopped by an error); returns them so they can be traced as dropped.
  std::deque<QueuedInstruction> drop_all() {
    std::deque<QueuedInstruction> dropped;
    dropped.swap(entries_);
    return dropped;
  }

 private:
  std::deque<QueuedInstruction> entries_;
  std::deque<sc_core::sc_time> free_slots_;
};

}  // namespace dlvp::ifu
