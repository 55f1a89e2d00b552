// FR-FCFS request scheduling of one DDR channel (docs/ddr.md "Scheduling").
//
// Transactions wait in a read queue and a write queue (bounded; the controller makes an
// initiator wait while its queue is full). The scheduler issues one command per cycle, in cycle
// order, through DdrChannelModel's command-level interface. At each cycle, among the queued
// requests of the current direction, the first command that may issue goes, in this priority:
//   1. a request that younger ones have bypassed starvation_cap times (the oldest such), alone;
//   2. a column command of a row hit, oldest first;
//   3. a precharge or activate, oldest first; a row that queued requests still hit is not closed.
// So activates and precharges of other banks issue while earlier data transfers, as soon as
// timing allows. Reads are served until the queued writes reach the high watermark (or no read
// waits); writes are then drained down to the low watermark (or until none is left).
//
// Plain C++, no SystemC: the controller decides when to advance (causality) and wakes the
// initiators whose transactions finished.
#pragma once
#include "ddr_address_map.h"
#include "ddr_channel_model.h"
#include "ddr_config.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace dlvp {

class DdrScheduler {
 public:
  using Slot = unsigned;
  // Called when the last column command of a queued transaction has issued.
  using Done = std::function<void(Slot slot, DdrCycle data_end)>;

  DdrScheduler(DdrChannelModel& channel, const DdrConfig& config, const DdrTiming& timing);

  // Requests waiting (queued, not yet served) in the read or write queue.
  unsigned queued(bool write) const { return write ? writes_ : reads_; }
  bool idle() const { return reads_ + writes_ == 0; }
  bool has_room(bool write) const;
  // Queues a transaction whose bursts in this channel are `bursts` (in address order), ready at
  // `ready`. The slot stays reserved until release(slot), after the Done callback.
  Slot enqueue(const std::vector<DdrLocation>& bursts, bool write, TagId tag, DdrCycle ready);
  void release(Slot slot);
  // `bursts` served at once for another transaction bypassed every queued request.
  void bypass_all(uint64_t bursts);
  bool starving() const { return starving_ > 0; }
  size_t slots() const { return entries_.size(); }
  // Issues every command up to and including cycle `last` (requests ready later cannot change
  // these decisions). Calls `done` for each transaction that finishes.
  void advance(DdrCycle last, const Done& done);
  // Cycle of the next command the queued requests may issue (DdrChannelModel::kNone when idle).
  DdrCycle next_decision() const { return idle() ? DdrChannelModel::kNone : next_; }

 private:
  enum class Kind : uint8_t { none, column, row };
  struct Entry {
    bool queued = false, reserved = false, write = false;
    uint64_t order = 0;          // arrival order
    DdrCycle ready = 0;
    TagId tag = kUntagged;
    std::vector<DdrLocation> bursts;
    size_t next = 0;             // first burst not yet served
    bool row_opened = false;     // this burst's row was activated for it (empty or conflict)
    bool row_closed = false;     // this burst's request precharged another row (conflict)
    unsigned bypassed = 0;
    DdrCycle data_end = 0;
    // Cached: `outcome` is refreshed whenever a command touches the burst's bank; `earliest`
    // stays a lower bound until then (constraints only grow); 0 asks for a new evaluation.
    RowOutcome outcome = RowOutcome::empty;
    Kind kind = Kind::none;
    DdrCycle earliest = 0;
    const DdrLocation& burst() const { return bursts[next]; }
  };
  struct Choice {
    Entry* entry = nullptr;
    Kind kind = Kind::none;
  };

  Choice choose(DdrCycle t);
  bool use_writes();
  void evaluate(Entry& e, DdrCycle t, bool protect_hits, bool writes);
  bool open_row_hit(const DdrLocation& bank, DdrCycle t, bool writes);
  DdrCycle exact_next(DdrCycle t, bool writes);
  void invalidate(Entry& e);
  void invalidate_bank(const DdrLocation& bank);
  void invalidate_all();
  void issue(const Choice& choice, DdrCycle t, const Done& done);
  void finish(Entry& e, const Done& done);
  size_t bank_index(const DdrLocation& l) const { return size_t(l.rank) * banks_ + l.bank; }

  DdrChannelModel& channel_;
  const DdrCycle activate_to_column_;   // tRCD: an activate that a refresh would cut is not issued
  const unsigned read_depth_, write_depth_, high_, low_, starvation_cap_;
  const bool closed_page_;
  const unsigned banks_;
  std::vector<Entry> entries_;
  std::vector<Entry*> queue_;           // the queued entries, in arrival order
  std::vector<uint8_t> open_row_hit_;  // per bank: a queued request of the served direction hits its open row
  bool hits_known_ = false;            // open_row_hit_ is computed for the decision at hand
  unsigned starving_ = 0;              // queued requests bypassed starvation_cap times
  unsigned reads_ = 0, writes_ = 0;
  uint64_t arrivals_ = 0;
  bool draining_writes_ = false;
  DdrCycle cursor_ = 0;                 // every cycle before this one is decided
  DdrCycle next_ = DdrChannelModel::kNone;
};

}  // namespace dlvp
