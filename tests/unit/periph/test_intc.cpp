#include "ip/periph/intc.h"
#include "ip/periph/intc_regs.h"
#include "tests/support/register_initiator.h"

#include <gtest/gtest.h>

using namespace dlvp;

namespace {

// An interrupt controller with every source driven by a test signal and irq_out observed.
struct IntcBench {
  IntcConfig config;
  Intc intc;
  test::RegisterInitiator cpu{"cpu"};
  sc_core::sc_vector<sc_core::sc_signal<bool>> line;
  sc_core::sc_signal<bool> cpu_irq{"cpu_irq"};

  explicit IntcBench(IntcConfig c = {}) : config(c), intc("intc", config), line("line", config.sources) {
    cpu.socket.bind(intc.socket);
    for (uint32_t s = 0; s < config.sources; ++s) intc.irq_in[s].bind(line[s]);
    intc.irq_out.bind(cpu_irq);
  }
};

uint32_t bit(uint32_t source) { return 1u << source; }

}  // namespace

TEST(Intc, ClaimsReturnTheLowestPendingEnabledSourceFirst) {
  IntcBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.write(intc::ENABLE, bit(3) | bit(5) | bit(9));
    for (uint32_t s : {9u, 5u, 3u}) bench.line[s].write(true);
    c.settle();
    EXPECT_EQ(c.read(intc::PENDING), bit(3) | bit(5) | bit(9));
    EXPECT_TRUE(bench.cpu_irq.read());
    // Each claim takes the lowest source and clears its pending bit; none is completed yet.
    EXPECT_EQ(c.read(intc::CLAIM), 3u);
    EXPECT_EQ(c.read(intc::CLAIM), 5u);
    EXPECT_EQ(c.read(intc::CLAIM), 9u);
    EXPECT_EQ(c.read(intc::CLAIM), intc::kNoSource);
    EXPECT_EQ(c.read(intc::PENDING), 0u);
    EXPECT_EQ(c.read(intc::IN_SERVICE), bit(3) | bit(5) | bit(9));
    c.settle();
    EXPECT_FALSE(bench.cpu_irq.read()) << "nothing pending any more";
    // Devices deassert before completion: nothing re-pends.
    for (uint32_t s : {3u, 5u, 9u}) bench.line[s].write(false);
    c.settle();
    for (uint32_t s : {9u, 3u, 5u}) c.write(intc::CLAIM, s);
    EXPECT_EQ(c.read(intc::IN_SERVICE), 0u);
    EXPECT_EQ(c.read(intc::PENDING), 0u);
  };
  sc_core::sc_start();
  nlohmann::json stats;
  bench.intc.report(stats, 0);
  EXPECT_EQ(stats["completions"], 3u);
  EXPECT_EQ(stats["empty_claims"], 1u);
  EXPECT_EQ(stats["claims_by_source"]["5"], 1u);
}

TEST(Intc, DisabledSourcesStayPendingButDoNotInterrupt) {
  IntcBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    bench.line[4].write(true);
    c.settle();
    EXPECT_EQ(c.read(intc::PENDING), bit(4));
    EXPECT_FALSE(bench.cpu_irq.read());
    EXPECT_EQ(c.read(intc::CLAIM), intc::kNoSource);
    EXPECT_EQ(c.read(intc::PENDING), bit(4)) << "an empty claim must not touch pending bits";

    c.write(intc::ENABLE, bit(4));
    c.settle();
    EXPECT_TRUE(bench.cpu_irq.read());
    c.write(intc::ENABLE, 0);
    c.settle();
    EXPECT_FALSE(bench.cpu_irq.read()) << "masking lowers irq_out";
    c.write(intc::ENABLE, bit(4));
    EXPECT_EQ(c.read(intc::CLAIM), 4u);
  };
  sc_core::sc_start();
}

TEST(Intc, ALineStillHighAfterCompletionIsPendingAgain) {
  IntcBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.write(intc::ENABLE, bit(2));
    bench.line[2].write(true);
    c.settle();
    EXPECT_EQ(c.read(intc::CLAIM), 2u);
    c.settle();
    // In service: the high line is not latched again and irq_out is low.
    EXPECT_EQ(c.read(intc::PENDING), 0u);
    EXPECT_FALSE(bench.cpu_irq.read());

    c.write(intc::CLAIM, 2);  // complete while the device still asserts
    EXPECT_EQ(c.read(intc::PENDING), bit(2)) << "re-pended at completion, visible to the next claim";
    c.settle();
    EXPECT_TRUE(bench.cpu_irq.read());

    EXPECT_EQ(c.read(intc::CLAIM), 2u);
    bench.line[2].write(false);  // the handler served the device this time
    c.settle();
    c.write(intc::CLAIM, 2);
    c.settle();
    EXPECT_EQ(c.read(intc::PENDING), 0u);
    EXPECT_FALSE(bench.cpu_irq.read());
  };
  sc_core::sc_start();
}

TEST(Intc, AShortPulseIsLatchedUntilClaimed) {
  IntcBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.write(intc::ENABLE, bit(7));
    bench.line[7].write(true);
    c.settle();
    bench.line[7].write(false);
    c.settle();
    EXPECT_TRUE(bench.cpu_irq.read());
    EXPECT_EQ(c.read(intc::CLAIM), 7u);
    c.write(intc::CLAIM, 7);
    c.settle();
    EXPECT_FALSE(bench.cpu_irq.read());
  };
  sc_core::sc_start();
}

TEST(Intc, SourceZeroAndAbsentSourcesNeverInterrupt) {
  IntcConfig config;
  config.sources = 8;
  IntcBench bench(config);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read(intc::SOURCES), config.sources);
    c.write(intc::ENABLE, ~0u);
    EXPECT_EQ(c.read(intc::ENABLE), (1u << config.sources) - 2) << "only sources 1..sources-1 have enable bits";
    bench.line[0].write(true);
    c.settle();
    EXPECT_EQ(c.read(intc::PENDING), 0u);
    EXPECT_FALSE(bench.cpu_irq.read());
    // Completing what is not in service is ignored.
    c.write(intc::CLAIM, 3);
    c.write(intc::CLAIM, config.sources + 5);
    EXPECT_EQ(c.read(intc::IN_SERVICE), 0u);
  };
  sc_core::sc_start();
  nlohmann::json stats;
  bench.intc.report(stats, 0);
  EXPECT_EQ(stats["invalid_completions"], 2u);
}

TEST(Intc, UnboundLinesAreTiedLow) {
  IntcConfig config;
  Intc intc("intc", config);
  test::RegisterInitiator cpu("cpu");
  cpu.socket.bind(intc.socket);
  sc_core::sc_signal<bool> uart_irq("uart_irq"), cpu_irq("cpu_irq");
  intc.irq_in[1].bind(uart_irq);  // only one device wired
  intc.irq_out.bind(cpu_irq);
  cpu.body = [&](test::RegisterInitiator& c) {
    c.write(intc::ENABLE, ~0u);
    uart_irq.write(true);
    c.settle();
    EXPECT_EQ(c.read(intc::PENDING), bit(1));
    EXPECT_TRUE(cpu_irq.read());
  };
  sc_core::sc_start();
}

TEST(Intc, DebugReadsDoNotClaimAndBadAccessesGetErrors) {
  IntcBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    c.write(intc::ENABLE, bit(6));
    bench.line[6].write(true);
    c.settle();
    uint64_t value = 0;
    EXPECT_EQ(c.debug(tlm::TLM_READ_COMMAND, intc::CLAIM, value), 4u);
    EXPECT_EQ(value, 6u);
    EXPECT_EQ(c.read(intc::PENDING), bit(6)) << "a debugger peeking at CLAIM claims nothing";
    EXPECT_EQ(c.write_status(intc::PENDING, 0), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(intc::SOURCES, 3), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(0x200), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read(intc::PENDING), bit(6));
    EXPECT_EQ(c.read(intc::SOURCES), bench.config.sources);
  };
  sc_core::sc_start();
}

TEST(Intc, SourceCountIsValidated) {
  IntcConfig config;
  config.sources = intc::kMaxSources + 1;
  EXPECT_THROW(Intc("intc", config), ConfigError);
  ParamBinder binder(YAML::Load("sources: 40"), "intc", [](const std::string&) { return std::string("hw.yaml"); });
  IntcConfig loaded;
  EXPECT_THROW(IntcConfig::bind(binder, loaded), ConfigError);
}
