#include "platform/sweep/sweep_point.h"

#include "ip/common/config_error.h"
#include "ip/common/output_file.h"
#include "ip/common/yaml_file.h"
#include "platform/sweep/child_process.h"
#include "platform/cost_model.h"
#include "platform/exit_status.h"
#include "platform/package_binding.h"
#include "platform/platform_config.h"
#include "platform/report.h"
#include "platform/runner.h"
#include "platform/scenario.h"
#include "platform/sweep/sweep_row.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

namespace dlvp::sweep {
namespace {

namespace fs = std::filesystem;

// A compile that failed: dlvpc's status and its last lines.
struct CompileFailed {
  int status;
  std::string error;
};

std::string hex(uint64_t h) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

// What a package depends on: the model and calibration files' contents, dlvpc's options, and the
// hardware parameters a package records as shaping its program (those whose difference refuses it
// or makes it suboptimal, platform/hardware_binding.h). Others (DDR type, clocks, bus) only feed
// dlvpc's prediction: points that differ only in them share one package.
std::string package_key(const Plan& plan, size_t index, const PlatformConfig& config) {
  const package::HardwareAtHand hw = hardware_at_hand(config);
  std::ostringstream text;
  for (const auto& [file, hash] : plan.model.input_hashes)
    if (file != plan.model.predictions_images) text << hash << ';';
  for (const std::string& o : plan.model.options) text << o << '\x1f';
  for (const std::string& o : plan.model_options(index)) text << o << '\x1f';
  text << "cnn " << hw.cnn.pes << ' ' << hw.cnn.convolvers << ' ' << hw.cnn.kernel << ' ' << hw.cnn.input_buffer_bytes << ' '
       << hw.cnn.weight_buffer_bytes << ' ' << hw.cnn.output_buffer_bytes << ' ' << hw.cnn.accumulator_bits << "; lstm "
       << hw.has_lstm << ' ' << hw.lstm.pes << ' ' << hw.lstm.accumulator_bits << ' ' << hw.lstm.weight_memory_bytes << ' '
       << hw.lstm.vector_buffer_bytes << "; ddr " << hw.platform.ddr_size_bytes;
  return hex(std::hash<std::string>{}(text.str()));
}

// The float predictions depend on the model, the images and the input scale (an option) only:
// dlvpc runs the float model before it prunes (model.density).
std::string predictions_key(const Plan& plan) {
  std::ostringstream text;
  for (const auto& [file, hash] : plan.model.input_hashes) text << hash << ';';
  for (const std::string& o : plan.model.options) text << o << '\x1f';
  return hex(std::hash<std::string>{}(text.str()));
}

PlatformConfig config_of(const Plan& plan, size_t index, const std::string& app_dir) {
  return load_platform_config(Scenario::load(plan.scenario, plan.overrides(index)), app_dir);
}

// An exclusive lock on a file, held until destroyed (or the process dies: the kernel releases it).
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) throw ConfigError("cannot open the lock " + path);
    while (::flock(fd_, LOCK_EX) != 0)
      if (errno != EINTR) throw ConfigError("cannot lock " + path);
  }
  ~FileLock() { ::close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

std::string last_lines(const std::string& path, size_t count) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string text;
  for (size_t i = lines.size() > count ? lines.size() - count : 0; i < lines.size(); ++i) text += (text.empty() ? "" : " | ") + lines[i];
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

// Runs dlvpc for `config` into temporary files renamed into place when it succeeded, so a
// concurrent point never reads a half-written package.
// The float calibration does not depend on the hardware: dlvpc computes it once per model and
// calibration data and finds it in the sweep's cache for every other point.
void compile(const Plan& plan, size_t point, const PlatformConfig& config, const std::string& package_out,
             const std::string& predictions_out, const std::string& calibration_cache, const std::string& log) {
  const std::string tmp = "." + std::to_string(::getpid()) + ".partial";
  std::vector<std::string> argv = {executable_dir() + "/dlvpc", "compile", plan.model.onnx, "--hw", config.hw_path,
                                   "--calib-cache", calibration_cache};
  for (const std::string& set : hardware_overrides_of(config)) argv.insert(argv.end(), {"--set", set});
  argv.insert(argv.end(), plan.model.options.begin(), plan.model.options.end());
  const std::vector<std::string> point_options = plan.model_options(point);
  argv.insert(argv.end(), point_options.begin(), point_options.end());
  argv.insert(argv.end(), {"-o", package_out + tmp});
  if (!predictions_out.empty()) argv.insert(argv.end(), {"--float-predictions", plan.model.predictions_images, predictions_out + tmp});
  const ChildEnd end = wait_child(start_child(argv, log));
  if (end.status != 0) {
    fs::remove(package_out + tmp);
    if (!predictions_out.empty()) fs::remove(predictions_out + tmp);
    throw CompileFailed{end.status < 0 ? exit_status::kInternalError : end.status,
                        "dlvpc ended with " + end.describe() + ": " + last_lines(log, 3)};
  }
  fs::rename(package_out + tmp, package_out);
  if (!predictions_out.empty()) fs::rename(predictions_out + tmp, predictions_out);
}

// The --set that place the point's package (and float predictions) in software.load. Compiles
// them unless a point with the same key did; the lowest-index point with that key gives the
// hardware compiled for, so the package is the same whichever point gets there first.
std::vector<std::string> package_overrides(const Plan& plan, const SweepFolder& folder, size_t index,
                                           const PlatformConfig& config, const std::string& app_dir) {
  const std::string key = package_key(plan, index, config);
  size_t first = index;
  PlatformConfig compile_for = config;
  for (size_t j = 0; j < index; ++j) {
    PlatformConfig other = config_of(plan, j, app_dir);
    if (package_key(plan, j, other) == key) {
      first = j;
      compile_for = std::move(other);
      break;
    }
  }
  fs::create_directories(folder.packages());
  const std::string package = folder.packages() + "/" + key + ".dlvp";
  const std::string log = folder.point_dir(index) + "/dlvpc.log";
  const bool predict = !plan.model.predictions_images.empty();
  const std::string predictions = predict ? folder.packages() + "/predictions-" + predictions_key(plan) + ".idx1" : "";
  {
    // Lock order: predictions, then the package (no two points wait for each other).
    std::unique_ptr<FileLock> predictions_lock;
    if (predict && !fs::exists(predictions)) predictions_lock = std::make_unique<FileLock>(predictions + ".lock");
    const bool need_predictions = predict && !fs::exists(predictions);
    if (!need_predictions) predictions_lock.reset();
    FileLock package_lock(package + ".lock");
    if (!fs::exists(package) || need_predictions) {
      std::cout << "sweep-point: compiling for point " << first << "'s hardware (package " << key << ")\n";
      compile(plan, first, compile_for, fs::exists(package) ? package + ".again" : package, need_predictions ? predictions : "",
              folder.calibration_cache(), log);
      fs::remove(package + ".again");
    }
  }
  std::vector<std::string> sets = {"software.load[" + std::to_string(plan.model.load) + "].file=" + yaml_single_quoted(package)};
  if (predict)
    sets.push_back("software.load[" + std::to_string(plan.model.predictions_load) + "].file=" + yaml_single_quoted(predictions));
  return sets;
}

// A parameter's effective value as a number (booleans 0/1), or false when it is no number.
bool parameter_value(const PlatformConfig& config, const std::string& key, double& value) {
  for (const ParamBinder::Entry& e : config.effective) {
    if (e.key != key) continue;
    if (const auto* u = std::get_if<uint64_t>(&e.typed)) value = static_cast<double>(*u);
    else if (const auto* d = std::get_if<double>(&e.typed)) value = *d;
    else if (const auto* b = std::get_if<bool>(&e.typed)) value = *b ? 1 : 0;
    else return false;
    return true;
  }
  return false;
}

// The first constraint known before the run (parameters, cost figures) the point does not meet: "" when none.
std::string refused_by(const Plan& plan, const PlatformConfig& config, const nlohmann::json& row) {
  for (const Constraint& c : plan.constraints) {
    double value = 0;
    const bool is_cost = std::count(plan.cost_columns.begin(), plan.cost_columns.end(), c.column) > 0;
    if (is_cost) {
      if (!row[c.column].is_number()) continue;
      value = row[c.column].get<double>();
    } else if (!parameter_value(config, c.column, value)) {
      continue;  // a result column: checked after the run
    }
    if (!c.holds(value)) {
      char text[64];
      std::snprintf(text, sizeof text, "%.10g", value);
      return "constraint '" + c.text + "' not met: " + c.column + " = " + text;
    }
  }
  return "";
}

std::string run_error(const RunResult& result) {
  std::string error;
  if (result.exit_status != 0) {
    const nlohmann::json& run = result.report.value("run", nlohmann::json::object());
    error = "exit status " + std::to_string(result.exit_status) + " (" + run.value("end_reason", std::string("?")) + ")";
    const std::string console = result.report.value("software", nlohmann::json::object()).value("console", std::string());
    std::string last;
    std::istringstream lines(console);
    for (std::string line; std::getline(lines, line);)
      if (!line.empty()) last = line;
    if (!last.empty()) error += ": " + last;
  }
  for (const std::string& e : result.output_errors) error += (error.empty() ? "" : "; ") + e;
  return error;
}

// Fills the row from the run (compiling first when the sweep has a model); throws on bad input.
void run_configured_point(const Plan& plan, const SweepFolder& folder, size_t index, const std::string& app_dir,
                          nlohmann::json& row) {
  const PlatformConfig config = config_of(plan, index, app_dir);
  for (const CostFigure& f : estimate_cost(config))
    if (row.contains(f.name)) row[f.name] = f.value;
  if (const std::string reason = refused_by(plan, config, row); !reason.empty()) {
    row["status"] = "refused";
    row["exit_status"] = nullptr;  // it did not run
    row["error"] = reason;
    return;
  }
  fs::create_directories(folder.point_dir(index));
  std::vector<std::string> overrides = plan.overrides(index);
  if (plan.has_model) {
    const std::vector<std::string> sets = package_overrides(plan, folder, index, config, app_dir);
    overrides.insert(overrides.end(), sets.begin(), sets.end());
  }
  const RunResult result = run_scenario({plan.scenario, overrides, folder.point_dir(index), app_dir, log::Level::warn, false});
  print_summary(std::cout, result.report);
  const nlohmann::json results = results_of(result.report);
  for (const auto& [name, value] : results.items()) row[name] = value;
  row["exit_status"] = result.exit_status;
  row["status"] = result.exit_status == 0 ? "ok" : "failed";
  row["error"] = run_error(result);
}

// "4" -> 4, "0x18000" -> 98304, "ddr3-1066-x32" -> "ddr3-1066-x32".
nlohmann::json typed_value(const std::string& text) {
  char* end = nullptr;
  const double d = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') return text;
  if (d == static_cast<double>(static_cast<int64_t>(d)) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
  return d;
}

}  // namespace

nlohmann::json empty_row(const Plan& plan, size_t index, const std::string& status, int exit_status, const std::string& error) {
  nlohmann::json row = nlohmann::json::object();
  for (const ColumnSpec& c : table_columns(plan)) row[c.name] = nullptr;
  row["point"] = index;
  for (size_t a = 0; a < plan.axes.size(); ++a) row[plan.axes[a]] = typed_value(plan.points.at(index)[a]);
  row["status"] = status;
  row["exit_status"] = exit_status;
  row["error"] = error;
  row["meets_constraints"] = 0;
  return row;
}

std::string write_row(const SweepFolder& folder, size_t index, const nlohmann::json& row) {
  std::error_code ec;
  fs::create_directories(folder.rows(), ec);
  if (ec) return "cannot create " + folder.rows() + ": " + ec.message();
  const std::string reason = write_file_atomically(folder.row(index), [&](std::ostream& os) { os << row.dump(1) << "\n"; });
  return reason.empty() ? "" : "cannot write " + folder.row(index) + ": " + reason;
}

int run_point(const std::string& dir, size_t index, const std::string& app_dir) {
  const auto start = std::chrono::steady_clock::now();
  const SweepFolder folder{fs::absolute(dir).lexically_normal().string()};
  const Plan plan = read_plan(folder);
  if (index >= plan.points.size())
    throw ConfigError("point " + std::to_string(index) + ": the sweep in " + dir + " has points 0.." + std::to_string(plan.points.size() - 1));
  nlohmann::json row = empty_row(plan, index, "failed", exit_status::kInternalError, "");
  try {
    run_configured_point(plan, folder, index, app_dir, row);
  } catch (const ConfigError& e) {
    row["exit_status"] = exit_status::kBadInput;
    row["error"] = e.what();
  } catch (const CompileFailed& e) {
    row["exit_status"] = e.status;
    row["error"] = e.error;
  } catch (const std::exception& e) {
    row["error"] = std::string("internal error: ") + e.what();
  }
  row["meets_constraints"] = meets_constraints(plan, row) ? 1 : 0;
  row["wall_time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (const std::string error = write_row(folder, index, row); !error.empty()) {
    std::cerr << "dlvp: error: " << error << "\n";
    return exit_status::kOutputWriteFailed;
  }
  std::cout << "sweep-point " << index << ": " << row["status"].get<std::string>()
            << (row["error"].get<std::string>().empty() ? "" : ": " + row["error"].get<std::string>()) << "\n";
  return 0;
}

}  // namespace dlvp::sweep
