// `dlvp diff RUN_A RUN_B` (docs/report.md, "Comparing two runs"): two output folders' report.json
// side by side. diff_runs computes a RunDiff (the data); renderers present it: text (the default),
// JSON (--json) and a page (--html: the JSON in the page kind `diff`, tools/report_web/diff.js).
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

// One figure of both runs; absent in a run that does not report it.
struct DiffFigure {
  std::string name, unit;
  std::optional<double> a, b;

  std::optional<double> delta() const;     // b - a
  std::optional<double> relative() const;  // (b - a) / |a|; absent when a is 0 or either is absent
  bool same() const;                       // both present and equal (to 1e-12, relative)
};

struct RunDiff {
  std::string run_a, run_b;  // the folders
  std::string energy_unit;

  // Parameters (report.json `configuration`, and the files it names) whose values differ.
  struct Parameter {
    std::string name;
    nlohmann::json a, b;  // null: not in that run's report
    std::string unit;
  };
  std::vector<Parameter> configuration;

  // The run's figures: simulated time, per package latency, throughput and energy per image, the
  // app's results (accuracy, ...), energy per inference per level (static, dynamic), average and
  // peak power, the cost model's figures.
  std::vector<DiffFigure> figures;

  // Per layer (per image), matched by package and layer name; largest change first.
  struct Layer {
    std::string package, layer;
    DiffFigure time_ns, energy, dram_bytes;
    double change = 0;  // the largest of |delta| / package total, over the three figures
  };
  std::vector<Layer> layers;
  // "package / layer" (or "package" for a whole package) in one run only.
  std::vector<std::string> only_in_a, only_in_b;
};

// Reads RUN_A/report.json and RUN_B/report.json. Throws ConfigError naming the folder or file when a
// folder or its report is missing, is not a dlvp report, or holds something unexpected.
RunDiff diff_runs(const std::string& run_a, const std::string& run_b);

nlohmann::json diff_json(const RunDiff& diff);
void print_diff(std::ostream& os, const RunDiff& diff);
// diff.html: the page `diff` showing diff_json(diff).
void write_diff_html(std::ostream& os, const RunDiff& diff);

// The `dlvp diff` command: arguments from argv[first] on (RUN_A RUN_B [--json | --html [--out
// FILE]]; the page goes to RUN_B/diff.html by default); returns the exit status: 121 when the page
// cannot be written. Throws ConfigError on bad arguments or input.
int diff_command(int argc, char** argv, int first);

}  // namespace dlvp
