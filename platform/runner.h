// One simulation run of a scenario, as `dlvp run` does it: load and check the scenario, build the
// SoC, simulate until the software exits or the time limit, write report.json (and trace.json on
// request). Shared by the CLI and the benchmarks so both measure the same thing.
#pragma once
#include "ip/common/log.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace dlvp {

struct RunRequest {
  std::string scenario;
  std::vector<std::string> overrides;  // --set key=value
  std::string out_dir;
  std::string app_dir;                  // where native apps are built
  log::Level log_level = log::Level::warn;
  bool trace = false;
};

struct RunResult {
  int exit_code = 0;      // the software's, or kExitTimeLimit
  double simulate_seconds = 0;  // wall time of the simulation proper (sc_start)
  nlohmann::json report;
};

constexpr int kExitTimeLimit = 124;  // the run hit run.max_time_ms before software exited

// Throws ConfigError for bad input (naming the file and key).
RunResult run_scenario(const RunRequest& request);

}  // namespace dlvp
