// The Slurm executor against stand-in sbatch/sinfo/squeue commands (no cluster needed): the array
// it submits, the batch script run task by task, and the errors for every failing command. The
// real single-node cluster test is tests/integration/slurm.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ip/common/config_error.h"
#include "platform/sweep/slurm_executor.h"
#include "platform/sweep/subprocess.h"
#include "tests/support/dlvp_cli.h"
#include "tests/support/sweep_stand_in.h"

namespace dlvp::sweep {
namespace {

namespace fs = std::filesystem;
using test::read_text;

// sbatch that runs the array itself, task after task, with the options Slurm would honour
// (--array, --chdir, --output=task-%a.log), records its arguments and answers like --parsable.
constexpr const char* kRunningSbatch = R"(#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/sbatch.args"
for arg; do
  case $arg in --array=0-*) last=${arg#--array=0-} ;; --chdir=*) chdir=${arg#--chdir=} ;; esac
  script=$arg
done
cd "$chdir" || exit 1
k=0
while [ "$k" -le "$last" ]; do SLURM_ARRAY_TASK_ID=$k sh "$script" > "task-$k.log" 2>&1; k=$((k + 1)); done
echo "42;fake"
)";

class SlurmExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = test::out_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    bin_ = root_ + "/bin";
    sweep_ = root_ + "/sweep";
    fs::create_directories(bin_);
    fs::create_directories(sweep_);
    dlvp_ = test::write_sweep_point_stand_in(root_);
    command("sbatch", kRunningSbatch);
    command("sinfo", "printf 'debug\\nbatch\\ndebug\\n'");
    command("squeue", "exit 0");
    setenv("PATH", (bin_ + ":/usr/bin:/bin").c_str(), 1);
  }

  // Writes the stand-in `name` into the first folder of PATH.
  void command(const std::string& name, const std::string& body) {
    const std::string path = bin_ + "/" + name;
    const bool has_shebang = body.rfind("#!", 0) == 0;
    std::ofstream(path) << (has_shebang ? "" : "#!/bin/sh\n") << body << "\n";
    chmod(path.c_str(), 0755);
  }

  std::string run_expecting_error(const std::vector<uint64_t>& points, const SlurmOptions& options = {}) {
    try {
      run_on_slurm(dlvp_, sweep_, points, options);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError";
    return "";
  }

  std::string submission(int n) const { return sweep_ + "/slurm/submission-" + std::to_string(n); }

  std::string root_, bin_, sweep_, dlvp_;
};

std::vector<uint64_t> indices(uint64_t count) {
  std::vector<uint64_t> points(count);
  for (uint64_t i = 0; i < count; ++i) points[i] = i;
  return points;
}

TEST(SlurmTasks, GroupsPointsIntoTasksOfTheConfiguredSize) {
  const auto tasks = group_into_tasks({5, 6, 7, 8, 9, 10, 11}, 3);
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0], (std::vector<uint64_t>{5, 6, 7}));
  EXPECT_EQ(tasks[2], (std::vector<uint64_t>{11}));
  EXPECT_EQ(group_into_tasks({1, 2}, 4).size(), 1u);
  EXPECT_TRUE(group_into_tasks({}, 4).empty());
  EXPECT_THROW(group_into_tasks({1}, 0), ConfigError);
}

TEST_F(SlurmExecutorTest, SubmitsOneArrayWhoseTasksRunEveryPointOnce) {
  SlurmOptions options;
  options.partition = "batch";
  options.time_limit = "00:10:00";
  options.sbatch_args = {"--qos=low"};
  options.points_per_task = 3;
  run_on_slurm(dlvp_, sweep_, indices(10), options);

  std::istringstream args(read_text(bin_, "sbatch.args"));
  std::vector<std::string> arg_list;
  for (std::string arg; std::getline(args, arg);) arg_list.push_back(arg);
  for (const char* expected : {"--parsable", "--array=0-3", "--partition=batch", "--time=00:10:00", "--qos=low"}) {
    EXPECT_NE(std::find(arg_list.begin(), arg_list.end(), expected), arg_list.end()) << expected;
  }
  ASSERT_FALSE(arg_list.empty());
  EXPECT_EQ(arg_list.back(), fs::absolute(submission(1) + "/job.sh").string());
  EXPECT_EQ(read_text(submission(1), "tasks.txt"), "0 1 2\n3 4 5\n6 7 8\n9\n");
  EXPECT_EQ(read_text(submission(1), "job_id"), "42\n");
  const auto runs = test::stand_in_invocations(sweep_);
  EXPECT_EQ(runs.size(), 10u);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_TRUE(test::row_exists(sweep_, i)) << i;
    EXPECT_EQ(runs.count(i) ? runs.at(i) : 0, 1) << i;
  }
}

TEST_F(SlurmExecutorTest, AResubmissionRunsOnlyThePointsPassedInAFolderOfItsOwn) {
  run_on_slurm(dlvp_, sweep_, indices(6), {});
  fs::remove(sweep_ + "/invocations.log");
  run_on_slurm(dlvp_, sweep_, {1, 4}, {});
  EXPECT_EQ(read_text(submission(1), "tasks.txt"), "0 1 2 3\n4 5\n");
  EXPECT_EQ(read_text(submission(2), "tasks.txt"), "1 4\n");
  EXPECT_EQ(test::stand_in_invocations(sweep_), (std::map<uint64_t, int>{{1, 1}, {4, 1}}));
}

TEST_F(SlurmExecutorTest, AFailingPointDoesNotStopTheOthersOfItsTask) {
  std::ofstream(sweep_ + "/fail-4");
  SlurmOptions options;
  options.points_per_task = 3;
  run_on_slurm(dlvp_, sweep_, indices(6), options);
  for (uint64_t i = 0; i < 6; ++i) EXPECT_EQ(test::row_exists(sweep_, i), i != 4) << i;
  EXPECT_NE(read_text(submission(1), "task-1.log").find("sweep-point 4: status " + std::to_string(test::kStandInFailStatus)),
            std::string::npos);
}

TEST_F(SlurmExecutorTest, NoPointsSubmitsNothing) {
  run_on_slurm(dlvp_, sweep_, {}, {});
  EXPECT_FALSE(fs::exists(bin_ + "/sbatch.args"));
  EXPECT_FALSE(fs::exists(sweep_ + "/slurm"));
}

TEST_F(SlurmExecutorTest, SbatchNotFoundIsNamed) {
  fs::remove(bin_ + "/sbatch");
  setenv("PATH", bin_.c_str(), 1);  // the host's own sbatch (if any) out of reach
  const std::string message = run_expecting_error({0});
  EXPECT_NE(message.find("sbatch not found on PATH"), std::string::npos) << message;
}

TEST_F(SlurmExecutorTest, SinfoFailureCarriesItsMessage) {
  command("sinfo", "echo 'slurm_load_partitions: Unable to contact slurm controller (connect failure)' >&2; exit 1");
  const std::string message = run_expecting_error({0});
  EXPECT_NE(message.find("sinfo failed"), std::string::npos) << message;
  EXPECT_NE(message.find("status 1: slurm_load_partitions: Unable to contact slurm controller"), std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(bin_ + "/sbatch.args"));
}

TEST_F(SlurmExecutorTest, AMissingPartitionIsNamedWithTheClustersPartitions) {
  SlurmOptions options;
  options.partition = "gpu";
  const std::string message = run_expecting_error({0}, options);
  EXPECT_NE(message.find("partition 'gpu' does not exist; the cluster has: batch, debug"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(bin_ + "/sbatch.args"));
}

TEST_F(SlurmExecutorTest, SbatchRefusalCarriesItsMessage) {
  command("sbatch", "echo 'sbatch: error: Batch job submission failed: Invalid job array specification' >&2; exit 1");
  const std::string message = run_expecting_error(indices(5));
  EXPECT_NE(message.find("sbatch refused the array of 2 tasks"), std::string::npos) << message;
  EXPECT_NE(message.find("Invalid job array specification"), std::string::npos) << message;
}

TEST_F(SlurmExecutorTest, TheExecutorsOwnSbatchOptionsAreRefused) {
  for (const char* own : {"--array=0-9", "-a0-9", "--output=x.log", "-o", "--chdir=/tmp", "--wrap=true"}) {
    SlurmOptions options;
    options.sbatch_args = {"--qos=low", own};
    const std::string message = run_expecting_error({0}, options);
    EXPECT_NE(message.find(std::string("sbatch option '") + own + "' is the executor's own"), std::string::npos)
        << message;
  }
  EXPECT_FALSE(fs::exists(bin_ + "/sbatch.args"));
}

TEST_F(SlurmExecutorTest, AnUnreadableJobIdIsAnError) {
  command("sbatch", "echo 'Submitted batch job'");
  const std::string message = run_expecting_error({0});
  EXPECT_NE(message.find("cannot read a job id in sbatch's answer 'Submitted batch job"), std::string::npos) << message;
}

TEST_F(SlurmExecutorTest, WaitsWhileSqueueListsTasks) {
  // Lists the array twice, then nothing: three polls.
  command("squeue",
          "calls=$(dirname \"$0\")/squeue.calls\n"
          "echo x >> \"$calls\"\n"
          "[ \"$(wc -l < \"$calls\")\" -ge 3 ] || echo '42_0 RUNNING'");
  run_on_slurm(dlvp_, sweep_, {0}, {});
  EXPECT_EQ(read_text(bin_, "squeue.calls"), "x\nx\nx\n");
}

TEST_F(SlurmExecutorTest, AForgottenJobHasEnded) {
  command("squeue", "echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1");
  EXPECT_NO_THROW(run_on_slurm(dlvp_, sweep_, {0}, {}));
}

TEST_F(SlurmExecutorTest, RepeatedSqueueFailuresAreAnErrorNamingTheJob) {
  command("squeue", "echo 'squeue: error: Socket timed out on send/recv operation' >&2; exit 1");
  const std::string message = run_expecting_error({0});
  EXPECT_NE(message.find("squeue failed"), std::string::npos) << message;
  EXPECT_NE(message.find("Socket timed out"), std::string::npos) << message;
  EXPECT_NE(message.find("scancel 42"), std::string::npos) << message;
}

TEST_F(SlurmExecutorTest, AMissingBinaryOrFolderIsRefusedBeforeSubmission) {
  const std::string no_binary = [&] {
    try {
      run_on_slurm(root_ + "/no_dlvp", sweep_, {0}, {});
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  EXPECT_NE(no_binary.find("is not an executable file"), std::string::npos) << no_binary;
  EXPECT_THROW(run_on_slurm(dlvp_, root_ + "/no_sweep", {0}, {}), ConfigError);
  EXPECT_FALSE(fs::exists(bin_ + "/sbatch.args"));
}

TEST(Subprocess, OutputIsBoundedAndAMissingProgramIsReported) {
  const ProcessResult big = run_process({"head", "-c", "100000", "/dev/zero"}, 1000);
  EXPECT_TRUE(big.succeeded());
  EXPECT_EQ(big.out.size(), 1000u);
  const ProcessResult missing = run_process({"dlvp-no-such-program"});
  EXPECT_FALSE(missing.started);
  EXPECT_NE(missing.describe_failure().find("could not be run"), std::string::npos);
  const ProcessResult failing = run_process({"sh", "-c", "echo out; echo bad >&2; exit 7"});
  EXPECT_EQ(failing.status, 7);
  EXPECT_EQ(failing.describe_failure(), "status 7: bad");
}

}  // namespace
}  // namespace dlvp::sweep
