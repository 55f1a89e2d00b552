// A sweep (docs/explore.md): a workload (an app scenario, optionally with an ONNX model compiled
// per point), a base hardware, axes of parameter values, fixed overrides, constraints and
// objectives, read from a YAML file and expanded into numbered points. The plan is written to
// DIR/plan.json before anything runs; every point's process (`dlvp sweep-point DIR INDEX`) reads it
// back, so the plan holds everything a point needs, with every path absolute.
#pragma once
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace dlvp::sweep {

// A model compiled by dlvpc for each point's hardware; the package replaces software.load[load].
struct ModelSpec {
  std::string onnx;                  // absolute path
  size_t load = 0;
  std::vector<std::string> options;  // dlvpc options besides --hw/--set/-o (calibration, LSTM options)
  // The float model's class per image (dlvpc --float-predictions), replacing software.load[i];
  // `predictions_images` empty: the scenario's entry stays.
  size_t predictions_load = 0;
  std::string predictions_images;
  // Files whose content the package depends on (the model, the calibration images), and the
  // images of the float predictions: path -> content hash, taken when the plan is made.
  std::vector<std::pair<std::string, std::string>> input_hashes;
};

// "column op number"; op one of < <= > >= == !=.
struct Constraint {
  std::string text;  // as written
  std::string column, op;
  double value = 0;
  bool holds(double x) const;
};

struct Objective {
  std::string column;
  bool maximize = false;
};

struct Plan {
  std::string sweep_file;  // absolute path of the sweep file the plan came from
  std::string sweep_text;  // its content: a rerun in the same folder must bring the same file
  std::string scenario;    // absolute path
  std::string hardware;    // the base hardware file (absolute), "" for the scenario's own
  bool has_model = false;
  ModelSpec model;
  std::vector<std::string> fixed;  // "key=value" applied to every point
  std::vector<std::string> axes;   // the axis keys, in file order
  std::string combine = "product";
  std::vector<std::vector<std::string>> points;  // per point, one value text per axis
  std::vector<Constraint> constraints;
  std::vector<Objective> objectives;
  std::vector<std::string> cost_columns;  // estimate_cost's figures for this build, in its order

  // Every --set of point `index` (the base hardware as `hw=...`, then the fixed ones, then the
  // axes), without dlvpc's options (`model.*` keys); with a model, its load entries name the ONNX
  // and images files until the point's package and predictions replace them.
  std::vector<std::string> overrides(size_t index) const;
  // The dlvpc options of point `index` from `model.*` keys: {"--density", "0.1", ...}.
  std::vector<std::string> model_options(size_t index) const;
};

// The files of a sweep's output folder (docs/explore.md, "The output folder").
struct SweepFolder {
  std::string dir;
  std::string plan() const { return dir + "/plan.json"; }
  std::string sweep_copy() const { return dir + "/sweep.yaml"; }
  std::string rows() const { return dir + "/rows"; }
  std::string row(size_t point) const { return rows() + "/" + std::to_string(point) + ".json"; }
  std::string point_dir(size_t point) const { return dir + "/points/" + std::to_string(point); }
  std::string packages() const { return dir + "/packages"; }
  std::string calibration_cache() const { return dir + "/calib-cache"; }  // dlvpc --calib-cache
  std::string database() const { return dir + "/results.sqlite"; }
  std::string csv() const { return dir + "/results.csv"; }
  std::string html() const { return dir + "/sweep.html"; }
};

// Reads and checks a sweep file: every error names the file and key (ConfigError). `app_dir` is
// where the build's apps are ("@build/" names resolve next to it). Every point's configuration is
// loaded once, so a bad value is reported before anything runs.
Plan load_plan(const std::string& sweep_file, const std::string& app_dir);

nlohmann::json plan_json(const Plan& plan);
// Throws ConfigError naming `where` when the JSON is not a plan this build wrote.
Plan plan_from_json(const nlohmann::json& j, const std::string& where);

// DIR/plan.json; throws ConfigError when it is missing or not a plan.
Plan read_plan(const SweepFolder& folder);

// Parses "column op number"; throws ConfigError naming `where`.
Constraint parse_constraint(const std::string& text, const std::string& where);

// A 64-bit hash of a file's bytes, as 16 hex digits; throws ConfigError naming `key` when the file
// cannot be read.
std::string file_hash(const std::string& path, const std::string& key);

}  // namespace dlvp::sweep
