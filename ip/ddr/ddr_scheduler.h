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

#include <array>
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
  bool has_room(bool write) const {
    return queued(write) < (write ? write_depth_ : read_depth_) && !free_slots_.empty();
  }
  // Queues a transaction whose bursts in this channel are `bursts` (in address order), ready at
  // `ready`. The slot stays reserved until release(slot), after the Done callback.
  Slot enqueue(const std::vector<DdrLocation>& bursts, bool write, TagId tag, DdrCycle ready);
  void release(Slot slot);
  // `bursts` served at once for another transaction bypassed every queued request.
  void bypass_all(uint64_t bursts);
  // The channel's rows or timing changed outside the scheduler (a transaction served at once, a
  // refresh or power state brought up to date for a report): every decision is made again.
  void channel_changed();
  // Serves the starving requests at once, oldest first, in order after what is committed (when an
  // initiator that keeps several transactions in flight would otherwise have to queue behind them).
  void serve_starving_at_once(const Done& done);
  size_t slots() const { return entries_.size(); }
  // Issues every command up to and including cycle `last` (requests ready later cannot change
  // these decisions). Calls `done` for each transaction that finishes.
  void advance(DdrCycle last, const Done& done);
  // Cycle of the next command the queued requests may issue (DdrChannelModel::kNone when idle).
  DdrCycle next_decision() const { return idle() ? DdrChannelModel::kNone : next_; }

 private:
  enum class Kind : uint8_t { none, column, row };
  struct Entry {
    bool write = false;
    uint64_t order = 0;          // arrival order
    DdrCycle ready = 0;
    TagId tag = kUntagged;
    std::vector<DdrLocation> bursts;
    size_t next = 0;             // first burst not yet served
    bool row_opened = false;     // this burst's row was activated for it (empty or conflict)
    bool row_closed = false;     // this burst's request precharged another row (conflict)
    unsigned bypassed = 0;
    DdrCycle data_end = 0;
    const DdrLocation& burst() const { return bursts[next]; }
  };
  // The command a request's burst needs next and the earliest cycle it may issue.
  struct Command {
    Entry* entry = nullptr;
    Kind kind = Kind::none;
    DdrCycle at = DdrChannelModel::kNone;
  };
  // Per bank and direction, the queued requests whose next burst is in the bank, in arrival
  // order. Only the bank's candidate can issue: its oldest ready row hit (a column command), else
  // its oldest ready request (precharge or activate). The candidate is kept until the bank's rows
  // or requests change or a waiting request becomes ready, its cycle until a command moves its
  // group's limits (versions_), so a decision costs one pass over the banks.
  // A request waiting in a bank: what the candidate search reads, kept in the bank's list (not
  // read through the entry).
  struct Waiting {
    Entry* entry = nullptr;
    uint64_t order = 0;  // the entry's
    DdrCycle ready = 0;  // the entry's
    uint64_t row = 0;    // of its burst in this bank
  };
  struct Bank {
    unsigned rank = 0, bank = 0, group = 0, gate = 0;  // gate: index of its (rank, group) in gates_
    std::array<std::vector<Waiting>, 2> waiting;  // [write], in arrival order
    bool stale = true;                           // the candidate must be found again
    Entry* entry = nullptr;                      // the candidate (none: no request ready)
    RowOutcome outcome = RowOutcome::hit;        // of the candidate's row: column, precharge or activate
    DdrCycle limit = 0;                          // the bank's own limit for that command
    DdrCycle at = 0;                             // the command's cycle: max(limit, its group's limit)
    uint64_t rank_key = 0;                       // of its command after the cycle: see command_key
    uint64_t version = 0;                        // of the group limits `at` was read from
    DdrCycle next_ready = DdrChannelModel::kNone;  // earliest ready cycle of a request not ready yet
  };
  // Per (rank, bank group), the group's limit for each command (by RowOutcome): read at most once
  // per decision for all its banks.
  struct Gate {
    std::array<DdrCycle, 3> limit{};
    std::array<uint64_t, 3> pass{};  // the decision the limit was read for
  };

  // Whether writes are served (the direction decided again). Inline while no write is queued or
  // draining: asked at every decision.
  bool use_writes() { return writes_ == 0 && !draining_writes_ && high_ > 0 ? false : update_direction(); }
  bool update_direction();
  DdrCycle earliest(const DdrLocation& burst, RowOutcome outcome, bool write, DdrCycle t) const;
  // An activate whose column command a refresh would cut waits for the refresh.
  DdrCycle activate_before_refresh(DdrCycle at, DdrCycle refresh, DdrCycle t) const {
    return at + activate_to_column_ >= refresh ? std::max(t, refresh) : at;
  }
  // The limit shared by the bank's group for its candidate's command, read once per decision
  // (inline: the pass over the banks asks it for each bank whose limits moved).
  DdrCycle gate_limit(const Bank& bank, bool writes) {
    Gate& gate = gates_[bank.gate];
    const size_t kind = size_t(bank.outcome);
    if (gate.pass[kind] != pass_) {
      gate.limit[kind] = channel_.group_limit(bank.rank, bank.group, bank.outcome, writes);
      gate.pass[kind] = pass_;
    }
    return gate.limit[kind];
  }
  Command command_of(Entry& e, DdrCycle t) const;
  void find_candidate(Bank& bank, DdrCycle t, bool writes);
  Command choose(DdrCycle t);
  static bool better(const Command& a, const Command& b) {  // a goes before b
    return !b.entry || (a.kind == Kind::column && b.kind != Kind::column) ||
           (a.kind == b.kind && a.entry->order < b.entry->order);
  }
  // Orders commands as better() does, after their cycle: a row command after a column command,
  // then the older request (arrival orders stay below 2^63). The part after the cycle is kept
  // with the bank's candidate.
  static uint64_t rank_key(bool row, uint64_t order) { return (uint64_t(row) << 63) | order; }
  static unsigned __int128 command_key(DdrCycle at, uint64_t rank_key) {
    return (static_cast<unsigned __int128>(uint64_t(at)) << 64) | rank_key;
  }
  void replan(Entry& arriving);
  void invalidate_all();
  void changed() { ++generation_; }
  void issue(const Command& command, DdrCycle t, const Done& done);
  void wait_in_bank(Entry& e);
  void leave_bank(Entry& e);
  void mark_occupied(size_t bank, bool write, bool occupied) {
    uint64_t& word = occupied_[write][bank / 64];
    const uint64_t bit = uint64_t(1) << (bank % 64);
    word = occupied ? word | bit : word & ~bit;
  }
  void finish(Entry& e, const Done& done);
  Bank& bank_of(const DdrLocation& l) { return banks_[size_t(l.rank) * banks_per_rank_ + l.bank]; }

  DdrChannelModel& channel_;
  const DdrCycle activate_to_column_;   // tRCD: an activate that a refresh would cut is not issued
  const unsigned read_depth_, write_depth_, high_, low_, starvation_cap_;
  const bool closed_page_;
  const unsigned banks_per_rank_, ranks_;
  std::vector<Entry> entries_;
  std::vector<Slot> free_slots_;
  std::vector<Entry*> queue_;           // the queued entries, in arrival order
  std::vector<Bank> banks_;             // rank x banks + bank
  // Per direction, a bit per bank with a waiting request (64 banks a word): a decision visits
  // only those.
  std::array<std::vector<uint64_t>, 2> occupied_;
  const unsigned groups_;
  std::vector<Gate> gates_;             // rank x bank groups + group
  std::vector<DdrCycle> refreshes_;     // per rank, the next refresh, read once per decision
  uint64_t pass_ = 0;                   // decisions that read the channel
  DdrCycle refresh_due_ = 0;            // no refresh is due before this cycle
  // Per command (by RowOutcome), counts the issued commands that move its group limits: a
  // column command the column limits (tCCD, tWTR, the data bus), an activate the activate limits
  // (tRRD, tFAW); a precharge moves only its bank's. A bank whose `at` was read at the current
  // version keeps it.
  std::array<uint64_t, 3> versions_{};
  unsigned starving_ = 0;              // queued requests bypassed starvation_cap times
  unsigned reads_ = 0, writes_ = 0;
  uint64_t arrivals_ = 0;
  bool draining_writes_ = false;
  DdrCycle cursor_ = 0;                 // every cycle before this one is decided
  DdrCycle next_ = DdrChannelModel::kNone;
  // The command a decision found for next_ (when no request becomes ready and no refresh falls
  // before): issued then without another pass, unless something changed (generation_).
  Command planned_;
  uint64_t generation_ = 0, planned_generation_ = 0;
};

}  // namespace dlvp
