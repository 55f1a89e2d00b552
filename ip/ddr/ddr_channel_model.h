// Command timing of one DDR channel: per bank the open row and the earliest next ACT / PRE /
// CAS, per rank the activate windows (tRRD, tFAW), column spacing (tCCD), write-to-read
// turnaround (tWTR) and refresh, per channel the data bus busy-until reservation.
//
// Two ways to use it. access() schedules a whole burst when it is presented, at the earliest
// cycle all constraints allow, and commits its commands at once (in-order service: an earlier
// request is scheduled after what is already reserved, busy-until). The command-level interface
// (earliest_* and precharge / activate / column) lets a scheduler (DdrScheduler) issue one
// command at a time, in cycle order, choosing which request goes next.
// Each rank's power-down and self-refresh are DdrRankPower's (ddr_power_state.h); the channel
// applies what they need (precharge-all, refreshes issued or skipped) and keeps the state times.
#pragma once
#include "ddr_energy.h"
#include "ddr_power_state.h"
#include "ddr_stats.h"
#include "ddr_timing.h"
#include "ip/common/energy_ledger.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp {

enum class RowOutcome : uint8_t { hit, empty, conflict };

struct BurstRequest {
  DdrCycle ready = 0;   // earliest cycle the controller may issue the burst's first command
  unsigned rank = 0;
  unsigned bank = 0;
  uint64_t row = 0;
  bool write = false;
  TagId tag = kUntagged;  // energy attribution of the burst and of the commands it causes (resolved)
};

struct BurstResult {
  RowOutcome outcome = RowOutcome::hit;
  DdrCycle cas = 0;       // cycle of the column command
  DdrCycle data_end = 0;  // cycle after the last data beat
};

class DdrChannelModel : private DdrRankOps {
 public:
  // Data-bus gap when the direction or the rank changes (JEDEC read-to-write spacing leaves 2 tCK).
  static constexpr DdrCycle kBusTurnaroundCycles = 2;

  DdrChannelModel(const DdrTiming& timing, unsigned channel, unsigned ranks, const DdrPowerParams& power,
                  EnergyLedger& ledger, const std::string& module, DdrStats& stats);

  BurstResult access(const BurstRequest& request);
  // Command-level interface: the earliest cycle each command of a burst to (rank, bank) may issue
  // given every command issued so far, a rank's power-down or self-refresh exit included
  // (refresh windows excluded by the caller: refresh_until).
  // A burst for `rank` queued, ready at `ready`: wakes the rank (its commands wait for the exit
  // latency) and keeps it out of low-power states until the burst's column command.
  void queue_burst(unsigned rank, DdrCycle ready, bool write);
  // A burst queue_burst queued, served at once after all (in order, as access does).
  BurstResult access_queued(const BurstRequest& request);
  RowOutcome row_outcome(unsigned rank, unsigned bank, uint64_t row) const { return open_row_of(rank, bank).outcome(row); }
  // The bank's open row, to compare with several requests' rows.
  struct OpenRow {
    bool open = false;
    uint64_t row = 0;
    RowOutcome outcome(uint64_t of) const {
      return !open ? RowOutcome::empty : row == of ? RowOutcome::hit : RowOutcome::conflict;
    }
  };
  OpenRow open_row_of(unsigned rank, unsigned bank) const {
    const Bank& b = ranks_[rank].banks[bank];
    return {b.open, b.row};
  }
  // The command a burst with this row outcome needs next (column, precharge or activate).
  DdrCycle earliest(unsigned rank, unsigned bank, RowOutcome outcome, bool write) const {
    return std::max(bank_limit(rank, bank, outcome), group_limit(rank, bank % t_.bank_groups, outcome, write));
  }
  // The same in two parts: the bank's own limit (it moves only with commands to the bank and
  // with refreshes) and the limit shared by a bank group of a rank (it moves with every command).
  DdrCycle bank_limit(unsigned rank, unsigned bank, RowOutcome outcome) const;
  DdrCycle group_limit(unsigned rank, unsigned group, RowOutcome outcome, bool write) const;
  void precharge(unsigned rank, unsigned bank, DdrCycle at, TagId tag);
  void activate(const BurstRequest& request, DdrCycle at);
  // The column command of `request`'s burst; `outcome` is what its row needed. Returns data end.
  DdrCycle column(const BurstRequest& request, DdrCycle at, RowOutcome outcome);
  // Applies every refresh that starts at or before `cycle` (precharge-all, then tRFC) or skips it
  // (a rank in self-refresh); true if any.
  bool refresh_until(DdrCycle cycle);
  // Start of the next refresh of `rank` not yet applied (kNone without refresh).
  DdrCycle next_refresh(unsigned rank) const {
    return refresh_ ? DdrCycle(ranks_[rank].refreshes + 1) * t_.tREFI : kNone;
  }
  static constexpr DdrCycle kNone = DdrCycle(1) << 62;

  // Closed-page policy: precharge the bank at the earliest legal cycle after its last access; the
  // precharge is attributed to `tag` (the transaction's).
  void auto_precharge(unsigned rank, unsigned bank, TagId tag);
  // A DMI burst (docs/ddr.md, "DMI") presented at `request.ready`: its rank is woken and its
  // refreshes applied, its row opened as a transaction's would be (precharge of a conflict,
  // activate: counted with their energy under request.tag, the bank's timing limits moved), the
  // burst counted; the data bus and the column spacing are not reserved. Returns what the access
  // itself waited before its column command: a low-power exit, and tRP / tRCD by its row outcome.
  struct DmiWait {
    DdrCycle wake = 0;  // power-down or self-refresh exit (the same for every burst of one wake-up)
    DdrCycle row = 0;   // 0 on a hit, tRCD on an empty bank, tRP + tRCD on a conflict
  };
  DmiWait dmi_burst(const BurstRequest& request);
  // Brings refreshes, power states and their times up to `end`; may be called again with a later end.
  void finalize(DdrCycle end);

 private:
  static constexpr DdrCycle kNever = -(DdrCycle(1) << 40);
  static constexpr int kMaxReplans = 4;          // refresh replanning bound; keeps a pathological case finite

  struct Bank {
    bool open = false;
    uint64_t row = 0;
    DdrCycle act_allowed = 0;  // tRC after the last ACT, tRP after the last PRE
    DdrCycle pre_allowed = 0;  // tRAS after ACT, tRTP after a read, tWR after write data
    DdrCycle cas_allowed = 0;  // tRCD after ACT
  };
  struct Rank {
    std::vector<Bank> banks;
    std::vector<DdrCycle> last_act, last_cas, last_write_end;  // per bank group
    DdrCycle last_act_any = kNever, last_cas_any = kNever, last_write_end_any = kNever;
    std::array<DdrCycle, 4> act_window{{kNever, kNever, kNever, kNever}};  // last four ACTs (tFAW)
    unsigned act_window_next = 0;
    uint64_t refreshes = 0;          // refresh epochs applied: refresh k happens at k x tREFI
    unsigned open_banks = 0;
    DdrCycle active_since = 0;       // a row has been open since (valid while open_banks > 0)
    DdrCycle active_until = 0;       // end of the last accounted open interval
    DdrCycle refresh_end = 0;        // end of the latest applied refresh (precharge-all + tRFC)
    bool active_paused = false;      // rows open in active power-down: not active standby
    DdrCycle command_allowed = kNever;  // after a power-down or self-refresh exit (tXP, tXS)
    DdrCycle read_allowed = kNever;  // after a power-down or self-refresh exit (tXPDLL, tXSDLL)
  };
  struct Plan {
    RowOutcome outcome = RowOutcome::hit;
    DdrCycle pre = kNever, act = kNever, cas = 0, data_end = 0;
    DdrCycle first_command() const { return pre != kNever ? pre : act != kNever ? act : cas; }
  };

  Plan plan(const Rank& rank, const Bank& bank, const BurstRequest& request, DdrCycle ready) const;
  Plan plan_around_refreshes(Rank& rank, const Bank& bank, const BurstRequest& request);
  void commit(Rank& rank, Bank& bank, const BurstRequest& request, const Plan& plan);
  DdrWake wake(unsigned rank, DdrCycle ready, bool write);
  DdrCycle column_command(Rank& rank, Bank& bank, const BurstRequest& request, DdrCycle cas, RowOutcome outcome);
  // The bank's and the rank's side of a column command (precharge limit, statistics, energy, idle
  // timer): shared by transactions and DMI bursts. Returns the data end.
  DdrCycle count_burst(Bank& bank, const BurstRequest& request, DdrCycle cas, RowOutcome outcome);
  DdrCycle activate_constraint(const Rank& rank, unsigned group) const;
  DdrCycle column_constraint(const Rank& rank, unsigned group, bool write) const;
  DdrCycle bus_constraint(unsigned rank, bool write) const;
  DdrCycle respect_refresh(Rank& rank, DdrCycle ready);
  void apply_refreshes(Rank& rank, uint64_t epoch);
  void open_row(const BurstRequest& request, Bank& bank, DdrCycle act);
  void close_row(Rank& rank, Bank& bank, DdrCycle pre, TagId tag);
  void add_active_time(Rank& rank, DdrCycle from, DdrCycle to);
  void add_state_ps(DdrPowerState state, uint64_t ps);
  size_t bank_stat_index(unsigned rank, unsigned bank) const;

  // DdrRankOps: what the ranks' power states ask of the channel.
  bool rows_open(unsigned rank) const override { return ranks_[rank].open_banks > 0; }
  void close_rows(unsigned rank, DdrCycle at) override;
  void refreshes_until(unsigned rank, DdrCycle at) override;
  void skip_refreshes_until(unsigned rank, DdrCycle at) override;
  void pause_active_time(unsigned rank, DdrCycle at) override;
  void resume_active_time(unsigned rank, DdrCycle at) override;
  void state_time(DdrPowerState state, DdrCycle from, DdrCycle to) override;

  const DdrTiming& t_;
  const unsigned channel_;
  const unsigned ranks_count_;
  const bool refresh_;
  const DdrCycle burst_cycles_;
  DdrEnergy energy_;
  DdrStats& stats_;
  std::vector<Rank> ranks_;
  std::vector<DdrRankPower> power_;                          // per rank
  std::array<uint64_t, kDdrPowerStates> state_ps_{};        // this channel's ranks, summed
  DdrCycle bus_free_ = kNever;
  unsigned bus_last_rank_ = 0;
  bool bus_last_write_ = false;
};

// Inline: the scheduler asks these for every bank at every decision.
inline DdrCycle DdrChannelModel::activate_constraint(const Rank& rank, unsigned group) const {
  const DdrCycle oldest_of_four = rank.act_window[rank.act_window_next];
  return std::max({rank.last_act[group] + t_.tRRD_L, rank.last_act_any + t_.tRRD_S, oldest_of_four + t_.tFAW});
}

inline DdrCycle DdrChannelModel::column_constraint(const Rank& rank, unsigned group, bool write) const {
  DdrCycle earliest = std::max(rank.last_cas[group] + t_.tCCD_L, rank.last_cas_any + t_.tCCD_S);
  if (!write)
    earliest = std::max({earliest, rank.last_write_end[group] + t_.tWTR_L, rank.last_write_end_any + t_.tWTR_S,
                         rank.read_allowed});
  return earliest;
}

inline DdrCycle DdrChannelModel::bus_constraint(unsigned rank, bool write) const {
  if (bus_free_ == kNever) return kNever;
  const bool turnaround = write != bus_last_write_ || rank != bus_last_rank_;
  return bus_free_ + (turnaround ? kBusTurnaroundCycles : 0);
}

inline DdrCycle DdrChannelModel::bank_limit(unsigned rank, unsigned bank, RowOutcome outcome) const {
  const Bank& b = ranks_[rank].banks[bank];
  switch (outcome) {
    case RowOutcome::hit: return b.cas_allowed;
    case RowOutcome::conflict: return b.pre_allowed;
    case RowOutcome::empty: break;
  }
  return b.act_allowed;
}

inline DdrCycle DdrChannelModel::group_limit(unsigned rank, unsigned group, RowOutcome outcome, bool write) const {
  const Rank& r = ranks_[rank];
  switch (outcome) {
    case RowOutcome::hit:
      return std::max({column_constraint(r, group, write), r.command_allowed,
                       bus_constraint(rank, write) - (write ? t_.CWL : t_.CL)});
    case RowOutcome::conflict: return r.command_allowed;
    case RowOutcome::empty: break;
  }
  return std::max(activate_constraint(r, group), r.command_allowed);
}

}  // namespace dlvp
