#include "platform/sweep/sweep_plan.h"

#include "ip/common/config_error.h"
#include "ip/common/yaml_file.h"
#include "platform/cost_model.h"
#include "platform/platform_config.h"
#include "platform/scenario.h"
#include "platform/sweep/sweep_row.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

namespace dlvp::sweep {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxAxisValues = 10000;
constexpr size_t kMaxPoints = 100000;

// The sweep file being read: every message starts with "file:line: key".
struct Reader {
  std::string path;
  std::string app_dir;

  [[noreturn]] void fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
    throw ConfigError(yaml_origin(path, at) + ": key '" + key + "' " + what);
  }
  std::string scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "must be a single value");
    return node.Scalar();
  }
  double number(const YAML::Node& node, const std::string& key) const {
    const std::string text = scalar(node, key);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !std::isfinite(value)) fail(node, key, "must be a number, not '" + text + "'");
    return value;
  }
  size_t index(const YAML::Node& node, const std::string& key) const {
    const double value = number(node, key);
    if (value < 0 || value > 255 || value != std::floor(value)) fail(node, key, "must be a list index, 0..255");
    return static_cast<size_t>(value);
  }
  // A file named relative to the sweep file, or "@build/..." (a file the build makes); it must exist.
  std::string file(const YAML::Node& node, const std::string& key) const {
    const std::string name = scalar(node, key);
    fs::path p = name.rfind("@build/", 0) == 0 ? fs::path(build_file_path(app_dir, name)) : fs::path(name);
    if (p.is_relative()) p = fs::path(path).parent_path() / p;
    p = fs::absolute(p).lexically_normal();
    if (const std::string problem = file_problem(p.string()); !problem.empty())
      fail(node, key, "names " + p.string() + ", which " + problem + (problem == "does not exist" ? " (is it built?)" : ""));
    return p.string();
  }
  // Refuses keys of `map` not in `known`.
  void only(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> known) const {
    if (!map.IsMap()) fail(map, where, "must be a map");
    for (const auto& kv : map) {
      const std::string k = kv.first.Scalar();
      if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) {
        std::string names;
        for (const char* n : known) names += std::string(names.empty() ? "" : ", ") + n;
        fail(kv.first, where.empty() ? k : where + "." + k, "is not known here (expected one of: " + names + ")");
      }
    }
  }
};

// A number as a --set value: integers without a decimal point, others with 10 significant digits.
std::string number_text(double value) {
  char text[48];
  if (std::fabs(value) < 9e15 && value == std::floor(value)) std::snprintf(text, sizeof text, "%lld", static_cast<long long>(value));
  else std::snprintf(text, sizeof text, "%.10g", value);
  return text;
}

// `{from, to, count, scale: linear|log}` or `{from, to, step}`.
std::vector<std::string> range_values(const Reader& r, const YAML::Node& range, const std::string& key) {
  r.only(range, key, {"from", "to", "count", "step", "scale"});
  if (!range["from"] || !range["to"]) r.fail(range, key, "a range needs 'from' and 'to'");
  const double from = r.number(range["from"], key + ".from"), to = r.number(range["to"], key + ".to");
  const std::string scale = range["scale"] ? r.scalar(range["scale"], key + ".scale") : "linear";
  if (scale != "linear" && scale != "log") r.fail(range["scale"], key + ".scale", "must be linear or log, not '" + scale + "'");
  if (range["count"].IsDefined() == range["step"].IsDefined()) r.fail(range, key, "a range needs 'count' or 'step' (one of them)");
  std::vector<double> values;
  if (range["step"]) {
    if (scale == "log") r.fail(range["step"], key + ".step", "is for linear ranges (a log range takes 'count')");
    const double step = r.number(range["step"], key + ".step");
    if (!(step > 0)) r.fail(range["step"], key + ".step", "must be above 0");
    if (to < from) r.fail(range, key, "'to' must not be below 'from'");
    if ((to - from) / step >= kMaxAxisValues) r.fail(range, key, "gives more than " + std::to_string(kMaxAxisValues) + " values");
    const size_t n = static_cast<size_t>(std::floor((to - from) / step * (1 + 1e-12))) + 1;
    for (size_t i = 0; i < n; ++i) values.push_back(from + step * static_cast<double>(i));
  } else {
    const double count = r.number(range["count"], key + ".count");
    if (count < 1 || count > kMaxAxisValues || count != std::floor(count))
      r.fail(range["count"], key + ".count", "must be a whole number, 1.." + std::to_string(kMaxAxisValues));
    if (scale == "log" && !(from > 0 && to > 0)) r.fail(range, key, "a log range needs 'from' and 'to' above 0");
    const size_t n = static_cast<size_t>(count);
    for (size_t i = 0; i < n; ++i) {
      const double t = n == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(n - 1);
      const double v = scale == "log" ? from * std::pow(to / from, t) : from + (to - from) * t;
      // Log steps between integers land a hair off them: snap what is within rounding error.
      values.push_back(std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, std::fabs(v)) ? std::round(v) : v);
    }
  }
  std::vector<std::string> texts;
  for (double v : values) texts.push_back(number_text(v));
  return texts;
}

bool is_parameter(const std::string& key) {
  static const std::set<std::string> keys = [] {
    std::set<std::string> k;
    for (const ParamBinder::Entry& e : describe_platform_params()) k.insert(e.key);
    return k;
  }();
  return keys.count(key) > 0;
}

// dlvpc's options a point may vary (`model.density` -> `--density`): they shape the package.
constexpr const char* kModelKeys[] = {"model.density", "model.pruning", "model.sequences"};

bool is_model_key(const std::string& key) { return key.rfind("model.", 0) == 0; }

// A key a --set may name (a parameter, the hardware file, anything under software: lists), or one
// of dlvpc's options.
void check_key(const Reader& r, const YAML::Node& at, const std::string& section, const std::string& key) {
  if (key == "hw" || key.rfind("software.", 0) == 0 || is_parameter(key)) return;
  if (is_model_key(key)) {
    if (std::none_of(std::begin(kModelKeys), std::end(kModelKeys), [&](const char* k) { return key == k; }))
      r.fail(at, section + "." + key, "is not a dlvpc option a point may vary (model.density, model.pruning, model.sequences)");
    return;
  }
  r.fail(at, section + "." + key, "is not a parameter ('dlvp params' lists them)");
}

// A `set` value: a scalar as it is, a list or map as YAML flow text (`--set` parses it as YAML).
std::string set_value(const YAML::Node& value) {
  if (value.IsScalar()) return value.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << value;
  return out.c_str();
}

// One axis: the keys it sets (one, or several for a group) and its choices (a value per key).
struct Axis {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> choices;
};

// A group axis: a label -> a list of maps, each setting the same parameters.
Axis read_group(const Reader& r, const YAML::Node& list, const std::string& where) {
  Axis axis;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string item = where + "[" + std::to_string(i) + "]";
    if (!list[i].IsMap()) r.fail(list[i], item, "must be a map like the other values of the group: parameter -> value");
    std::vector<std::string> keys, values;
    for (const auto& kv : list[i]) {
      const std::string key = kv.first.Scalar();
      check_key(r, kv.first, item, key);
      keys.push_back(key);
      values.push_back(r.scalar(kv.second, item + "." + key));
    }
    if (i == 0) axis.keys = keys;
    else if (keys != axis.keys) r.fail(list[i], item, "must set the same parameters, in the same order, as " + where + "[0]");
    axis.choices.push_back(std::move(values));
  }
  return axis;
}

std::vector<Axis> read_axes(const Reader& r, const YAML::Node& axes) {
  if (!axes.IsMap()) r.fail(axes, "axes", "must be a map: parameter -> list of values or range");
  std::vector<Axis> result;
  for (const auto& kv : axes) {
    const std::string key = kv.first.Scalar(), where = "axes." + key;
    Axis axis;
    if (kv.second.IsSequence() && kv.second.size() > 0 && kv.second[0].IsMap()) {
      axis = read_group(r, kv.second, where);
    } else {
      check_key(r, kv.first, "axes", key);
      axis.keys = {key};
      std::vector<std::string> v;
      if (kv.second.IsSequence()) {
        for (size_t i = 0; i < kv.second.size(); ++i) v.push_back(r.scalar(kv.second[i], where + "[" + std::to_string(i) + "]"));
      } else if (kv.second.IsMap()) {
        v = range_values(r, kv.second, where);
      } else {
        r.fail(kv.second, where, "must be a list of values, a range {from, to, count|step, scale}, or a list of maps (a group)");
      }
      for (std::string& value : v) axis.choices.push_back({std::move(value)});
    }
    if (axis.choices.empty()) r.fail(kv.second, where, "has no values");
    if (axis.choices.size() > kMaxAxisValues) r.fail(kv.second, where, "has more than " + std::to_string(kMaxAxisValues) + " values");
    for (const std::string& k : axis.keys) {
      for (const Axis& other : result)
        if (std::count(other.keys.begin(), other.keys.end(), k)) r.fail(kv.first, where, "sets '" + k + "', which another axis sets");
    }
    result.push_back(std::move(axis));
  }
  return result;
}

// Points in a stable order: product varies the last axis fastest; zip takes the i-th of each.
// A point's values are the axes' keys' values, in the order of plan.axes.
void expand(const Reader& r, const YAML::Node& axes_node, Plan& plan, const std::vector<Axis>& axes) {
  for (const Axis& a : axes) plan.axes.insert(plan.axes.end(), a.keys.begin(), a.keys.end());
  auto point_of = [&](const std::vector<size_t>& at) {
    std::vector<std::string> point;
    for (size_t a = 0; a < axes.size(); ++a) point.insert(point.end(), axes[a].choices[at[a]].begin(), axes[a].choices[at[a]].end());
    return point;
  };
  if (axes.empty()) {
    plan.points.push_back({});
    return;
  }
  if (plan.combine == "zip") {
    const size_t n = axes[0].choices.size();
    size_t a = 0;
    for (const auto& kv : axes_node) {
      if (axes[a].choices.size() != n)
        r.fail(kv.second, "axes." + kv.first.Scalar(),
               "has " + std::to_string(axes[a].choices.size()) + " values, the first axis " + std::to_string(n) +
                   " (combine: zip takes axes of equal length)");
      ++a;
    }
    for (size_t i = 0; i < n; ++i) plan.points.push_back(point_of(std::vector<size_t>(axes.size(), i)));
    return;
  }
  double total = 1;
  for (const Axis& a : axes) total *= static_cast<double>(a.choices.size());
  if (total > kMaxPoints) r.fail(axes_node, "axes", "give " + number_text(total) + " points, more than " + std::to_string(kMaxPoints));
  std::vector<size_t> at(axes.size(), 0);
  for (size_t n = 0; n < static_cast<size_t>(total); ++n) {
    plan.points.push_back(point_of(at));
    for (size_t a = axes.size(); a-- > 0;) {
      if (++at[a] < axes[a].choices.size()) break;
      at[a] = 0;
    }
  }
}

// Options the sweep sets itself (per point) and dlvpc must not get twice.
bool sweep_sets(const std::string& option) {
  for (const char* o : {"--hw", "--set", "-o", "--out", "--calib", "--calib-count", "--float-predictions", "--quiet"})
    if (option == o) return true;
  return false;
}

void read_model(const Reader& r, const YAML::Node& m, Plan& plan) {
  r.only(m, "model", {"onnx", "load", "calib", "calib_count", "options", "float_predictions"});
  if (!m["onnx"]) r.fail(m, "model", "needs 'onnx' (the model file)");
  ModelSpec& spec = plan.model;
  spec.onnx = r.file(m["onnx"], "model.onnx");
  spec.input_hashes.emplace_back(spec.onnx, file_hash(spec.onnx, "model.onnx"));
  if (m["load"]) spec.load = r.index(m["load"], "model.load");
  if (m["calib"]) {
    const std::string calib = r.scalar(m["calib"], "model.calib");
    std::string source = calib;
    if (calib.rfind("random:", 0) != 0) {
      source = r.file(m["calib"], "model.calib");
      spec.input_hashes.emplace_back(source, file_hash(source, "model.calib"));
    }
    spec.options.insert(spec.options.end(), {"--calib", source});
  }
  if (m["calib_count"]) spec.options.insert(spec.options.end(), {"--calib-count", r.scalar(m["calib_count"], "model.calib_count")});
  if (const YAML::Node options = m["options"]) {
    if (!options.IsSequence()) r.fail(options, "model.options", "must be a list of dlvpc options");
    for (size_t i = 0; i < options.size(); ++i) {
      const std::string key = "model.options[" + std::to_string(i) + "]", option = r.scalar(options[i], key);
      if (sweep_sets(option)) r.fail(options[i], key, "'" + option + "' is set by the sweep (see docs/explore.md)");
      spec.options.push_back(option);
    }
  }
  if (const YAML::Node f = m["float_predictions"]) {
    r.only(f, "model.float_predictions", {"load", "images"});
    if (!f["load"] || !f["images"]) r.fail(f, "model.float_predictions", "needs 'load' and 'images'");
    spec.predictions_load = r.index(f["load"], "model.float_predictions.load");
    spec.predictions_images = r.file(f["images"], "model.float_predictions.images");
    if (spec.predictions_load == spec.load)
      r.fail(f["load"], "model.float_predictions.load", "is the package's load entry (model.load)");
    spec.input_hashes.emplace_back(spec.predictions_images, file_hash(spec.predictions_images, "model.float_predictions.images"));
  }
  plan.has_model = true;
}

// A column a constraint or objective may name, and whether it is known before the run.
enum class ColumnKind { unknown, before_run, result };

ColumnKind column_kind(const Plan& plan, const std::string& column) {
  if (is_parameter(column) || std::count(plan.cost_columns.begin(), plan.cost_columns.end(), column))
    return ColumnKind::before_run;
  for (const ColumnSpec& c : result_columns())
    if (c.name == column && c.type != "TEXT") return ColumnKind::result;
  return ColumnKind::unknown;
}

std::string known_columns_hint() {
  std::string names;
  for (const ColumnSpec& c : result_columns())
    if (c.type != "TEXT") names += (names.empty() ? "" : ", ") + c.name;
  return "a parameter ('dlvp params'), a cost figure of estimate_cost, or a result column (" + names + ")";
}

void read_constraints(const Reader& r, const YAML::Node& list, Plan& plan) {
  if (!list.IsSequence()) r.fail(list, "constraints", "must be a list of \"column op number\"");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "constraints[" + std::to_string(i) + "]";
    Constraint c = parse_constraint(r.scalar(list[i], key), yaml_origin(r.path, list[i]) + ": key '" + key + "'");
    if (column_kind(plan, c.column) == ColumnKind::unknown)
      r.fail(list[i], key, "names '" + c.column + "', which is not " + known_columns_hint());
    plan.constraints.push_back(std::move(c));
  }
}

void read_objectives(const Reader& r, const YAML::Node& map, Plan& plan) {
  if (!map.IsMap()) r.fail(map, "objectives", "must be a map: column -> min or max");
  for (const auto& kv : map) {
    const std::string column = kv.first.Scalar(), key = "objectives." + column, goal = r.scalar(kv.second, key);
    if (goal != "min" && goal != "max") r.fail(kv.second, key, "must be min or max, not '" + goal + "'");
    const bool axis = std::count(plan.axes.begin(), plan.axes.end(), column) > 0;
    if (!axis && column_kind(plan, column) == ColumnKind::unknown)
      r.fail(kv.first, key, "is not an axis, " + known_columns_hint());
    plan.objectives.push_back({column, goal == "max"});
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Loads every point's configuration: a bad value fails the plan, naming the point and the --set.
void check_points(const Plan& plan, const std::string& app_dir) {
  for (size_t i = 0; i < plan.points.size(); ++i) {
    try {
      const PlatformConfig c = load_platform_config(Scenario::load(plan.scenario, plan.overrides(i)), app_dir);
      const size_t loads = c.software.load.size();
      if (plan.has_model && (plan.model.load >= loads || (!plan.model.predictions_images.empty() && plan.model.predictions_load >= loads)))
        throw ConfigError("model.load / model.float_predictions.load: the scenario has " + std::to_string(loads) +
                          " software.load entries");
    } catch (const ConfigError& e) {
      throw ConfigError(plan.sweep_file + ": point " + std::to_string(i) + ": " + e.what());
    }
  }
}

}  // namespace

bool Constraint::holds(double x) const {
  if (op == "<") return x < value;
  if (op == "<=") return x <= value;
  if (op == ">") return x > value;
  if (op == ">=") return x >= value;
  if (op == "==") return x == value;
  return x != value;
}

Plan read_plan(const SweepFolder& folder) {
  if (const std::string problem = file_problem(folder.plan()); !problem.empty())
    throw ConfigError(folder.plan() + " " + problem + " (is " + folder.dir + " a sweep's output folder?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_text(folder.plan()));
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(folder.plan() + ": not JSON (" + e.what() + ")");
  }
  return plan_from_json(j, folder.plan());
}

Constraint parse_constraint(const std::string& text, const std::string& where) {
  static const std::regex form(R"(^\s*([A-Za-z_][A-Za-z0-9_.\[\]]*)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$)");
  std::smatch m;
  if (!std::regex_match(text, m, form))
    throw ConfigError(where + ": '" + text + "' is not \"column op number\" (op: < <= > >= == !=)");
  Constraint c{text, m[1], m[2], 0};
  const std::string number = m[3];
  char* end = nullptr;
  c.value = std::strtod(number.c_str(), &end);
  if (*end != '\0' || !std::isfinite(c.value)) throw ConfigError(where + ": '" + number + "' in '" + text + "' is not a number");
  return c;
}

std::string file_hash(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(key + ": cannot read " + path);
  std::vector<char> chunk(1 << 20);
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the chunks' hashes
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    const uint64_t c = std::hash<std::string_view>{}(std::string_view(chunk.data(), n)) ^ n;
    for (int b = 0; b < 8; ++b) h = (h ^ ((c >> (8 * b)) & 0xff)) * 1099511628211ull;
  }
  if (in.bad()) throw ConfigError(key + ": cannot read " + path);
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

std::vector<std::string> Plan::overrides(size_t index) const {
  std::vector<std::string> sets;
  if (!hardware.empty()) sets.push_back("hw=" + hardware);
  for (const std::string& f : fixed)
    if (!is_model_key(f)) sets.push_back(f);
  for (size_t a = 0; a < axes.size(); ++a)
    if (!is_model_key(axes[a])) sets.push_back(axes[a] + "=" + points.at(index)[a]);
  // The entries the point's package and predictions replace: the scenario's files need not exist.
  if (has_model) {
    sets.push_back("software.load[" + std::to_string(model.load) + "].file=" + yaml_single_quoted(model.onnx));
    if (!model.predictions_images.empty())
      sets.push_back("software.load[" + std::to_string(model.predictions_load) + "].file=" + yaml_single_quoted(model.predictions_images));
  }
  return sets;
}

std::vector<std::string> Plan::model_options(size_t index) const {
  std::vector<std::string> options;
  for (const std::string& f : fixed)
    if (is_model_key(f)) options.insert(options.end(), {"--" + f.substr(6, f.find('=') - 6), f.substr(f.find('=') + 1)});
  for (size_t a = 0; a < axes.size(); ++a)
    if (is_model_key(axes[a])) options.insert(options.end(), {"--" + axes[a].substr(6), points.at(index)[a]});
  return options;
}

Plan load_plan(const std::string& sweep_file, const std::string& app_dir) {
  const Reader r{fs::absolute(sweep_file).lexically_normal().string(), app_dir};
  const YAML::Node root = load_yaml_map(r.path, "sweep file");
  r.only(root, "", {"scenario", "hardware", "model", "set", "combine", "axes", "constraints", "objectives"});
  Plan plan;
  plan.sweep_file = r.path;
  plan.sweep_text = read_text(r.path);
  if (!root["scenario"]) throw ConfigError(r.path + ": key 'scenario' is missing (the app scenario each point runs)");
  plan.scenario = r.file(root["scenario"], "scenario");
  if (const YAML::Node hw = root["hardware"]) {
    const std::string name = r.scalar(hw, "hardware");
    const bool bare = name.find('/') == std::string::npos && name.find('.') == std::string::npos;
    plan.hardware = bare ? Scenario::data_dir() + "/hw/" + name + ".yaml" : name;
    if (bare && !file_problem(plan.hardware).empty()) r.fail(hw, "hardware", "names '" + name + "', which is not in " + Scenario::data_dir() + "/hw");
    if (!bare) plan.hardware = r.file(hw, "hardware");
  }
  if (const YAML::Node set = root["set"]) {
    if (!set.IsMap()) r.fail(set, "set", "must be a map: parameter -> value");
    for (const auto& kv : set) {
      const std::string key = kv.first.Scalar();
      check_key(r, kv.first, "set", key);
      if (!kv.second.IsScalar() && !kv.second.IsSequence() && !kv.second.IsMap()) r.fail(kv.second, "set." + key, "has no value");
      plan.fixed.push_back(key + "=" + set_value(kv.second));
    }
  }
  if (root["combine"]) {
    plan.combine = r.scalar(root["combine"], "combine");
    if (plan.combine != "product" && plan.combine != "zip") r.fail(root["combine"], "combine", "must be product or zip, not '" + plan.combine + "'");
  }
  expand(r, root["axes"], plan, root["axes"] ? read_axes(r, root["axes"]) : std::vector<Axis>{});
  if (root["model"]) read_model(r, root["model"], plan);
  for (const std::string& key : plan.axes)
    if (is_model_key(key) && !plan.has_model) r.fail(root["axes"], "axes." + key, "varies a dlvpc option, but the sweep has no 'model'");
  for (const CostFigure& f : estimate_cost(load_platform_config(Scenario::load(plan.scenario, plan.overrides(0)), app_dir)))
    plan.cost_columns.push_back(f.name);
  if (root["constraints"]) read_constraints(r, root["constraints"], plan);
  if (root["objectives"]) read_objectives(r, root["objectives"], plan);
  check_points(plan, app_dir);
  return plan;
}

nlohmann::json plan_json(const Plan& plan) {
  nlohmann::json j;
  j["schema"] = "dlvp-sweep-plan";
  j["schema_version"] = 1;
  j["sweep_file"] = plan.sweep_file;
  j["sweep_text"] = plan.sweep_text;
  j["scenario"] = plan.scenario;
  j["hardware"] = plan.hardware;
  j["fixed"] = plan.fixed;
  j["axes"] = plan.axes;
  j["combine"] = plan.combine;
  j["points"] = nlohmann::json::array();
  for (size_t i = 0; i < plan.points.size(); ++i) j["points"].push_back({{"point", i}, {"values", plan.points[i]}});
  j["constraints"] = nlohmann::json::array();
  for (const Constraint& c : plan.constraints) j["constraints"].push_back(c.text);
  j["objectives"] = nlohmann::json::array();
  for (const Objective& o : plan.objectives) j["objectives"].push_back({{"column", o.column}, {"goal", o.maximize ? "max" : "min"}});
  j["cost_columns"] = plan.cost_columns;
  if (plan.has_model) {
    const ModelSpec& m = plan.model;
    nlohmann::json hashes = nlohmann::json::array();
    for (const auto& [path, hash] : m.input_hashes) hashes.push_back({{"file", path}, {"hash", hash}});
    j["model"] = {{"onnx", m.onnx}, {"load", m.load}, {"options", m.options}, {"predictions_load", m.predictions_load},
                  {"predictions_images", m.predictions_images}, {"input_hashes", hashes}};
  }
  return j;
}

Plan plan_from_json(const nlohmann::json& j, const std::string& where) {
  try {
    if (j.at("schema") != "dlvp-sweep-plan" || j.at("schema_version") != 1)
      throw ConfigError(where + ": not a sweep plan of this dlvp (schema dlvp-sweep-plan, version 1)");
    Plan plan;
    plan.sweep_file = j.at("sweep_file");
    plan.sweep_text = j.at("sweep_text");
    plan.scenario = j.at("scenario");
    plan.hardware = j.at("hardware");
    plan.fixed = j.at("fixed").get<std::vector<std::string>>();
    plan.axes = j.at("axes").get<std::vector<std::string>>();
    plan.combine = j.at("combine");
    for (const auto& p : j.at("points")) {
      plan.points.push_back(p.at("values").get<std::vector<std::string>>());
      if (plan.points.back().size() != plan.axes.size()) throw ConfigError(where + ": a point without a value per axis");
    }
    for (const auto& c : j.at("constraints")) plan.constraints.push_back(parse_constraint(c.get<std::string>(), where));
    for (const auto& o : j.at("objectives")) plan.objectives.push_back({o.at("column"), o.at("goal") == "max"});
    plan.cost_columns = j.at("cost_columns").get<std::vector<std::string>>();
    if (j.contains("model")) {
      const auto& m = j["model"];
      plan.has_model = true;
      plan.model.onnx = m.at("onnx");
      plan.model.load = m.at("load");
      plan.model.options = m.at("options").get<std::vector<std::string>>();
      plan.model.predictions_load = m.at("predictions_load");
      plan.model.predictions_images = m.at("predictions_images");
      for (const auto& h : m.at("input_hashes")) plan.model.input_hashes.emplace_back(h.at("file"), h.at("hash"));
    }
    return plan;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(where + ": not a sweep plan of this dlvp (" + e.what() + ")");
  }
}

}  // namespace dlvp::sweep
