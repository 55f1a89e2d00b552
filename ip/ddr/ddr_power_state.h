// Low-power states of one DDR rank (docs/ddr.md, "Power states"): after an idle threshold the rank
// enters power-down (active with rows open, precharge without), after a longer one self-refresh;
// the request that wakes it pays the exit latency (tXP / tXPDLL, tXS / tXSDLL) after the minimum
// residency (tCKE, tCKESR).
//
// Lazy, like the rest of the channel model: nothing happens until a request (wake) or a report
// (advance) asks for a later time; the state between is derived from when the rank went idle.
// The rank's banks, refreshes and energy stay with the channel model, reached through
// DdrRankOps. Commands restart the idle timers (busy_until) and a queued request keeps the rank
// awake (hold / release). Refreshes do not restart the idle timers (they are the controller's, not
// a request); in power-down each refresh wakes the rank for tXP + tRFC, in self-refresh none is issued.
#pragma once
#include "ddr_config.h"
#include "ddr_timing.h"

#include <array>
#include <cstdint>

namespace dlvp {

enum class DdrPowerState : uint8_t { active_standby, precharge_standby, active_power_down, precharge_power_down, self_refresh };
constexpr int kDdrPowerStates = 5;
const char* to_string(DdrPowerState state);

enum class DdrPowerDownPolicy : uint8_t { none, precharge, active_and_precharge };

// Low-power residency and transitions, summed over a controller's ranks (DdrStats::power).
struct DdrPowerStats {
  std::array<uint64_t, kDdrPowerStates> state_ps{};  // time per state, ps
  uint64_t power_down_entries = 0, self_refresh_entries = 0;
  uint64_t power_down_exits = 0, self_refresh_exits = 0;  // by a request
  uint64_t exit_delay_ps = 0;          // exit latency charged to the waking requests (incl. residency left)
  uint64_t refreshes_skipped = 0;      // refresh commands not issued: the device refreshed itself
};

// The section `ddr` and the preset's power timings, in clock cycles.
struct DdrPowerParams {
  DdrPowerDownPolicy policy = DdrPowerDownPolicy::none;
  bool slow_exit = false;      // precharge power-down with the DLL off
  bool self_refresh = false;
  bool refresh = true;
  DdrCycle power_down_idle = 0, self_refresh_idle = 0;
  DdrCycle tCKE = 0, tXP = 0, tXPDLL = 0, tCKESR = 0, tXS = 0, tXSDLL = 0, tREFI = 0, tRFC = 0;
  uint64_t tCK_ps = 0;

  // Throws ConfigError for a slow exit on a preset without a DLL-off power-down (tXPDLL 0).
  static DdrPowerParams from(const DdrConfig& config, const DdrTiming& timing);
};

// What a rank's power state asks of the channel model that holds the rank.
class DdrRankOps {
 public:
  virtual bool rows_open(unsigned rank) const = 0;
  virtual void close_rows(unsigned rank, DdrCycle at) = 0;            // precharge-all, counted
  virtual void refreshes_until(unsigned rank, DdrCycle at) = 0;       // the refreshes due by `at`, issued
  virtual void skip_refreshes_until(unsigned rank, DdrCycle at) = 0;  // due by `at`, not issued (self-refresh)
  virtual void pause_active_time(unsigned rank, DdrCycle at) = 0;     // rows open, but in active power-down
  virtual void resume_active_time(unsigned rank, DdrCycle at) = 0;
  virtual void state_time(DdrPowerState state, DdrCycle from, DdrCycle to) = 0;

 protected:
  ~DdrRankOps() = default;
};

// Earliest cycles at which a woken rank takes a command and a read.
struct DdrWake {
  DdrCycle command = kNeverCycle, read = kNeverCycle;
};

class DdrRankPower {
 public:
  DdrRankPower(const DdrPowerParams& params, unsigned rank) : p_(params), rank_(rank) {}

  // The rank's commands keep it busy until `end`: its idle timers restart there.
  void busy_until(DdrCycle end);
  // A scheduler's queued burst for the rank: no low-power entry while one waits (hold) until its
  // column command (release; busy_until restarts the timers there).
  void hold() { ++held_; }
  void release() { held_ -= held_ > 0; }
  // A request wants the rank at `ready`: the state is brought up to then and the rank woken.
  DdrWake wake(DdrCycle ready, bool read, DdrRankOps& ops, DdrPowerStats& stats);
  // Brings the state up to `t` without a request (before a report).
  void advance(DdrCycle t, DdrRankOps& ops, DdrPowerStats& stats);

 private:
  enum class Phase : uint8_t { standby, power_down, self_refresh };

  DdrCycle power_down_entry() const;
  DdrCycle self_refresh_entry() const;
  void enter_power_down(DdrCycle at, DdrRankOps& ops, DdrPowerStats& stats);
  void enter_self_refresh(DdrCycle at, DdrRankOps& ops, DdrPowerStats& stats);
  void account_power_down(DdrCycle from, DdrCycle to, DdrRankOps& ops);
  bool in_refresh_window(DdrCycle t) const;

  const DdrPowerParams p_;
  const unsigned rank_;
  Phase phase_ = Phase::standby;
  DdrCycle idle_since_ = 0;    // end of the rank's last command's effect
  DdrCycle accounted_ = 0;     // low-power time is accounted up to here
  DdrCycle entered_ = 0;       // (re-)entry of the current low-power state: minimum residency
  bool active_ = false;        // power-down with rows open
  DdrWake awake_;              // from the last exit, until the next entry
  unsigned held_ = 0;          // queued bursts (hold / release)
};

}  // namespace dlvp
