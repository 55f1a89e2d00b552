// `dlvp sweep`: plan the points, write DIR/plan.json, collect what an earlier run left, run the
// missing points with an executor, and collect the results (docs/explore.md).
#pragma once
#include "platform/sweep/slurm_executor.h"

#include <cstddef>
#include <string>
#include <vector>

namespace dlvp::sweep {

struct SweepOptions {
  std::string sweep_file;  // SWEEP.yaml (empty with --collect)
  std::string out_dir;     // --out DIR (or DIR with --collect)
  bool collect = false;    // `dlvp sweep DIR --collect`
  unsigned jobs = 0;       // --jobs N (0: the machine's cores)
  std::string executor = "local";
  SlurmOptions slurm;      // --partition, --time, --sbatch-option, --points-per-task
};

// Parses argv[first..]; throws ConfigError naming the option at fault.
SweepOptions parse_sweep_args(int argc, char** argv, int first);

// Runs the sweep (or only collects it); `dlvp_binary` runs the points. Returns 0 when the results
// were written (failed points are rows like the others), 121 when results.csv could not be; throws
// ConfigError for bad input (the sweep file, the folder).
int run_sweep(const SweepOptions& options, const std::string& dlvp_binary, const std::string& app_dir);

}  // namespace dlvp::sweep
