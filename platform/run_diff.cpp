#include "platform/run_diff.h"

#include "ip/common/config_error.h"
#include "ip/common/energy_ledger.h"
#include "ip/common/output_file.h"
#include "ip/common/utf8.h"
#include "platform/exit_status.h"
#include "platform/html_page.h"
#include "platform/output_folder.h"
#include "platform/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

namespace dlvp {

namespace {

namespace fs = std::filesystem;

// The value at `path` (object keys), or null when there is none (never throws, never inserts).
const nlohmann::json& at(const nlohmann::json& j, std::initializer_list<std::string> path) {
  static const nlohmann::json none;
  const nlohmann::json* here = &j;
  for (const std::string& key : path) {
    if (!here->is_object()) return none;
    const auto it = here->find(key);
    if (it == here->end()) return none;
    here = &*it;
  }
  return *here;
}

std::optional<double> number_at(const nlohmann::json& j, std::initializer_list<std::string> path) {
  const nlohmann::json& value = at(j, path);
  if (!value.is_number()) return std::nullopt;
  return value.get<double>();
}

// The names of an object's keys at `path` in either report.
std::set<std::string> keys_at(const nlohmann::json& a, const nlohmann::json& b, std::initializer_list<std::string> path) {
  std::set<std::string> keys;
  for (const nlohmann::json* r : {&a, &b})
    if (const nlohmann::json& object = at(*r, path); object.is_object())
      for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

std::string text_of(const nlohmann::json& j, std::initializer_list<std::string> path) {
  const nlohmann::json& value = at(j, path);
  return value.is_string() ? value.get<std::string>() : "";
}

// report.json of a run folder; a missing folder or file, or one that is not a dlvp report, is bad input.
nlohmann::json read_run(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) throw ConfigError("dlvp diff: " + dir + ": no such run folder");
  const std::string path = (fs::path(dir) / "report.json").string();
  std::ifstream in(path);
  if (!in) throw ConfigError("dlvp diff: " + path + ": cannot be read (not the output folder of a dlvp run?)");
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  if (report.is_discarded()) throw ConfigError("dlvp diff: " + path + ": not valid JSON");
  if (text_of(report, {"schema"}) != "dlvp-report")
    throw ConfigError("dlvp diff: " + path + ": not a dlvp report (schema is not \"dlvp-report\")");
  return report;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  return v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Every parameter and file whose value differs (or that one run lacks), in name order.
std::vector<RunDiff::Parameter> configuration_differences(const nlohmann::json& a, const nlohmann::json& b) {
  std::map<std::string, std::pair<nlohmann::json, nlohmann::json>> values;
  std::map<std::string, std::string> units;
  const auto collect = [&](const nlohmann::json& report, bool first) {
    const nlohmann::json& configuration = at(report, {"configuration"});
    if (!configuration.is_object()) return;
    for (const auto& [key, entry] : configuration.items()) {
      if (key == "files" && entry.is_object()) {
        for (const auto& [file, path] : entry.items()) (first ? values["files." + file].first : values["files." + file].second) = path;
        continue;
      }
      const bool typed = entry.is_object() && entry.contains("value");
      (first ? values[key].first : values[key].second) = typed ? entry["value"] : entry;
      if (typed) units[key] = text_of(entry, {"unit"});
    }
  };
  collect(a, true);
  collect(b, false);
  std::vector<RunDiff::Parameter> differences;
  for (const auto& [name, pair] : values)
    if (pair.first != pair.second) differences.push_back({name, pair.first, pair.second, units[name]});
  return differences;
}

// The packages of a report's per-layer tables, by name.
std::map<std::string, const nlohmann::json*> packages_of(const nlohmann::json& report) {
  std::map<std::string, const nlohmann::json*> packages;
  const nlohmann::json& list = at(report, {"accelerator", "packages"});
  if (!list.is_array()) return packages;
  for (const auto& p : list)
    if (p.is_object()) packages.emplace(text_of(p, {"name"}), &p);
  return packages;
}

// Images the accelerator ran (over every package): energy per inference is the run's energy over them.
double images_of(const nlohmann::json& report) {
  double images = 0;
  for (const auto& [name, p] : packages_of(report)) images += number_at(*p, {"images"}).value_or(0);
  return images;
}

class FigureList {
 public:
  FigureList(const nlohmann::json& a, const nlohmann::json& b, std::vector<DiffFigure>& out) : a_(a), b_(b), out_(out) {}
  // A figure at the same path in both reports (listed when either has it), scaled.
  void add(const std::string& name, const std::string& unit, std::initializer_list<std::string> path, double scale = 1) {
    add(name, unit, scaled(number_at(a_, path), scale), scaled(number_at(b_, path), scale));
  }
  void add(const std::string& name, const std::string& unit, std::optional<double> a, std::optional<double> b) {
    if (a || b) out_.push_back({name, unit, a, b});
  }

 private:
  static std::optional<double> scaled(std::optional<double> v, double scale) {
    return v ? std::optional<double>(*v * scale) : std::nullopt;
  }
  const nlohmann::json& a_;
  const nlohmann::json& b_;
  std::vector<DiffFigure>& out_;
};

std::optional<double> per_image(std::optional<double> value, double images) {
  return value && images > 0 ? std::optional<double>(*value / images) : std::nullopt;
}

std::vector<DiffFigure> run_figures(const nlohmann::json& a, const nlohmann::json& b, const std::string& unit) {
  std::vector<DiffFigure> figures;
  FigureList list(a, b, figures);
  list.add("simulated time", "ns", {"run", "simulated_time_ns"});
  // Per package (in both runs): latency, throughput, the layers' energy per image.
  const auto packages_a = packages_of(a), packages_b = packages_of(b);
  for (const auto& [name, pa] : packages_a) {
    const auto it = packages_b.find(name);
    if (it == packages_b.end()) continue;
    FigureList package(*pa, *it->second, figures);
    const std::string prefix = name + ": ";
    package.add(prefix + "latency per image", "ns", {"per_inference", "time_ns"});
    const auto throughput = [](const nlohmann::json& p) -> std::optional<double> {
      const auto ns = number_at(p, {"per_inference", "time_ns"});
      return ns && *ns > 0 ? std::optional<double>(1e9 / *ns) : std::nullopt;
    };
    package.add(prefix + "throughput", "images/s", throughput(*pa), throughput(*it->second));
    package.add(prefix + "GOPS (end to end)", "GOPS", {"per_inference", "GOPS"});
    package.add(prefix + "DRAM bytes per image", "B", {"per_inference", "off_chip_bytes"});
    package.add(prefix + "layer energy per image", unit, {"per_inference", "layer_energy"});
    package.add(prefix + "layer static energy per image", unit, {"per_inference", "layer_static_energy"});
    package.add(prefix + "layer dynamic energy per image", unit, {"per_inference", "layer_dynamic_energy"});
  }
  // The app's results (classify: accuracy, latency, throughput, ...).
  for (const std::string& name : keys_at(a, b, {"app", "results"})) {
    std::string result_unit = text_of(a, {"app", "results", name, "unit"});
    if (result_unit.empty()) result_unit = text_of(b, {"app", "results", name, "unit"});
    list.add("app: " + name, result_unit, {"app", "results", name, "value"});
  }
  // The run's energy, per inference (over the accelerator's images) per level, static and dynamic.
  list.add("energy (run)", unit, {"energy", "total"});
  list.add("static energy (run)", unit, {"energy", "static"});
  list.add("dynamic energy (run)", unit, {"energy", "dynamic"});
  const double images_a = images_of(a), images_b = images_of(b);
  for (int l = 0; l < kLevelCount; ++l) {
    const std::string level = to_string(static_cast<Level>(l));
    for (const char* part : {"static", "dynamic"}) {
      const std::string key = std::string("by_level_") + part;
      list.add("energy per inference: " + level + " " + part, unit, per_image(number_at(a, {"energy", key, level}), images_a),
               per_image(number_at(b, {"energy", key, level}), images_b));
    }
  }
  // Power: average and peak, in total and per level.
  const std::string power_unit = text_of(a, {"power", "unit"});
  for (const char* kind : {"average", "peak"}) {
    list.add(std::string(kind) + " power", power_unit, {"power", kind, "total"});
    for (int l = 0; l < kLevelCount; ++l) {
      const std::string level = to_string(static_cast<Level>(l));
      list.add(std::string(kind) + " power: " + level, power_unit, {"power", kind, "by_level", level});
    }
  }
  // The cost model's figures.
  for (const std::string& name : keys_at(a, b, {"cost", "figures"})) {
    std::string cost_unit = text_of(a, {"cost", "figures", name, "unit"});
    if (cost_unit.empty()) cost_unit = text_of(b, {"cost", "figures", name, "unit"});
    list.add("cost: " + name, cost_unit, {"cost", "figures", name, "value"});
  }
  return figures;
}

// The layers of a package by name (a name met again gets "#2", ...), in table order.
std::vector<std::pair<std::string, const nlohmann::json*>> layers_of(const nlohmann::json& package) {
  std::vector<std::pair<std::string, const nlohmann::json*>> layers;
  std::map<std::string, int> seen;
  const nlohmann::json& list = at(package, {"layers"});
  if (!list.is_array()) return layers;
  for (const auto& layer : list) {
    if (!layer.is_object()) continue;
    std::string name = text_of(layer, {"name"});
    if (name.empty()) name = "tag " + value_text(at(layer, {"tag"}));
    if (const int n = ++seen[name]; n > 1) name += " #" + std::to_string(n);
    layers.emplace_back(name, &layer);
  }
  return layers;
}

double dram_bytes(const nlohmann::json& layer) {
  return number_at(layer, {"dram_read_bytes"}).value_or(0) + number_at(layer, {"dram_write_bytes"}).value_or(0);
}

void diff_layers(const nlohmann::json& a, const nlohmann::json& b, RunDiff& diff) {
  const auto packages_a = packages_of(a), packages_b = packages_of(b);
  for (const auto& [name, p] : packages_a)
    if (!packages_b.count(name)) diff.only_in_a.push_back(name);
  for (const auto& [name, p] : packages_b)
    if (!packages_a.count(name)) diff.only_in_b.push_back(name);
  for (const auto& [package, pa] : packages_a) {
    const auto it = packages_b.find(package);
    if (it == packages_b.end()) continue;
    const nlohmann::json& pb = *it->second;
    const auto layers_b = layers_of(pb);
    std::map<std::string, const nlohmann::json*> by_name_b(layers_b.begin(), layers_b.end());
    std::set<std::string> matched;
    // Changes are weighed against the package's totals, so that a small layer's large ratio does not
    // rank above what moves the whole.
    const auto total = [&](std::initializer_list<std::string> path) {
      return std::max(std::abs(number_at(at(*pa, {"total"}), path).value_or(0)),
                      std::abs(number_at(at(pb, {"total"}), path).value_or(0)));
    };
    const double time_total = total({"time_ns"}), energy_total = total({"energy"});
    const double dram_total = std::max(dram_bytes(at(*pa, {"total"})), dram_bytes(at(pb, {"total"})));
    for (const auto& [layer, la] : layers_of(*pa)) {
      const auto match = by_name_b.find(layer);
      if (match == by_name_b.end()) {
        diff.only_in_a.push_back(package + " / " + layer);
        continue;
      }
      matched.insert(layer);
      const nlohmann::json& lb = *match->second;
      RunDiff::Layer row{package, layer,
                         {"time", "ns", number_at(*la, {"time_ns"}), number_at(lb, {"time_ns"})},
                         {"energy", diff.energy_unit, number_at(*la, {"energy"}), number_at(lb, {"energy"})},
                         {"DRAM bytes", "B", dram_bytes(*la), dram_bytes(lb)},
                         0};
      const auto share = [](const DiffFigure& f, double total) {
        const auto d = f.delta();
        return d && total > 0 ? std::abs(*d) / total : 0.0;
      };
      row.change = std::max({share(row.time_ns, time_total), share(row.energy, energy_total), share(row.dram_bytes, dram_total)});
      diff.layers.push_back(std::move(row));
    }
    for (const auto& [layer, lb] : layers_b)
      if (!matched.count(layer)) diff.only_in_b.push_back(package + " / " + layer);
  }
  std::stable_sort(diff.layers.begin(), diff.layers.end(),
                   [](const RunDiff::Layer& x, const RunDiff::Layer& y) { return x.change > y.change; });
}

nlohmann::json figure_json(const DiffFigure& f) {
  const auto value = [](std::optional<double> v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"name", f.name}, {"unit", f.unit},          {"a", value(f.a)},
          {"b", value(f.b)}, {"delta", value(f.delta())}, {"relative", value(f.relative())},
          {"same", f.same()}};
}

std::string format_value(std::optional<double> v, const std::string& unit) {
  if (!v) return "-";
  if (unit == "pJ") return format_energy(*v, unit);
  if (unit == "W") return format_power(*v, unit);
  char text[64];
  std::snprintf(text, sizeof text, "%.6g%s%s", *v, unit.empty() ? "" : " ", unit.c_str());
  return text;
}

std::string format_relative(std::optional<double> r) {
  if (!r) return "";
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f %%", *r * 100);
  return text;
}

}  // namespace

std::optional<double> DiffFigure::delta() const {
  return a && b ? std::optional<double>(*b - *a) : std::nullopt;
}

bool DiffFigure::same() const {
  // Equal to rounding: sums taken in another order differ in their last bits.
  return a && b && std::abs(*b - *a) <= 1e-12 * std::max(std::abs(*a), std::abs(*b));
}

std::optional<double> DiffFigure::relative() const {
  return a && b && *a != 0 ? std::optional<double>((*b - *a) / std::abs(*a)) : std::nullopt;
}

RunDiff diff_runs(const std::string& run_a, const std::string& run_b) {
  const nlohmann::json a = read_run(run_a), b = read_run(run_b);
  RunDiff diff;
  diff.run_a = run_a;
  diff.run_b = run_b;
  try {
    diff.energy_unit = text_of(a, {"energy", "unit"});
    diff.configuration = configuration_differences(a, b);
    diff.figures = run_figures(a, b, diff.energy_unit);
    diff_layers(a, b, diff);
  } catch (const nlohmann::json::exception& e) {
    // A report edited by hand or from another version: what does not fit is bad input, not a crash.
    throw ConfigError("dlvp diff: " + run_a + ", " + run_b + ": report.json holds something unexpected: " + e.what());
  }
  return diff;
}

nlohmann::json diff_json(const RunDiff& diff) {
  nlohmann::json out = {{"run_a", diff.run_a}, {"run_b", diff.run_b}, {"energy_unit", diff.energy_unit}};
  out["configuration"] = nlohmann::json::array();
  for (const auto& p : diff.configuration)
    out["configuration"].push_back({{"parameter", p.name}, {"a", p.a}, {"b", p.b}, {"unit", p.unit}});
  out["figures"] = nlohmann::json::array();
  for (const DiffFigure& f : diff.figures) out["figures"].push_back(figure_json(f));
  out["layers"] = nlohmann::json::array();
  for (const auto& l : diff.layers)
    out["layers"].push_back({{"package", l.package},
                             {"layer", l.layer},
                             {"time_ns", figure_json(l.time_ns)},
                             {"energy", figure_json(l.energy)},
                             {"dram_bytes", figure_json(l.dram_bytes)},
                             {"change", l.change}});
  out["only_in_a"] = diff.only_in_a;
  out["only_in_b"] = diff.only_in_b;
  return out;
}

void print_diff(std::ostream& os, const RunDiff& diff) {
  char line[512];
  os << "A: " << utf8::printable(diff.run_a) << "\nB: " << utf8::printable(diff.run_b) << "\n";
  os << "configuration: " << diff.configuration.size() << " parameter(s) differ\n";
  for (const auto& p : diff.configuration) {
    std::snprintf(line, sizeof line, "  %-32s %-24s %-24s %s\n", p.name.c_str(), utf8::printable(value_text(p.a)).c_str(),
                  utf8::printable(value_text(p.b)).c_str(), p.unit.c_str());
    os << line;
  }
  std::snprintf(line, sizeof line, "%-44s %16s %16s %16s %9s\n", "figure", "A", "B", "B - A", "");
  os << line;
  std::string equal;  // figures the same in both runs: named, not tabulated
  for (const DiffFigure& f : diff.figures) {
    if (f.same()) {
      equal += (equal.empty() ? "" : ", ") + f.name;
      continue;
    }
    std::snprintf(line, sizeof line, "  %-42s %16s %16s %16s %9s\n", utf8::printable(f.name).c_str(),
                  format_value(f.a, f.unit).c_str(), format_value(f.b, f.unit).c_str(),
                  format_value(f.delta(), f.unit).c_str(), format_relative(f.relative()).c_str());
    os << line;
  }
  if (!equal.empty()) os << "  the same in both runs: " << utf8::printable(equal) << "\n";
  if (!diff.layers.empty()) {
    os << "layers, per image, largest change first (change: the largest |B - A| as a share of the package's total)\n";
    std::snprintf(line, sizeof line, "  %-36s %12s %12s %9s %12s %12s %9s %10s %10s %9s %7s\n", "package / layer", "time A",
                  "time B", "", "energy A", "energy B", "", "DRAM A", "DRAM B", "", "change");
    os << line;
    for (const auto& l : diff.layers) {
      std::string name = utf8::printable(l.package + " / " + l.layer);
      if (name.size() > 36) name = "~" + name.substr(name.size() - 35);
      std::snprintf(line, sizeof line, "  %-36s %12s %12s %9s %12s %12s %9s %10s %10s %9s %6.1f%%\n", name.c_str(),
                    format_value(l.time_ns.a, "ns").c_str(), format_value(l.time_ns.b, "ns").c_str(),
                    format_relative(l.time_ns.relative()).c_str(), format_value(l.energy.a, l.energy.unit).c_str(),
                    format_value(l.energy.b, l.energy.unit).c_str(), format_relative(l.energy.relative()).c_str(),
                    format_value(l.dram_bytes.a, "").c_str(), format_value(l.dram_bytes.b, "").c_str(),
                    format_relative(l.dram_bytes.relative()).c_str(), l.change * 100);
      os << line;
    }
  }
  for (const std::string& x : diff.only_in_a) os << "only in A: " << utf8::printable(x) << "\n";
  for (const std::string& x : diff.only_in_b) os << "only in B: " << utf8::printable(x) << "\n";
}

int diff_command(int argc, char** argv, int first) {
  std::vector<std::string> runs;
  bool json = false, html = false;
  std::string page;  // --out FILE
  for (int i = first; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") json = true;
    else if (a == "--html") html = true;
    else if (a == "--out") {
      if (i + 1 >= argc) throw ConfigError("dlvp diff: --out needs a file");
      page = argv[++i];
    } else if (!a.empty() && a[0] == '-') throw ConfigError("dlvp diff: unknown option " + a);
    else runs.push_back(a);
  }
  if (runs.size() != 2 || (json && html) || (!page.empty() && !html))
    throw ConfigError("usage: dlvp diff RUN_A RUN_B [--json | --html [--out FILE]]");
  const RunDiff diff = diff_runs(runs[0], runs[1]);
  if (html) {
    if (page.empty()) page = (fs::path(runs[1]) / OutputFolder::kDiffHtml).string();
    const std::string error = write_file_atomically(page, [&](std::ostream& os) { write_diff_html(os, diff); });
    if (!error.empty()) {
      std::cerr << "dlvp: error: cannot write " << page << ": " << error << "\n";
      return exit_status::kOutputWriteFailed;
    }
    std::cout << "diff: " << page << "\n";
  } else if (json) {
    std::cout << diff_json(diff).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    print_diff(std::cout, diff);
  }
  std::cout << std::flush;
  return 0;
}

void write_diff_html(std::ostream& os, const RunDiff& diff) {
  write_html_page(os, "dlvp diff: " + diff.run_a + " vs " + diff.run_b, "diff", diff_json(diff));
}

}  // namespace dlvp
