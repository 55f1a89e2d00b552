#include "bus_test_bench.h"

#include "ip/common/energy_tag.h"
#include "ip/common/log.h"

#include <tlm_utils/tlm_quantumkeeper.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

using namespace dlvp;
using namespace dlvp::test;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {

constexpr uint64_t kDdrBase = 0x80000000, kDdrSize = 0x10000;
constexpr uint64_t kSramBase = 0x20000000, kSramSize = 0x1000;

std::vector<RegionSpec> two_memories(sc_time latency = SC_ZERO_TIME) {
  return {{"ddr", kDdrBase, kDdrSize, latency}, {"sram", kSramBase, kSramSize, latency}};
}

double period_ns(const BusConfig& config) { return 1000.0 / config.clock_mhz; }

uint64_t beats(const BusConfig& config, uint64_t bytes) {
  return (bytes + config.width_bytes - 1) / config.width_bytes;
}

// Time one transaction of `bytes` occupies a bus port: arbitration plus one cycle per beat.
double occupancy_ns(const BusConfig& config, uint64_t bytes) {
  return static_cast<double>(config.arbitration_cycles + beats(config, bytes)) * period_ns(config);
}

double ns(const sc_time& t) { return t.to_seconds() * 1e9; }

// Writes `count` transactions of `length` bytes back to back through `window` bytes from `base`,
// decoupled by a quantum keeper as platform initiators are; returns the time the last one ended.
sc_time stream(ScriptedInitiator& initiator, uint64_t base, uint64_t window, unsigned length, unsigned count) {
  tlm_utils::tlm_quantumkeeper keeper;
  keeper.reset();
  std::vector<uint8_t> data(length, 0x5a);
  for (unsigned i = 0; i < count; ++i) {
    sc_time delay = keeper.get_local_time();
    const uint64_t address = base + (static_cast<uint64_t>(i) * length) % window;
    EXPECT_EQ(initiator.access(tlm::TLM_WRITE_COMMAND, address, data.data(), length, delay), tlm::TLM_OK_RESPONSE);
    keeper.set(delay);
    if (keeper.need_sync()) keeper.sync();
  }
  return keeper.get_current_time();
}

constexpr unsigned kStreamLength = 64;  // bytes per transaction
constexpr unsigned kStreamCount = 2000;

// Throughput in bytes per ns (= GB/s) one initiator alone achieves on the bus: limited by the port.
double single_stream_throughput(const BusConfig& config) {
  return kStreamLength / occupancy_ns(config, kStreamLength);
}

}  // namespace

TEST(BusConfig, BindsDefaultsWithUnitsAndRejectsBadValues) {
  const auto entries = describe_params<BusConfig>("bus");
  ASSERT_EQ(entries.size(), 3u);
  for (const auto& e : entries) EXPECT_FALSE(e.unit.empty()) << e.key << " needs a unit";

  auto load = [](const std::string& yaml) {
    BusConfig config;
    ParamBinder binder(YAML::Load(yaml), "bus", [](const std::string& key) { return "hw.yaml (" + key + ")"; });
    BusConfig::bind(binder, config);
    binder.finish();
    return config;
  };
  const BusConfig loaded = load("{clock_mhz: 400, width_bytes: 16, arbitration_cycles: 3}");
  EXPECT_EQ(loaded.clock_mhz, 400.0);
  EXPECT_EQ(loaded.width_bytes, 16u);
  EXPECT_EQ(loaded.arbitration_cycles, 3u);

  try {
    load("{width_bytes: 0}");
    ADD_FAILURE() << "width 0 accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bus.width_bytes"), std::string::npos) << e.what();
  }
  try {
    load("{widht_bytes: 8}");
    ADD_FAILURE() << "misspelt key accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bus.widht_bytes"), std::string::npos) << e.what();
  }
}

TEST(Bus, RoutesToTheOwningTargetWithLocalAddresses) {
  BusBench bench(BusConfig{}, two_memories(), 1);
  std::vector<uint8_t> readback(4);
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    uint8_t word[4] = {1, 2, 3, 4};
    sc_time delay;
    EXPECT_EQ(cpu.access(tlm::TLM_WRITE_COMMAND, kDdrBase + 0x10, word, 4, delay), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(cpu.access(tlm::TLM_WRITE_COMMAND, kSramBase + kSramSize - 4, word, 4, delay), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(cpu.access(tlm::TLM_READ_COMMAND, kDdrBase + 0x10, readback.data(), 4, delay), tlm::TLM_OK_RESPONSE);
  };
  sc_core::sc_start();

  const auto& ddr = bench.memory(0).accesses;
  ASSERT_EQ(ddr.size(), 2u);
  EXPECT_EQ(ddr[0].address, 0x10u);
  EXPECT_EQ(ddr[0].command, tlm::TLM_WRITE_COMMAND);
  EXPECT_EQ(ddr[1].command, tlm::TLM_READ_COMMAND);
  ASSERT_EQ(bench.memory(1).accesses.size(), 1u);
  EXPECT_EQ(bench.memory(1).accesses[0].address, kSramSize - 4);
  EXPECT_EQ(bench.memory(0).storage[0x13], 4);
  EXPECT_EQ(readback, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(bench.bus->target_statistics(0).bytes_written, 4u);
  EXPECT_EQ(bench.bus->target_statistics(0).bytes_read, 4u);
  EXPECT_EQ(bench.bus->target_statistics(1).transactions, 1u);
  EXPECT_EQ(bench.bus->initiator_statistics(0).transactions, 3u);
}

TEST(Bus, UnmappedOrStraddlingAccessGetsAddressErrorAndTheNextOneWorks) {
  const BusConfig config;
  BusBench bench(config, two_memories(), 2);
  bench.bus->set_initiator_name(1, "dma");
  const unsigned long warnings_before = log::warning_count();
  bench.initiator(1).script = [&](ScriptedInitiator& dma) {
    uint8_t word[8] = {};
    sc_time delay;
    EXPECT_EQ(dma.access(tlm::TLM_READ_COMMAND, 0x40000000, word, 4, delay), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_NEAR(ns(delay), config.arbitration_cycles * period_ns(config), 1e-6) << "decode answers after arbitration";
    EXPECT_EQ(dma.access(tlm::TLM_WRITE_COMMAND, kSramBase + kSramSize - 4, word, 8, delay),
              tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(dma.access(tlm::TLM_WRITE_COMMAND, kSramBase, word, 8, delay), tlm::TLM_OK_RESPONSE);
  };
  sc_core::sc_start();

  EXPECT_EQ(log::warning_count() - warnings_before, 2u);
  EXPECT_EQ(bench.bus->decode_errors(), 2u);
  EXPECT_EQ(bench.bus->initiator_statistics(1).errors, 2u);
  EXPECT_EQ(bench.bus->initiator_statistics(1).transactions, 1u);
  ASSERT_EQ(bench.memory(1).accesses.size(), 1u) << "rejected accesses must not reach a target";
  EXPECT_EQ(bench.memory(1).accesses[0].address, 0u);
  EXPECT_TRUE(bench.memory(0).accesses.empty());
}

// A runaway guest loop of unmapped reads (a 3-instruction loop on a CPU does this for as long as
// the run lasts): every access is answered and counted, but the log keeps its first
// kLinesPerSite lines and one notice; the rest are counted as suppressed. Before the limit, each
// access wrote a line (1.13 GB of log per second of simulated time).
TEST(Bus, RunawayUnmappedReadsLogABoundedNumberOfLines) {
  const std::string mirror = testing::TempDir() + "/dlvp.log";
  log::install_report_handler(mirror);
  BusBench bench(BusConfig{}, two_memories(), 1);
  const unsigned long warnings_before = log::warning_count(), suppressed_before = log::suppressed_count();
  constexpr uint64_t kAccesses = 100000;
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    tlm_utils::tlm_quantumkeeper keeper;
    keeper.reset();
    uint8_t word[4] = {};
    for (uint64_t i = 0; i < kAccesses; ++i) {
      sc_time delay = keeper.get_local_time();
      ASSERT_EQ(cpu.access(tlm::TLM_READ_COMMAND, 0x40000000 + 4 * (i % 1024), word, 4, delay),
                tlm::TLM_ADDRESS_ERROR_RESPONSE);
      keeper.set(delay);
      if (keeper.need_sync()) keeper.sync();
    }
  };
  sc_core::sc_start();

  EXPECT_EQ(bench.bus->decode_errors(), kAccesses);
  EXPECT_EQ(log::suppressed_count() - suppressed_before, kAccesses - log::kLinesPerSite);
  EXPECT_EQ(log::warning_count() - warnings_before, log::kLinesPerSite + 1);  // the lines and the notice
  const auto sites = log::suppressed_by_site();
  ASSERT_EQ(sites.size(), 1u);
  EXPECT_EQ(sites[0].first.rfind("ip/bus/bus.cpp:", 0), 0u) << sites[0].first;
  ASSERT_FALSE(log::mirror_failed());
  const auto log_bytes = std::filesystem::file_size(mirror);
  EXPECT_LT(log_bytes, 10u * 1024u) << "dlvp.log must stay below 10 KB whatever the guest does";
  EXPECT_GT(log_bytes, 20u * 50u) << "the first lines are there";
}

TEST(Bus, TargetErrorsArePassedBackAndCounted) {
  // The sram region is larger than the memory behind it: the memory itself answers the error.
  BusBench bench(BusConfig{}, {{"sram", kSramBase, kSramSize}}, 1);
  bench.memory(0).storage.resize(0x100);
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    uint8_t word[4] = {};
    sc_time delay;
    EXPECT_EQ(cpu.access(tlm::TLM_READ_COMMAND, kSramBase + 0x800, word, 4, delay), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  };
  sc_core::sc_start();
  EXPECT_EQ(bench.bus->target_statistics(0).errors, 1u);
  EXPECT_EQ(bench.bus->initiator_statistics(0).errors, 1u);
  EXPECT_EQ(bench.bus->decode_errors(), 0u);
}

TEST(Bus, DebugTransportRoutesWithoutTimeOrEnergy) {
  BusBench bench(BusConfig{}, two_memories(), 1);
  sc_core::sc_start(SC_ZERO_TIME);  // elaborate; debug accesses need no process

  uint8_t word[4] = {0xde, 0xad, 0xbe, 0xef};
  tlm::tlm_generic_payload trans;
  setup_payload(trans, tlm::TLM_WRITE_COMMAND, kSramBase + 0x20, word, 4);
  EXPECT_EQ(bench.initiator(0).socket->transport_dbg(trans), 4u);
  EXPECT_EQ(trans.get_address(), kSramBase + 0x20);
  ASSERT_EQ(bench.memory(1).debug_addresses, std::vector<uint64_t>{0x20});
  EXPECT_EQ(bench.memory(1).storage[0x23], 0xef);

  uint8_t readback[4] = {};
  setup_payload(trans, tlm::TLM_READ_COMMAND, kSramBase + 0x20, readback, 4);
  EXPECT_EQ(bench.initiator(0).socket->transport_dbg(trans), 4u);
  EXPECT_EQ(readback[0], 0xde);

  setup_payload(trans, tlm::TLM_READ_COMMAND, 0x1000, readback, 4);
  EXPECT_EQ(bench.initiator(0).socket->transport_dbg(trans), 0u) << "unmapped";
  setup_payload(trans, tlm::TLM_READ_COMMAND, kSramBase + kSramSize - 2, readback, 4);
  EXPECT_EQ(bench.initiator(0).socket->transport_dbg(trans), 0u) << "crosses the region end";

  EXPECT_EQ(bench.ledger.count_of(bench.bus->transfer_counter()), 0u);
  EXPECT_EQ(bench.bus->target_statistics(1).transactions, 0u);
  EXPECT_EQ(bench.bus->decode_errors(), 0u);
}

TEST(Bus, DmiIsForwardedWithTheRangeTranslatedAndClipped) {
  const BusConfig config;
  const sc_time memory_latency(20, SC_NS);
  BusBench bench(config, two_memories(memory_latency), 1);
  RecordingMemory& ddr = bench.memory(0);
  ddr.dmi_last = 0xffffff;  // the memory offers more than the bus window onto it
  sc_core::sc_start(SC_ZERO_TIME);

  tlm::tlm_generic_payload trans;
  DmiAccountingExtension accounting;
  accounting.address_offset = 0x1234;  // stale value from an earlier request: must be replaced
  trans.set_extension(&accounting);
  setup_payload(trans, tlm::TLM_READ_COMMAND, kDdrBase + 0x10, nullptr, 0);
  tlm::tlm_dmi dmi;
  ASSERT_TRUE(bench.initiator(0).socket->get_direct_mem_ptr(trans, dmi));
  trans.clear_extension(&accounting);

  EXPECT_EQ(ddr.dmi_requests, std::vector<uint64_t>{0x10});
  EXPECT_EQ(trans.get_address(), kDdrBase + 0x10);
  EXPECT_EQ(dmi.get_start_address(), kDdrBase);
  EXPECT_EQ(dmi.get_end_address(), kDdrBase + kDdrSize - 1) << "clipped to the region";
  EXPECT_EQ(dmi.get_dmi_ptr(), ddr.storage.data());
  EXPECT_TRUE(dmi.is_read_write_allowed());
  const double bus_latency_ns = (config.arbitration_cycles + 1) * period_ns(config);
  EXPECT_NEAR(ns(dmi.get_read_latency()), ns(memory_latency) + bus_latency_ns, 1e-6);
  EXPECT_EQ(accounting.address_offset, kDdrBase);
  ASSERT_NE(accounting.accountant, nullptr);

  // A grant of part of the memory keeps its bounds, shifted into bus addresses.
  ddr.dmi_first = 0x100;
  ddr.dmi_last = 0x1ff;
  trans.set_extension(&accounting);
  setup_payload(trans, tlm::TLM_WRITE_COMMAND, kDdrBase + 0x180, nullptr, 0);
  ASSERT_TRUE(bench.initiator(0).socket->get_direct_mem_ptr(trans, dmi));
  trans.clear_extension(&accounting);
  EXPECT_EQ(ddr.dmi_requests.back(), 0x180u);
  EXPECT_EQ(dmi.get_start_address(), kDdrBase + 0x100);
  EXPECT_EQ(dmi.get_end_address(), kDdrBase + 0x1ff);
  EXPECT_EQ(dmi.get_dmi_ptr(), ddr.storage.data() + 0x100);
}

TEST(Bus, DmiBytesAreCountedOnTheBusAndByTheMemory) {
  const BusConfig config;
  const sc_time memory_latency(20, SC_NS);
  BusBench bench(config, two_memories(memory_latency), 1);
  sc_core::sc_start(SC_ZERO_TIME);

  tlm::tlm_generic_payload trans;
  DmiAccountingExtension accounting;
  trans.set_extension(&accounting);
  setup_payload(trans, tlm::TLM_READ_COMMAND, kSramBase, nullptr, 0);
  tlm::tlm_dmi dmi;
  ASSERT_TRUE(bench.initiator(0).socket->get_direct_mem_ptr(trans, dmi));
  trans.clear_extension(&accounting);
  ASSERT_NE(accounting.accountant, nullptr);

  // The initiator moved 100 bytes from bus address kSramBase + 0x40 through the pointer.
  const uint64_t bytes = 100;
  const sc_time taken = accounting.accountant->account(kSramBase + 0x40 - accounting.address_offset, bytes, false);
  ASSERT_EQ(bench.memory(1).accounted.size(), 1u);
  EXPECT_EQ(bench.memory(1).accounted[0].address, 0x40u);
  EXPECT_EQ(bench.memory(1).accounted[0].bytes, bytes);
  EXPECT_EQ(bench.ledger.count_of(bench.bus->transfer_counter()), beats(config, bytes));
  EXPECT_EQ(bench.bus->target_statistics(1).bytes_read, bytes);
  EXPECT_EQ(bench.bus->initiator_statistics(0).bytes_read, bytes);
  const double data_ns = static_cast<double>(beats(config, bytes)) * period_ns(config);
  EXPECT_NEAR(ns(taken), config.arbitration_cycles * period_ns(config) + std::max(data_ns, ns(memory_latency)), 1e-6);

  // Blocks carry no local time: the next ones follow the previous, never queueing behind them.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(accounting.accountant->account(0x80, bytes, true), taken) << "block " << i;
  EXPECT_EQ(bench.bus->target_statistics(1).bytes_written, 3 * bytes);
  EXPECT_EQ(ns(bench.bus->initiator_statistics(0).wait), 0.0);
}

TEST(Bus, DmiToAnUnmappedAddressIsDeniedForTheWholeHole) {
  BusBench bench(BusConfig{}, two_memories(), 1);
  sc_core::sc_start(SC_ZERO_TIME);
  tlm::tlm_generic_payload trans;
  setup_payload(trans, tlm::TLM_READ_COMMAND, 0x40000000, nullptr, 0);
  tlm::tlm_dmi dmi;
  EXPECT_FALSE(bench.initiator(0).socket->get_direct_mem_ptr(trans, dmi));
  EXPECT_TRUE(dmi.is_none_allowed());
  EXPECT_EQ(dmi.get_start_address(), kSramBase + kSramSize);
  EXPECT_EQ(dmi.get_end_address(), kDdrBase - 1);
}

TEST(Bus, InvalidationReachesEveryInitiatorInBusAddresses) {
  BusBench bench(BusConfig{}, two_memories(), 3);
  sc_core::sc_start(SC_ZERO_TIME);
  bench.memory(1).invalidate(0x40, 0x7f);
  bench.memory(1).invalidate(0, std::numeric_limits<uint64_t>::max());  // "everything I granted"
  bench.memory(1).invalidate(kSramSize, kSramSize + 0x10);                // outside the bus window
  for (size_t i = 0; i < 3; ++i) {
    const auto& seen = bench.initiator(i).invalidations;
    ASSERT_EQ(seen.size(), 2u) << "initiator " << i;
    EXPECT_EQ(seen[0], std::make_pair(kSramBase + 0x40, kSramBase + 0x7f));
    EXPECT_EQ(seen[1], std::make_pair(kSramBase, kSramBase + kSramSize - 1));
  }
}

TEST(Bus, SingleInitiatorThroughputFollowsWidthAndClock) {
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 1);
  sc_time finish;
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    finish = stream(cpu, kDdrBase, kDdrSize, kStreamLength, kStreamCount);
  };
  sc_core::sc_start();
  const double expected_ns = kStreamCount * occupancy_ns(config, kStreamLength);
  EXPECT_NEAR(ns(finish), expected_ns, 1e-3);
  EXPECT_EQ(ns(bench.bus->target_statistics(0).wait), 0.0) << "nobody to wait for";
  EXPECT_NEAR(kStreamCount * kStreamLength / ns(finish), single_stream_throughput(config), 1e-9);
}

TEST(Bus, TwoInitiatorsStreamingToOneTargetEachGetHalfTheBandwidth) {
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 2);
  sc_time finish[2];
  for (size_t i = 0; i < 2; ++i) {
    bench.initiator(i).script = [&, i](ScriptedInitiator& cpu) {
      finish[i] = stream(cpu, kDdrBase + i * kDdrSize / 2, kDdrSize / 2, kStreamLength, kStreamCount);
    };
  }
  sc_core::sc_start();

  const double single = single_stream_throughput(config);
  for (size_t i = 0; i < 2; ++i) {
    const double throughput = kStreamCount * kStreamLength / ns(finish[i]);
    std::printf("initiator %zu: %.4f GB/s shared, %.4f GB/s alone\n", i, throughput, single);
    EXPECT_NEAR(throughput / single, 0.5, 0.03) << "initiator " << i << ": " << throughput << " GB/s";
    EXPECT_GT(ns(bench.bus->initiator_statistics(i).wait), 0.0);
  }
  // The port never idles while both stream: busy time is all the traffic, back to back.
  const double busy_ns = ns(bench.bus->target_statistics(0).busy);
  EXPECT_NEAR(busy_ns, 2 * kStreamCount * occupancy_ns(config, kStreamLength), 1e-3);
  EXPECT_NEAR(busy_ns / std::max(ns(finish[0]), ns(finish[1])), 1.0, 0.03);
}

TEST(Bus, ThreeInitiatorsStreamingToOneTargetEachGetAThird) {
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 3);
  sc_time finish[3];
  for (size_t i = 0; i < 3; ++i) {
    bench.initiator(i).script = [&, i](ScriptedInitiator& cpu) {
      finish[i] = stream(cpu, kDdrBase, kDdrSize, kStreamLength, kStreamCount);
    };
  }
  sc_core::sc_start();
  const double single = single_stream_throughput(config);
  for (size_t i = 0; i < 3; ++i) {
    const double throughput = kStreamCount * kStreamLength / ns(finish[i]);
    std::printf("initiator %zu of 3: %.4f GB/s\n", i, throughput);
    EXPECT_NEAR(throughput / single, 1.0 / 3, 0.03) << "initiator " << i;
  }
}

TEST(Bus, StreamsThatFitTogetherDoNotSlowEachOther) {
  // Each stream waits for a slow memory most of the time and needs under half of the port.
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  const sc_time latency(3 * occupancy_ns(config, kStreamLength), SC_NS);
  BusBench bench(config, two_memories(latency), 2);
  sc_time finish[2];
  for (size_t i = 0; i < 2; ++i) {
    bench.initiator(i).script = [&, i](ScriptedInitiator& cpu) {
      finish[i] = stream(cpu, kDdrBase, kDdrSize, kStreamLength, kStreamCount);
    };
  }
  sc_core::sc_start();
  const double alone_ns = kStreamCount * (config.arbitration_cycles * period_ns(config) + ns(latency));
  for (size_t i = 0; i < 2; ++i)
    EXPECT_NEAR(ns(finish[i]) / alone_ns, 1.0, 0.005) << "initiator " << i;
}

TEST(Bus, WithoutDecouplingTwoInitiatorsAlternateExactly) {
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(SC_ZERO_TIME);  // sync after every transaction
  BusBench bench(config, two_memories(), 2);
  sc_time finish[2];
  for (size_t i = 0; i < 2; ++i) {
    bench.initiator(i).script = [&, i](ScriptedInitiator& cpu) {
      finish[i] = stream(cpu, kDdrBase, kDdrSize, kStreamLength, kStreamCount);
    };
  }
  sc_core::sc_start();
  // Round robin: the first-scheduled one finishes one transaction before the other.
  const double round_ns = 2 * occupancy_ns(config, kStreamLength);
  EXPECT_NEAR(ns(finish[0]), kStreamCount * round_ns - occupancy_ns(config, kStreamLength), 1e-3);
  EXPECT_NEAR(ns(finish[1]), kStreamCount * round_ns, 1e-3);
}

TEST(Bus, RoundRobinSharesThePortPerTransaction) {
  // A streams long bursts, B single words, as many of each: a round-robin arbiter grants one of
  // each per round, so both finish together and each gets its transaction's fraction of a round.
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 2);
  const unsigned long_burst = 64, word = 4, count = 2000;
  sc_time finish[2];
  bench.initiator(0).script = [&](ScriptedInitiator& a) { finish[0] = stream(a, kDdrBase, kDdrSize, long_burst, count); };
  bench.initiator(1).script = [&](ScriptedInitiator& b) { finish[1] = stream(b, kDdrBase, kDdrSize, word, count); };
  sc_core::sc_start();

  const double round_ns = occupancy_ns(config, long_burst) + occupancy_ns(config, word);
  const double share_a = ns(bench.bus->initiator_statistics(0).busy) / ns(finish[0]);
  const double share_b = ns(bench.bus->initiator_statistics(1).busy) / ns(finish[1]);
  std::printf("port share: bursts %.3f, words %.3f\n", share_a, share_b);
  EXPECT_NEAR(share_a, occupancy_ns(config, long_burst) / round_ns, 0.03) << "burst initiator's port share";
  EXPECT_NEAR(share_b, occupancy_ns(config, word) / round_ns, 0.03) << "word initiator's port share";
}

TEST(Bus, LightTrafficSlowsAStreamByAboutItsOwnOccupancy) {
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 2);
  const unsigned dma_count = 80;
  const sc_time dma_period(1, sc_core::SC_US);
  sc_time cpu_finish;
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    cpu_finish = stream(cpu, kDdrBase, kDdrSize, kStreamLength, kStreamCount);
  };
  bench.initiator(1).script = [&](ScriptedInitiator& dma) {
    std::vector<uint8_t> data(kStreamLength);
    for (unsigned i = 0; i < dma_count; ++i) {
      sc_time delay;
      dma.access(tlm::TLM_WRITE_COMMAND, kDdrBase, data.data(), kStreamLength, delay);
      sc_core::wait(dma_period);
    }
  };
  sc_core::sc_start();
  const double alone_ns = kStreamCount * occupancy_ns(config, kStreamLength);
  const double dma_busy_ns = ns(bench.bus->initiator_statistics(1).busy);
  ASSERT_NEAR(dma_busy_ns, dma_count * occupancy_ns(config, kStreamLength), 1e-3);
  const double slowdown_ns = ns(cpu_finish) - alone_ns;
  std::printf("cpu alone %.1f ns, with dma %.1f ns: slowed by %.1f ns for %.1f ns of dma port time\n", alone_ns,
              ns(cpu_finish), slowdown_ns, dma_busy_ns);
  EXPECT_NEAR(slowdown_ns / dma_busy_ns, 1.0, 0.3);
  // The DMA waits at most one CPU transaction each time.
  EXPECT_LE(ns(bench.bus->initiator_statistics(1).wait), dma_count * occupancy_ns(config, kStreamLength) + 1e-3);
}

namespace {

// End times (absolute) of two initiators' 512-B writes presented at time 0 with local times
// `first_arrival` (presented first) and `second_arrival` (one delta later), and of the first
// initiator's next write, presented after them at the end it was told (still at time 0).
struct OrderedEnds {
  sc_time first, second, first_next;
};
OrderedEnds present_in_call_order(const BusConfig& config, const sc_time& first_arrival, const sc_time& second_arrival) {
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 2);
  std::vector<uint8_t> data(512, 0x5a);
  OrderedEnds ends;
  bench.initiator(0).script = [&](ScriptedInitiator& a) {
    sc_time delay = first_arrival;
    a.access(tlm::TLM_WRITE_COMMAND, kDdrBase, data.data(), 512, delay);
    ends.first = delay;
    for (int delta = 0; delta < 2; ++delta) sc_core::wait(SC_ZERO_TIME);  // after the second presented
    a.access(tlm::TLM_WRITE_COMMAND, kDdrBase, data.data(), 512, delay);
    ends.first_next = delay;
  };
  bench.initiator(1).script = [&](ScriptedInitiator& b) {
    sc_core::wait(SC_ZERO_TIME);  // presents after the first, in the same time step
    sc_time delay = second_arrival;
    b.access(tlm::TLM_WRITE_COMMAND, kDdrBase + 0x1000, data.data(), 512, delay);
    ends.second = delay;
  };
  sc_core::sc_start();
  return ends;
}

}  // namespace

// Initiator 0 runs further ahead and books its write (local time 200 ns) before initiator 1
// presents one with local time 100 ns: the port serves them in time order, as an arbiter seeing
// both requests would. Initiator 0 already has its time, but its next write finds the port busy
// for all three, back to back.
TEST(Bus, InitiatorsRunningAheadAreServedInTheOrderOfTheirLocalTimes) {
  const BusConfig config;
  const sc_time occupancy(occupancy_ns(config, 512), SC_NS);
  const sc_time early(100, SC_NS), late(200, SC_NS);
  const OrderedEnds ends = present_in_call_order(config, late, early);
  EXPECT_EQ(ends.second, early + occupancy) << "the earlier request waits for nobody";
  EXPECT_EQ(ends.first, late + occupancy) << "its time was given when it was booked";
  EXPECT_EQ(ends.first_next, early + 3 * occupancy) << "the port's time is not given twice";
}

// The same two writes presented in time order: the later one queues behind the earlier one, so
// the rule above is not "ignore what others booked".
TEST(Bus, ALaterRequestStillQueuesBehindAnEarlierOne) {
  const BusConfig config;
  const sc_time occupancy(occupancy_ns(config, 512), SC_NS);
  const sc_time early(100, SC_NS), late(200, SC_NS);
  const OrderedEnds ends = present_in_call_order(config, early, late);
  EXPECT_EQ(ends.first, early + occupancy);
  EXPECT_EQ(ends.second, early + 2 * occupancy);
  EXPECT_EQ(ends.first_next, early + 3 * occupancy);
}

TEST(Bus, TwoInitiatorsOnDifferentTargetsDoNotSlowEachOther) {
  const BusConfig config;
  tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, sc_core::SC_US));
  BusBench bench(config, two_memories(), 2);
  sc_time finish[2];
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    finish[0] = stream(cpu, kDdrBase, kDdrSize, kStreamLength, kStreamCount);
  };
  bench.initiator(1).script = [&](ScriptedInitiator& dma) {
    finish[1] = stream(dma, kSramBase, kSramSize, kStreamLength, kStreamCount);
  };
  sc_core::sc_start();
  const double single = single_stream_throughput(config);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(kStreamCount * kStreamLength / ns(finish[i]) / single, 1.0, 1e-6) << "initiator " << i;
    EXPECT_EQ(ns(bench.bus->initiator_statistics(i).wait), 0.0);
  }
}

TEST(Bus, SlowTargetOverlapsTheDataPhaseInsteadOfAddingToIt) {
  const BusConfig config;
  const unsigned length = 64;
  const double data_ns = static_cast<double>(beats(config, length)) * period_ns(config);
  const double arbitration_ns = config.arbitration_cycles * period_ns(config);
  // One memory slower than the bus data phase, one faster.
  const sc_time slow(data_ns * 2.5, SC_NS), fast(data_ns / 4, SC_NS);
  BusBench bench(config, {{"slow", kDdrBase, kDdrSize, slow}, {"fast", kSramBase, kSramSize, fast}}, 1);
  sc_time slow_delay, fast_delay;
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    std::vector<uint8_t> data(length);
    cpu.access(tlm::TLM_READ_COMMAND, kDdrBase, data.data(), length, slow_delay);
    cpu.access(tlm::TLM_READ_COMMAND, kSramBase, data.data(), length, fast_delay);
  };
  sc_core::sc_start();
  EXPECT_NEAR(ns(slow_delay), arbitration_ns + ns(slow), 1e-3);
  EXPECT_NEAR(ns(fast_delay), arbitration_ns + data_ns, 1e-3);
}

// A target may wait() in b_transport (the FR-FCFS DDR controller does when other initiators have
// requests queued); the delay it returns then counts from the new simulation time, and the bus's
// data phase must not be counted from the old one (it added the initiator's local time twice).
TEST(Bus, TargetThatWaitsDoesNotCountTheInitiatorsLocalTimeTwice) {
  const BusConfig config;
  const unsigned length = 64;
  const double data_ns = static_cast<double>(beats(config, length)) * period_ns(config);
  const double arbitration_ns = config.arbitration_cycles * period_ns(config);
  const sc_time local(500, SC_NS), fast(data_ns / 4, SC_NS);  // the memory is faster than the data phase
  BusBench bench(config, {{"mem", kDdrBase, kDdrSize, fast}}, 1);
  bench.memory(0).synchronizes = true;
  double done_ns = 0;
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    std::vector<uint8_t> data(length);
    sc_time delay = local;
    EXPECT_EQ(cpu.access(tlm::TLM_READ_COMMAND, kDdrBase, data.data(), length, delay), tlm::TLM_OK_RESPONSE);
    done_ns = ns(sc_core::sc_time_stamp() + delay);
  };
  sc_core::sc_start();
  EXPECT_NEAR(done_ns, ns(local) + arbitration_ns + data_ns, 1e-3);
}

TEST(Bus, EnergyCountsOneTransferPerBeatScaledByWidth) {
  BusConfig config;
  config.width_bytes = 16;
  BusBench bench(config, two_memories(), 1);
  const unsigned lengths[] = {1, 4, 15, 16, 17, 64, 100};
  uint64_t expected_beats = 0;
  for (unsigned length : lengths) expected_beats += beats(config, length);
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    std::vector<uint8_t> data(128);
    sc_time delay;
    bool write = false;
    for (unsigned length : lengths) {
      cpu.access(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, kDdrBase + 0x100, data.data(), length, delay);
      write = !write;
    }
    cpu.access(tlm::TLM_READ_COMMAND, 0x0, data.data(), 8, delay);  // decode error: no data beats
  };
  sc_core::sc_start();

  const CounterId counter = bench.ledger.find("bus", "transfer");
  EXPECT_EQ(counter, bench.bus->transfer_counter());
  EXPECT_EQ(bench.ledger.count_of(counter), expected_beats);
  EXPECT_EQ(bench.bus->target_statistics(0).beats, expected_beats);
  const CounterSpec& spec = bench.ledger.spec(counter);
  EXPECT_EQ(spec.level, Level::other);
  EXPECT_DOUBLE_EQ(spec.unit_energy, kBusTransferEnergy * config.width_bytes / 8.0);
  EXPECT_DOUBLE_EQ(bench.ledger.energy_of(counter, 0.0), spec.unit_energy * static_cast<double>(expected_beats));
}

TEST(Bus, BeatsAreCountedUnderThePayloadsEnergyTag) {
  const BusConfig config;
  BusBench bench(config, two_memories(), 1);
  EnergyLedger& l = bench.ledger;
  const TagId layer = l.tag_named("layer2"), job = l.tag_named("job0");
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    std::vector<uint8_t> data(64);
    sc_time delay;
    tlm::tlm_generic_payload trans;
    EnergyTagExtension extension(layer);
    trans.set_extension(&extension);
    setup_payload(trans, tlm::TLM_WRITE_COMMAND, kDdrBase, data.data(), 64);
    cpu.socket->b_transport(trans, delay);  // 8 beats, the payload's tag
    trans.clear_extension(&extension);
    cpu.access(tlm::TLM_READ_COMMAND, kDdrBase, data.data(), 16, delay);  // 2 beats, untagged
    l.set_tag(job);
    cpu.access(tlm::TLM_READ_COMMAND, kDdrBase, data.data(), 24, delay);  // 3 beats, the current tag
    l.set_tag(kUntagged);
  };
  sc_core::sc_start();
  const CounterId beats_counter = bench.bus->transfer_counter();
  EXPECT_EQ(l.count_of(beats_counter, layer), 8u);
  EXPECT_EQ(l.count_of(beats_counter, job), 3u);
  EXPECT_EQ(l.count_of(beats_counter, kUntagged), 2u);
}

TEST(Bus, DmiBlocksPassTheirTagToTheMemoryAndCountBeatsUnderIt) {
  const BusConfig config;
  BusBench bench(config, two_memories(), 1);
  sc_core::sc_start(SC_ZERO_TIME);
  tlm::tlm_generic_payload trans;
  DmiAccountingExtension accounting;
  trans.set_extension(&accounting);
  setup_payload(trans, tlm::TLM_READ_COMMAND, kSramBase, nullptr, 0);
  tlm::tlm_dmi dmi;
  ASSERT_TRUE(bench.initiator(0).socket->get_direct_mem_ptr(trans, dmi));
  trans.clear_extension(&accounting);
  ASSERT_NE(accounting.accountant, nullptr);
  const TagId layer = bench.ledger.tag_named("layer1");
  accounting.accountant->account(0x40, 64, true, layer);
  accounting.accountant->account(0x80, 32, false);
  const RecordingMemory& sram = bench.memory(1);
  ASSERT_EQ(sram.accounted.size(), 2u);
  EXPECT_EQ(sram.accounted[0].tag, layer);
  EXPECT_EQ(sram.accounted[1].tag, kUntagged);
  EXPECT_EQ(bench.ledger.count_of(bench.bus->transfer_counter(), layer), beats(config, 64));
  EXPECT_EQ(bench.ledger.count_of(bench.bus->transfer_counter(), kUntagged), beats(config, 32));
}

TEST(Bus, ReportGivesBytesUtilizationAndWaitPerPort) {
  const BusConfig config;
  BusBench bench(config, two_memories(), 2);
  bench.bus->set_initiator_name(0, "cpu");
  const unsigned length = 32, count = 10;
  bench.initiator(0).script = [&](ScriptedInitiator& cpu) {
    std::vector<uint8_t> data(length);
    for (unsigned i = 0; i < count; ++i) {
      sc_time delay;
      cpu.access(tlm::TLM_READ_COMMAND, kSramBase + i * length, data.data(), length, delay);
      sc_core::wait(delay);
    }
    sc_core::wait(1, sc_core::SC_US);  // idle time lowers the utilization
  };
  sc_core::sc_start();
  const double elapsed_ns = ns(sc_core::sc_time_stamp());
  nlohmann::json out;
  bench.bus->report(out, elapsed_ns);

  EXPECT_EQ(bench.bus->report_name(), "bus");
  const nlohmann::json& sram = out.at("targets").at("sram");
  const double busy_ns = count * occupancy_ns(config, length);
  EXPECT_EQ(sram.at("transactions"), count);
  EXPECT_EQ(sram.at("bytes_read"), count * length);
  EXPECT_NEAR(sram.at("busy_ns").get<double>(), busy_ns, 1e-3);
  EXPECT_NEAR(sram.at("utilization").get<double>(), busy_ns / elapsed_ns, 1e-9);
  EXPECT_EQ(sram.at("wait_ns").get<double>(), 0.0);
  EXPECT_NEAR(sram.at("bandwidth_GBps").get<double>(), count * length / elapsed_ns, 1e-9);
  EXPECT_EQ(out.at("targets").at("ddr").at("transactions"), 0u);
  EXPECT_EQ(out.at("initiators").at("cpu").at("bytes_read"), count * length);
  EXPECT_EQ(out.at("initiators").at("initiator1").at("transactions"), 0u);
  EXPECT_DOUBLE_EQ(out.at("peak_bandwidth_GBps").get<double>(), config.width_bytes * config.clock_mhz / 1000.0);
}

TEST(Bus, ElaborationFailsWhenTargetsDoNotMatchTheMap) {
  EnergyLedger ledger(bus_tech_table());
  MemoryMap map;
  map.add("ddr", kDdrBase, kDdrSize);
  map.add("sram", kSramBase, kSramSize);
  Bus bus("bus", BusConfig{}, map, ledger);
  RecordingMemory ddr("ddr", kDdrSize, SC_ZERO_TIME);
  ScriptedInitiator cpu("cpu");
  bus.initiator_socket.bind(ddr.socket);  // sram's target is missing
  cpu.socket.bind(bus.target_socket);
  try {
    sc_core::sc_start(SC_ZERO_TIME);
    ADD_FAILURE() << "elaboration accepted a missing target";
  } catch (const sc_core::sc_report& report) {
    EXPECT_NE(std::string(report.get_msg()).find("2 memory map regions"), std::string::npos) << report.get_msg();
  }
}
