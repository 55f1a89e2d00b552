// The Slurm executor of `dlvp sweep` (docs/explore.md, "Slurm"): the points of a sweep folder run
// as one array job, each array task running `dlvp sweep-point DIR I` for its points in turn.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::sweep {

struct SlurmOptions {
  std::string partition;                // sbatch --partition; "" = the cluster's default
  std::string time_limit;               // sbatch --time (per array task); "" = the partition's
  std::vector<std::string> sbatch_args;  // more sbatch options, passed as given
  uint32_t points_per_task = 4;         // points one array task runs, one after the other
};

// The array tasks for `points`: task k runs points[k*n .. k*n+n-1] (n = points_per_task).
// Throws ConfigError when points_per_task is 0.
std::vector<std::vector<uint64_t>> group_into_tasks(const std::vector<uint64_t>& points, uint32_t points_per_task);

// Runs `points` of the sweep in DIR as one array job (sbatch --array=0-(T-1), T = tasks of
// points_per_task points), each task running `<dlvp_binary> sweep-point DIR I` for its points in
// turn; waits for the array to end. The submission's files go to DIR/slurm/submission-N/ (N counts
// the submissions of DIR): tasks.txt (task k = line k+1), job.sh, job_id and Slurm's log of each
// task (task-K.log). Points whose row DIR/rows/I.json is missing at the end are logged (warning)
// with their task's log; the caller's collection decides what they mean.
// Throws ConfigError naming the command and with its message when sbatch, sinfo or squeue is not
// found or fails, when the partition does not exist, or when sbatch refuses the array.
void run_on_slurm(const std::string& dlvp_binary, const std::string& dir, const std::vector<uint64_t>& points,
                  const SlurmOptions& options);

}  // namespace dlvp::sweep
