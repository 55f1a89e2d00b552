// The Slurm executor on a real single-node Slurm (tools/slurm/local_cluster.sh, started and
// stopped around these tests by the ctest fixture in this folder's CMakeLists.txt): every point
// runs exactly once, a resubmission runs only the points passed, and the controller's refusals
// reach the caller.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "ip/common/config_error.h"
#include "platform/sweep/slurm_executor.h"
#include "platform/sweep/subprocess.h"
#include "tests/support/dlvp_cli.h"
#include "tests/support/sweep_stand_in.h"

namespace dlvp::sweep {
namespace {

namespace fs = std::filesystem;

// The fixture's cluster, or why this host cannot have one: the same rule as local_cluster.sh's
// exit status 77 (not root, or Slurm/munge missing), so a host where it should start but did not
// fails (the fixture's setup test fails) instead of skipping.
std::string cluster_unavailable_reason() {
  if (geteuid() != 0) return "needs root (local_cluster.sh runs slurmd as root)";
  for (const char* daemon : {"/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd"}) {
    if (!find_on_path(daemon)) return std::string(daemon) + " not installed (Debian: slurm-wlm, munge)";
  }
  if (!find_on_path("sbatch")) return "sbatch not installed (Debian: slurm-client)";
  return "";
}

class SlurmClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string reason = cluster_unavailable_reason();
    if (!reason.empty()) GTEST_SKIP() << "no local Slurm cluster: " << reason;
    setenv("SLURM_CONF", DLVP_SLURM_STATE_DIR "/slurm.conf", 1);
    root_ = test::out_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    sweep_ = root_ + "/sweep";
    fs::create_directories(sweep_);
    dlvp_ = test::write_sweep_point_stand_in(root_);
  }

  std::string error_of(const SlurmOptions& options) {
    try {
      run_on_slurm(dlvp_, sweep_, {0}, options);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError";
    return "";
  }

  std::string root_, sweep_, dlvp_;
};

TEST_F(SlurmClusterTest, RunsEveryPointOnceAndAResubmissionOnlyTheMissingOnes) {
  constexpr uint64_t kPoints = 10;
  SlurmOptions options;
  options.partition = "debug";  // local_cluster.sh's partition
  options.time_limit = "5";
  options.points_per_task = 3;
  std::vector<uint64_t> points;
  for (uint64_t i = 0; i < kPoints; ++i) points.push_back(i);
  run_on_slurm(dlvp_, sweep_, points, options);

  auto runs = test::stand_in_invocations(sweep_);
  for (uint64_t i = 0; i < kPoints; ++i) {
    EXPECT_TRUE(test::row_exists(sweep_, i)) << i;
    EXPECT_EQ(runs.count(i) ? runs.at(i) : 0, 1) << "point " << i;
  }
  EXPECT_EQ(runs.size(), kPoints);
  const std::string first = sweep_ + "/slurm/submission-1";
  for (int task = 0; task < 4; ++task) {  // ceil(10 / 3) tasks, each with Slurm's log
    EXPECT_TRUE(fs::exists(first + "/task-" + std::to_string(task) + ".log")) << task;
  }

  // Two rows lost: the resubmission passes only those and only those run.
  fs::remove(sweep_ + "/rows/2.json");
  fs::remove(sweep_ + "/rows/7.json");
  fs::remove(sweep_ + "/invocations.log");
  run_on_slurm(dlvp_, sweep_, {2, 7}, options);
  runs = test::stand_in_invocations(sweep_);
  EXPECT_EQ(runs, (std::map<uint64_t, int>{{2, 1}, {7, 1}}));
  for (uint64_t i = 0; i < kPoints; ++i) EXPECT_TRUE(test::row_exists(sweep_, i)) << i;
  EXPECT_EQ(test::read_text(sweep_ + "/slurm/submission-2", "tasks.txt"), "2 7\n");
}

TEST_F(SlurmClusterTest, AMissingPartitionIsNamedWithTheClustersOwn) {
  SlurmOptions options;
  options.partition = "gpu";
  const std::string message = error_of(options);
  EXPECT_NE(message.find("partition 'gpu' does not exist; the cluster has: debug"), std::string::npos) << message;
}

TEST_F(SlurmClusterTest, SbatchsRefusalReachesTheCaller) {
  SlurmOptions options;
  options.time_limit = "not-a-time";
  const std::string message = error_of(options);
  EXPECT_NE(message.find("sbatch refused the array of 1 tasks"), std::string::npos) << message;
  EXPECT_NE(message.find("Invalid --time specification"), std::string::npos) << message;
}

}  // namespace
}  // namespace dlvp::sweep
