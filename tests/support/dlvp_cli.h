// Running the dlvp binary from a test: its exit status and output, a fresh output folder per case,
// and the files a run writes. DLVP_BINARY is the path of the dlvp executable (a compile definition).
#pragma once
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace dlvp::test {

struct CliResult {
  int status = -1;      // the process's exit status; -1 when it ended on a signal
  int signal = 0;       // the signal that ended it (0: none)
  std::string output;   // stdout and stderr
};

// Runs `binary args` through the shell (args may quote), capturing stdout and stderr together.
// The shell execs the binary, so a signal that ends it is seen as such, and an exit status above
// 128 (a guest's exit code) is not mistaken for one.
inline CliResult run_command(const std::string& binary, const std::string& args) {
  CliResult r;
  const std::string command = "exec " + binary + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return r;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  const int raw = pclose(pipe);
  if (WIFEXITED(raw)) {
    r.status = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    r.signal = WTERMSIG(raw);
  }
  return r;
}

#ifdef DLVP_BINARY
inline CliResult run_dlvp(const std::string& args) { return run_command(DLVP_BINARY, args); }
#endif

// An empty folder for one test case's outputs, under the test's temporary directory.
inline std::string out_dir(const std::string& name) {
  const auto dir = std::filesystem::path(testing::TempDir()) / ("dlvp_" + name);
  std::filesystem::remove_all(dir);
  return dir.string();
}

inline std::string read_text(const std::string& dir, const char* file) {
  std::ifstream in(std::filesystem::path(dir) / file);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline nlohmann::json read_json(const std::string& dir, const char* file) {
  return nlohmann::json::parse(read_text(dir, file));
}
inline nlohmann::json read_report(const std::string& dir) { return read_json(dir, "report.json"); }

}  // namespace dlvp::test
