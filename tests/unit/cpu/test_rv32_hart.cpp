// The hart on the flat test machine: the self-checking instruction programs (every RV32IMAC,
// Zicsr and Zifencei instruction, every trap cause, the CSRs, interrupts, self-modifying code,
// the cycle model), the trap-loop halt, the decode cache and the caches' traffic.
#include "tests/unit/cpu/hart_machine.h"

#include <chrono>

using namespace dlvp;
using dlvp::test::HartMachine;
using dlvp::test::program_path;

TEST(Rv32Programs, BaseIntegerInstructions) { HartMachine().expect_passes("rv32i"); }
TEST(Rv32Programs, MultiplyDivide) { HartMachine().expect_passes("rv32m"); }
TEST(Rv32Programs, Atomics) { HartMachine().expect_passes("rv32a"); }
TEST(Rv32Programs, Compressed) { HartMachine().expect_passes("rv32c"); }
TEST(Rv32Programs, ControlAndStatusRegisters) { HartMachine().expect_passes("csr"); }
TEST(Rv32Programs, EveryExceptionCause) { HartMachine().expect_passes("traps"); }
TEST(Rv32Programs, Interrupts) { HartMachine().expect_passes("interrupts"); }
TEST(Rv32Programs, CycleModel) { HartMachine().expect_passes("cycle_model"); }

// Without DMI every RAM access goes through the bus interface (and instructions are fetched
// with debug reads): the same programs must give the same results.
TEST(Rv32Programs, SlowPathsWithoutDmi) {
  for (const char* name : {"rv32i", "rv32a", "rv32c", "traps", "smc"}) {
    SCOPED_TRACE(name);
    HartMachine(HartMachine::default_config(), false).expect_passes(name);
  }
}

// cpu.misaligned: the same program checks the trap (default) and the emulation, with and without
// DMI; emulated, a misaligned load hitting in the L1 costs one more L1 access than an aligned one.
TEST(Rv32Programs, MisalignedAccessesTrapByDefault) {
  for (const bool dmi : {true, false}) {
    SCOPED_TRACE(dmi ? "DMI" : "no DMI");
    HartMachine m(HartMachine::default_config(), dmi);
    m.expect_passes("misaligned");
    EXPECT_EQ(m.hart.stats().misaligned_emulated, 0u);
    EXPECT_EQ(m.hart.stats().exceptions[rv32::kLoadMisaligned], 11u);  // 9 loads, RAM end, device
    EXPECT_EQ(m.hart.stats().exceptions[rv32::kStoreMisaligned], 6u);  // 5 stores, RAM end
  }
}

TEST(Rv32Programs, MisalignedAccessesEmulated) {
  rv32::HartConfig config = HartMachine::default_config();
  config.emulate_misaligned = true;
  config.cycles.memory = 3;
  for (const bool dmi : {true, false}) {
    SCOPED_TRACE(dmi ? "DMI" : "no DMI");
    HartMachine m(config, dmi);
    m.load(program_path("misaligned"));
    const uint32_t one = 1;
    std::memcpy(&m.ram[m.symbol("emulating") - HartMachine::kRamBase], &one, 4);
    ASSERT_EQ(m.run(), rv32::Stop::tohost) << m.hart.halt_reason();
    EXPECT_EQ(m.hart.tohost_value(), 1u) << "test case " << (m.hart.tohost_value() >> 1) << " failed";
    EXPECT_EQ(m.hart.stats().exceptions[rv32::kLoadMisaligned] + m.hart.stats().exceptions[rv32::kStoreMisaligned], 0u);
    EXPECT_EQ(m.hart.stats().exceptions[rv32::kLoadAccessFault], 2u);   // RAM end, device
    EXPECT_EQ(m.hart.stats().exceptions[rv32::kStoreAccessFault], 1u);  // RAM end
    EXPECT_EQ(m.hart.stats().misaligned_emulated, 9u + 5u + 2u);  // loads, stores, the timed load twice
    if (dmi) {
      EXPECT_EQ(m.word_at(m.symbol("extra_cycles")), config.cycles.memory);
    }
  }
}

TEST(Rv32Programs, SelfModifyingCodeInvalidatesTheDecodeCache) {
  HartMachine m;
  m.expect_passes("smc");
  EXPECT_GE(m.hart.stats().fence_i, 3u);
  EXPECT_GE(m.hart.stats().invalidated, 6u);  // plain stores to decoded instructions
}

TEST(Rv32Hart, TrapLoopHaltsWithAClearReason) {
  HartMachine m;
  m.load(program_path("trap_loop"));
  ASSERT_EQ(m.run(1'000'000), rv32::Stop::halted);
  EXPECT_TRUE(m.hart.halted());
  const std::string& reason = m.hart.halt_reason();
  EXPECT_NE(reason.find("trap loop"), std::string::npos) << reason;
  EXPECT_NE(reason.find("illegal instruction at pc 0x80000004"), std::string::npos) << reason;
  EXPECT_NE(reason.find("mtvec 0x00000000"), std::string::npos) << reason;
  EXPECT_NE(reason.find("instruction access fault at pc 0x00000000"), std::string::npos) << reason;
  EXPECT_LT(m.hart.cycles(), 1000u);
  // A halted hart stays halted.
  EXPECT_EQ(m.hart.run(), rv32::Stop::halted);
}

TEST(Rv32Hart, TrapStormHaltsWithAClearReason) {
  HartMachine m;
  m.load(program_path("trap_storm"));
  ASSERT_EQ(m.run(10'000'000), rv32::Stop::halted);
  const std::string& reason = m.hart.halt_reason();
  EXPECT_NE(reason.find("trap storm: 1001 traps in a row"), std::string::npos) << reason;
  EXPECT_NE(reason.find("store/AMO access fault"), std::string::npos) << reason;
  EXPECT_EQ(m.hart.stats().exceptions[rv32::kStoreAccessFault], 1u + 1001u);  // the first one, then the storm
}

TEST(Rv32Hart, ResetState) {
  HartMachine m;
  m.hart.reset(0x80000100);
  EXPECT_EQ(m.hart.pc(), 0x80000100u);
  uint32_t v = 1;
  ASSERT_TRUE(m.hart.read_csr(rv32::kMstatus, v));
  EXPECT_EQ(v, rv32::kMstatusMpp);
  ASSERT_TRUE(m.hart.read_csr(rv32::kMisa, v));
  EXPECT_EQ(v, 0x40001105u);
  EXPECT_FALSE(m.hart.read_csr(0x180, v));  // satp: no S mode
  for (unsigned r = 0; r < 32; ++r) EXPECT_EQ(m.hart.reg(r), 0u);
}

TEST(Rv32Hart, StepRunsOneInstruction) {
  HartMachine m;
  m.load(program_path("rv32i"));
  const uint32_t entry = m.hart.pc();
  ASSERT_EQ(m.hart.step(), rv32::Stop::step);  // li gp, 0x7ff
  EXPECT_EQ(m.hart.instructions(), 1u);
  EXPECT_EQ(m.hart.pc(), entry + 4);
  EXPECT_EQ(m.hart.reg(3), 0x7ffu);
}

TEST(Rv32Hart, BudgetIsCheckedAtControlTransfers) {
  HartMachine m;
  m.load(program_path("bench"));
  m.hart.set_budget_end(1000);
  ASSERT_EQ(m.hart.run(), rv32::Stop::budget);
  // It stops at the first taken branch or new cache line at or after the budget.
  EXPECT_GE(m.hart.cycles(), 1000u);
  EXPECT_LT(m.hart.cycles(), 1000u + 40);
}

TEST(Rv32Hart, CachesCostLineTransfers) {
  HartMachine m;
  m.expect_passes("bench");
  const rv32::Hart::Stats& s = m.hart.stats();
  // The loop and its 64-byte table fit the caches: a handful of line fills in 56 M instructions.
  EXPECT_EQ(m.hart.instructions(), 4000000u * 14 + 7 + 7);  // prologue and epilogue: 7 each
  EXPECT_LT(s.icache_fills, 10u);
  EXPECT_LT(s.dcache_fills, 10u);
  EXPECT_EQ(m.line_reads, s.icache_fills + s.dcache_fills);
  EXPECT_EQ(s.loads, 4000000u);
  EXPECT_EQ(s.stores, 4000000u + 2);
}

TEST(Rv32Hart, DirtyLinesAreWrittenBackOnEviction) {
  // A 1 KiB direct-mapped D-cache; the kernels fill a 4 KiB buffer again and again.
  rv32::HartConfig config = HartMachine::default_config();
  config.dcache = rv32::CacheGeometry{1024, 1, 32};
  HartMachine small(config);
  small.load(program_path("bench_c"));
  ASSERT_EQ(small.run(), rv32::Stop::tohost);
  EXPECT_GT(small.line_writes, 1000u);
  EXPECT_EQ(small.line_writes, small.hart.dcache().stats().write_backs);
  EXPECT_EQ(small.line_writes, small.hart.stats().dcache_write_backs);
  // The default 32 KiB cache holds it all: no write-back at all.
  HartMachine big;
  big.load(program_path("bench_c"));
  ASSERT_EQ(big.run(), rv32::Stop::tohost);
  EXPECT_EQ(big.line_writes, 0u);
  EXPECT_EQ(big.word_at(big.symbol("main_result")), small.word_at(small.symbol("main_result")));
}

// Not a pass/fail test: the hart's own speed on the integer loop, without SystemC.
TEST(Rv32Hart, SpeedOfTheIntegerLoop) {
  HartMachine m;
  m.load(program_path("bench"));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(m.run(), rv32::Stop::tohost);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double mips = static_cast<double>(m.hart.instructions()) / seconds / 1e6;
  std::printf("hart alone: %.1f M instructions in %.3f s = %.0f MIPS\n", m.hart.instructions() / 1e6, seconds, mips);
  RecordProperty("mips", static_cast<int>(mips));
}

TEST(Rv32Hart, CompiledKernelsRun) {
  HartMachine m;
  m.load(program_path("bench_c"));
  ASSERT_EQ(m.run(), rv32::Stop::tohost);
  EXPECT_EQ(m.hart.tohost_value(), 1u);
  EXPECT_NE(m.word_at(m.symbol("main_result")), 0xffffffffu);  // the sort check passed
  EXPECT_GT(m.word_at(m.symbol("bench_instructions")), 1000000u);
}

// Watchpoints stop the run right after the access, on the inline (DMI) and bus paths alike;
// stores elsewhere on a watched page do not stop it; without watchpoints the program runs through.
TEST(Watchpoints, StopAfterTheAccessOnEveryMemoryPath) {
  // lui a0,0x80000; addi a0,a0,0x100; li a1,5; sw a1,8(a0); lw a2,0(a0); sw a1,0(a0); j .
  const uint32_t program[] = {0x80000537, 0x10050513, 0x00500593, 0x00b52423, 0x00052603, 0x00b52023, 0x0000006f};
  for (const bool dmi : {true, false}) {
    SCOPED_TRACE(dmi ? "DMI" : "bus");
    HartMachine m(HartMachine::default_config(), dmi);
    std::memcpy(m.ram.data(), program, sizeof program);
    auto run_from_start = [&] {
      m.hart.reset(0x80000000);
      m.hart.set_budget_end(m.hart.cycles() + 2000);
      return m.hart.run();
    };
    EXPECT_EQ(run_from_start(), rv32::Stop::budget);  // none set: to the final loop
    const rv32::Watchpoint write{rv32::WatchKind::write, 0x80000100, 4};
    ASSERT_TRUE(m.hart.add_watchpoint(write));
    const uint64_t retired = m.hart.instructions();
    EXPECT_EQ(run_from_start(), rv32::Stop::watchpoint);
    EXPECT_EQ(m.hart.pc(), 0x80000018u);  // the store to +8 went by; stopped after the one to +0
    EXPECT_EQ(m.word_at(0x80000100), 5u);
    EXPECT_EQ(m.hart.watch_hit().kind, rv32::WatchKind::write);
    EXPECT_EQ(m.hart.watch_hit().address, 0x80000100u);
    EXPECT_EQ(m.hart.instructions() - retired, 6u);  // the store retired

    const rv32::Watchpoint read{rv32::WatchKind::read, 0x80000100, 4};
    ASSERT_TRUE(m.hart.remove_watchpoint(write));
    EXPECT_FALSE(m.hart.remove_watchpoint(write));
    ASSERT_TRUE(m.hart.add_watchpoint(read));
    EXPECT_EQ(run_from_start(), rv32::Stop::watchpoint);
    EXPECT_EQ(m.hart.pc(), 0x80000014u);
    EXPECT_EQ(m.hart.reg(12), 5u);  // the load completed
    m.hart.clear_watchpoints();
    EXPECT_EQ(run_from_start(), rv32::Stop::budget);
  }
}
