// One simulation run of a scenario, as `dlvp run` does it: load and check the scenario, prepare the
// output folder, build the SoC, simulate until the software exits or the time limit, write
// layers.csv, trace.json (on request) and report.json, checking every output. Shared by the CLI
// and the benchmarks so both measure the same thing.
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
  log::Categories log_categories;       // --log mmio,irq
  bool trace = false;
  bool html = false;  // --html: also report.html
  bool progress = false;
  bool force = false;     // --force: take an output folder that holds another scenario's run  // a progress line on stderr (the CLI: when stderr is a terminal)
};

struct RunResult {
  int exit_status = 0;          // dlvp's process status (platform/exit_status.h)
  double simulate_seconds = 0;  // wall time of the simulation proper (sc_start)
  nlohmann::json report;
  std::string report_path;              // empty when report.json could not be written
  std::vector<std::string> output_errors;  // "cannot write <path>: <reason>" (exit_status 121)
};

// Throws ConfigError for bad input (naming the file and key) before anything is simulated; an
// output that cannot be written is not thrown but listed in output_errors.
RunResult run_scenario(const RunRequest& request);

}  // namespace dlvp
