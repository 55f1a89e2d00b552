// DDR power states (docs/ddr.md, "Power states"): power-down after the idle threshold with the
// exit latency charged to the waking request, self-refresh after the longer one (no REF commands,
// IDD6, tXS / tXSDLL on exit), a busy stream that never powers down, and the policy `none`
// reproducing the standby-only energy. Every target is derived from the preset and the config.
#include "ip/common/config_error.h"
#include "ip/ddr/ddr_controller.h"
#include "tests/support/ddr_rig.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace dlvp;
using dlvp::test::preset;
using dlvp::test::Rig;
using sc_core::sc_time;

namespace {

// Whole ns of `cycles` clocks, as the ledger counts a state's time.
uint64_t whole_ns(const DdrTiming& t, uint64_t cycles) { return cycles * t.tCK_ps / 1000; }

// mW of one rank drawing `current_ma` per device (= pJ per ns).
double rank_power(const DdrTiming& t, double current_ma) { return t.VDD * current_ma * t.devices_per_rank(); }

// A one-burst read that opens row 0 at time 0, then one more of the same row at cycle `second`;
// returns the second read's latency. The rig is finalized at `end_cycle`.
struct TwoReads {
  sc_time latency;
  std::unique_ptr<Rig> rig;

  TwoReads(const DdrConfig& config, const DdrTiming& t, uint64_t second, uint64_t end_cycle, const char* name) {
    rig = std::make_unique<Rig>(
        config, t,
        [this, &t, second](test::Initiator& cpu) {
          std::vector<unsigned char> data(t.burst_bytes());  // one burst each
          const unsigned length = unsigned(data.size());
          cpu.access(tlm::TLM_READ_COMMAND, 0, data.data(), length, sc_core::SC_ZERO_TIME);
          latency = cpu.access(tlm::TLM_READ_COMMAND, 0, data.data(), length, t.cycles(second)).done - t.cycles(second);
        },
        TechTable{}, name);
    sc_core::sc_start();
    rig->ddr->finalize(t.cycles(end_cycle));
  }
};

DdrConfig without_refresh() {
  DdrConfig config;
  config.refresh = false;
  config.self_refresh = false;
  return config;
}

// Cycle at which the first read's data ends: the rank's idle timers start there.
uint64_t first_read_end(const DdrConfig& c, const DdrTiming& t) {
  return c.controller_latency_cycles + t.tRCD + t.CL + t.burst_cycles();
}

}  // namespace

TEST(DdrPower, IdleRankEntersActivePowerDownAndTheWakingReadPaysTxp) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config = without_refresh();  // default policy: active_and_precharge
  const uint64_t front = config.controller_latency_cycles, second = 1000;
  const uint64_t entry = first_read_end(config, t) + config.power_down_idle_cycles, exit = second + front;
  // Finalized when the rank would power down again after the second read (entry is after, strictly).
  const uint64_t end = exit + t.tXP + t.CL + t.burst_cycles() + config.power_down_idle_cycles;
  TwoReads run(config, t, second, end, "ddr_apd");
  // The row stays open: a row hit behind the power-down exit.
  EXPECT_EQ(run.latency, t.cycles(front + t.tXP + t.CL + t.burst_cycles()));
  const Rig& rig = *run.rig;
  EXPECT_EQ(rig.count("ch0.active_power_down"), whole_ns(t, exit - entry));
  EXPECT_DOUBLE_EQ(rig.energy("ch0.active_power_down"), rank_power(t, t.IDD3P) * double(whole_ns(t, exit - entry)));
  // Active standby from the activate to the entry and from the exit to the end; no precharge.
  EXPECT_EQ(rig.count("ch0.active_standby"), whole_ns(t, (entry - front) + (end - exit)));
  EXPECT_EQ(rig.count("ch0.precharge_power_down"), 0u);
  const DdrStats& s = rig.ddr->stats();
  EXPECT_EQ(s.row_hits, 1u);
  EXPECT_EQ(s.precharges, 0u);
  EXPECT_EQ(s.power.power_down_entries, 1u);
  EXPECT_EQ(s.power.power_down_exits, 1u);
  EXPECT_DOUBLE_EQ(double(s.power.exit_delay_ps), double(t.tXP * t.tCK_ps));
  // The states cover the whole time.
  uint64_t covered = 0;
  for (uint64_t ps : s.power.state_ps) covered += ps;
  EXPECT_EQ(covered, end * t.tCK_ps);
}

TEST(DdrPower, PrechargePolicyClosesTheRowAndChargesIdd2p) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config = without_refresh();
  config.power_down = "precharge";
  const uint64_t front = config.controller_latency_cycles, second = 1000;
  TwoReads run(config, t, second, second + front, "ddr_ppd");  // finalized at the exit
  EXPECT_EQ(run.latency, t.cycles(front + t.tXP + t.tRCD + t.CL + t.burst_cycles()));  // a row empty now
  const uint64_t entry = first_read_end(config, t) + config.power_down_idle_cycles, exit = second + front;
  EXPECT_EQ(run.rig->count("ch0.precharge_power_down"), whole_ns(t, exit - entry));
  EXPECT_DOUBLE_EQ(run.rig->energy("ch0.precharge_power_down"),
                   rank_power(t, t.IDD2P1) * double(whole_ns(t, exit - entry)));
  EXPECT_EQ(run.rig->count("ch0.active_power_down"), 0u);
  EXPECT_EQ(run.rig->ddr->stats().precharges, 1u);  // the precharge-all at the entry
  EXPECT_EQ(run.rig->ddr->stats().row_empties, 2u);
}

TEST(DdrPower, SlowExitPowerDownChargesIdd2p0AndTxpdllToTheRead) {
  const DdrTiming t = preset("ddr3-1066-x32");
  DdrConfig config = without_refresh();
  config.power_down = "precharge";
  config.power_down_exit = "slow";
  const uint64_t front = config.controller_latency_cycles, second = 1000;
  TwoReads run(config, t, second, second + front, "ddr_slow");  // finalized at the exit
  // ACT after tXP, but the read waits for tXPDLL from the exit.
  const uint64_t to_cas = std::max<uint64_t>(t.tXP + t.tRCD, t.tXPDLL);
  EXPECT_EQ(run.latency, t.cycles(front + to_cas + t.CL + t.burst_cycles()));
  const uint64_t entry = first_read_end(config, t) + config.power_down_idle_cycles, exit = second + front;
  EXPECT_DOUBLE_EQ(run.rig->energy("ch0.precharge_power_down"),
                   rank_power(t, t.IDD2P0) * double(whole_ns(t, exit - entry)));
}

TEST(DdrPower, ExitWaitsForTheMinimumResidencyTcke) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config = without_refresh();
  const uint64_t front = config.controller_latency_cycles;
  const uint64_t entry = first_read_end(config, t) + config.power_down_idle_cycles;
  const uint64_t second = entry + 1 - front;  // ready one cycle after the entry
  TwoReads run(config, t, second, 2000, "ddr_tcke");
  EXPECT_EQ(run.latency, t.cycles(front + (t.tCKE - 1) + t.tXP + t.CL + t.burst_cycles()));
}

TEST(DdrPower, SelfRefreshIssuesNoRefreshChargesIdd6AndPaysTxsdll) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;  // refresh, power-down and self-refresh on: the defaults
  const uint64_t front = config.controller_latency_cycles, refi = t.tREFI;
  const uint64_t second = 5 * refi + refi / 2;  // mid-interval: no refresh near the exit
  const uint64_t to_cas = std::max<uint64_t>(t.tXS + t.tRCD, t.tXSDLL);
  TwoReads run(config, t, second, second + front + to_cas, "ddr_sr");  // finalized before it idles again
  // The rows were closed for self-refresh: a row empty whose read waits for the DLL (tXSDLL).
  EXPECT_EQ(run.latency, t.cycles(front + to_cas + t.CL + t.burst_cycles()));
  const uint64_t self_refresh_idle = (config.self_refresh_idle_ns * 1000 + t.tCK_ps - 1) / t.tCK_ps;
  const uint64_t entry = first_read_end(config, t) + self_refresh_idle, exit = second + front;
  ASSERT_LT(entry, exit);
  const DdrStats& s = run.rig->ddr->stats();
  // Only the refreshes due before the entry were issued; the device did the rest itself.
  EXPECT_EQ(s.refreshes, entry / refi);
  EXPECT_EQ(run.rig->count("ch0.refresh"), entry / refi);
  EXPECT_EQ(s.power.refreshes_skipped, exit / refi - entry / refi);
  EXPECT_EQ(run.rig->count("ch0.self_refresh"), whole_ns(t, exit - entry));
  EXPECT_DOUBLE_EQ(run.rig->energy("ch0.self_refresh"), rank_power(t, t.IDD6) * double(whole_ns(t, exit - entry)));
  EXPECT_EQ(s.power.self_refresh_entries, 1u);
  EXPECT_EQ(s.power.self_refresh_exits, 1u);
  EXPECT_EQ(s.power.power_down_entries, 1u);  // power-down first, self-refresh from it
  EXPECT_DOUBLE_EQ(double(s.power.exit_delay_ps), double(t.tXSDLL * t.tCK_ps));
}

TEST(DdrPower, BusyStreamNeverPowersDownAndKeepsItsBandwidth) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const uint64_t bytes = 8u << 20, chunk = 4096;
  DdrConfig low_power, always_on;
  always_on.power_down = "none";
  always_on.self_refresh = false;
  sc_time end_low_power, end_always_on;
  Rig a(low_power, t, [&](test::Initiator& cpu) {
    end_low_power = cpu.stream(test::sequential(0, bytes, chunk), chunk, false, 4);
  }, TechTable{}, "ddr_stream_pd");
  Rig b(always_on, t, [&](test::Initiator& cpu) {
    end_always_on = cpu.stream(test::sequential(0, bytes, chunk), chunk, false, 4);
  }, TechTable{}, "ddr_stream_on");
  sc_core::sc_start();
  EXPECT_EQ(end_low_power, end_always_on);
  EXPECT_EQ(a.ddr->stats().power.power_down_entries, 0u);
  EXPECT_EQ(a.ddr->stats().power.self_refresh_entries, 0u);
  EXPECT_EQ(a.ddr->stats().refreshes, b.ddr->stats().refreshes);
}

TEST(DdrPower, PolicyNoneGivesTheStandbyOnlyEnergy) {
  // Two ranks, refresh on, reads and writes with gaps long enough for every low-power state:
  // with the policy `none` the DRAM energy is commands + IDD2N for all ranks all the time +
  // (IDD3N - IDD2N) while a row is open, the standby-only model.
  const DdrTiming t = preset("ddr3-1066-x32");
  DdrConfig config;
  config.ranks = 2;
  config.size_bytes = 2 * t.rank_bytes();
  config.power_down = "none";
  config.self_refresh = false;
  sc_time last;
  Rig rig(config, t, [&](test::Initiator& cpu) {
    std::mt19937_64 random(7);
    unsigned char data[64] = {};
    sc_time at = sc_core::SC_ZERO_TIME;
    for (int i = 0; i < 200; ++i) {
      at += t.cycles(random() % 20000);
      const uint64_t address = (random() % (config.size_bytes / 64)) * 64;
      last = cpu.access(i % 3 ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND, address, data, 64, at).done;
    }
  }, TechTable{}, "ddr_none");
  sc_core::sc_start();
  rig.ddr->finalize(last);
  const double elapsed_ns = double(uint64_t(last / t.cycles(1)) * t.tCK_ps) / 1000.0;
  const DdrStats& s = rig.ddr->stats();
  EXPECT_EQ(s.power.power_down_entries + s.power.self_refresh_entries, 0u);
  EXPECT_GT(s.refreshes, 0u);
  const double tck_ns = t.tCK_ps / 1000.0;
  auto command = [&](double current_ma, double cycles) { return rank_power(t, current_ma) * cycles * tck_ns; };
  const double commands = s.activates * command(t.IDD0 - t.IDD3N, t.tRAS) + s.precharges * command(t.IDD0 - t.IDD2N, t.tRP) +
                          s.read_bursts * command(t.IDD4R - t.IDD3N, t.burst_cycles()) +
                          s.write_bursts * command(t.IDD4W - t.IDD3N, t.burst_cycles()) +
                          s.refreshes * command(t.IDD5 - t.IDD3N, t.tRFC);
  const double open_ns = double(s.power.state_ps[int(DdrPowerState::active_standby)]) / 1000.0;
  const double standby_only = commands + rank_power(t, t.IDD2N) * config.ranks * elapsed_ns +
                              rank_power(t, t.IDD3N - t.IDD2N) * open_ns;
  double dram = 0;
  for (CounterId id = 0; id < rig.ledger.counter_count(); ++id)
    if (rig.ledger.spec(id).level == Level::dram) dram += rig.ledger.energy_of(id, elapsed_ns);
  // The ledger counts each state's whole ns: at most one ns per state counter is left out.
  EXPECT_NEAR(dram, standby_only, 2 * rank_power(t, t.IDD3N));
}

TEST(DdrPower, SlowExitOnAPresetWithoutDllOffPowerDownIsAConfigError) {
  DdrConfig config;
  config.power_down_exit = "slow";
  EnergyLedger ledger{TechTable{}};
  EXPECT_THROW(DdrController("ddr_bad", config, preset("ddr4-2400-x64"), ledger), ConfigError);
}
