#include "ip/pmu/pmu.h"
#include "ip/pmu/pmu_regs.h"
#include "tests/support/register_initiator.h"

#include <gtest/gtest.h>

#include <cmath>

namespace {

using dlvp::test::RegisterInitiator;

dlvp::TechTable table45() { return dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml"); }

TEST(Pmu, SnapshotLatchesPerLevelEventsAndEnergyAtTheAccessTime) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const auto beat = ledger.add_counter_from_table("bus", "beat", dlvp::Level::other, dlvp::Action::update, "bus_transfer_64b");
  const auto leak = ledger.add_static("ddr", "background", dlvp::Level::dram, 0.5, "test: 0.5 pJ/ns");
  (void)leak;
  // A static counter of counted time (as the DDR's power-state counters are): 4 pJ per ns.
  const auto standby = ledger.add_counter(dlvp::CounterSpec{"ddr", "standby", dlvp::Level::dram, dlvp::Action::update,
                                                            4.0, "ns", "test: 4 pJ/ns", true});
  dlvp::Pmu pmu("pmu", dlvp::PmuConfig{}, ledger);
  sc_core::sc_time hook_time;
  pmu.set_before_snapshot([&](const sc_core::sc_time& t) { hook_time = t; });
  // The accelerator's time as the IFU would give it: 3 jobs, 10,000.999 ns split in four.
  dlvp::AcceleratorTime accel{3, 10000999, 6000000, 3000999, 700000, 300000};
  pmu.set_accelerator_time([&] { return accel; });
  bool finished = false;
  RegisterInitiator cpu("cpu");
  cpu.socket.bind(pmu.socket);
  cpu.body = [&](RegisterInitiator& r) {
    EXPECT_EQ(r.read(dlvp::pmu::ID), dlvp::pmu::kMagic);
    EXPECT_EQ(r.read(dlvp::pmu::ENERGY_UNIT), 0u);
    EXPECT_EQ(r.read(dlvp::pmu::VERSION), 0x00010003u);  // 1.3: the power registers
    ledger.count(mul, 1000);
    ledger.count(standby, 100);
    ledger.count(beat, 3);
    r.at(sc_core::sc_time(2, sc_core::SC_US));
    r.write(dlvp::pmu::SNAPSHOT, 1);
    EXPECT_EQ(hook_time, sc_core::sc_time(2, sc_core::SC_US));
    ledger.count(mul, 5);  // after the snapshot: not in the latched figures
    EXPECT_EQ(r.read(dlvp::pmu::TIME_NS, 8), 2000u);
    EXPECT_EQ(r.read(dlvp::pmu::events_reg(dlvp::pmu::kMac), 8), 1000u);
    EXPECT_EQ(r.read(dlvp::pmu::events_reg(dlvp::pmu::kOther), 8), 3u);
    EXPECT_EQ(r.read(dlvp::pmu::events_reg(dlvp::pmu::kDram), 8), 0u);  // time is not an event
    // Energies in fJ: 1000 x 0.2 pJ, 3 x 10 pJ, 0.5 pJ/ns x 2000 ns + 100 ns x 4 pJ/ns.
    EXPECT_EQ(r.read(dlvp::pmu::energy_reg(dlvp::pmu::kMac), 8), 200000u);
    EXPECT_EQ(r.read(dlvp::pmu::energy_reg(dlvp::pmu::kOther), 8), 30000u);
    EXPECT_EQ(r.read(dlvp::pmu::energy_reg(dlvp::pmu::kDram), 8), 1000000u + 400000u);
    // The static part: all of the DRAM's here, none of the MACs' or the bus beats'.
    EXPECT_EQ(r.read(dlvp::pmu::static_energy_reg(dlvp::pmu::kDram), 8), 1000000u + 400000u);
    EXPECT_EQ(r.read(dlvp::pmu::static_energy_reg(dlvp::pmu::kMac), 8), 0u);
    EXPECT_EQ(r.read(dlvp::pmu::static_energy_reg(dlvp::pmu::kOther), 8), 0u);
    // The accelerator's jobs and time split, in ns (rounded down), latched at the snapshot.
    accel.jobs = 4;  // after the snapshot: not latched
    EXPECT_EQ(r.read(dlvp::pmu::ACCEL_JOBS, 8), 3u);
    EXPECT_EQ(r.read(dlvp::pmu::ACCEL_JOB_TIME_NS, 8), 10000u);
    EXPECT_EQ(r.read(dlvp::pmu::ACCEL_ENGINE_BUSY_NS, 8), 6000u);
    EXPECT_EQ(r.read(dlvp::pmu::ACCEL_MEMORY_STALL_NS, 8), 3000u);
    EXPECT_EQ(r.read(dlvp::pmu::ACCEL_STORE_TAIL_NS, 8), 700u);
    EXPECT_EQ(r.read(dlvp::pmu::ACCEL_OTHER_NS, 8), 300u);
    EXPECT_EQ(r.write_status(dlvp::pmu::TIME_NS, 1, 8), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(r.read_status(0x200), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    finished = true;
  };
  sc_core::sc_start();
  EXPECT_TRUE(finished) << "the test body stopped before its end";
}

TEST(Pmu, SnapshotLatchesAverageAndPeakPower) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const double leak = 0.5;  // pJ/ns
  ledger.add_static("ddr", "background", dlvp::Level::dram, leak, "test: 0.5 pJ/ns");
  const double mul_pj = ledger.spec(mul).unit_energy;
  const double interval_ns = 500;
  dlvp::PowerMonitor power(ledger, interval_ns);
  dlvp::Pmu pmu("pmu", dlvp::PmuConfig{}, ledger);
  pmu.set_power_monitor(&power);
  const auto milli = [](double value) { return static_cast<uint64_t>(std::llround(value * 1000)); };
  bool finished = false;
  RegisterInitiator cpu("cpu");
  cpu.socket.bind(pmu.socket);
  cpu.body = [&](RegisterInitiator& r) {
    ledger.count(mul, 10000);
    power.sample(interval_ns);  // the busy interval
    power.sample(2 * interval_ns);
    r.at(sc_core::sc_time(2 * interval_ns, sc_core::SC_NS));
    r.write(dlvp::pmu::SNAPSHOT, 1);
    EXPECT_EQ(r.read(dlvp::pmu::POWER_INTERVAL_NS, 8), 500u);
    EXPECT_EQ(r.read(dlvp::pmu::POWER_SAMPLES, 8), 2u);
    // In fJ/ns (uW): the average over the 1000 ns, the peak of the busy interval.
    EXPECT_EQ(r.read(dlvp::pmu::avg_power_reg(dlvp::pmu::kMac), 8), milli(10000 * mul_pj / (2 * interval_ns)));
    EXPECT_EQ(r.read(dlvp::pmu::avg_power_reg(dlvp::pmu::kDram), 8), milli(leak));
    EXPECT_EQ(r.read(dlvp::pmu::AVG_POWER_TOTAL, 8), milli(10000 * mul_pj / (2 * interval_ns) + leak));
    EXPECT_EQ(r.read(dlvp::pmu::peak_power_reg(dlvp::pmu::kMac), 8), milli(10000 * mul_pj / interval_ns));
    EXPECT_EQ(r.read(dlvp::pmu::peak_power_reg(dlvp::pmu::kDram), 8), milli(leak));
    EXPECT_EQ(r.read(dlvp::pmu::PEAK_POWER_TOTAL, 8), milli(10000 * mul_pj / interval_ns + leak));
    finished = true;
  };
  sc_core::sc_start();
  EXPECT_TRUE(finished) << "the test body stopped before its end";
}

}  // namespace
