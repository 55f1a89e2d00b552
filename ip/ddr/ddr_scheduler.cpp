#include "ddr_scheduler.h"

#include <algorithm>

namespace dlvp {

namespace {
// Slots beyond the queue depths: a finished transaction keeps its slot until its initiator has
// collected the result, while a new one may already take its place in the queue.
constexpr unsigned kSlotsPerQueuePlace = 2;
}  // namespace

DdrScheduler::DdrScheduler(DdrChannelModel& channel, const DdrConfig& config, const DdrTiming& timing)
    : channel_(channel),
      activate_to_column_(timing.tRCD),
      read_depth_(config.read_queue_depth),
      write_depth_(config.write_queue_depth),
      high_(config.write_high_watermark),
      low_(config.write_low_watermark),
      starvation_cap_(config.starvation_cap),
      closed_page_(config.closed_page()),
      banks_(timing.banks),
      entries_(kSlotsPerQueuePlace * (config.read_queue_depth + config.write_queue_depth)),
      open_row_hit_(size_t(config.ranks) * timing.banks, 0) {}

bool DdrScheduler::has_room(bool write) const {
  if (queued(write) >= (write ? write_depth_ : read_depth_)) return false;
  return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.reserved; });
}

DdrScheduler::Slot DdrScheduler::enqueue(const std::vector<DdrLocation>& bursts, bool write, TagId tag,
                                         DdrCycle ready) {
  const auto free = std::find_if(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.reserved; });
  Entry& e = *free;  // the controller checked has_room()
  e.queued = e.reserved = true;
  e.write = write;
  e.order = arrivals_++;
  e.ready = ready;
  e.tag = tag;
  e.bursts.assign(bursts.begin(), bursts.end());
  for (const DdrLocation& b : bursts) channel_.queue_burst(b.rank, ready, write);
  e.next = 0;
  e.row_opened = e.row_closed = false;
  e.bypassed = 0;
  e.data_end = 0;
  invalidate(e);
  queue_.push_back(&e);  // in arrival order
  ++(write ? writes_ : reads_);
  next_ = std::min(next_, std::max(ready, cursor_));
  return Slot(free - entries_.begin());
}

void DdrScheduler::release(Slot slot) { entries_[slot].reserved = false; }

void DdrScheduler::bypass_all(uint64_t bursts) {
  for (Entry* e : queue_) {
    const bool was_starving = e->bypassed >= starvation_cap_;
    e->bypassed = unsigned(std::min<uint64_t>(e->bypassed + bursts, starvation_cap_));
    if (!was_starving && e->bypassed >= starvation_cap_) ++starving_;
  }
}

void DdrScheduler::advance(DdrCycle last, const Done& done) {
  DdrCycle t = cursor_;
  while (!idle() && t <= last) {
    const Choice choice = choose(t);
    if (choice.entry) {
      issue(choice, t, done);  // one command per cycle: the command bus
      next_ = ++t;
      continue;
    }
    if (next_ > last) {
      t = last + 1;
      break;
    }
    t = std::max(t + 1, next_);
  }
  cursor_ = std::max(cursor_, std::min(t, last + 1));
  // Where the next decision lies (nothing is issued beyond `last`), so that the controller
  // sleeps until then instead of waking every cycle.
  if (!idle() && next_ == cursor_ && choose(cursor_).entry) next_ = cursor_;
}

// Reads are served until the writes reach the high watermark or no read is queued; a drain
// runs down to the low watermark while reads wait, to empty otherwise.
bool DdrScheduler::use_writes() {
  const bool was = draining_writes_;
  if (!draining_writes_) draining_writes_ = writes_ >= high_ || (reads_ == 0 && writes_ > 0);
  else draining_writes_ = writes_ > 0 && (writes_ > low_ || reads_ == 0);
  if (draining_writes_ != was) invalidate_all();  // the other direction's entries were not evaluated
  return draining_writes_;
}

void DdrScheduler::invalidate(Entry& e) {
  const DdrLocation& b = e.burst();
  e.outcome = channel_.row_outcome(b.rank, b.bank, b.row);
  e.earliest = 0;
}

void DdrScheduler::invalidate_bank(const DdrLocation& bank) {
  for (Entry* e : queue_)
    if (e->burst().bank == bank.bank && e->burst().rank == bank.rank) invalidate(*e);
}

void DdrScheduler::invalidate_all() {
  for (Entry* e : queue_) invalidate(*e);
}

// The next command of `e`'s burst and the earliest cycle (at or after t) it may issue.
void DdrScheduler::evaluate(Entry& e, DdrCycle t, bool protect_hits, bool writes) {
  const DdrLocation& b = e.burst();
  switch (e.outcome) {
    case RowOutcome::hit:
      e.kind = Kind::column;
      e.earliest = std::max(t, channel_.earliest_column(b.rank, b.bank, e.write));
      return;
    case RowOutcome::conflict:
      if (protect_hits && open_row_hit(b, t, writes)) {
        e.kind = Kind::none;  // the hits go first; their column commands re-evaluate this bank
        e.earliest = DdrChannelModel::kNone;
        return;
      }
      e.kind = Kind::row;
      e.earliest = std::max(t, channel_.earliest_precharge(b.rank, b.bank));
      return;
    case RowOutcome::empty: break;
  }
  e.kind = Kind::row;
  e.earliest = std::max(t, channel_.earliest_activate(b.rank, b.bank));
  // An activate whose column command a refresh would cut waits for the refresh.
  const DdrCycle refresh = channel_.next_refresh(b.rank);
  if (e.earliest + activate_to_column_ >= refresh) e.earliest = std::max(t, refresh);
}

// Candidates in priority order (queue_ is in arrival order): the first whose command may issue
// at t wins, so most waiting requests are not evaluated again.
DdrScheduler::Choice DdrScheduler::choose(DdrCycle t) {
  if (channel_.refresh_until(t)) invalidate_all();
  const bool writes = use_writes();
  if (starving_ > 0) {
    for (Entry* e : queue_) {
      if (e->bypassed < starvation_cap_) continue;
      evaluate(*e, t, false, writes);  // the oldest starving request goes alone
      next_ = e->earliest;
      return e->earliest <= t ? Choice{e, e->kind} : Choice{};
    }
  }
  hits_known_ = false;
  for (const bool columns : {true, false}) {
    for (Entry* e : queue_) {
      if (e->ready > t || e->write != writes || (e->outcome == RowOutcome::hit) != columns) continue;
      if (e->earliest <= t) evaluate(*e, t, true, writes);
      if (e->kind != Kind::none && e->earliest <= t) return Choice{e, e->kind};
    }
  }
  next_ = exact_next(t, writes);
  return Choice{};
}

// The next cycle a queued request may issue a command. The cached earliest cycles are lower
// bounds: the smallest is evaluated again until it holds.
DdrCycle DdrScheduler::exact_next(DdrCycle t, bool writes) {
  for (;;) {
    DdrCycle next = DdrChannelModel::kNone;
    for (const Entry* e : queue_)
      next = std::min(next, e->ready > t ? e->ready : e->write == writes ? e->earliest : DdrChannelModel::kNone);
    bool moved = false;
    for (Entry* e : queue_) {
      if (e->ready > t || e->write != writes || e->earliest != next) continue;
      evaluate(*e, next, true, writes);
      moved = moved || e->earliest != next;
    }
    if (!moved || next == DdrChannelModel::kNone) return next;
  }
}

// Which banks' open rows the queued requests of the served direction still hit (computed once
// per decision, when a row conflict asks).
bool DdrScheduler::open_row_hit(const DdrLocation& bank, DdrCycle t, bool writes) {
  if (!hits_known_) {
    std::fill(open_row_hit_.begin(), open_row_hit_.end(), 0);
    for (const Entry* e : queue_)
      if (e->ready <= t && e->write == writes && e->outcome == RowOutcome::hit) open_row_hit_[bank_index(e->burst())] = 1;
    hits_known_ = true;
  }
  return open_row_hit_[bank_index(bank)] != 0;
}

void DdrScheduler::issue(const Choice& choice, DdrCycle t, const Done& done) {
  Entry& e = *choice.entry;
  const DdrLocation b = e.burst();
  const BurstRequest request{t, b.rank, b.bank, b.row, e.write, e.tag};
  if (choice.kind == Kind::row) {
    if (e.outcome == RowOutcome::conflict) {
      channel_.precharge(b.rank, b.bank, t, e.tag);
      e.row_closed = true;
    } else {
      channel_.activate(request, t);
      e.row_opened = true;
    }
    invalidate_bank(b);
    return;
  }
  const RowOutcome outcome = e.row_closed ? RowOutcome::conflict : e.row_opened ? RowOutcome::empty : RowOutcome::hit;
  e.data_end = std::max(e.data_end, channel_.column(request, t, outcome));
  e.row_opened = e.row_closed = false;
  for (Entry* older : queue_) {
    if (older == &e) break;  // arrival order
    if (older->ready <= t && ++older->bypassed == starvation_cap_) ++starving_;
  }
  invalidate_bank(b);  // the column command moved the bank's precharge limit
  if (++e.next == e.bursts.size()) finish(e, done);
  else invalidate_bank(e.burst());
}

void DdrScheduler::finish(Entry& e, const Done& done) {
  e.queued = false;
  queue_.erase(std::find(queue_.begin(), queue_.end(), &e));
  if (e.bypassed >= starvation_cap_) --starving_;
  --(e.write ? writes_ : reads_);
  if (closed_page_) {
    for (size_t i = 0; i < e.bursts.size(); ++i) {
      const DdrLocation& b = e.bursts[i];
      const bool first = std::none_of(e.bursts.begin(), e.bursts.begin() + i, [&](const DdrLocation& o) {
        return o.rank == b.rank && o.bank == b.bank;
      });
      if (first) {
        channel_.auto_precharge(b.rank, b.bank, e.tag);
        invalidate_bank(b);
      }
    }
  }
  done(Slot(&e - entries_.data()), e.data_end);
}

}  // namespace dlvp
