#include "ip/periph/timer.h"
#include "ip/periph/timer_regs.h"
#include "tests/support/register_initiator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

// Records the simulated times at which the timer's line rises and falls.
struct IrqMonitor : sc_core::sc_module {
  sc_core::sc_in<bool> line{"line"};
  std::vector<sc_time> rises, falls;
  SC_HAS_PROCESS(IrqMonitor);
  explicit IrqMonitor(sc_core::sc_module_name n) : sc_module(n) {
    SC_METHOD(sample);
    sensitive << line;
    dont_initialize();
  }
  void sample() { (line.read() ? rises : falls).push_back(sc_core::sc_time_stamp()); }
};

struct TimerBench {
  TimerConfig config;
  Timer timer;
  test::RegisterInitiator cpu{"cpu"};
  sc_core::sc_signal<bool> irq{"irq"};
  IrqMonitor monitor{"monitor"};

  explicit TimerBench(TimerConfig c = {}) : config(c), timer("timer", config) {
    cpu.socket.bind(timer.socket);
    timer.irq.bind(irq);
    monitor.line.bind(irq);
  }
  uint64_t hz() const { return static_cast<uint64_t>(std::llround(config.frequency_mhz * 1e6)); }
  // Expected MTIME at time t, computed in whole picoseconds.
  uint64_t ticks(const sc_time& t) const {
    const auto ps = static_cast<unsigned __int128>(std::llround(t.to_seconds() * 1e12));
    return static_cast<uint64_t>(ps * hz() / 1000000000000ull);
  }
};

}  // namespace

TEST(Timer, MtimeIsTheSimulatedTimeAtTheInitiatorsLocalTime) {
  TimerBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read(timer::FREQUENCY), bench.hz());
    const sc_time before = c.now();  // already ahead of the kernel by one access
    EXPECT_EQ(c.read(timer::MTIME, 8), bench.ticks(before));
    c.sync();
    wait(sc_time(1, SC_US));
    const sc_time kernel = sc_core::sc_time_stamp();
    c.local = sc_time(250, SC_NS);  // running ahead of the kernel, as a decoupled CPU does
    EXPECT_EQ(c.read(timer::MTIME, 8), bench.ticks(kernel + sc_time(250, SC_NS)));
    EXPECT_EQ(c.local, sc_time(250, SC_NS) + bench.config.timing.access_delay()) << "the read itself takes time";
    // A 32-bit core reads the halves separately.
    c.at(sc_time(3, SC_US));
    const uint64_t lo = c.read(timer::MTIME, 4);
    const uint64_t hi = c.read(timer::MTIME + 4, 4);
    EXPECT_EQ(hi << 32 | lo, bench.ticks(sc_time(3, SC_US)));
  };
  sc_core::sc_start();
}

TEST(Timer, MtimeCountsWholeTicksOfAFrequencyWithAFractionalPeriod) {
  TimerConfig config;
  config.frequency_mhz = 3;  // 333.33 ns per tick
  TimerBench bench(config);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.at(sc_time(999, SC_NS));
    EXPECT_EQ(c.read(timer::MTIME, 8), 2u);
    c.at(sc_time(1000, SC_NS));
    EXPECT_EQ(c.read(timer::MTIME, 8), 3u);
    EXPECT_EQ(c.read(timer::FREQUENCY), 3000000u);
  };
  sc_core::sc_start();
}

TEST(Timer, IrqRisesExactlyAtTheCompareTime) {
  TimerBench bench;
  const uint64_t compare = 500;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read(timer::MTIMECMP, 8), timer::kMtimecmpNever);
    c.write(timer::MTIMECMP, compare, 8);
  };
  sc_core::sc_start(sc_time(100, SC_US));
  ASSERT_EQ(bench.monitor.rises.size(), 1u);
  EXPECT_EQ(bench.monitor.rises[0], sc_time(static_cast<double>(compare) / bench.hz(), sc_core::SC_SEC));
  EXPECT_TRUE(bench.irq.read()) << "stays high while mtime >= mtimecmp";
  EXPECT_TRUE(bench.monitor.falls.empty());
}

TEST(Timer, IrqRisesAtTheFirstPicosecondOfTheCompareTickWithAFractionalPeriod) {
  TimerConfig config;
  config.frequency_mhz = 3;
  TimerBench bench(config);
  const uint64_t compare = 7;  // 2.3333... us
  bench.cpu.body = [&](test::RegisterInitiator& c) { c.write(timer::MTIMECMP, compare, 8); };
  sc_core::sc_start(sc_time(100, SC_US));
  ASSERT_EQ(bench.monitor.rises.size(), 1u);
  const sc_time exact(static_cast<double>(compare) / bench.hz(), sc_core::SC_SEC);
  const sc_time resolution = sc_core::sc_get_time_resolution();
  EXPECT_GE(bench.monitor.rises[0] + resolution, exact);
  EXPECT_LE(bench.monitor.rises[0], exact + resolution);
  EXPECT_GE(bench.ticks(bench.monitor.rises[0]), compare);
  EXPECT_LT(bench.ticks(bench.monitor.rises[0] - resolution), compare);
}

TEST(Timer, RewritingMtimecmpLowersTheLineAndRearmsIt) {
  TimerBench bench;
  const uint64_t first = 100, later_by = 400;
  sc_time rearmed_at;
  uint64_t next = 0;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.write(timer::MTIMECMP, first, 8);
    wait(sc_time(2, SC_US));
    EXPECT_TRUE(bench.irq.read());
    // The usual 32-bit sequence: park the high half, write the low half, then the real high half.
    next = c.read(timer::MTIME, 8) + later_by;
    c.write(timer::MTIMECMP + 4, 0xffffffffu);
    c.write(timer::MTIMECMP, next & 0xffffffffu);
    c.write(timer::MTIMECMP + 4, next >> 32);
    rearmed_at = c.now();
    c.settle();
    EXPECT_FALSE(bench.irq.read());
    EXPECT_EQ(c.read(timer::MTIMECMP, 8), next);
    wait(sc_time(10, SC_US));
    c.write(timer::MTIMECMP, timer::kMtimecmpNever, 8);  // disarm
    c.settle();
    EXPECT_FALSE(bench.irq.read());
  };
  sc_core::sc_start(sc_time(100, SC_US));
  ASSERT_EQ(bench.monitor.rises.size(), 2u);
  ASSERT_EQ(bench.monitor.falls.size(), 2u);
  EXPECT_EQ(bench.monitor.rises[0], sc_time(static_cast<double>(first) / bench.hz(), sc_core::SC_SEC));
  EXPECT_GE(bench.monitor.falls[0], sc_time(2, SC_US));
  EXPECT_LT(bench.monitor.falls[0], rearmed_at + sc_time(1, SC_NS));
  EXPECT_EQ(bench.monitor.rises[1], sc_time(static_cast<double>(next) / bench.hz(), sc_core::SC_SEC));
  EXPECT_EQ(bench.timer.mtimecmp(), timer::kMtimecmpNever);
  nlohmann::json stats;
  bench.timer.report(stats, 0);
  EXPECT_EQ(stats["interrupts_raised"], 2u);
}

TEST(Timer, ReadOnlyAndUnmappedAccessesGetErrors) {
  TimerBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.write_status(timer::MTIME, 5, 8), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(timer::FREQUENCY, 5), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(0x018), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(0xffc), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read(timer::FREQUENCY), bench.hz());
  };
  sc_core::sc_start();
}
