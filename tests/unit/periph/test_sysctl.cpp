#include "ip/periph/sysctl.h"
#include "ip/periph/sysctl_regs.h"
#include "ip/common/soc_map.h"
#include "tests/support/register_initiator.h"
#include "ip/common/energy_tag.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

struct SysctlBench {
  Sysctl sysctl{"sysctl", SysctlConfig{}};
  test::RegisterInitiator cpu{"cpu"};
  SysctlBench() { cpu.socket.bind(sysctl.socket); }
};

}  // namespace

TEST(Sysctl, IdentifiesTheSocAndKeepsTheScratchRegister) {
  SysctlBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read(sysctl::ID), sysctl::kMagic);
    EXPECT_EQ(c.read(sysctl::VERSION), sysctl::kVersion);
    c.write(sysctl::SCRATCH, 0xdeadbeef);
    EXPECT_EQ(c.read(sysctl::SCRATCH), 0xdeadbeefu);
    c.write(sysctl::SCRATCH + 1, 0x55, 1);  // byte write touches only its byte
    EXPECT_EQ(c.read(sysctl::SCRATCH), 0xdead55efu);
  };
  sc_core::sc_start();
  EXPECT_FALSE(bench.sysctl.exit_requested());
}

TEST(Sysctl, DeviceTableRoundTrip) {
  SysctlBench bench;
  const std::vector<Sysctl::Device> table = {
      {soc::kDevSysctl, soc::kSysctlBase, soc::kRegisterWindowBytes, soc::kNoIrq},
      {soc::kDevUart, 0x10001000, soc::kRegisterWindowBytes, 1},
      {soc::kDevDdr, soc::kDdrBase, 0x1'8000'0000ull, soc::kNoIrq},  // 6 GiB: needs the high word
      {soc::kDevIfu, 0x10010000, soc::kRegisterWindowBytes, 3},
  };
  for (const auto& d : table) bench.sysctl.add_device(d.id, d.base, d.size, d.irq);
  std::vector<Sysctl::Device> read_back;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    const uint64_t count = c.read(sysctl::DEVICE_COUNT);
    EXPECT_EQ(count, table.size());
    for (uint32_t i = 0; i < count; ++i) {
      c.write(sysctl::DEVICE_SELECT, i);
      EXPECT_EQ(c.read(sysctl::DEVICE_SELECT), i);
      // Base read as two 32-bit halves (as an RV32 core does), size as one 64-bit access.
      const uint64_t base = c.read(sysctl::DEVICE_BASE) | c.read(sysctl::DEVICE_BASE + 4) << 32;
      read_back.push_back({static_cast<uint32_t>(c.read(sysctl::DEVICE_ID)), base, c.read(sysctl::DEVICE_SIZE, 8),
                           static_cast<uint32_t>(c.read(sysctl::DEVICE_IRQ))});
    }
    c.write(sysctl::DEVICE_SELECT, static_cast<uint32_t>(count));  // one past the end
    EXPECT_EQ(c.read(sysctl::DEVICE_ID), soc::kDevNone);
    EXPECT_EQ(c.read(sysctl::DEVICE_IRQ), soc::kNoIrq);
    EXPECT_EQ(c.read(sysctl::DEVICE_BASE, 8), 0u);
    EXPECT_EQ(c.read(sysctl::DEVICE_SIZE, 8), 0u);
    c.write(sysctl::DEVICE_SELECT, 0xffffffffu);
    EXPECT_EQ(c.read(sysctl::DEVICE_ID), soc::kDevNone);
  };
  sc_core::sc_start();
  ASSERT_EQ(read_back.size(), table.size());
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(read_back[i].id, table[i].id) << i;
    EXPECT_EQ(read_back[i].base, table[i].base) << i;
    EXPECT_EQ(read_back[i].size, table[i].size) << i;
    EXPECT_EQ(read_back[i].irq, table[i].irq) << i;
  }
}

TEST(Sysctl, BadDeviceWindowsAreRejected) {
  SysctlBench bench;
  EXPECT_THROW(bench.sysctl.add_device(soc::kDevUart, 0x1000, 0, 1), std::invalid_argument);
  EXPECT_THROW(bench.sysctl.add_device(soc::kDevUart, ~0ull - 10, 0x1000, 1), std::invalid_argument);
  EXPECT_TRUE(bench.sysctl.devices().empty());
}

TEST(Sysctl, ExitStopsTheSimulationWithTheCodeAtTheInitiatorsTime) {
  SysctlBench bench;
  const uint32_t code = 42;
  const sc_time kernel_time(2, SC_US), ahead(300, SC_NS);
  bool ran_past_exit = false;
  bench.cpu.must_finish = false;  // EXIT stops the kernel inside the body: that is what is tested
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    wait(kernel_time);
    c.local = ahead;
    c.write(sysctl::EXIT, code);
    wait(sc_time(1, SC_US));  // the kernel stops before this wait returns
    ran_past_exit = true;
  };
  sc_core::sc_start(sc_time(1, sc_core::SC_MS));
  EXPECT_TRUE(bench.sysctl.exit_requested());
  EXPECT_EQ(bench.sysctl.exit_code(), code);
  EXPECT_EQ(bench.sysctl.exit_time(), kernel_time + ahead);
  EXPECT_EQ(sc_core::sc_get_status(), sc_core::SC_STOPPED);
  EXPECT_EQ(sc_core::sc_time_stamp(), kernel_time);
  EXPECT_FALSE(ran_past_exit);
}

TEST(Sysctl, OnlyTheFirstExitCounts) {
  SysctlBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    uint64_t code = 9;
    EXPECT_EQ(c.debug(tlm::TLM_WRITE_COMMAND, sysctl::EXIT, code), 4u);  // a debugger write does not exit
    EXPECT_FALSE(bench.sysctl.exit_requested());
    c.write(sysctl::EXIT, sysctl::kExitFailure);
    c.write(sysctl::EXIT, sysctl::kExitSuccess);
  };
  sc_core::sc_start();
  EXPECT_EQ(bench.sysctl.exit_code(), sysctl::kExitFailure);
  nlohmann::json stats;
  bench.sysctl.report(stats, 0);
  EXPECT_EQ(stats["ignored_exits"], 1u);
  EXPECT_EQ(stats["exit_code"], sysctl::kExitFailure);
}

TEST(Sysctl, UnmappedOffsetsAndReadOnlyWritesGetErrorResponses) {
  SysctlBench bench;
  bench.sysctl.add_device(soc::kDevUart, 0x10001000, soc::kRegisterWindowBytes, 1);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    EXPECT_EQ(c.read_status(0x030), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(0x800), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(0xffc, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(soc::kRegisterWindowBytes), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(c.read_status(sysctl::DEVICE_SIZE + 4, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "runs past the map";
    EXPECT_EQ(c.write_status(sysctl::ID, 0), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(sysctl::DEVICE_COUNT, 7), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(c.write_status(sysctl::DEVICE_BASE, 0, 8), tlm::TLM_COMMAND_ERROR_RESPONSE);
    // A refused write changes nothing.
    EXPECT_EQ(c.read(sysctl::ID), sysctl::kMagic);
    EXPECT_EQ(c.read(sysctl::DEVICE_COUNT), 1u);
    EXPECT_EQ(c.read(sysctl::DEVICE_BASE, 8), 0x10001000u);
  };
  sc_core::sc_start();
  EXPECT_FALSE(bench.sysctl.exit_requested());
  nlohmann::json stats;
  bench.sysctl.report(stats, 0);
  EXPECT_EQ(stats["refused_accesses"], 8u);
}

namespace {

// A system controller with 4 KiB of DDR the RESULT_* strings are read from.
struct ResultBench : SysctlBench {
  static constexpr uint64_t kDdrBytes = 4096;
  std::vector<uint8_t> ddr = std::vector<uint8_t>(kDdrBytes, 'x');
  unsigned reads_beyond_ddr = 0;
  ResultBench() {
    sysctl.add_device(soc::kDevDdr, soc::kDdrBase, kDdrBytes, soc::kNoIrq);
    sysctl.set_guest_reader([this](uint64_t address, uint8_t* data, unsigned bytes) -> unsigned {
      if (address < soc::kDdrBase || address - soc::kDdrBase + bytes > kDdrBytes) {
        ++reads_beyond_ddr;
        return 0;
      }
      std::memcpy(data, ddr.data() + (address - soc::kDdrBase), bytes);
      return bytes;
    });
  }
  // Places `text` and its NUL at DDR offset `offset`; returns its address.
  uint64_t put(uint64_t offset, const std::string& text) {
    std::memcpy(ddr.data() + offset, text.c_str(), text.size() + 1);
    return soc::kDdrBase + offset;
  }
};

uint64_t commit(test::RegisterInitiator& c, uint64_t name, uint64_t unit, int64_t mantissa, int32_t exponent) {
  c.write(sysctl::RESULT_NAME, name, 8);
  c.write(sysctl::RESULT_UNIT, unit, 8);
  c.write(sysctl::RESULT_VALUE, static_cast<uint64_t>(mantissa), 8);
  c.write(sysctl::RESULT_EXPONENT, static_cast<uint32_t>(exponent));
  c.write(sysctl::RESULT_COMMIT, 1);
  return c.read(sysctl::RESULT_STATUS);
}

}  // namespace

TEST(Sysctl, AppResultsAreKeptWithTheirUnitAndARepeatedNameReplacesItsValue) {
  ResultBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    const uint64_t name = bench.put(0, "sparse.accuracy"), unit = bench.put(64, "ns");
    EXPECT_EQ(commit(c, name, 0, 9266, -4), sysctl::kResultOk);
    EXPECT_EQ(commit(c, bench.put(128, "latency_ns"), unit, -12345, 3), sysctl::kResultOk);
    EXPECT_EQ(commit(c, name, 0, 9300, -4), sysctl::kResultOk);
    const std::string longest(sysctl::kResultTextMaxBytes, 'n');
    EXPECT_EQ(commit(c, bench.put(256, longest), 0, 1, 0), sysctl::kResultOk);
    EXPECT_EQ(c.read(sysctl::RESULT_COUNT), 3u);
  };
  sc_core::sc_start();
  const auto& r = bench.sysctl.app_results();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].name, "sparse.accuracy");
  EXPECT_EQ(r[0].mantissa, 9300);
  EXPECT_EQ(r[0].exponent, -4);
  EXPECT_EQ(r[0].unit, "");
  EXPECT_EQ(r[1].name, "latency_ns");
  EXPECT_EQ(r[1].mantissa, -12345);
  EXPECT_EQ(r[1].exponent, 3);
  EXPECT_EQ(r[1].unit, "ns");
  EXPECT_EQ(r[2].name.size(), sysctl::kResultTextMaxBytes);
  EXPECT_EQ(bench.sysctl.app_results_refused(), 0u);
}

// Whatever the guest writes: nothing is read outside DDR or past the length limit, a bad string or
// exponent is refused with its status, and the table holds at most kMaxResults names.
TEST(Sysctl, BadResultNamesAreRefusedAndTheTableIsBounded) {
  ResultBench bench;
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    const uint64_t good = bench.put(0, "ok");
    for (const uint64_t address : {uint64_t{0}, uint64_t{soc::kSysctlBase}, soc::kDdrBase - 1,
                                   soc::kDdrBase + ResultBench::kDdrBytes, ~uint64_t{0}})
      EXPECT_EQ(commit(c, address, 0, 1, 0), sysctl::kResultBadName) << std::hex << address;
    EXPECT_EQ(commit(c, bench.put(100, ""), 0, 1, 0), sysctl::kResultBadName) << "empty name";
    EXPECT_EQ(commit(c, bench.put(200, "line\nbreak"), 0, 1, 0), sysctl::kResultBadName);
    EXPECT_EQ(commit(c, bench.put(300, "bad\xff utf-8"), 0, 1, 0), sysctl::kResultBadName);
    EXPECT_EQ(commit(c, bench.put(400, std::string(sysctl::kResultTextMaxBytes + 1, 'n')), 0, 1, 0),
              sysctl::kResultBadName) << "65 bytes";
    // No NUL before the end of DDR: the read stops there.
    bench.ddr[ResultBench::kDdrBytes - 1] = 'z';
    EXPECT_EQ(commit(c, soc::kDdrBase + ResultBench::kDdrBytes - 1, 0, 1, 0), sysctl::kResultBadName);
    EXPECT_EQ(commit(c, good, soc::kDdrBase - 8, 1, 0), sysctl::kResultBadUnit);
    EXPECT_EQ(commit(c, good, bench.put(500, "\x1b[2J"), 1, 0), sysctl::kResultBadUnit);
    EXPECT_EQ(commit(c, good, 0, 1, sysctl::kResultExponentMax + 1), sysctl::kResultBadExponent);
    EXPECT_EQ(commit(c, good, 0, 1, sysctl::kResultExponentMin - 1), sysctl::kResultBadExponent);
    EXPECT_EQ(c.read(sysctl::RESULT_COUNT), 0u);
    for (uint32_t i = 0; i < sysctl::kMaxResults + 40; ++i) {
      const uint32_t status = commit(c, bench.put(1024, "r" + std::to_string(i)), 0, i, 0);
      EXPECT_EQ(status, i < sysctl::kMaxResults ? sysctl::kResultOk : sysctl::kResultFull) << i;
    }
    EXPECT_EQ(commit(c, bench.put(1024, "r0"), 0, 7, 0), sysctl::kResultOk) << "a kept name still takes new values";
    EXPECT_EQ(c.read(sysctl::RESULT_COUNT), sysctl::kMaxResults);
  };
  sc_core::sc_start();
  EXPECT_EQ(bench.reads_beyond_ddr, 0u);
  EXPECT_EQ(bench.sysctl.app_results().size(), sysctl::kMaxResults);
  EXPECT_EQ(bench.sysctl.app_results()[0].mantissa, 7);
  EXPECT_EQ(bench.sysctl.app_results_dropped(), 40u);
  EXPECT_EQ(bench.sysctl.app_results_refused(), 14u);
}

// CPUC: CPU stage marks (docs/periph.md): a stage's time is from its BEGIN write to its END write
// (the initiator's local times), the energy counted in between goes to the layer's ledger tag and
// settles at END; marks that do not pair up are counted, not attributed.
TEST(Sysctl, CpuStageMarksTimeTheStageAndAttributeItsEnergyToTheLayer) {
  SysctlBench bench;
  EnergyLedger ledger(TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml"));
  const CounterId work = ledger.add_counter_from_table("cpu", "op", Level::other, Action::compute, "int32_add");
  bench.sysctl.cpu_stage_marks().attach(&ledger, {});
  const uint64_t package = 0x90000000;
  const sc_time begin_at(3, SC_US), stage(700, SC_NS);
  bench.cpu.body = [&](test::RegisterInitiator& c) {
    ledger.count(work, 5);  // before the stage: outside the layer
    wait(begin_at);
    c.write(sysctl::CPU_STAGE_PACKAGE, package, 8);
    c.write(sysctl::CPU_STAGE_LAYER, 4);
    c.write(sysctl::CPU_STAGE, sysctl::kCpuStageBegin);
    ledger.count(work, 7);  // the stage's work
    c.local += stage;
    c.write(sysctl::CPU_STAGE, sysctl::kCpuStageEnd);
    ledger.count(work, 11);  // after: outside again
    c.write(sysctl::CPU_STAGE, sysctl::kCpuStageEnd);  // no stage open: unmatched
    c.write(sysctl::CPU_STAGE_LAYER, 5);
    c.write(sysctl::CPU_STAGE, sysctl::kCpuStageBegin);
    c.write(sysctl::CPU_STAGE_LAYER, 6);
    c.write(sysctl::CPU_STAGE, sysctl::kCpuStageEnd);  // another layer's end: unmatched
  };
  sc_core::sc_start();
  nlohmann::json report;
  bench.sysctl.report(report, 0);
  ASSERT_EQ(report["cpu_stages"].size(), 1u) << report.dump();
  const nlohmann::json& row = report["cpu_stages"][0];
  EXPECT_EQ(row["package"].get<uint64_t>(), package);
  EXPECT_EQ(row["tag"].get<uint32_t>(), 4u);
  EXPECT_EQ(row["stages_completed"].get<uint64_t>(), 1u);
  // The END write comes `stage` plus the BEGIN write's own access time after BEGIN's.
  const int64_t access_ps = std::llround(SysctlConfig{}.timing.access_delay().to_seconds() * 1e12);
  EXPECT_EQ(row["time_ps"].get<int64_t>(), std::llround(stage.to_seconds() * 1e12) + access_ps);
  EXPECT_EQ(row["ledger_tag"], layer_tag_name(package, 4));
  EXPECT_DOUBLE_EQ(row["energy_" + ledger.unit()].get<double>(), 7 * ledger.spec(work).unit_energy);
  EXPECT_EQ(report["cpu_stage_marks_unmatched"].get<uint64_t>(), 2u);
}
