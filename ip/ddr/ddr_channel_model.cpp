#include "ddr_channel_model.h"

#include <algorithm>

namespace dlvp {

DdrChannelModel::DdrChannelModel(const DdrTiming& timing, unsigned channel, unsigned ranks,
                                 const DdrPowerParams& power, EnergyLedger& ledger, const std::string& module,
                                 DdrStats& stats)
    : t_(timing),
      channel_(channel),
      ranks_count_(ranks),
      refresh_(power.refresh),
      burst_cycles_(timing.burst_cycles()),
      energy_(ledger, module, channel, timing, power.slow_exit),
      stats_(stats),
      ranks_(ranks) {
  power_.reserve(ranks);
  for (unsigned r = 0; r < ranks; ++r) power_.emplace_back(power, r);
  for (Rank& rank : ranks_) {
    rank.banks.resize(t_.banks);
    rank.last_act.assign(t_.bank_groups, kNever);
    rank.last_cas.assign(t_.bank_groups, kNever);
    rank.last_write_end.assign(t_.bank_groups, kNever);
  }
}

BurstResult DdrChannelModel::access(const BurstRequest& arrived) {
  // A rank in power-down or self-refresh is woken first; the exit latency delays this request.
  BurstRequest request = arrived;
  request.ready = std::max(request.ready, wake(arrived.rank, arrived.ready, arrived.write).command);
  Rank& rank = ranks_[request.rank];
  Bank& bank = rank.banks[request.bank];
  const Plan p = refresh_ ? plan_around_refreshes(rank, bank, request) : plan(rank, bank, request, request.ready);
  commit(rank, bank, request, p);
  return BurstResult{p.outcome, p.cas, p.data_end};
}

DdrWake DdrChannelModel::wake(unsigned rank_index, DdrCycle ready, bool write) {
  const DdrWake woken = power_[rank_index].wake(ready, !write, *this, stats_.power);
  Rank& rank = ranks_[rank_index];
  rank.command_allowed = std::max(rank.command_allowed, woken.command);
  rank.read_allowed = std::max(rank.read_allowed, woken.read);
  return woken;
}

void DdrChannelModel::queue_burst(unsigned rank, DdrCycle ready, bool write) {
  wake(rank, ready, write);
  power_[rank].hold();
}

BurstResult DdrChannelModel::access_queued(const BurstRequest& request) {
  const BurstResult result = access(request);
  power_[request.rank].release();  // queue_burst's hold
  return result;
}

// Plans outside refresh windows: when the commands would run into a refresh, the rank refreshes
// first (closing its rows) and the burst is planned again after it.
DdrChannelModel::Plan DdrChannelModel::plan_around_refreshes(Rank& rank, const Bank& bank,
                                                             const BurstRequest& request) {
  const DdrCycle refi = t_.tREFI;
  DdrCycle ready = request.ready;
  for (int attempt = 0;; ++attempt) {
    ready = respect_refresh(rank, ready);
    const Plan p = plan(rank, bank, request, ready);
    const DdrCycle next_refresh = (ready / refi + 1) * refi;
    if (p.cas < next_refresh || attempt == kMaxReplans) return p;
    ready = std::max(next_refresh, p.first_command() / refi * refi);
  }
}

DdrChannelModel::Plan DdrChannelModel::plan(const Rank& rank, const Bank& bank, const BurstRequest& request,
                                            DdrCycle ready) const {
  Plan p;
  const unsigned group = request.bank % t_.bank_groups;
  DdrCycle cas_ready = 0;
  if (bank.open && bank.row == request.row) {
    p.outcome = RowOutcome::hit;
    cas_ready = std::max(ready, bank.cas_allowed);
  } else {
    DdrCycle act_ready = ready;
    p.outcome = bank.open ? RowOutcome::conflict : RowOutcome::empty;
    if (bank.open) {
      p.pre = std::max(ready, bank.pre_allowed);
      act_ready = p.pre + t_.tRP;
    }
    p.act = std::max({act_ready, bank.act_allowed, activate_constraint(rank, group)});
    cas_ready = p.act + t_.tRCD;
  }
  const DdrCycle latency = request.write ? t_.CWL : t_.CL;
  DdrCycle cas = std::max(cas_ready, column_constraint(rank, group, request.write));
  cas = std::max(cas, bus_constraint(request.rank, request.write) - latency);  // data must find the bus free
  p.cas = cas;
  p.data_end = cas + latency + burst_cycles_;
  return p;
}

void DdrChannelModel::commit(Rank& rank, Bank& bank, const BurstRequest& request, const Plan& p) {
  if (p.outcome == RowOutcome::conflict) close_row(rank, bank, p.pre, request.tag);
  if (p.act != kNever) open_row(request, bank, p.act);
  column_command(rank, bank, request, p.cas, p.outcome);
}

DdrCycle DdrChannelModel::column_command(Rank& rank, Bank& bank, const BurstRequest& request, DdrCycle cas,
                                         RowOutcome outcome) {
  const unsigned group = request.bank % t_.bank_groups;
  const DdrCycle data_end = count_burst(bank, request, cas, outcome);
  rank.last_cas[group] = std::max(rank.last_cas[group], cas);
  rank.last_cas_any = std::max(rank.last_cas_any, cas);
  if (request.write) {
    rank.last_write_end[group] = std::max(rank.last_write_end[group], data_end);
    rank.last_write_end_any = std::max(rank.last_write_end_any, data_end);
  }
  bus_free_ = std::max(bus_free_, data_end);
  bus_last_rank_ = request.rank;
  bus_last_write_ = request.write;
  return data_end;
}

DdrCycle DdrChannelModel::count_burst(Bank& bank, const BurstRequest& request, DdrCycle cas, RowOutcome outcome) {
  const DdrCycle data_end = cas + (request.write ? t_.CWL : t_.CL) + burst_cycles_;
  const size_t stat = bank_stat_index(request.rank, request.bank);
  if (request.write) {
    bank.pre_allowed = std::max(bank.pre_allowed, data_end + t_.tWR);
    ++stats_.write_bursts;
    ++stats_.bank_writes[stat];
    energy_.write_bursts(1, request.tag);
  } else {
    bank.pre_allowed = std::max(bank.pre_allowed, cas + t_.tRTP);
    ++stats_.read_bursts;
    ++stats_.bank_reads[stat];
    energy_.read_bursts(1, request.tag);
  }
  power_[request.rank].busy_until(data_end);
  switch (outcome) {
    case RowOutcome::hit: ++stats_.row_hits; break;
    case RowOutcome::empty: ++stats_.row_empties; break;
    case RowOutcome::conflict: ++stats_.row_conflicts; break;
  }
  return data_end;
}

// Every command restarts the rank's idle timers.
void DdrChannelModel::precharge(unsigned rank, unsigned bank, DdrCycle at, TagId tag) {
  Rank& r = ranks_[rank];
  if (r.banks[bank].open) close_row(r, r.banks[bank], at, tag);
  power_[rank].busy_until(at + t_.tRP);
}

void DdrChannelModel::activate(const BurstRequest& request, DdrCycle at) {
  open_row(request, ranks_[request.rank].banks[request.bank], at);
  power_[request.rank].busy_until(at + t_.tRCD);
}

DdrCycle DdrChannelModel::column(const BurstRequest& request, DdrCycle at, RowOutcome outcome) {
  Rank& rank = ranks_[request.rank];
  const DdrCycle data_end = column_command(rank, rank.banks[request.bank], request, at, outcome);
  power_[request.rank].release();  // queue_burst's hold
  return data_end;
}

// A rank's power state comes first: in power-down its refreshes are issued around short wake-ups,
// in self-refresh they are skipped (DdrRankPower::advance).
bool DdrChannelModel::refresh_until(DdrCycle cycle) {
  bool applied = false;
  for (unsigned r = 0; r < ranks_count_; ++r) {
    if (cycle < next_refresh(r)) continue;  // also without refresh (kNone)
    Rank& rank = ranks_[r];
    const uint64_t epoch = uint64_t(cycle / DdrCycle(t_.tREFI));
    power_[r].advance(cycle, *this, stats_.power);
    if (epoch > rank.refreshes) apply_refreshes(rank, epoch);
    applied = true;
  }
  return applied;
}

void DdrChannelModel::open_row(const BurstRequest& request, Bank& bank, DdrCycle act) {
  Rank& rank = ranks_[request.rank];
  bank.open = true;
  bank.row = request.row;
  bank.act_allowed = std::max(bank.act_allowed, act + t_.tRC);
  bank.pre_allowed = std::max(bank.pre_allowed, act + t_.tRAS);
  bank.cas_allowed = act + t_.tRCD;
  const unsigned group = request.bank % t_.bank_groups;
  rank.last_act[group] = std::max(rank.last_act[group], act);
  rank.last_act_any = std::max(rank.last_act_any, act);
  rank.act_window[rank.act_window_next] = act;
  rank.act_window_next = (rank.act_window_next + 1) % rank.act_window.size();
  if (rank.open_banks++ == 0) rank.active_since = std::max(act, rank.active_until);
  energy_.activate(request.tag);
  ++stats_.activates;
  ++stats_.bank_activates[bank_stat_index(request.rank, request.bank)];
}

void DdrChannelModel::close_row(Rank& rank, Bank& bank, DdrCycle pre, TagId tag) {
  bank.open = false;
  bank.act_allowed = std::max(bank.act_allowed, pre + t_.tRP);
  energy_.precharge(tag);
  ++stats_.precharges;
  if (rank.open_banks == 0 || --rank.open_banks > 0) return;
  if (rank.active_paused) rank.active_paused = false;  // closed in active power-down: no standby time
  else add_active_time(rank, rank.active_since, pre);
}

void DdrChannelModel::add_active_time(Rank& rank, DdrCycle from, DdrCycle to) {
  if (to <= from) return;
  state_time(DdrPowerState::active_standby, from, to);
  rank.active_until = std::max(rank.active_until, to);
}

void DdrChannelModel::state_time(DdrPowerState state, DdrCycle from, DdrCycle to) {
  if (to > from) add_state_ps(state, uint64_t(to - from) * t_.tCK_ps);
}

void DdrChannelModel::add_state_ps(DdrPowerState state, uint64_t ps) {
  state_ps_[static_cast<int>(state)] += ps;
  stats_.power.state_ps[static_cast<int>(state)] += ps;
  energy_.state_time_ps(state, ps);
}

void DdrChannelModel::close_rows(unsigned rank_index, DdrCycle at) {
  Rank& rank = ranks_[rank_index];
  for (Bank& bank : rank.banks)
    if (bank.open) close_row(rank, bank, std::max(at, bank.pre_allowed), energy_.current_tag());  // no transaction's
}

void DdrChannelModel::refreshes_until(unsigned rank_index, DdrCycle at) {
  if (!refresh_ || at <= 0) return;
  Rank& rank = ranks_[rank_index];
  const uint64_t epoch = uint64_t(at / DdrCycle(t_.tREFI));
  if (epoch > rank.refreshes) apply_refreshes(rank, epoch);
}

void DdrChannelModel::skip_refreshes_until(unsigned rank_index, DdrCycle at) {
  if (!refresh_ || at <= 0) return;
  Rank& rank = ranks_[rank_index];
  const uint64_t epoch = uint64_t(at / DdrCycle(t_.tREFI));
  if (epoch <= rank.refreshes) return;
  stats_.power.refreshes_skipped += epoch - rank.refreshes;
  rank.refreshes = epoch;
}

void DdrChannelModel::pause_active_time(unsigned rank_index, DdrCycle at) {
  Rank& rank = ranks_[rank_index];
  if (rank.open_banks == 0 || rank.active_paused) return;
  add_active_time(rank, rank.active_since, at);
  rank.active_paused = true;
}

void DdrChannelModel::resume_active_time(unsigned rank_index, DdrCycle at) {
  Rank& rank = ranks_[rank_index];
  if (!rank.active_paused) return;
  rank.active_paused = false;
  rank.active_since = std::max(at, rank.active_until);
}

DdrCycle DdrChannelModel::respect_refresh(Rank& rank, DdrCycle ready) {
  const DdrCycle refi = t_.tREFI;
  const uint64_t epoch = uint64_t(std::max<DdrCycle>(ready, 0) / refi);
  if (epoch > rank.refreshes) apply_refreshes(rank, epoch);
  if (epoch == 0) return ready;
  // A later refresh may already be applied (requests out of time order): this one's end is then
  // approximated without its precharge-all.
  return std::max(ready, epoch == rank.refreshes ? rank.refresh_end : DdrCycle(epoch) * refi + t_.tRFC);
}

// Refreshes 1..epoch that have not been applied yet. The first of them starts with a
// precharge-all when rows are open: at its due time or when the last open bank may precharge,
// then tRP before the refresh command; each closed bank counts one precharge. After the last
// refresh the rank is busy until its end.
void DdrChannelModel::apply_refreshes(Rank& rank, uint64_t epoch) {
  const DdrCycle refi = t_.tREFI;
  const DdrCycle first_start = DdrCycle(rank.refreshes + 1) * refi;
  DdrCycle precharge_all = first_start;
  for (const Bank& bank : rank.banks)
    if (bank.open) precharge_all = std::max(precharge_all, bank.pre_allowed);
  const bool rows_open = rank.open_banks > 0;
  const DdrCycle first_end = (rows_open ? precharge_all + t_.tRP : first_start) + t_.tRFC;
  const DdrCycle last_end = std::max(first_end, DdrCycle(epoch) * refi + t_.tRFC);
  for (Bank& bank : rank.banks) {
    if (bank.open) close_row(rank, bank, precharge_all, energy_.current_tag());  // the refresh's, no transaction's
    bank.act_allowed = std::max(bank.act_allowed, last_end);
  }
  energy_.refresh(epoch - rank.refreshes);
  stats_.refreshes += epoch - rank.refreshes;
  rank.refreshes = epoch;
  rank.refresh_end = last_end;
}

void DdrChannelModel::auto_precharge(unsigned rank_index, unsigned bank_index, TagId tag) {
  Rank& rank = ranks_[rank_index];
  Bank& bank = rank.banks[bank_index];
  if (!bank.open) return;
  close_row(rank, bank, bank.pre_allowed, tag);
  power_[rank_index].busy_until(bank.pre_allowed + t_.tRP);
}

// The same commands a transaction at `request.ready` would need, at the earliest cycles the bank
// and the rank allow, without the data bus: the DMI initiator's memcpy has moved the data already.
DdrChannelModel::DmiWait DdrChannelModel::dmi_burst(const BurstRequest& request) {
  const DdrWake woken = wake(request.rank, request.ready, request.write);
  const DdrCycle awake = std::max(request.ready, request.write ? woken.command : woken.read);
  Rank& rank = ranks_[request.rank];
  const DdrCycle ready = refresh_ ? respect_refresh(rank, std::max(request.ready, woken.command))
                                  : std::max(request.ready, woken.command);
  Bank& bank = rank.banks[request.bank];
  const RowOutcome outcome = OpenRow{bank.open, bank.row}.outcome(request.row);
  DmiWait wait{awake - request.ready, 0};
  DdrCycle cas = std::max(ready, bank.cas_allowed);
  if (outcome != RowOutcome::hit) {
    DdrCycle act_ready = ready;
    if (outcome == RowOutcome::conflict) {
      const DdrCycle pre = std::max(ready, bank.pre_allowed);
      close_row(rank, bank, pre, request.tag);
      act_ready = pre + t_.tRP;
      wait.row += t_.tRP;
    }
    const DdrCycle act =
        std::max({act_ready, bank.act_allowed, activate_constraint(rank, request.bank % t_.bank_groups)});
    open_row(request, bank, act);
    cas = act + t_.tRCD;
    wait.row += t_.tRCD;
  }
  count_burst(bank, request, cas, outcome);
  return wait;
}

void DdrChannelModel::finalize(DdrCycle end) {
  for (unsigned r = 0; r < ranks_count_; ++r) {
    Rank& rank = ranks_[r];
    power_[r].advance(end, *this, stats_.power);
    refreshes_until(r, end);
    if (rank.open_banks > 0 && !rank.active_paused && end > rank.active_since) {
      add_active_time(rank, rank.active_since, end);
      rank.active_since = end;
    }
  }
  // Precharge standby is the rest of the ranks' time: no row open, not in a low-power state.
  uint64_t accounted_ps = 0;
  for (int s = 0; s < kDdrPowerStates; ++s) accounted_ps += state_ps_[s];
  const uint64_t total_ps = uint64_t(std::max<DdrCycle>(end, 0)) * t_.tCK_ps * ranks_count_;
  if (total_ps > accounted_ps) add_state_ps(DdrPowerState::precharge_standby, total_ps - accounted_ps);
}

size_t DdrChannelModel::bank_stat_index(unsigned rank, unsigned bank) const {
  return (size_t(channel_) * ranks_count_ + rank) * t_.banks + bank;
}

}  // namespace dlvp
