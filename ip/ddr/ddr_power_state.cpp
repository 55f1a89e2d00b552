#include "ddr_power_state.h"

#include "ip/common/config_error.h"

#include <algorithm>
#include <limits>

namespace dlvp {

namespace {
constexpr DdrCycle kFar = std::numeric_limits<DdrCycle>::max() / 4;  // a threshold that is never reached
}

const char* to_string(DdrPowerState state) {
  static const char* names[kDdrPowerStates] = {"active_standby", "precharge_standby", "active_power_down",
                                               "precharge_power_down", "self_refresh"};
  return names[static_cast<int>(state)];
}

DdrPowerParams DdrPowerParams::from(const DdrConfig& c, const DdrTiming& t) {
  DdrPowerParams p;
  p.policy = c.power_down == "none"        ? DdrPowerDownPolicy::none
             : c.power_down == "precharge" ? DdrPowerDownPolicy::precharge
                                           : DdrPowerDownPolicy::active_and_precharge;
  p.slow_exit = c.slow_exit();
  if (p.slow_exit && t.tXPDLL == 0)
    throw ConfigError("ddr.power_down_exit: 'slow' needs a DLL-off precharge power-down, which DDR preset '" + t.name +
                      "' does not have (tXPDLL 0)");
  p.self_refresh = c.self_refresh;
  p.refresh = c.refresh;
  p.power_down_idle = c.power_down_idle_cycles;
  p.self_refresh_idle = DdrCycle((c.self_refresh_idle_ns * 1000 + t.tCK_ps - 1) / t.tCK_ps);
  p.tCKE = t.tCKE;
  p.tXP = t.tXP;
  p.tXPDLL = t.tXPDLL;
  p.tCKESR = t.tCKESR;
  p.tXS = t.tXS;
  p.tXSDLL = t.tXSDLL;
  p.tREFI = t.tREFI;
  p.tRFC = t.tRFC;
  p.tCK_ps = t.tCK_ps;
  return p;
}

void DdrRankPower::busy_until(DdrCycle end) { idle_since_ = std::max(idle_since_, end); }

DdrCycle DdrRankPower::power_down_entry() const {
  return p_.policy == DdrPowerDownPolicy::none || held_ > 0 ? kFar : idle_since_ + p_.power_down_idle;
}

DdrCycle DdrRankPower::self_refresh_entry() const {
  return p_.self_refresh && held_ == 0 ? idle_since_ + p_.self_refresh_idle : kFar;
}

void DdrRankPower::advance(DdrCycle t, DdrRankOps& ops, DdrPowerStats& stats) {
  for (;;) {
    const DdrCycle self_refresh_at = self_refresh_entry();
    if (phase_ == Phase::standby) {
      const DdrCycle power_down_at = power_down_entry();
      if (self_refresh_at < t && self_refresh_at <= power_down_at) enter_self_refresh(self_refresh_at, ops, stats);
      else if (power_down_at < t) enter_power_down(power_down_at, ops, stats);
      else return;
    } else if (phase_ == Phase::power_down) {
      account_power_down(accounted_, std::min(t, self_refresh_at), ops);
      if (self_refresh_at >= t) return;
      enter_self_refresh(self_refresh_at, ops, stats);
    } else {
      ops.state_time(DdrPowerState::self_refresh, accounted_, t);
      ops.skip_refreshes_until(rank_, t);
      accounted_ = std::max(accounted_, t);
      return;
    }
  }
}

DdrWake DdrRankPower::wake(DdrCycle ready, bool read, DdrRankOps& ops, DdrPowerStats& stats) {
  advance(ready, ops, stats);
  if (phase_ == Phase::standby) return awake_;
  DdrCycle exit = ready;
  DdrWake woken{ready, ready};
  if (phase_ == Phase::power_down) {
    // Inside a refresh's wake-up the rank is awake already; the refresh delays the request anyway.
    if (!in_refresh_window(ready)) {
      exit = std::max(ready, entered_ + p_.tCKE);
      account_power_down(accounted_, exit, ops);
      const bool dll_off = p_.slow_exit && !active_;
      woken = DdrWake{exit + p_.tXP, exit + (dll_off ? p_.tXPDLL : p_.tXP)};
    }
    if (active_) ops.resume_active_time(rank_, exit);
    ++stats.power_down_exits;
  } else {
    exit = std::max(ready, entered_ + p_.tCKESR);
    ops.state_time(DdrPowerState::self_refresh, accounted_, exit);
    ops.skip_refreshes_until(rank_, exit);
    woken = DdrWake{exit + p_.tXS, exit + p_.tXSDLL};
    ++stats.self_refresh_exits;
  }
  stats.exit_delay_ps += uint64_t((read ? woken.read : woken.command) - ready) * p_.tCK_ps;
  phase_ = Phase::standby;
  active_ = false;
  idle_since_ = std::max(idle_since_, exit);
  accounted_ = std::max(accounted_, exit);
  awake_ = woken;
  return awake_;
}

void DdrRankPower::enter_power_down(DdrCycle at, DdrRankOps& ops, DdrPowerStats& stats) {
  ops.refreshes_until(rank_, at);
  if (p_.policy == DdrPowerDownPolicy::precharge && ops.rows_open(rank_)) ops.close_rows(rank_, at);
  active_ = ops.rows_open(rank_);
  if (active_) ops.pause_active_time(rank_, at);
  phase_ = Phase::power_down;
  accounted_ = entered_ = at;
  awake_ = DdrWake{};
  ++stats.power_down_entries;
}

// Self-refresh needs every bank precharged; from then on the device refreshes itself.
void DdrRankPower::enter_self_refresh(DdrCycle at, DdrRankOps& ops, DdrPowerStats& stats) {
  ops.refreshes_until(rank_, at);
  if (ops.rows_open(rank_)) ops.close_rows(rank_, at);
  active_ = false;
  phase_ = Phase::self_refresh;
  accounted_ = entered_ = at;
  awake_ = DdrWake{};
  ++stats.self_refresh_entries;
}

// Power-down over [from, to): each refresh k takes the rank out over [k tREFI - tXP, k tREFI +
// tRFC) (the controller wakes it so the command issues on time) and closes its rows, so an
// active power-down becomes a precharge power-down after the first refresh.
void DdrRankPower::account_power_down(DdrCycle from, DdrCycle to, DdrRankOps& ops) {
  if (to <= from) return;
  auto state = [this] { return active_ ? DdrPowerState::active_power_down : DdrPowerState::precharge_power_down; };
  DdrCycle cursor = from;
  if (p_.refresh) {
    const DdrCycle refi = p_.tREFI;
    for (DdrCycle k = std::max<DdrCycle>(1, (from - p_.tRFC) / refi + 1); k * refi - p_.tXP < to; ++k) {
      const DdrCycle wake_at = k * refi - p_.tXP, refresh_end = k * refi + p_.tRFC;
      if (wake_at > cursor) ops.state_time(state(), cursor, wake_at);
      cursor = std::max(cursor, refresh_end);
      if (k * refi > to) break;  // its wake-up has begun; the refresh itself comes with the next request
      ops.refreshes_until(rank_, k * refi);
      active_ = false;
      entered_ = refresh_end;
    }
  }
  if (to > cursor) ops.state_time(state(), cursor, to);
  accounted_ = std::max(accounted_, to);
}

bool DdrRankPower::in_refresh_window(DdrCycle t) const {
  if (!p_.refresh) return false;
  const DdrCycle k = (t + p_.tXP) / p_.tREFI;
  return k >= 1 && t < k * p_.tREFI + p_.tRFC;
}

}  // namespace dlvp
