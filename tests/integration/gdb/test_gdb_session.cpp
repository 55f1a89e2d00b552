// A scripted gdb-multiarch session against `dlvp run --gdb PORT`: gdb connects, sets a breakpoint
// in the demo program's accumulate(), continues to it twice, prints a global variable, steps one
// instruction and one line, and continues to the end; dlvp ends with the program's status.
#include "platform/exit_status.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// dlvp run --gdb PORT in the background, its output in a file.
struct Dlvp {
  pid_t pid = -1;
  std::string log;
  int status = -1;  // exit status once finished

  bool start(uint16_t port, const std::string& out_dir) {
    log = out_dir + "/dlvp_console.txt";
    const std::string command = std::string(DLVP_BINARY) + " run " + DLVP_SOURCE_DIR +
                                "/tests/integration/gdb/gdb_demo.yaml --set software.path=" + DLVP_GDB_DEMO_ELF +
                                " --gdb " + std::to_string(port) + " --out " + out_dir + " > " + log + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    return posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0;
  }
  // Waits for the "waiting" line; false if dlvp ended first (e.g. the port was in use).
  bool wait_until_listening() {
    for (int i = 0; i < 500; ++i) {
      if (read_file(log).find("gdb: waiting on 127.0.0.1:") != std::string::npos) return true;
      if (finished()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  bool finished() {
    if (pid < 0) return true;
    int raw = 0;
    if (waitpid(pid, &raw, WNOHANG) != pid) return false;
    status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    pid = -1;
    return true;
  }
  bool wait_for_end(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!finished()) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }
};

std::string run_gdb(const std::vector<std::string>& commands) {
  std::string command = std::string("timeout 20 ") + DLVP_GDB + " -batch -nx " + DLVP_GDB_DEMO_ELF;
  for (const std::string& c : commands) command += " -ex '" + c + "'";
  command += " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "";
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  pclose(pipe);
  return text;
}

// The values gdb printed in hex (print/x), in order.
std::vector<unsigned long> printed_pcs(const std::string& output) {
  static const std::regex pc(R"(\$[0-9]+ = (0x[0-9a-f]+))");
  std::vector<unsigned long> values;
  for (std::sregex_iterator it(output.begin(), output.end(), pc), end; it != end; ++it)
    values.push_back(std::stoul((*it)[1].str(), nullptr, 16));
  return values;
}

// Starts dlvp --gdb on a random free port (another if it is taken), runs gdb with `commands`
// after connecting, waits for dlvp's end. Returns gdb's output; dlvp's status in `status`.
std::string debug_session(const std::string& name, const std::vector<std::string>& commands, int& status,
                          std::string& dlvp_output) {
  const std::string out_dir = testing::TempDir() + "/gdb_" + name;
  std::filesystem::create_directories(out_dir);
  std::mt19937 random(static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count() ^ getpid()));
  Dlvp dlvp;
  uint16_t port = 0;
  for (int attempt = 0; attempt < 10 && !port; ++attempt) {
    const auto candidate = static_cast<uint16_t>(20000 + random() % 40000);
    if (!dlvp.start(candidate, out_dir)) break;
    if (dlvp.wait_until_listening()) port = candidate;
    else if (read_file(dlvp.log).find("cannot listen") == std::string::npos) break;  // another failure
  }
  if (!port) {
    dlvp_output = "no free port, or dlvp failed: " + read_file(dlvp.log);
    return "";
  }
  std::vector<std::string> script = {"set architecture riscv:rv32", "set confirm off", "set pagination off",
                                     "target remote 127.0.0.1:" + std::to_string(port)};
  script.insert(script.end(), commands.begin(), commands.end());
  const std::string output = run_gdb(script);
  if (!dlvp.wait_for_end(std::chrono::seconds(20))) dlvp_output = "dlvp did not end\n";
  status = dlvp.status;
  dlvp_output += read_file(dlvp.log);
  return output;
}

}  // namespace

TEST(GdbSession, BreakPrintStepContinue) {
  int status = -1;
  std::string dlvp_output;
  const std::string output = debug_session("session", {
      "break accumulate",
      "continue",
      "continue",
      "print total",
      "print/x $pc",
      "stepi",
      "print/x $pc",
      "next",
      "print calls",
      "delete",
      "continue",
  }, status, dlvp_output);
  SCOPED_TRACE("gdb output:\n" + output + "\ndlvp output:\n" + dlvp_output);

  // Both stops at the breakpoint, in accumulate at its first line, with the argument of the call.
  EXPECT_NE(output.find("Breakpoint 1, accumulate (step=1) at"), std::string::npos);
  EXPECT_NE(output.find("Breakpoint 1, accumulate (step=2) at"), std::string::npos);
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(gdb_demo\.c:7\n7\s+total \+= step;)")));
  // The first call has added 1.
  EXPECT_NE(output.find("$1 = 1\n"), std::string::npos);
  // stepi moved the pc forward by one instruction (2 or 4 bytes).
  const std::vector<unsigned long> pcs = printed_pcs(output);
  ASSERT_EQ(pcs.size(), 2u);
  EXPECT_TRUE(pcs[1] - pcs[0] == 2 || pcs[1] - pcs[0] == 4) << std::hex << pcs[0] << " -> " << pcs[1];
  // next ran line 7 to its end: line 8 shown, the second call not yet counted.
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(\n8\s+calls = calls \+ 1;)")));
  EXPECT_NE(output.find("$4 = 1\n"), std::string::npos);
  // The program ran to its end (tohost = 1) and dlvp passed its status on.
  EXPECT_NE(output.find("exited normally"), std::string::npos);
  EXPECT_EQ(status, 0);
}

TEST(GdbSession, KillEndsTheRun) {
  int status = -1;
  std::string dlvp_output;
  const std::string output = debug_session("kill", {"break accumulate", "continue", "kill"}, status, dlvp_output);
  SCOPED_TRACE("gdb output:\n" + output + "\ndlvp output:\n" + dlvp_output);
  EXPECT_NE(output.find("Breakpoint 1, accumulate (step=1)"), std::string::npos);
  EXPECT_NE(output.find("killed"), std::string::npos);
  // CpuIss::kExitKilled (0x89) is above the codes that pass through: status 120, code in the summary.
  EXPECT_EQ(status, dlvp::exit_status::kSoftwareOutOfRange);
  EXPECT_NE(dlvp_output.find("exit code 137 (0x89): exit status 120"), std::string::npos);
}

TEST(GdbSession, DetachLetsTheProgramRunToItsEnd) {
  int status = -1;
  std::string dlvp_output;
  const std::string output = debug_session("detach", {"break accumulate", "continue", "detach"}, status, dlvp_output);
  SCOPED_TRACE("gdb output:\n" + output + "\ndlvp output:\n" + dlvp_output);
  EXPECT_NE(output.find("(Remote target) detached"), std::string::npos);
  EXPECT_NE(dlvp_output.find("software exit, exit code 0"), std::string::npos);
  EXPECT_EQ(status, 0);
}

// A write watchpoint on a guest variable stops right after each store that changes it (gdb shows
// old and new values, the pc after the store); a read watchpoint on another stops at its load.
// Deleting them lets the program run to its end.
TEST(GdbSession, WatchpointsStopOnTheGuestsAccesses) {
  int status = -1;
  std::string dlvp_output;
  const std::string output = debug_session("watch", {
      "watch total",
      "continue",
      "continue",
      "delete",
      "rwatch calls",
      "continue",
      "delete",
      "continue",
  }, status, dlvp_output);
  SCOPED_TRACE("gdb output:\n" + output + "\ndlvp output:\n" + dlvp_output);
  EXPECT_NE(output.find("Hardware watchpoint 1: total"), std::string::npos);
  // total += step for steps 1 and 2: 0 -> 1 -> 3, each stop in accumulate after line 7's store.
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(Old value = 0\nNew value = 1\n.*in accumulate \(step=1\))")));
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(Old value = 1\nNew value = 3\n.*in accumulate \(step=2\))")));
  // The second call's line 8 (calls = calls + 1) reads calls: 1, from the first call.
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(Hardware read watchpoint 2: calls\n\nValue = 1\n.*accumulate \(step=2\))")));
  EXPECT_NE(output.find("exited normally"), std::string::npos);
  EXPECT_EQ(status, 0);
}

// Device registers through the debugger: a read running into unmapped offsets shows what is
// mapped, then gdb's error, and the session goes on; a write to a read-only register is refused
// and changes nothing, one to a read/write register takes effect. The interrupt controller's
// window (default map, intc_regs.h): PENDING 0x0 (RO), ENABLE 0x4 (RW), CLAIM 0x8, SOURCES 0xc
// (RO, = intc.sources, 16 by default), IN_SERVICE 0x10 (RO), nothing from 0x14.
TEST(GdbSession, DeviceRegistersKeepTheirAccessRights) {
  int status = -1;
  std::string dlvp_output;
  const std::string output = debug_session("registers", {
      "x/8wx 0x10003000",
      "set {int}0x1000300c = 5",
      "print/x *(int*)0x1000300c",
      "set {int}0x10003004 = 6",
      "print/x *(int*)0x10003004",
      "continue",
  }, status, dlvp_output);
  SCOPED_TRACE("gdb output:\n" + output + "\ndlvp output:\n" + dlvp_output);
  EXPECT_TRUE(std::regex_search(
      output, std::regex(R"(0x10003000:\s+0x00000000\s+0x00000000\s+0x00000000\s+0x00000010\s*\n)"
                         R"(0x10003010:\s+0x00000000\s+Cannot access memory at address 0x10003014)")));
  EXPECT_NE(output.find("Cannot access memory at address 0x1000300c"), std::string::npos);
  EXPECT_NE(output.find("$1 = 0x10\n"), std::string::npos);  // SOURCES unchanged
  EXPECT_NE(output.find("$2 = 0x6\n"), std::string::npos);   // ENABLE written
  EXPECT_NE(output.find("exited normally"), std::string::npos);
  EXPECT_EQ(status, 0);
}
