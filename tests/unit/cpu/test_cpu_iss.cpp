// The SystemC CPU host in iss mode on a small SoC (system bus, DDR controller, system controller,
// timer, interrupt controller): the exit path of software, bus errors as access faults, WFI woken
// by the timer and by the interrupt controller, tohost and the signature file, the trap-loop halt,
// energy and DDR accounting, DMI and no DMI, the speed at the default quantum; and the whole
// platform (Soc, scenario, cpu.mode: iss) through run_scenario.
#include "ip/bus/bus.h"
#include "ip/common/tech_table.h"
#include "ip/cpu/cpu_iss.h"
#include "ip/ddr/ddr_controller.h"
#include "ip/periph/intc.h"
#include "ip/periph/sysctl.h"
#include "ip/periph/timer.h"
#include "platform/runner.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace dlvp;
using sc_core::SC_NS;
using sc_core::SC_US;
using sc_core::sc_time;

namespace {

std::string program(const std::string& name) { return std::string(DLVP_CPU_PROGRAMS) + "/" + name + ".elf"; }

constexpr uint64_t kDdrBase = 0x80000000;
constexpr uint64_t kDdrBytes = 16 << 20;

class IssBench : public sc_core::sc_module {
 public:
  EnergyLedger ledger{TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml")};
  std::unique_ptr<Bus> bus;
  std::unique_ptr<DdrController> ddr;
  std::unique_ptr<Sysctl> sysctl;
  std::unique_ptr<Timer> timer;
  std::unique_ptr<Intc> intc;
  std::unique_ptr<CpuIss> cpu;
  std::optional<sc_time> pulse_source1_at;  // the bench raises interrupt-controller source 1

  SC_HAS_PROCESS(IssBench);
  IssBench(sc_core::sc_module_name name, const std::string& elf, CpuConfig config = CpuConfig{}) : sc_module(name) {
    config.mode = "iss";
    MemoryMap map("test map");
    map.add("sysctl", 0x10000000, 0x1000);
    map.add("timer", 0x10002000, 0x1000);
    map.add("intc", 0x10003000, 0x1000);
    map.add("ddr", kDdrBase, kDdrBytes);
    bus = std::make_unique<Bus>("bus", BusConfig{}, map, ledger);
    DdrConfig ddr_config;
    ddr_config.size_bytes = kDdrBytes;
    ddr = std::make_unique<DdrController>(
        "ddr", ddr_config, DdrTiming::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr/ddr3-1066-x32.yaml"), ledger);
    sysctl = std::make_unique<Sysctl>("sysctl", SysctlConfig{});
    timer = std::make_unique<Timer>("timer", TimerConfig{});
    intc = std::make_unique<Intc>("intc", IntcConfig{});
    CpuIss::Platform platform;
    platform.ram_base = kDdrBase;
    platform.ram_size = kDdrBytes;
    platform.exit_register = 0x10000008;
    cpu = std::make_unique<CpuIss>("cpu", config, elf, ledger, platform);

    cpu->socket.bind(bus->target_socket);
    loader.bind(bus->target_socket);
    bus->initiator_socket.bind(sysctl->socket);
    bus->initiator_socket.bind(timer->socket);
    bus->initiator_socket.bind(intc->socket);
    bus->initiator_socket.bind(ddr->socket);
    cpu->irq_external.bind(external_line);
    cpu->irq_timer.bind(timer_line);
    intc->irq_out.bind(external_line);
    timer->irq.bind(timer_line);
    for (size_t i = 0; i < intc->irq_in.size(); ++i) {
      sources.push_back(std::make_unique<sc_core::sc_signal<bool>>(("source" + std::to_string(i)).c_str()));
      intc->irq_in[i].bind(*sources.back());
    }
    SC_THREAD(pulse);
  }

  // Runs until software ends the run (or `limit`); returns the exit status (-1: none).
  int run(const sc_time& limit = sc_time(100, sc_core::SC_MS)) {
    tlm::tlm_global_quantum::instance().set(sc_time(1, SC_US));  // the platform's default
    sc_core::sc_start(limit);
    if (sc_core::sc_get_status() != sc_core::SC_STOPPED) sc_core::sc_stop();
    return sysctl->exit_requested() ? static_cast<int>(sysctl->exit_code()) : -1;
  }
  nlohmann::json report() const {
    nlohmann::json out;
    cpu->report(out, sc_core::sc_time_stamp().to_seconds() * 1e9);
    return out;
  }
  uint64_t count(const std::string& module, const std::string& counter) const {
    return ledger.count_of(ledger.find(module, counter));
  }

 private:
  void start_of_simulation() override {
    cpu->load_program([this](uint64_t address, const uint8_t* data, size_t size) {
      tlm::tlm_generic_payload t;
      setup_payload(t, tlm::TLM_WRITE_COMMAND, address, const_cast<uint8_t*>(data), static_cast<unsigned>(size));
      return loader->transport_dbg(t) == size;
    });
  }
  void pulse() {
    if (!pulse_source1_at) return;
    wait(*pulse_source1_at);
    sources[1]->write(true);
    wait(sc_time(50, SC_NS));
    sources[1]->write(false);
  }

  tlm_utils::simple_initiator_socket<IssBench> loader{"loader"};
  sc_core::sc_signal<bool> external_line{"external_line"}, timer_line{"timer_line"};
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> sources;
};

double period_ns() { return ClockDomain(CpuConfig{}.clock_mhz).period.to_seconds() * 1e9; }

}  // namespace

TEST(CpuIss, SoftwareEndsTheRunThroughTheSystemController) {
  IssBench bench("bench", program("sysctl_exit"));
  EXPECT_EQ(bench.run(), 42);
  const nlohmann::json r = bench.report();
  EXPECT_EQ(r["mode"], "iss");
  // 2 + 3 x 1000 + 3 instructions up to and including the EXIT store.
  EXPECT_EQ(r["instructions"].get<uint64_t>(), 2u + 3000u + 3u);
  EXPECT_EQ(r["device_writes"].get<uint64_t>(), 1u);
  // The exit happens at the CPU's own time: its cycles (minus the store's bus time) x period.
  const double exit_ns = bench.sysctl->exit_time().to_seconds() * 1e9;
  const double cpu_ns = r["cycles"].get<double>() * period_ns();
  EXPECT_LE(exit_ns, cpu_ns);
  EXPECT_GT(exit_ns, cpu_ns - 50);
  EXPECT_GT(exit_ns, 3000 * period_ns());
  EXPECT_FALSE(bench.cpu->finished());
}

TEST(CpuIss, BusErrorIsALoadAccessFault) {
  IssBench bench("bench", program("bus_error"));
  EXPECT_EQ(bench.run(), 5);  // mcause, with mtval checked by the program
  const nlohmann::json r = bench.report();
  EXPECT_EQ(r["bus_errors"].get<uint64_t>(), 1u);
  EXPECT_EQ(r["traps"]["load access fault"].get<uint64_t>(), 1u);
}

TEST(CpuIss, TimerInterruptWakesWfi) {
  IssBench bench("bench", program("timer_wfi"));
  EXPECT_EQ(bench.run(), 0);
  // 1000 ticks of the 100 MHz timer: the CPU slept about 10 us.
  EXPECT_GE(bench.sysctl->exit_time(), sc_time(10, SC_US));
  EXPECT_LT(bench.sysctl->exit_time(), sc_time(11, SC_US));
  const nlohmann::json r = bench.report();
  EXPECT_EQ(r["sleeps"].get<uint64_t>(), 1u);
  EXPECT_GT(r["sleep_time_ns"].get<double>(), 9000.0);
  // mcycle ran on while asleep: the clock is the time.
  EXPECT_NEAR(r["cycles"].get<double>() * period_ns(), bench.sysctl->exit_time().to_seconds() * 1e9, 50.0);
}

TEST(CpuIss, ExternalInterruptThroughTheInterruptController) {
  IssBench bench("bench", program("intc_irq"));
  bench.pulse_source1_at = sc_time(20, SC_US);
  EXPECT_EQ(bench.run(), 1);  // the claimed source
  EXPECT_GE(bench.sysctl->exit_time(), sc_time(20, SC_US));
  // The handler's first line fill finds the DDR, idle for 20 us, in self-refresh: it waits for the
  // exit (docs/ddr.md, "DMI") on top of the microsecond the handler may take.
  const DdrTiming& ddr = bench.ddr->timing();
  EXPECT_LT(bench.sysctl->exit_time(), sc_time(21, SC_US) + ddr.cycles(ddr.tXSDLL));
  EXPECT_GE(bench.ddr->stats().power.self_refresh_exits, 1u);
  const nlohmann::json r = bench.report();
  EXPECT_GE(r["traps"]["machine external interrupt"].get<uint64_t>(), 1u);
}

TEST(CpuIss, TohostPassAndSignatureFile) {
  CpuConfig config;
  config.signature_file = testing::TempDir() + "signature.txt";
  IssBench bench("bench", program("signature"), config);
  EXPECT_EQ(bench.run(), 0);
  EXPECT_TRUE(bench.cpu->finished());
  ASSERT_TRUE(bench.cpu->tohost());
  EXPECT_EQ(*bench.cpu->tohost(), 1u);
  EXPECT_EQ(bench.report()["tohost_result"], "pass");
  std::ifstream in(config.signature_file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "deadbeef\n01234567\nabcdef01\n00000000\n");
  EXPECT_FALSE(bench.cpu->signature_write_failed());
}

// A full disk (/dev/full opens, every write fails): the loss is reported, not ignored.
TEST(CpuIss, ASignatureFileThatCannotBeWrittenIsReported) {
  CpuConfig config;
  config.signature_file = "/dev/full";
  IssBench bench("bench", program("signature"), config);
  EXPECT_EQ(bench.run(), 0);
  EXPECT_TRUE(bench.cpu->signature_write_failed());
}

TEST(CpuIss, TohostFailureGivesTheFailingTestNumber) {
  IssBench bench("bench", program("fail_case"));
  EXPECT_EQ(bench.run(), 3);
  const nlohmann::json r = bench.report();
  EXPECT_EQ(r["tohost"].get<uint32_t>(), 7u);
  EXPECT_EQ(r["tohost_result"], "fail");
  EXPECT_EQ(r["failing_test"].get<uint32_t>(), 3u);
}

TEST(CpuIss, SignatureNeedsTheSymbols) {
  CpuConfig config;
  config.mode = "iss";
  config.signature_file = testing::TempDir() + "signature.txt";
  EnergyLedger ledger(TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml"));
  CpuIss::Platform platform;
  platform.ram_size = kDdrBytes;
  try {
    CpuIss cpu("cpu", config, program("sysctl_exit"), ledger, platform);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no begin_signature and end_signature symbols"), std::string::npos) << e.what();
  }
}

TEST(CpuIss, ProgramsOutsideDdrAreRejected) {
  EnergyLedger ledger(TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml"));
  CpuIss::Platform platform;
  platform.ram_base = 0x90000000;
  platform.ram_size = kDdrBytes;
  CpuConfig config;
  config.mode = "iss";
  try {
    CpuIss cpu("cpu", config, program("rv32i"), ledger, platform);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("segment 1 at 0x80000000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("lies outside DDR"), std::string::npos) << e.what();
  }
}

TEST(CpuIss, TrapLoopEndsTheRunWithAClearMessage) {
  IssBench bench("bench", program("trap_loop"));
  EXPECT_EQ(bench.run(), static_cast<int>(CpuIss::kExitTrapLoop));
  EXPECT_TRUE(bench.cpu->finished());
  const std::string reason = bench.report()["halt_reason"];
  EXPECT_NE(reason.find("trap loop"), std::string::npos) << reason;
  EXPECT_LT(bench.sysctl->exit_time(), sc_time(1, SC_US));
}

TEST(CpuIss, EnergyAndMemoryTrafficAreCounted) {
  IssBench bench("bench", program("bench_c"));
  EXPECT_EQ(bench.run(), 0);
  const nlohmann::json r = bench.report();
  const uint64_t instructions = r["instructions"];
  EXPECT_EQ(bench.count("bench.cpu", "instruction"), instructions);
  EXPECT_EQ(bench.count("bench.cpu", "l1i.read"), instructions);
  const uint64_t words_per_line = 32 / 8;
  EXPECT_EQ(bench.count("bench.cpu", "l1d.read"), r["loads"].get<uint64_t>() + r["l1d"]["write_backs"].get<uint64_t>() * words_per_line);
  EXPECT_EQ(bench.count("bench.cpu", "l1d.write"), r["stores"].get<uint64_t>() + r["l1d"]["misses"].get<uint64_t>() * words_per_line);
  EXPECT_GT(r["l1d"]["misses"].get<uint64_t>(), 100u);  // the 4 KiB buffer, the data, the stack
  // Line fills reached the DDR through the bus's DMI path (time and energy).
  nlohmann::json ddr;
  bench.ddr->report(ddr, 1);
  const uint64_t fills = r["l1d"]["misses"].get<uint64_t>() + r["l1i"]["misses"].get<uint64_t>();
  EXPECT_EQ(ddr["dmi_bytes_read"].get<uint64_t>(), fills * 32);
  EXPECT_GT(r["cpi"].get<double>(), 1.0);
  EXPECT_LT(r["cpi"].get<double>(), 10.0);  // fletcher32 divides twice per byte (34 cycles each)
}

TEST(CpuIss, RunsWithoutDmi) {
  CpuConfig config;
  config.dmi = false;
  IssBench bench("bench", program("fail_case"), config);
  EXPECT_EQ(bench.run(), 3);
  const nlohmann::json r = bench.report();
  EXPECT_GT(r["ram_bus_accesses"].get<uint64_t>(), 0u);
  EXPECT_EQ(r["loads"].get<uint64_t>(), 0u);  // nothing went through the D-cache
}

// Not pass/fail: instructions per wall-clock second at the default 1 us quantum.
TEST(CpuIss, SpeedAtTheDefaultQuantum) {
  IssBench bench("bench", program("bench"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(bench.run(sc_time(1, sc_core::SC_SEC)), 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json r = bench.report();
  const double mips = r["instructions"].get<double>() / seconds / 1e6;
  std::printf("integer loop: %.1f M instructions, %.3f s simulated, %.3f s wall: %.0f MIPS (CPI %.2f)\n",
              r["instructions"].get<double>() / 1e6, bench.sysctl->exit_time().to_seconds(), seconds, mips,
              r["cpi"].get<double>());
  RecordProperty("mips", static_cast<int>(mips));
}

// The whole platform: a scenario with cpu.mode: iss runs the ELF named by software.path.
TEST(CpuIss, ScenarioRunsTheElfOnTheSoc) {
  const std::string dir = testing::TempDir();
  const std::string scenario = dir + "iss.yaml";
  std::ofstream(scenario) << "hw: zynq7020\nsoftware:\n  path: " << program("sysctl_exit") << "\ncpu:\n  mode: iss\n";
  RunRequest request;
  request.scenario = scenario;
  request.out_dir = dir + "out";
  request.app_dir = dir;  // unused: software.path is explicit
  const RunResult result = run_scenario(request);
  EXPECT_EQ(result.exit_status, 42);
  const nlohmann::json& cpu = result.report["modules"]["soc.cpu"];
  EXPECT_EQ(cpu["mode"], "iss") << result.report.dump(1).substr(0, 2000);
  EXPECT_EQ(cpu["instructions"].get<uint64_t>(), 3005u);
}
