// The dlvp CLI under hostile conditions: outputs that cannot be written, stale output folders,
// guest exit codes that collide with dlvp's own statuses, a guest that prints without end, YAML
// bombs and bad paths. Every case must end with a message naming the input and the documented
// status (platform/exit_status.h), never with a signal.
#include "platform/exit_status.h"
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace exit_status = dlvp::exit_status;
using dlvp::test::CliResult;
using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::read_text;
using dlvp::test::run_dlvp;

const std::string kSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/dma_selftest.yaml";
const std::string kFashion = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml";

// --- A tiny RV32 guest, hand-assembled so the test needs no cross compiler -------------------

// RV32I encodings of the few instructions the guest uses.
enum Reg : uint32_t { zero = 0, s0 = 8, s1 = 9, a0 = 10, a1 = 11, a2 = 12, a3 = 13, a4 = 14 };
uint32_t i_type(uint32_t op, uint32_t f3, Reg rd, Reg rs1, int32_t imm) {
  return (static_cast<uint32_t>(imm) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
uint32_t lui(Reg rd, uint32_t upper) { return upper << 12 | rd << 7 | 0x37; }
uint32_t addi(Reg rd, Reg rs1, int32_t imm) { return i_type(0x13, 0, rd, rs1, imm); }
uint32_t andi(Reg rd, Reg rs1, int32_t imm) { return i_type(0x13, 7, rd, rs1, imm); }
uint32_t lw(Reg rd, Reg rs1, int32_t imm) { return i_type(0x03, 2, rd, rs1, imm); }
uint32_t add(Reg rd, Reg rs1, Reg rs2) { return rs2 << 20 | rs1 << 15 | rd << 7 | 0x33; }
uint32_t sw(Reg rs2, Reg rs1, int32_t imm) {
  const uint32_t u = static_cast<uint32_t>(imm);
  return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | 2 << 12 | (u & 0x1f) << 7 | 0x23;
}
uint32_t branch(uint32_t f3, Reg rs1, Reg rs2, int32_t offset) {
  const uint32_t u = static_cast<uint32_t>(offset);
  return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u >> 1 & 0xf) << 8 |
         (u >> 11 & 1) << 7 | 0x63;
}
uint32_t jal_zero(int32_t offset) {
  const uint32_t u = static_cast<uint32_t>(offset);
  return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 | (u >> 11 & 1) << 20 | (u >> 12 & 0xff) << 12 | 0x6f;
}

// Prints BOOT_ARG1 characters on the UART, then writes BOOT_ARG0 to the system controller's EXIT.
// The character of the one printed with r still to go is BOOT_ARG2 + (r & 15), every 64th a
// newline (expected_console below).
std::vector<uint32_t> guest_code() {
  return {
      lui(s0, 0x10000),         //  0: s0 = system controller
      lw(a0, s0, 0x40),         //  4: a0 = BOOT_ARG0, the exit code
      lw(a1, s0, 0x48),         //  8: a1 = BOOT_ARG1, characters to print
      lw(a4, s0, 0x50),         // 12: a4 = BOOT_ARG2, the first character
      lui(s1, 0x10001),         // 16: s1 = UART
      addi(a3, zero, 64),       // 20: a3 = characters to the next newline
      branch(0, a1, zero, 40),  // 24: loop: beq a1, zero, done
      addi(a3, a3, -1),         // 28
      andi(a2, a1, 15),         // 32
      add(a2, a2, a4),          // 36
      branch(1, a3, zero, 12),  // 40: bne a3, zero, put
      addi(a2, zero, '\n'),     // 44
      addi(a3, zero, 64),       // 48
      sw(a2, s1, 0),            // 52: put: TXDATA
      addi(a1, a1, -1),         // 56
      jal_zero(-36),            // 60: j loop
      sw(a0, s0, 8),            // 64: done: EXIT
      jal_zero(0),              // 68: stay
  };
}

std::string expected_console(uint64_t count, uint8_t first) {
  std::string text;
  for (uint64_t i = 0; i < count; ++i)
    text += i % 64 == 63 ? '\n' : static_cast<char>(first + ((count - i) & 15));
  return text;
}

// An ELF32 executable of the guest at the start of DDR: header, one program header, the code.
std::string guest_elf() {
  const fs::path path = fs::path(testing::TempDir()) / "dlvp_guest_print_and_exit.elf";
  const std::vector<uint32_t> code = guest_code();
  constexpr uint32_t kBase = 0x80000000, kHeaders = 52 + 32;
  std::vector<uint8_t> elf(kHeaders + code.size() * 4, 0);
  auto put16 = [&](size_t at, uint16_t v) { std::memcpy(&elf[at], &v, 2); };
  auto put32 = [&](size_t at, uint32_t v) { std::memcpy(&elf[at], &v, 4); };
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 1 /* 32-bit */, 1 /* little-endian */, 1 /* version */};
  std::memcpy(elf.data(), ident, sizeof ident);
  put16(16, 2);    // ET_EXEC
  put16(18, 243);  // EM_RISCV
  put32(20, 1);
  put32(24, kBase + kHeaders);  // entry: the first instruction
  put32(28, 52);                // program headers
  put16(40, 52);
  put16(42, 32);
  put16(44, 1);
  put16(46, 40);
  put32(52, 1);  // PT_LOAD of the whole file at the start of DDR
  put32(56, 0);
  put32(60, kBase);
  put32(64, kBase);
  put32(68, static_cast<uint32_t>(elf.size()));
  put32(72, static_cast<uint32_t>(elf.size()));
  put32(76, 5);  // R+X
  put32(80, 4);
  std::memcpy(&elf[kHeaders], code.data(), code.size() * 4);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(elf.data()), static_cast<std::streamsize>(elf.size()));
  return path.string();
}

// A scenario that runs the guest on the ISS with boot arguments {exit code, characters, first}.
std::string guest_scenario(const std::string& name, uint64_t exit_code, uint64_t characters, uint8_t first = 'A',
                           const std::string& extra = "") {
  const fs::path path = fs::path(testing::TempDir()) / ("dlvp_guest_" + name + ".yaml");
  std::ofstream(path) << "hw: zynq7020\nsoftware:\n  path: " << guest_elf() << "\n  args: [" << exit_code << ", "
                      << characters << ", " << unsigned{first} << "]\ncpu:\n  mode: iss\n"
                      << extra;
  return path.string();
}

void expect_no_signal(const CliResult& r) { EXPECT_EQ(r.signal, 0) << r.output; }

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// --- 1. Every output write is checked --------------------------------------------------------

TEST(Outputs, AFolderInThePlaceOfAnOutputEndsWith121AfterTheSummary) {
  for (const char* file : {"report.json", "uart.log", "dlvp.log", "trace.json"}) {
    SCOPED_TRACE(file);
    const auto dir = out_dir(std::string("folder_as_") + file);
    fs::create_directories(fs::path(dir) / file);
    const auto r = run_dlvp("run " + kSelftest + " --trace --out " + dir);
    expect_no_signal(r);
    EXPECT_EQ(r.status, exit_status::kOutputWriteFailed) << r.output;
    EXPECT_TRUE(contains(r.output, "DMA self-test: PASS")) << "the run goes on: " << r.output;
    EXPECT_TRUE(contains(r.output, "== dlvp summary")) << r.output;
    const std::string reason = std::string(file) == "dlvp.log" ? "a log line could not be written" : "Is a directory";
    EXPECT_TRUE(contains(r.output, "dlvp: error: cannot write " + dir + "/" + file + ": " + reason)) << r.output;
    EXPECT_FALSE(fs::exists(dir + "/" + file + ".partial"));
    if (std::string(file) == "report.json") {
      EXPECT_FALSE(contains(r.output, "report: ")) << "no report to point at: " << r.output;
      continue;
    }
    // report.json is written last: it has the status, and the software's own code.
    const auto report = read_report(dir);
    EXPECT_EQ(report["run"]["exit_status"], exit_status::kOutputWriteFailed);
    EXPECT_EQ(report["run"]["exit_code"], 0);
  }
}

TEST(Outputs, AFileSizeLimitIsAWriteErrorNotASignalAndLeavesNoTruncatedReport) {
  // 16 blocks of 512 bytes (sh's ulimit): uart.log and dlvp.log fit, report.json does not.
  const auto dir = out_dir("file_size_limit");
  const auto r = dlvp::test::run_command("sh -c 'ulimit -f 16 && exec \"$0\" \"$@\"' " + std::string(DLVP_BINARY), "run " + kSelftest + " --out " + dir);
  expect_no_signal(r);
  EXPECT_EQ(r.status, exit_status::kOutputWriteFailed) << r.output;
  EXPECT_TRUE(contains(r.output, "DMA self-test: PASS")) << r.output;
  EXPECT_TRUE(contains(r.output, "== dlvp summary")) << r.output;
  EXPECT_TRUE(contains(r.output, "dlvp: error: cannot write " + dir + "/report.json: File too large")) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/report.json")) << "a report is whole or absent";
  EXPECT_FALSE(fs::exists(dir + "/report.json.partial"));
}

// --- 2. Exit statuses -------------------------------------------------------------------------

TEST(ExitStatus, SmallGuestCodesPassThroughAndTheRestAre120WithTheFullCodeInTheReport) {
  struct Case {
    uint64_t code;
    int status;
  };
  for (const Case c : {Case{0, 0}, Case{2, 2}, Case{119, 119}, Case{120, 120}, Case{124, 120}, Case{256, 120},
                       Case{0xDF, 120}, Case{0xFFFFFFFF, 120}}) {
    SCOPED_TRACE("guest exit code " + std::to_string(c.code));
    const auto dir = out_dir("exit_" + std::to_string(c.code));
    const auto r = run_dlvp("run " + guest_scenario("exit", c.code, 3) + " --out " + dir);
    expect_no_signal(r);
    EXPECT_EQ(r.status, c.status) << r.output;
    const auto run = read_report(dir)["run"];
    EXPECT_EQ(run["exit_code"].get<uint64_t>(), c.code);
    EXPECT_EQ(run["exit_status"].get<int>(), c.status);
    EXPECT_TRUE(run["software_exited"].get<bool>());
    if (c.status == exit_status::kSoftwareOutOfRange) {
      EXPECT_TRUE(contains(r.output, "exit code " + std::to_string(c.code) + " (0x")) << r.output;
    }
  }
}

TEST(ExitStatus, TheTimeLimitIs124WithNoExitCode) {
  const auto dir = out_dir("exit_time_limit");
  const auto r = run_dlvp("run " + guest_scenario("forever", 0, 0xFFFFFFFF) + " --set uart.echo=false --set run.max_time_ms=0.05 --out " + dir);
  expect_no_signal(r);
  EXPECT_EQ(r.status, exit_status::kTimeLimit) << r.output;
  const auto run = read_report(dir)["run"];
  EXPECT_TRUE(run["exit_code"].is_null());
  EXPECT_EQ(run["exit_status"], exit_status::kTimeLimit);
  EXPECT_TRUE(contains(r.output, "time limit (run.max_time_ms), exit status 124")) << r.output;
}

TEST(ExitStatus, BadInputIs122AndAnUnknownCommandToo) {
  for (const std::string& args : {std::string("run"), std::string("frobnicate"), "run " + kSelftest + " --bogus",
                                  "run " + kSelftest + " --set dma.channels=9"}) {
    const auto r = run_dlvp(args + " --out " + out_dir("bad_input"));
    expect_no_signal(r);
    EXPECT_EQ(r.status, exit_status::kBadInput) << args << ": " << r.output;
  }
  EXPECT_EQ(dlvp::test::run_command(DLVP_BINARY, "").status, exit_status::kBadInput);
}

// --- 3. A bounded console ---------------------------------------------------------------------

TEST(Console, TheReportKeepsTheTailAndTheLogIsCutAtItsBound) {
  const uint64_t printed = 200000;
  const auto dir = out_dir("console_bound");
  const auto r = run_dlvp("run " + guest_scenario("print", 0, printed) +
                          " --set uart.transcript_bytes=1000 --set uart.log_max_bytes=10000 --out " + dir);
  expect_no_signal(r);
  ASSERT_EQ(r.status, 0) << r.output.substr(0, 2000);
  const std::string all = expected_console(printed, 'A');
  const auto report = read_report(dir);
  EXPECT_EQ(report["software"]["console"].get<std::string>(), all.substr(all.size() - 1000));
  EXPECT_EQ(report["software"]["console_dropped_bytes"].get<uint64_t>(), printed - 1000);
  // uart.log: whole lines up to the bound, then one line saying the rest was cut.
  const std::string log = read_text(dir, "uart.log");
  const std::string note = "[dlvp: the rest of the program's output is cut here: uart.log_max_bytes = 10000]\n";
  ASSERT_GT(log.size(), note.size());
  EXPECT_LE(log.size(), 10000 + note.size());
  EXPECT_EQ(log.substr(log.size() - note.size()), note);
  EXPECT_EQ(log.substr(0, log.size() - note.size()), all.substr(0, log.size() - note.size()));
  EXPECT_EQ(report["modules"]["soc.uart"]["log_cut"], true);
  // The echo on stdout stops at the same bound.
  EXPECT_LT(r.output.size(), 10000 + 8000) << "the console echo is bounded too";
  EXPECT_TRUE(contains(r.output, note)) << r.output.substr(0, 200);
}

TEST(Console, BytesThatAreNotUtf8StillGiveAValidReport) {
  const auto dir = out_dir("console_binary");
  const auto r = run_dlvp("run " + guest_scenario("binary", 0, 100, 0xF0) + " --set uart.echo=false --out " + dir);
  expect_no_signal(r);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto report = read_report(dir);  // parses: the invalid bytes are replaced
  EXPECT_EQ(report["software"]["console_dropped_bytes"], 0);
  EXPECT_TRUE(contains(report["software"]["console"].get<std::string>(), "\xEF\xBF\xBD")) << "U+FFFD";
}

// --- 4. YAML ----------------------------------------------------------------------------------

TEST(Yaml, AnAliasBombIsRefusedBeforeItExpands) {
  const auto dir = out_dir("alias_bomb");
  fs::create_directories(dir);
  std::ofstream bomb(dir + "/bomb.yaml");
  bomb << "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    bomb << c << ": &" << c << " [";
    for (int i = 0; i < 9; ++i) bomb << (i ? ", *" : "*") << static_cast<char>(c - 1);
    bomb << "]\n";
  }
  bomb.close();
  const auto r = run_dlvp("run " + dir + "/bomb.yaml --out " + dir + "/out");
  expect_no_signal(r);
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, dir + "/bomb.yaml:1: YAML aliases/anchors are not supported")) << r.output;
}

TEST(Yaml, DuplicateKeysASecondDocumentAndAnchorsInSetAreRefused) {
  const auto dir = out_dir("yaml_strict");
  fs::create_directories(dir);
  std::ofstream(dir + "/dup.yaml") << "hw: zynq7020\nrun:\n  max_time_ms: 5\n  quantum_ns: 10\n  max_time_ms: 6\n";
  auto r = run_dlvp("run " + dir + "/dup.yaml --out " + dir + "/out");
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, dir + "/dup.yaml:5: duplicate key 'max_time_ms' (first at line 3)")) << r.output;

  std::ofstream(dir + "/two.yaml") << "hw: zynq7020\n---\nrun: {}\n";
  r = run_dlvp("run " + dir + "/two.yaml --out " + dir + "/out");
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, dir + "/two.yaml:2: a second YAML document")) << r.output;

  r = run_dlvp("run " + kSelftest + " --set 'run.max_time_ms=&x 5' --out " + dir + "/out");
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, "--set run.max_time_ms=&x 5: YAML aliases/anchors are not supported")) << r.output;
}

// --- 5. Paths on the command line and in the scenario ------------------------------------------

TEST(Paths, ADirectoryOrADeviceIsNamedForWhatItIs) {
  const auto dir = out_dir("paths");
  fs::create_directories(dir);
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"run " + dir, dir + ": the scenario file is a directory"},
      {"run /dev/null", "/dev/null: the scenario file is not a regular file"},
      {"run " + kSelftest + " --set hw=" + dir, "--set hw=" + dir + ": key 'hw' names '" + dir + "', but " + dir + " is a directory"},
      {"run " + kSelftest + " --set energy.tech=/dev/null",
       "--set energy.tech=/dev/null: key 'energy.tech' names '/dev/null', but /dev/null is not a regular file"},
      {"run " + kSelftest + " --set software.path=/dev/null",
       "--set software.path=/dev/null: key 'software.path' names '/dev/null', but /dev/null is not a regular file"},
      {"run " + kFashion + " --set 'software.load[1].file=" + dir + "'",
       "--set software.load[1].file=" + dir + ": key 'software.load[1].file' names '" + dir + "', but " + dir + " is a directory"},
      {"run " + kFashion + " --set 'software.load[0].file=nothing/here.bin'",
       "--set software.load[0].file=nothing/here.bin: key 'software.load[0].file' names 'nothing/here.bin', but"},
  };
  for (const Case& c : cases) {
    const auto r = run_dlvp(c.args + " --out " + dir + "/out");
    expect_no_signal(r);
    EXPECT_EQ(r.status, exit_status::kBadInput) << c.args << ": " << r.output;
    EXPECT_TRUE(contains(r.output, "dlvp: error: " + c.message)) << c.args << ": " << r.output;
  }
}

TEST(Paths, ALoadEntryInAFileIsBlamedOnItsLine) {
  const auto dir = out_dir("load_line");
  fs::create_directories(dir + "/images.d");
  std::ofstream(dir + "/s.yaml") << "hw: zynq7020\nsoftware:\n  load:\n    - {file: s.yaml, address: 0x90000000}\n"
                                    "    - file: images.d\n      address: 0x91000000\n";
  const auto r = run_dlvp("run " + dir + "/s.yaml --out " + dir + "/out");
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, dir + "/s.yaml:5: key 'software.load[1].file' names 'images.d', but " + dir +
                                     "/images.d is a directory"))
      << r.output;
}

TEST(Paths, ALoadFileLargerThanTheDdrIsRefusedBeforeItIsRead) {
  // A sparse 64 GiB file: read whole, it would take the host's memory; it is refused by its size,
  // naming the load entry.
  const auto dir = out_dir("huge_load");
  fs::create_directories(dir);
  const std::string huge = dir + "/huge.bin";
  { std::ofstream(huge).put('x'); }
  fs::resize_file(huge, uint64_t{64} << 30);
  const auto r = run_dlvp("run " + kFashion + " --set 'software.load[1].file=" + huge + "' --out " + dir + "/out");
  expect_no_signal(r);
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, "dlvp: error: " + huge + ": software.load[1] file of 68719476736 B does not fit in DDR at 0x"))
      << r.output;
  fs::remove(huge);
}

// --- 6. The output folder ---------------------------------------------------------------------

TEST(OutputFolder, FilesOfAnEarlierRunAreRemovedAndFoldersInTheWayReported) {
  const auto dir = out_dir("stale");
  fs::create_directories(dir);
  for (const char* stale : {"report.json", "layers.csv", "trace.json", "dlvp.log", "report.json.partial"})
    std::ofstream(dir + "/" + stale) << "stale";
  fs::create_symlink("/dev/full", dir + "/uart.log");
  std::ofstream(dir + "/notes.txt") << "mine";
  const auto r = run_dlvp("run " + kSelftest + " --out " + dir);
  expect_no_signal(r);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir + "/trace.json")) << "no --trace: no trace.json, not an old one";
  EXPECT_FALSE(fs::exists(dir + "/layers.csv")) << "no layers in this run";
  EXPECT_FALSE(fs::exists(dir + "/report.json.partial"));
  EXPECT_EQ(read_report(dir)["run"]["exit_status"], 0);
  EXPECT_FALSE(fs::is_symlink(dir + "/uart.log"));
  EXPECT_TRUE(contains(read_text(dir, "uart.log"), "DMA self-test: PASS"));
  EXPECT_NE(read_text(dir, "dlvp.log"), "stale");
  EXPECT_EQ(read_text(dir, "notes.txt"), "mine") << "only dlvp's own files are removed";
}

TEST(OutputFolder, AFolderOfAnotherScenarioIsRefusedUnlessForced) {
  const auto dir = out_dir("owned");
  const std::string cnn = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";
  ASSERT_EQ(run_dlvp("run " + kSelftest + " --trace --out " + dir).status, 0);
  ASSERT_TRUE(fs::exists(dir + "/trace.json"));
  const std::string before = read_text(dir, "report.json");

  const auto refused = run_dlvp("run " + cnn + " --out " + dir);
  expect_no_signal(refused);
  EXPECT_EQ(refused.status, exit_status::kBadInput) << refused.output;
  EXPECT_TRUE(contains(refused.output, "dlvp: error: --out " + dir + ": holds the output of " + kSelftest + ", not of " + cnn))
      << refused.output;
  EXPECT_TRUE(contains(refused.output, "--force")) << refused.output;
  EXPECT_EQ(read_text(dir, "report.json"), before) << "the earlier run's files are untouched";
  EXPECT_TRUE(fs::exists(dir + "/trace.json"));

  const auto forced = run_dlvp("run " + cnn + " --force --out " + dir);
  ASSERT_EQ(forced.status, 0) << forced.output;
  EXPECT_EQ(read_report(dir)["scenario"], cnn);
  EXPECT_FALSE(fs::exists(dir + "/trace.json")) << "the replaced run's trace does not survive";
  // Now the folder is the CNN self-test's: its runs go on, the DMA self-test's are refused.
  EXPECT_EQ(run_dlvp("run " + cnn + " --out " + dir).status, 0);
  EXPECT_EQ(run_dlvp("run " + kSelftest + " --out " + dir).status, exit_status::kBadInput);
}

TEST(OutputFolder, AFileInsteadOfAFolderIsBadInput) {
  const auto dir = out_dir("out_is_a_file");
  fs::create_directories(dir);
  std::ofstream(dir + "/file") << "x";
  const auto r = run_dlvp("run " + kSelftest + " --out " + dir + "/file");
  expect_no_signal(r);
  EXPECT_EQ(r.status, exit_status::kBadInput) << r.output;
  EXPECT_TRUE(contains(r.output, "dlvp: error: --out " + dir + "/file: is a file")) << r.output;
  EXPECT_EQ(read_text(dir, "file"), "x");
}

// --- 7. Progress ------------------------------------------------------------------------------

// A run of 1500 Fashion-MNIST images (1-3 s of wall time) whose progress line may appear at once,
// so the test does not depend on the machine's speed.
const std::string kLongRun = "run " + kFashion + " --set 'software.args[3]=1500' --set report.progress_after_s=0 --out ";

TEST(Progress, ALongRunShowsProgressOnATerminalOnly) {
  // Captured (a pipe): no progress text, no carriage return.
  const auto piped = run_dlvp(kLongRun + out_dir("progress_pipe"));
  ASSERT_EQ(piped.status, 0) << piped.output;
  EXPECT_FALSE(contains(piped.output, "dlvp run: simulated")) << piped.output;
  EXPECT_FALSE(contains(piped.output, "\r")) << "a carriage return in captured output";
  // On a terminal (script(1) gives the run a pseudo-terminal): the line, then erased.
  const auto tty = dlvp::test::run_command("script", "-qec \"" + std::string(DLVP_BINARY) + " " + kLongRun +
                                                         out_dir("progress_tty") + "\" /dev/null");
  ASSERT_EQ(tty.status, 0) << tty.output;
  EXPECT_TRUE(contains(tty.output, "\rdlvp run: simulated ")) << tty.output;
  EXPECT_TRUE(contains(tty.output, " accelerator jobs done, wall ")) << tty.output;
  EXPECT_TRUE(contains(tty.output, "\r\033[K")) << "the line is erased";
}
