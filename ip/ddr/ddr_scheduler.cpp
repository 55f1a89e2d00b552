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
      banks_per_rank_(timing.banks),
      ranks_(config.ranks),
      entries_(kSlotsPerQueuePlace * (config.read_queue_depth + config.write_queue_depth)),
      banks_(size_t(config.ranks) * timing.banks),
      groups_(timing.bank_groups),
      gates_(size_t(config.ranks) * timing.bank_groups),
      refreshes_(config.ranks) {
  for (Slot s = Slot(entries_.size()); s > 0; --s) free_slots_.push_back(s - 1);
  versions_.fill(1);  // a bank's version 0: never read
  for (std::vector<uint64_t>& words : occupied_) words.assign((banks_.size() + 63) / 64, 0);
  for (size_t i = 0; i < banks_.size(); ++i) {
    Bank& bank = banks_[i];
    bank.rank = unsigned(i / banks_per_rank_);
    bank.bank = unsigned(i % banks_per_rank_);
    bank.group = bank.bank % groups_;
    bank.gate = bank.rank * groups_ + bank.group;
  }
}

DdrScheduler::Slot DdrScheduler::enqueue(const std::vector<DdrLocation>& bursts, bool write, TagId tag,
                                         DdrCycle ready) {
  const Slot slot = free_slots_.back();  // the controller checked has_room()
  free_slots_.pop_back();
  Entry& e = entries_[slot];
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
  queue_.push_back(&e);  // in arrival order
  const bool planned = planned_.entry && planned_generation_ == generation_;
  wait_in_bank(e);
  ++(write ? writes_ : reads_);
  if (planned) replan(e);
  next_ = std::min(next_, std::max(ready, cursor_));
  return slot;
}

// A new request changes only its bank's candidate: the planned decision stands, or becomes this
// bank's command if that goes first. Decided again when the direction turns, when the bank held
// the planned command (the next best elsewhere is not known) or when a request of the bank
// becomes ready before the planned cycle.
void DdrScheduler::replan(Entry& e) {
  const bool writes = draining_writes_;
  if (use_writes() != writes) return;
  if (e.write != writes) {
    planned_generation_ = generation_;
    return;
  }
  Bank& bank = bank_of(e.burst());
  if (&bank == &bank_of(planned_.entry->burst())) return;
  const DdrCycle t = std::max(e.ready, cursor_);
  find_candidate(bank, t, writes);
  bank.stale = true;  // found for t, not for the decisions before
  if (bank.entry) {
    DdrCycle at = std::max({t, bank.limit, channel_.group_limit(bank.rank, bank.group, bank.outcome, writes)});
    if (bank.outcome == RowOutcome::empty) at = activate_before_refresh(at, channel_.next_refresh(bank.rank), t);
    const Command command{bank.entry, bank.outcome == RowOutcome::hit ? Kind::column : Kind::row, at};
    if (command.at < planned_.at || (command.at == planned_.at && better(command, planned_))) planned_ = command;
  }
  if (planned_.at >= bank.next_ready) return;
  planned_generation_ = generation_;
  next_ = std::min(next_, planned_.at);
}

void DdrScheduler::release(Slot slot) { free_slots_.push_back(slot); }

// The transaction served at once may have opened or closed rows of the queued requests' banks.
void DdrScheduler::bypass_all(uint64_t bursts) {
  for (Entry* e : queue_) {
    const bool was_starving = e->bypassed >= starvation_cap_;
    e->bypassed = unsigned(std::min<uint64_t>(e->bypassed + bursts, starvation_cap_));
    if (!was_starving && e->bypassed >= starvation_cap_) ++starving_;
  }
  channel_changed();
}

void DdrScheduler::serve_starving_at_once(const Done& done) {
  while (starving_ > 0) {
    Entry& e = **std::find_if(queue_.begin(), queue_.end(),
                              [this](const Entry* q) { return q->bypassed >= starvation_cap_; });
    leave_bank(e);
    for (; e.next < e.bursts.size(); ++e.next) {
      const DdrLocation& b = e.burst();
      const BurstRequest request{e.ready, b.rank, b.bank, b.row, e.write, e.tag};
      e.data_end = std::max(e.data_end, channel_.access_queued(request).data_end);
    }
    channel_changed();
    finish(e, done);
  }
}

void DdrScheduler::channel_changed() {
  invalidate_all();
  next_ = std::min(next_, cursor_);
}

void DdrScheduler::advance(DdrCycle last, const Done& done) {
  DdrCycle t = cursor_;
  while (!idle() && t <= last) {
    const Command command = choose(t);
    if (command.entry) {
      issue(command, t, done);  // one command per cycle: the command bus
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
bool DdrScheduler::update_direction() {
  const bool was = draining_writes_;
  if (!draining_writes_) draining_writes_ = writes_ >= high_ || (reads_ == 0 && writes_ > 0);
  else draining_writes_ = writes_ > 0 && (writes_ > low_ || reads_ == 0);
  if (draining_writes_ != was) invalidate_all();  // the candidates were of the other direction
  return draining_writes_;
}

void DdrScheduler::invalidate_all() {
  for (Bank& bank : banks_) bank.stale = true;
  for (uint64_t& version : versions_) ++version;
  changed();
}

// The earliest cycle (at or after t) of the command a burst with this row outcome needs next.
DdrCycle DdrScheduler::earliest(const DdrLocation& b, RowOutcome outcome, bool write, DdrCycle t) const {
  const DdrCycle at = std::max(t, channel_.earliest(b.rank, b.bank, outcome, write));
  return outcome == RowOutcome::empty ? activate_before_refresh(at, channel_.next_refresh(b.rank), t) : at;
}

DdrScheduler::Command DdrScheduler::command_of(Entry& e, DdrCycle t) const {
  const DdrLocation& b = e.burst();
  const RowOutcome outcome = channel_.row_outcome(b.rank, b.bank, b.row);
  return {&e, outcome == RowOutcome::hit ? Kind::column : Kind::row, earliest(b, outcome, e.write, t)};
}

// The bank's candidate at t: its oldest ready row hit, else its oldest ready request (a row that
// ready requests still hit is not closed).
void DdrScheduler::find_candidate(Bank& bank, DdrCycle t, bool writes) {
  bank.entry = nullptr;
  bank.next_ready = DdrChannelModel::kNone;
  bank.stale = false;
  const DdrChannelModel::OpenRow open = channel_.open_row_of(bank.rank, bank.bank);  // the requests' bank
  for (const Waiting& w : bank.waiting[writes]) {
    if (w.ready > t) {
      bank.next_ready = std::min(bank.next_ready, w.ready);
      continue;
    }
    const RowOutcome outcome = open.outcome(w.row);
    if (outcome == RowOutcome::hit || !bank.entry) {
      bank.entry = w.entry;
      bank.outcome = outcome;
    }
    if (outcome == RowOutcome::hit) break;
  }
  if (!bank.entry) return;
  bank.limit = channel_.bank_limit(bank.rank, bank.bank, bank.outcome);
  bank.rank_key = rank_key(bank.outcome != RowOutcome::hit, bank.entry->order);
  bank.version = 0;  // its `at` is read again
}

// Of the banks' candidates that may issue at t: a column command before a row command, then the
// oldest. When none may, the same pass gives the next cycle one may (or a request becomes ready)
// and the command that will go then.
DdrScheduler::Command DdrScheduler::choose(DdrCycle t) {
  if (t >= refresh_due_) {  // refreshes only come later (a lower bound: a skipped one moves it on)
    if (channel_.refresh_until(t)) invalidate_all();
    refresh_due_ = DdrChannelModel::kNone;
    for (unsigned r = 0; r < ranks_; ++r) refresh_due_ = std::min(refresh_due_, channel_.next_refresh(r));
  }
  const bool writes = use_writes();
  if (planned_.entry && planned_generation_ == generation_ && t <= planned_.at) {
    if (t == planned_.at) return planned_;
    next_ = planned_.at;  // nothing may issue before (the pass that planned it found so)
    return Command{};
  }
  planned_ = Command{};
  if (starving_ > 0) {
    for (Entry* e : queue_) {
      if (e->bypassed < starvation_cap_) continue;
      const Command command = command_of(*e, t);  // the oldest starving request goes alone
      next_ = command.at;
      return command.at <= t ? command : Command{};
    }
  }
  ++pass_;
  for (unsigned r = 0; r < ranks_; ++r) refreshes_[r] = channel_.next_refresh(r);
  // The first command by (cycle, column before row, arrival order): at t, the one that goes;
  // after t, the next that may. One key compare per bank (no branch on which case it is).
  unsigned __int128 first = ~static_cast<unsigned __int128>(0);
  Entry* first_entry = nullptr;
  DdrCycle next_ready = DdrChannelModel::kNone;
  const std::vector<uint64_t>& occupied = occupied_[writes];
  const std::array<uint64_t, 3> versions = versions_;  // a local copy: the compiler keeps it in registers
  for (size_t w = 0; w < occupied.size(); ++w) {
    for (uint64_t bits = occupied[w]; bits != 0; bits &= bits - 1) {
      Bank& bank = banks_[w * 64 + size_t(__builtin_ctzll(bits))];
      if (bank.stale || bank.next_ready <= t) find_candidate(bank, t, writes);
      next_ready = std::min(next_ready, bank.next_ready);
      if (!bank.entry) continue;
      const uint64_t version = versions[size_t(bank.outcome)];
      if (bank.version != version) {
        bank.at = std::max(bank.limit, gate_limit(bank, writes));
        bank.version = version;
      }
      DdrCycle at = std::max(t, bank.at);
      if (bank.outcome == RowOutcome::empty) at = activate_before_refresh(at, refreshes_[bank.rank], t);
      const unsigned __int128 key = command_key(at, bank.rank_key);
      if (key < first) {
        first = key;
        first_entry = bank.entry;
      }
    }
  }
  Command plan;
  if (first_entry) {
    plan = Command{first_entry, uint64_t(first) >> 63 ? Kind::row : Kind::column, DdrCycle(first >> 64)};
  }
  const bool now = plan.entry && plan.at == t;
  next_ = now ? t : std::min(plan.at, next_ready);
  // The decision at next_ stands until something changes, unless a request becomes ready or a
  // refresh falls due first.
  const DdrCycle refresh = *std::min_element(refreshes_.begin(), refreshes_.end());
  if (plan.entry && (now || (plan.at < next_ready && plan.at < refresh))) {
    planned_ = plan;
    planned_generation_ = generation_;
  }
  return now ? plan : Command{};
}

void DdrScheduler::issue(const Command& command, DdrCycle t, const Done& done) {
  Entry& e = *command.entry;
  const DdrLocation b = e.burst();
  bank_of(b).stale = true;  // its row or its requests changed
  changed();
  const BurstRequest request{t, b.rank, b.bank, b.row, e.write, e.tag};
  if (command.kind == Kind::row) {
    if (channel_.row_outcome(b.rank, b.bank, b.row) == RowOutcome::conflict) {
      channel_.precharge(b.rank, b.bank, t, e.tag);
      e.row_closed = true;
    } else {
      channel_.activate(request, t);
      e.row_opened = true;
      ++versions_[size_t(RowOutcome::empty)];
    }
    return;
  }
  ++versions_[size_t(RowOutcome::hit)];
  const RowOutcome outcome = e.row_closed ? RowOutcome::conflict : e.row_opened ? RowOutcome::empty : RowOutcome::hit;
  e.data_end = std::max(e.data_end, channel_.column(request, t, outcome));
  e.row_opened = e.row_closed = false;
  for (Entry* older : queue_) {
    if (older == &e) break;  // arrival order
    if (older->ready <= t && ++older->bypassed == starvation_cap_) ++starving_;
  }
  leave_bank(e);
  if (++e.next == e.bursts.size()) finish(e, done);
  else wait_in_bank(e);
}

// Into its next burst's bank, in arrival order.
void DdrScheduler::wait_in_bank(Entry& e) {
  Bank& bank = bank_of(e.burst());
  std::vector<Waiting>& waiting = bank.waiting[e.write];
  mark_occupied(size_t(&bank - banks_.data()), e.write, true);
  const auto later = std::upper_bound(waiting.begin(), waiting.end(), e.order,
                                      [](uint64_t order, const Waiting& w) { return order < w.order; });
  waiting.insert(later, Waiting{&e, e.order, e.ready, e.burst().row});
  bank.stale = true;
  changed();
}

void DdrScheduler::leave_bank(Entry& e) {
  Bank& bank = bank_of(e.burst());
  std::vector<Waiting>& waiting = bank.waiting[e.write];
  waiting.erase(std::find_if(waiting.begin(), waiting.end(), [&e](const Waiting& w) { return w.entry == &e; }));
  if (waiting.empty()) mark_occupied(size_t(&bank - banks_.data()), e.write, false);
}

void DdrScheduler::finish(Entry& e, const Done& done) {
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
        bank_of(b).stale = true;
        changed();
      }
    }
  }
  done(Slot(&e - entries_.data()), e.data_end);
}

}  // namespace dlvp
