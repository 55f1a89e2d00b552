#include "platform/sweep/sweep_row.h"

namespace dlvp::sweep {
namespace {

const char* const kLevels[] = {"dram", "buffer", "array", "rf", "mac", "other"};

std::vector<ColumnSpec> make_result_columns() {
  std::vector<ColumnSpec> c = {
      {"images", "INTEGER", "images the point classified (the app's `images`, else the accelerator tables' images)"},
      {"latency_ns", "REAL", "accelerator time per image: the packages' completed jobs' time / their images"},
      {"throughput_per_s", "REAL", "the app's throughput (classify: images per simulated second, CPU included), else 1e9 / latency_ns"},
      {"energy_unit", "TEXT", "unit of the energy columns (pJ, or MAC for a normalized table)"},
      {"energy_per_inference", "REAL", "the whole run's energy / images (CPU, loading and idle time included)"},
      {"energy_static_per_inference", "REAL", "its static part (standby, power-down, self-refresh, refresh, leakage)"},
      {"energy_dynamic_per_inference", "REAL", "its dynamic part"},
  };
  for (const char* level : kLevels) {
    c.push_back({std::string("energy_") + level + "_static", "REAL", std::string("static energy per image at level ") + level});
    c.push_back({std::string("energy_") + level + "_dynamic", "REAL", std::string("dynamic energy per image at level ") + level});
  }
  const std::vector<ColumnSpec> rest = {
      {"dram_bytes_per_inference", "REAL", "DRAM bytes the accelerator's layers moved per image (reads + writes)"},
      {"engine_utilization", "REAL", "engine busy time / accelerator time over the packages' layers"},
      {"mac_utilization", "REAL", "CNN layers: MACs / (time x clock x multipliers)"},
      {"accuracy", "REAL", "the app's accuracy (fraction), when it reports one"},
      {"float_accuracy", "REAL", "the float model's accuracy on the same images, when reported"},
      {"agreement", "REAL", "fraction of images where SoC and float model agree, when reported"},
      {"simulated_time_ns", "REAL", "simulated time of the run"},
      {"wall_time_s", "REAL", "wall time of the point: compile (when it compiled) and run"},
  };
  c.insert(c.end(), rest.begin(), rest.end());
  return c;
}

// app.results.<name>.value, or null.
nlohmann::json app_result(const nlohmann::json& report, const char* name) {
  const nlohmann::json* results = report.contains("app") ? &report["app"]["results"] : nullptr;
  if (!results || !results->is_object() || !results->contains(name)) return nullptr;
  return (*results)[name].value("value", nlohmann::json());
}

double number_or(const nlohmann::json& j, const char* key, double fallback) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

}  // namespace

const std::vector<ColumnSpec>& result_columns() {
  static const std::vector<ColumnSpec> columns = make_result_columns();
  return columns;
}

std::vector<ColumnSpec> table_columns(const Plan& plan) {
  std::vector<ColumnSpec> c = {
      {"point", "INTEGER PRIMARY KEY", "the point's index in plan.json"},
      {"status", "TEXT", "ok, failed or refused"},
      {"exit_status", "INTEGER", "the point's status (docs/scenarios.md, \"Exit status\"; dlvpc's when its compile failed)"},
      {"error", "TEXT", "why the point failed or was refused (empty when ok)"},
  };
  for (const std::string& axis : plan.axes) c.push_back({axis, "NUMERIC", "axis value"});
  c.insert(c.end(), result_columns().begin(), result_columns().end());
  for (const std::string& cost : plan.cost_columns) c.push_back({cost, "REAL", "cost model figure (platform/cost_model.h)"});
  c.push_back({"meets_constraints", "INTEGER", "1 when ok and every constraint holds, else 0"});
  c.push_back({"pareto", "INTEGER", "1 on the Pareto front of the objectives (set when the sweep is collected)"});
  return c;
}

nlohmann::json results_of(const nlohmann::json& report) {
  nlohmann::json row = nlohmann::json::object();
  for (const ColumnSpec& c : result_columns()) row[c.name] = nullptr;
  const nlohmann::json& run = report.value("run", nlohmann::json::object());
  row["simulated_time_ns"] = run.value("simulated_time_ns", nlohmann::json());

  // The accelerator's tables are per image; weight each package by its images.
  double images = 0, time = 0, busy = 0, dram = 0, mac_weighted = 0, mac_time = 0;
  if (report.contains("accelerator")) {
    for (const nlohmann::json& p : report["accelerator"].value("packages", nlohmann::json::array())) {
      const double n = number_or(p, "images", 0);
      const nlohmann::json& per = p.value("per_inference", nlohmann::json::object());
      const nlohmann::json& total = p.value("total", nlohmann::json::object());
      images += n;
      time += n * number_or(per, "time_ns", 0);
      busy += n * number_or(total, "engine_busy_ns", 0);
      dram += n * number_or(per, "off_chip_bytes", 0);
      if (total.contains("mac_utilization") && total["mac_utilization"].is_number()) {
        mac_weighted += n * number_or(total, "time_ns", 0) * total["mac_utilization"].get<double>();
        mac_time += n * number_or(total, "time_ns", 0);
      }
    }
  }
  if (images > 0) {
    row["latency_ns"] = time / images;
    row["dram_bytes_per_inference"] = dram / images;
    if (time > 0) row["engine_utilization"] = busy / time;
  }
  if (mac_time > 0) row["mac_utilization"] = mac_weighted / mac_time;

  const nlohmann::json app_images = app_result(report, "images");
  const double per = app_images.is_number() ? app_images.get<double>() : images;
  if (per > 0) row["images"] = static_cast<uint64_t>(per);
  const nlohmann::json throughput = app_result(report, "throughput");
  if (throughput.is_number()) row["throughput_per_s"] = throughput;
  else if (row["latency_ns"].is_number() && row["latency_ns"].get<double>() > 0) row["throughput_per_s"] = 1e9 / row["latency_ns"].get<double>();
  for (const char* name : {"accuracy", "float_accuracy", "agreement"}) row[name] = app_result(report, name);

  if (report.contains("energy") && per > 0) {
    const nlohmann::json& e = report["energy"];
    row["energy_unit"] = e.value("unit", "");
    row["energy_per_inference"] = number_or(e, "total", 0) / per;
    row["energy_static_per_inference"] = number_or(e, "static", 0) / per;
    row["energy_dynamic_per_inference"] = number_or(e, "dynamic", 0) / per;
    for (const char* level : kLevels) {
      row[std::string("energy_") + level + "_static"] = number_or(e.value("by_level_static", nlohmann::json::object()), level, 0) / per;
      row[std::string("energy_") + level + "_dynamic"] = number_or(e.value("by_level_dynamic", nlohmann::json::object()), level, 0) / per;
    }
  }
  return row;
}

bool meets_constraints(const Plan& plan, const nlohmann::json& row) {
  if (row.value("status", "") != "ok") return false;
  for (const Constraint& c : plan.constraints) {
    if (!row.contains(c.column)) continue;  // a parameter that is no axis: checked before the run
    const nlohmann::json& v = row[c.column];
    if (!v.is_number() || !c.holds(v.get<double>())) return false;
  }
  return true;
}

}  // namespace dlvp::sweep
