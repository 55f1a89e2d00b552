// Child processes of a sweep (the points' `dlvp sweep-point`, their `dlvpc compile`): started with
// fork + exec rather than posix_spawn, because the child must ask the kernel to kill it when its
// parent dies (prctl PR_SET_PDEATHSIG), which posix_spawn cannot: a sweep killed with -9 leaves
// no orphan running a point (docs/explore.md, "Executor").
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace dlvp {

// Starts argv[0] (a path) with `argv`, its stdout and stderr written to `log_path` (created or
// truncated), stdin from /dev/null. Throws ConfigError when it cannot start.
pid_t start_child(const std::vector<std::string>& argv, const std::string& log_path);

struct ChildEnd {
  pid_t pid = -1;
  int status = -1;  // exit status, -1 when it ended on a signal
  int signal = 0;
  std::string describe() const;  // "exit status 3" / "signal 9 (Killed)"
};

// Waits for `pid` (-1: any child). pid -1 in the result when there is no child to wait for.
ChildEnd wait_child(pid_t pid);

// The directory holding the running executable (/proc/self/exe), where dlvp and dlvpc are built.
std::string executable_dir();

}  // namespace dlvp
