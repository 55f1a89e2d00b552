#include "platform/sweep/sweep_executor.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"
#include "platform/sweep/child_process.h"
#include "platform/exit_status.h"
#include "platform/sweep/sweep_point.h"
#include "platform/sweep/sweep_results.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

namespace dlvp::sweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

unsigned parse_count(const std::string& option, const std::string& text, unsigned max) {
  char* end = nullptr;
  const unsigned long value = std::strtoul(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-' || value < 1 || value > max)
    throw ConfigError(option + " " + text + ": expected a whole number, 1.." + std::to_string(max));
  return static_cast<unsigned>(value);
}

// A new folder gets the plan (after a copy of the sweep file); an existing one must hold the same
// sweep, so that its rows and the new ones are of one plan.
Plan prepare_folder(const std::string& sweep_file, const SweepFolder& folder, const std::string& app_dir) {
  Plan plan = load_plan(sweep_file, app_dir);
  if (fs::exists(folder.plan())) {
    const Plan old = read_plan(folder);
    if (old.sweep_text != plan.sweep_text)
      throw ConfigError("--out " + folder.dir + " holds the sweep of " + old.sweep_file + " (copy: " + folder.sweep_copy() +
                        "), which differs from " + plan.sweep_file + ": give another --out, or remove " + folder.dir);
    nlohmann::json a = plan_json(old), b = plan_json(plan);
    a.erase("sweep_file");
    b.erase("sweep_file");
    if (a != b)
      throw ConfigError("--out " + folder.dir + ": the sweep's inputs changed since it began (the model or calibration "
                        "files, or this dlvp's cost figures): its points would mix two plans; give another --out");
    return plan;
  }
  std::error_code ec;
  fs::create_directories(folder.dir, ec);
  if (ec || !fs::is_directory(folder.dir)) throw ConfigError("--out " + folder.dir + ": cannot create the folder" + (ec ? ": " + ec.message() : ""));
  for (const auto& [path, text] : {std::pair{folder.sweep_copy(), plan.sweep_text}, std::pair{folder.plan(), plan_json(plan).dump(1) + "\n"}}) {
    const std::string reason = write_file_atomically(path, [&](std::ostream& os) { os << text; });
    if (!reason.empty()) throw ConfigError("cannot write " + path + ": " + reason);
  }
  return plan;
}

std::string minutes(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char text[32];
  std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

// The row a point's process wrote, or a failed row saying how the process ended without one.
nlohmann::json row_after(const Plan& plan, const SweepFolder& folder, size_t point, const ChildEnd& end) {
  std::ifstream in(folder.row(point));
  if (in) {
    nlohmann::json row = nlohmann::json::parse(in, nullptr, false);
    if (!row.is_discarded() && row.is_object()) return row;
  }
  const std::string log = folder.point_dir(point) + "/sweep-point.log";
  nlohmann::json row = empty_row(plan, point, "failed", end.status >= 0 ? end.status : exit_status::kInternalError,
                                 "dlvp sweep-point ended with " + end.describe() + " without writing its row (see " + log + ")");
  if (const std::string error = write_row(folder, point, row); !error.empty()) std::cerr << "dlvp: error: " << error << "\n";
  return row;
}

// N worker processes, each a `dlvp sweep-point DIR INDEX`; every finished point goes to the
// database at once. Children die with this process (PR_SET_PDEATHSIG).
void run_local(const Plan& plan, const SweepFolder& folder, ResultsDatabase& db, const std::vector<size_t>& missing,
               unsigned jobs, const std::string& dlvp_binary) {
  const bool progress = ::isatty(STDERR_FILENO);
  const auto start = Clock::now();
  const size_t total = plan.points.size(), before = total - missing.size();
  size_t next = 0, finished = 0, failures = 0;
  std::map<pid_t, size_t> running;
  auto show = [&] {
    if (!progress) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const std::string eta = finished ? minutes(elapsed / finished * (missing.size() - finished)) : "?";
    std::fprintf(stderr, "\rsweep: %zu/%zu points, %zu failed, ETA %s   ", before + finished, total, failures, eta.c_str());
    std::fflush(stderr);
  };
  show();
  while (next < missing.size() || !running.empty()) {
    while (running.size() < jobs && next < missing.size()) {
      const size_t point = missing[next++];
      fs::create_directories(folder.point_dir(point));
      fs::remove(folder.row(point));  // none: the point is missing
      const pid_t pid = start_child({dlvp_binary, "sweep-point", folder.dir, std::to_string(point)},
                                    folder.point_dir(point) + "/sweep-point.log");
      running[pid] = point;
    }
    const ChildEnd end = wait_child(-1);
    const auto it = running.find(end.pid);
    if (it == running.end()) {
      if (end.pid < 0) break;  // no child left (not expected)
      continue;
    }
    const size_t point = it->second;
    running.erase(it);
    const nlohmann::json row = row_after(plan, folder, point, end);
    db.insert(row);
    ++finished;
    failures += row.value("status", "") == "failed";
    show();
  }
  if (progress) std::fprintf(stderr, "\n");
}

}  // namespace

SweepOptions parse_sweep_args(int argc, char** argv, int first) {
  SweepOptions o;
  std::string positional;
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> std::string {
      if (i + 1 >= argc) throw ConfigError("option " + a + " needs " + what);
      return argv[++i];
    };
    if (a == "--out") o.out_dir = value("a directory");
    else if (a == "--collect") o.collect = true;
    else if (a == "--jobs") o.jobs = parse_count(a, value("a number"), 1024);
    else if (a == "--executor") {
      o.executor = value("local or slurm");
      if (o.executor != "local" && o.executor != "slurm") throw ConfigError("--executor " + o.executor + ": expected local or slurm");
    } else if (a == "--partition") o.slurm.partition = value("a partition");
    else if (a == "--time") o.slurm.time_limit = value("a time limit");
    else if (a == "--sbatch-option") o.slurm.sbatch_args.push_back(value("an sbatch option"));
    else if (a == "--points-per-task") o.slurm.points_per_task = static_cast<uint32_t>(parse_count(a, value("a number"), 1000000));
    else if (!a.empty() && a[0] == '-') throw ConfigError("unknown option " + a);
    else if (positional.empty()) positional = a;
    else throw ConfigError("more than one sweep given: " + positional + " and " + a);
  }
  if (positional.empty()) throw ConfigError(o.collect ? "dlvp sweep --collect needs the sweep's folder" : "dlvp sweep needs a sweep file");
  if (o.collect) {
    if (!o.out_dir.empty()) throw ConfigError("--collect takes the folder as its argument, not --out");
    o.out_dir = positional;
  } else {
    o.sweep_file = positional;
    if (o.out_dir.empty()) o.out_dir = "out/sweep-" + fs::path(positional).stem().string();
  }
  if (o.jobs == 0) o.jobs = std::max(1u, std::thread::hardware_concurrency());
  return o;
}

int run_sweep(const SweepOptions& options, const std::string& dlvp_binary, const std::string& app_dir) {
  const SweepFolder folder{fs::absolute(options.out_dir).lexically_normal().string()};
  const Plan plan = options.collect ? read_plan(folder) : prepare_folder(options.sweep_file, folder, app_dir);
  ResultsDatabase db(folder, plan);
  db.collect(std::cerr);  // rows an interrupted run (or a Slurm task) wrote
  if (!options.collect) {
    const std::set<size_t> done = db.points();
    std::vector<size_t> missing;
    for (size_t i = 0; i < plan.points.size(); ++i)
      if (!done.count(i)) missing.push_back(i);
    if (options.executor == "slurm") {
      std::cout << "sweep: " << plan.points.size() << " points, " << missing.size() << " to run as a Slurm array of "
                << options.slurm.points_per_task << " point" << (options.slurm.points_per_task == 1 ? "" : "s")
                << " per task, output in " << folder.dir << "\n" << std::flush;
      if (!missing.empty()) run_on_slurm(dlvp_binary, folder.dir, {missing.begin(), missing.end()}, options.slurm);
      db.collect(std::cerr);  // the rows the array's tasks wrote
    } else {
      std::cout << "sweep: " << plan.points.size() << " points, " << missing.size() << " to run, " << options.jobs
                << " worker" << (options.jobs == 1 ? "" : "s") << ", output in " << folder.dir << "\n" << std::flush;
      run_local(plan, folder, db, missing, options.jobs, dlvp_binary);
    }
  }
  const std::vector<std::string> errors = db.finish(std::cout);
  for (const std::string& error : errors) std::cerr << "dlvp: error: " << error << "\n";
  return errors.empty() ? 0 : exit_status::kOutputWriteFailed;
}

}  // namespace dlvp::sweep
