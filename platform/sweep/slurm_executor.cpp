#include "platform/sweep/slurm_executor.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include "ip/common/config_error.h"
#include "ip/common/log.h"
#include "ip/common/output_file.h"
#include "platform/sweep/subprocess.h"

namespace dlvp::sweep {

namespace fs = std::filesystem;

namespace {

constexpr const char* kWho = "sweep.slurm";
// squeue is polled at growing intervals: quick for short arrays, light on a busy controller.
constexpr auto kFirstPoll = std::chrono::milliseconds(250);
constexpr auto kLongestPoll = std::chrono::seconds(2);
// A controller that is restarting or overloaded fails a few queries; more in a row is an error.
constexpr int kSqueueFailuresTolerated = 3;
// The rows whose absence is named one by one in the warning; the rest are counted.
constexpr std::size_t kMissingNamed = 10;

[[noreturn]] void fail(const std::string& what) { throw ConfigError("slurm executor: " + what); }

bool all_digits(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The sbatch options the executor sets itself: given again, they would break the task-to-points
// mapping or move the task logs.
void refuse_executor_options(const std::vector<std::string>& sbatch_args) {
  for (const std::string& arg : sbatch_args) {
    for (const char* own : {"--array", "-a", "--chdir", "-D", "--output", "-o", "--wrap", "--parsable"}) {
      const std::string option = own;
      const bool is_option = arg == option || (option.size() > 2 && arg.rfind(option + "=", 0) == 0) ||
                             (option.size() == 2 && arg.rfind(option, 0) == 0);
      if (is_option) fail("sbatch option '" + arg + "' is the executor's own (it sets " + option + " itself)");
    }
  }
}

// Single-quoted for sh: any byte but the quote stands for itself.
std::string shell_quote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// sbatch, sinfo and squeue must all be there before anything is submitted: an array whose end
// cannot be watched would be left running.
void require_slurm_commands() {
  for (const char* command : {"sbatch", "sinfo", "squeue"}) {
    if (!find_on_path(command)) {
      fail(std::string(command) +
           " not found on PATH: the Slurm client commands are needed on this host (Debian: slurm-client)");
    }
  }
}

// Asks the controller for its partitions (which also proves it answers) and checks the one asked for.
void require_partition(const std::string& partition) {
  const ProcessResult sinfo = run_process({"sinfo", "--noheader", "--format=%R"});
  if (!sinfo.succeeded()) fail("sinfo failed, is the Slurm controller reachable? " + sinfo.describe_failure());
  if (partition.empty()) return;
  std::vector<std::string> partitions = lines_of(sinfo.out);
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  if (std::find(partitions.begin(), partitions.end(), partition) == partitions.end()) {
    fail("partition '" + partition + "' does not exist; the cluster has: " +
         (partitions.empty() ? std::string("no partition") : join(partitions, ", ")));
  }
}

// DIR/slurm/submission-N with N one past the highest there (created here, so two submitters
// never share one).
fs::path new_submission_dir(const fs::path& dir) {
  const fs::path slurm_dir = dir / "slurm";
  std::error_code ec;
  fs::create_directories(slurm_dir, ec);
  if (ec) fail("cannot create " + slurm_dir.string() + ": " + ec.message());
  uint64_t highest = 0;
  for (const auto& entry : fs::directory_iterator(slurm_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string prefix = "submission-";
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string number = name.substr(prefix.size());
    if (all_digits(number) && number.size() < 10) {
      highest = std::max<uint64_t>(highest, std::stoull(number));
    }
  }
  for (uint64_t n = highest + 1;; ++n) {
    const fs::path candidate = slurm_dir / ("submission-" + std::to_string(n));
    if (fs::create_directory(candidate, ec)) return candidate;
    if (ec) fail("cannot create " + candidate.string() + ": " + ec.message());
  }
}

void write_text(const fs::path& path, const std::string& text) {
  const std::string error = write_file_atomically(path.string(), [&](std::ostream& os) { os << text; });
  if (!error.empty()) fail("cannot write " + path.string() + ": " + error);
}

std::string tasks_text(const std::vector<std::vector<uint64_t>>& tasks) {
  std::ostringstream os;
  for (const auto& task : tasks) {
    for (std::size_t i = 0; i < task.size(); ++i) os << (i ? " " : "") << task[i];
    os << '\n';
  }
  return os.str();
}

// The batch script: array task K runs the points on line K+1 of tasks.txt. A point whose
// sweep-point fails does not stop the others; the task then ends with status 1.
std::string batch_script(const fs::path& dlvp_binary, const fs::path& dir, const fs::path& tasks_file) {
  std::ostringstream os;
  os << "#!/bin/sh\n"
     << "# Generated by dlvp sweep (platform/sweep/slurm_executor.cpp): array task K runs the sweep\n"
     << "# points on line K+1 of tasks.txt, one `dlvp sweep-point DIR I` each, in turn.\n"
     << "dlvp=" << shell_quote(dlvp_binary.string()) << '\n'
     << "dir=" << shell_quote(dir.string()) << '\n'
     << "tasks=" << shell_quote(tasks_file.string()) << '\n'
     << ": \"${SLURM_ARRAY_TASK_ID:?is not set: run this script as a Slurm array task}\"\n"
     << "points=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$tasks\")\n"
     << "[ -n \"$points\" ] || { echo \"no line $((SLURM_ARRAY_TASK_ID + 1)) in $tasks\" >&2; exit 1; }\n"
     << "status=0\n"
     << "for point in $points; do\n"
     << "  \"$dlvp\" sweep-point \"$dir\" \"$point\" ||\n"
     << "    { echo \"dlvp sweep-point $point: status $?\" >&2; status=1; }\n"
     << "done\n"
     << "exit $status\n";
  return os.str();
}

// sbatch --parsable prints "JOBID" or "JOBID;CLUSTER".
std::string parse_job_id(const std::string& sbatch_out) {
  const std::string first = sbatch_out.substr(0, sbatch_out.find_first_of(";\n"));
  const std::string id = first.substr(0, first.find_last_not_of(" \r") + 1);
  if (!all_digits(id) || id.size() > 20) {
    fail("cannot read a job id in sbatch's answer '" + sbatch_out.substr(0, 200) + "'");
  }
  return id;
}

// Polls squeue until no task of the array is queued or running. A job the controller has already
// forgotten (past MinJobAge) is answered "Invalid job id": ended too.
void wait_for_array(const std::string& job_id) {
  auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(kFirstPoll);
  int failures_in_a_row = 0;
  for (;;) {
    const ProcessResult squeue = run_process({"squeue", "--noheader", "--jobs=" + job_id, "--format=%i %T"});
    if (squeue.succeeded()) {
      failures_in_a_row = 0;
      if (lines_of(squeue.out).empty()) return;
    } else if (squeue.started && squeue.err.find("Invalid job id") != std::string::npos) {
      return;
    } else if (++failures_in_a_row > kSqueueFailuresTolerated) {
      fail("squeue failed " + std::to_string(failures_in_a_row) + " times in a row while waiting for job " + job_id +
           " (it may still run: scancel " + job_id + " stops it): " + squeue.describe_failure());
    }
    std::this_thread::sleep_for(interval);
    interval = std::min<std::chrono::milliseconds>(interval * 2, kLongestPoll);
  }
}

void warn_missing_rows(const fs::path& dir, const fs::path& submission, const std::vector<std::vector<uint64_t>>& tasks) {
  std::vector<std::string> missing;
  std::size_t count = 0;
  for (std::size_t k = 0; k < tasks.size(); ++k) {
    for (uint64_t point : tasks[k]) {
      std::error_code ec;
      if (fs::exists(dir / "rows" / (std::to_string(point) + ".json"), ec)) continue;
      if (++count <= kMissingNamed) {
        missing.push_back(std::to_string(point) + " (" + (submission / ("task-" + std::to_string(k) + ".log")).string() + ")");
      }
    }
  }
  if (count == 0) return;
  DLVP_LOG_WARN(kWho, count << " point(s) wrote no row: " << join(missing, ", ")
                            << (count > kMissingNamed ? ", ..." : "") << "; see each task's log");
}

}  // namespace

std::vector<std::vector<uint64_t>> group_into_tasks(const std::vector<uint64_t>& points, uint32_t points_per_task) {
  if (points_per_task == 0) fail("points per task must be at least 1");
  std::vector<std::vector<uint64_t>> tasks;
  for (std::size_t i = 0; i < points.size(); i += points_per_task) {
    const std::size_t end = std::min<std::size_t>(points.size(), i + points_per_task);
    tasks.emplace_back(points.begin() + i, points.begin() + end);
  }
  return tasks;
}

void run_on_slurm(const std::string& dlvp_binary, const std::string& dir, const std::vector<uint64_t>& points,
                  const SlurmOptions& options) {
  const auto tasks = group_into_tasks(points, options.points_per_task);
  if (tasks.empty()) return;
  refuse_executor_options(options.sbatch_args);
  // The tasks run in the submission folder, maybe on other hosts: every path they use is absolute.
  std::error_code ec;
  const fs::path binary = fs::absolute(dlvp_binary, ec);
  if (ec || !find_on_path(binary.string())) fail("dlvp binary '" + dlvp_binary + "' is not an executable file");
  const fs::path sweep_dir = fs::absolute(dir, ec);
  if (ec || !fs::is_directory(sweep_dir, ec)) fail("sweep folder '" + dir + "' does not exist");
  require_slurm_commands();
  require_partition(options.partition);

  const fs::path submission = new_submission_dir(sweep_dir);
  const fs::path tasks_file = submission / "tasks.txt";
  const fs::path script = submission / "job.sh";
  write_text(tasks_file, tasks_text(tasks));
  write_text(script, batch_script(binary, sweep_dir, tasks_file));

  // The log name is relative to --chdir: a '%' in the folder's path is then no pattern for Slurm.
  std::vector<std::string> sbatch = {"sbatch", "--parsable", "--array=0-" + std::to_string(tasks.size() - 1),
                                     "--job-name=dlvp-sweep", "--chdir=" + submission.string(),
                                     "--output=task-%a.log"};
  if (!options.partition.empty()) sbatch.push_back("--partition=" + options.partition);
  if (!options.time_limit.empty()) sbatch.push_back("--time=" + options.time_limit);
  sbatch.insert(sbatch.end(), options.sbatch_args.begin(), options.sbatch_args.end());
  sbatch.push_back(script.string());
  const ProcessResult submitted = run_process(sbatch);
  if (!submitted.succeeded()) {
    fail("sbatch refused the array of " + std::to_string(tasks.size()) + " tasks (" + script.string() +
         "): " + submitted.describe_failure());
  }
  const std::string job_id = parse_job_id(submitted.out);
  write_text(submission / "job_id", job_id + "\n");
  DLVP_LOG_INFO(kWho, "array job " << job_id << ": " << points.size() << " point(s) in " << tasks.size()
                                   << " task(s), files in " << submission.string());
  wait_for_array(job_id);
  warn_missing_rows(sweep_dir, submission, tasks);
}

}  // namespace dlvp::sweep
