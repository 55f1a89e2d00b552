// Running a host program (no shell) and capturing what it prints: the Slurm executor's sbatch,
// sinfo and squeue. Output is bounded, so a command that prints without end cannot grow dlvp's memory.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dlvp::sweep {

struct ProcessResult {
  bool started = false;  // false: the program could not be run (error says why)
  int status = -1;       // exit status; -1 when it ended on a signal
  int signal = 0;        // the signal that ended it (0: none)
  std::string out, err;  // stdout and stderr, each cut at max_output bytes
  std::string error;     // why it could not be started ("No such file or directory")

  bool succeeded() const { return started && status == 0; }
  // "status 1: <stderr, else stdout>" (or the start error, or the signal), for error messages.
  std::string describe_failure() const;
};

// The absolute path of `program` found on PATH, if any (a name with a '/' is checked as given).
std::optional<std::string> find_on_path(const std::string& program);

// Runs argv[0] (looked up on PATH) with the arguments argv[1..], stdin from /dev/null, waits for it
// to end and returns its status and output; each stream keeps its first `max_output` bytes.
ProcessResult run_process(const std::vector<std::string>& argv, std::size_t max_output = 1 << 20);

}  // namespace dlvp::sweep
