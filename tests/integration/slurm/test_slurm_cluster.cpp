// The Slurm executor on a real single-node Slurm (tools/slurm/local_cluster.sh, started and
// stopped around these tests by the ctest fixture in this folder's CMakeLists.txt): every point
// runs exactly once, a resubmission runs only the points passed, and the controller's refusals
// reach the caller.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

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

// The same sweep file on both executors: `dlvp sweep --executor slurm` (real dlvp points on the
// cluster, collected when the array ends) gives the rows the local executor gives, wall time apart.
TEST_F(SlurmClusterTest, TheSameSweepOnSlurmAndLocallyGivesTheSameRows) {
  const std::string file = root_ + "/four.yaml";
  std::ofstream(file) << "scenario: " DLVP_SOURCE_DIR "/scenarios/cnn_selftest.yaml\n"
                         "axes:\n  cnn.pes: [1, 2]\n  ddr.preset: [ddr3-1066-x32, ddr4-2400-x64]\n"
                         "objectives: {latency_ns: min, energy_per_inference: min}\n";
  const std::string local = root_ + "/local", slurm = root_ + "/slurm";
  const test::CliResult a = test::run_dlvp("sweep " + file + " --out " + local + " --jobs 2");
  ASSERT_EQ(a.status, 0) << a.output;
  const test::CliResult b =
      test::run_dlvp("sweep " + file + " --out " + slurm + " --executor slurm --partition debug --points-per-task 3");
  ASSERT_EQ(b.status, 0) << b.output;
  EXPECT_NE(b.output.find("4 to run as a Slurm array of 3 points per task"), std::string::npos) << b.output;
  for (size_t point = 0; point < 4; ++point) {
    nlohmann::json ra = test::read_json(local + "/rows", (std::to_string(point) + ".json").c_str());
    nlohmann::json rb = test::read_json(slurm + "/rows", (std::to_string(point) + ".json").c_str());
    ra.erase("wall_time_s");
    rb.erase("wall_time_s");
    EXPECT_EQ(ra, rb) << "point " << point;
    EXPECT_EQ(rb["status"], "ok") << "point " << point;
  }
  EXPECT_TRUE(fs::exists(slurm + "/results.sqlite"));
  // Rerun: nothing is missing, nothing is submitted.
  const test::CliResult c = test::run_dlvp("sweep " + file + " --out " + slurm + " --executor slurm --partition debug");
  ASSERT_EQ(c.status, 0) << c.output;
  EXPECT_NE(c.output.find("0 to run"), std::string::npos) << c.output;
  EXPECT_FALSE(fs::exists(slurm + "/slurm/submission-2"));
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
