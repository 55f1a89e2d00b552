#include "report.h"

#include "ip/common/log.h"
#include "platform/cost_model.h"
#include "platform/exit_status.h"
#include "platform/layer_report.h"
#include "platform/package_binding.h"
#include "platform/run_trace.h"

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <variant>

namespace dlvp {

std::string format_energy(double value, const std::string& unit) {
  char text[64];
  if (unit != "pJ") {
    std::snprintf(text, sizeof text, "%.4g %s", value, unit.c_str());
    return text;
  }
  static const char* prefixes[] = {"pJ", "nJ", "uJ", "mJ", "J"};
  int i = 0;
  while (std::fabs(value) >= 1000.0 && i < 4) value /= 1000.0, ++i;
  std::snprintf(text, sizeof text, "%.4g %s", value, prefixes[i]);
  return text;
}

std::string format_power(double value, const std::string& unit) {
  char text[64];
  if (unit != "W") {
    std::snprintf(text, sizeof text, "%.4g %s", value, unit.c_str());
    return text;
  }
  static const char* prefixes[] = {"W", "mW", "uW", "nW"};
  int i = 0;
  while (value != 0 && std::fabs(value) < 1.0 && i < 3) value *= 1000.0, ++i;
  std::snprintf(text, sizeof text, "%.4g %s", value, prefixes[i]);
  return text;
}

nlohmann::json app_result_value(const AppResult& result) {
  double scale = 1;  // 10^|exponent|, exact in a double up to 10^22
  for (int32_t i = 0; i < std::abs(result.exponent); ++i) scale *= 10;
  if (result.exponent < 0) return static_cast<double>(result.mantissa) / scale;
  int64_t value = 0;
  if (!__builtin_mul_overflow(result.mantissa, static_cast<int64_t>(scale), &value)) return value;
  return static_cast<double>(result.mantissa) * scale;
}

nlohmann::json app_json(const RunOutcome& outcome) {
  nlohmann::json results = nlohmann::json::object();
  for (const AppResult& r : outcome.app_results) results[r.name] = {{"value", app_result_value(r)}, {"unit", r.unit}};
  return {{"results", std::move(results)},
          {"results_dropped", outcome.app_results_dropped},
          {"results_refused", outcome.app_results_refused}};
}

nlohmann::json configuration_json(const PlatformConfig& config) {
  nlohmann::json cfg = nlohmann::json::object();
  for (const auto& e : config.effective) {
    nlohmann::json value;
    std::visit([&](const auto& v) { value = v; }, e.typed);
    cfg[e.key] = {{"value", std::move(value)}, {"unit", e.unit}};
  }
  cfg["files"] = {{"technology_table", config.tech_path}, {"ddr_preset", config.ddr_preset_path}, {"app", config.app_path}};
  return cfg;
}

nlohmann::json cost_json(const PlatformConfig& config) {
  const CostEstimate e = estimate_structure(config);
  const FpgaDevice& d = e.device;
  nlohmann::json j;
  j["device"] = {{"name", d.name},       {"family", d.family},         {"luts", d.luts},
                 {"flip_flops", d.flip_flops}, {"bram36", d.bram36}, {"dsp_slices", d.dsp_slices},
                 {"file", d.path},       {"source", d.source}};
  j["technology_table"] = e.technology;
  j["figures"] = nlohmann::json::object();
  for (const CostFigure& f : cost_figures(e))
    j["figures"][f.name] = {{"value", f.value}, {"unit", f.unit}, {"description", f.description}};
  j["components"] = nlohmann::json::array();
  for (const CostComponent& c : e.components)
    j["components"].push_back({{"name", c.name},
                               {"dsp", c.dsp},
                               {"bram36", c.bram36},
                               {"lut", c.lut},
                               {"ff", c.ff},
                               {"gates", c.gates},
                               {"sram_bytes", c.sram_bytes}});
  return j;
}

nlohmann::json build_report(const PlatformConfig& config, const RunOutcome& outcome, const EnergyLedger& ledger,
                            const std::vector<const Reportable*>& modules) {
  nlohmann::json r;
  r["schema"] = "dlvp-report";
  r["schema_version"] = kReportSchemaVersion;
  r["scenario"] = config.scenario_path;

  r["configuration"] = configuration_json(config);

  r["run"] = {{"simulated_time_ns", outcome.simulated_ns},
              {"wall_time_s", outcome.wall_seconds},
              {"end_reason", outcome.end_reason},
              {"software_exited", outcome.software_exited},
              {"exit_code", outcome.software_exited ? nlohmann::json(outcome.exit_code) : nlohmann::json()},
              {"exit_status", outcome.exit_status}};
  r["software"] = {{"console", outcome.console}, {"console_dropped_bytes", outcome.console_dropped_bytes}};
  r["app"] = app_json(outcome);
  if (!config.fpga_device_path.empty()) r["cost"] = cost_json(config);
  // Lines guest-triggerable log sites left out (ip/common/log.h, DLVP_LOG_*_LIMITED), by site.
  nlohmann::json suppressed_sites = nlohmann::json::object();
  for (const auto& [site, count] : log::suppressed_by_site()) suppressed_sites[site] = count;
  r["log"] = {{"warnings", log::warning_count()}, {"errors", log::error_count()},
              {"suppressed", log::suppressed_count()}, {"suppressed_by_site", std::move(suppressed_sites)}};

  auto& mods = r["modules"];
  for (const Reportable* m : modules) {
    nlohmann::json stats = nlohmann::json::object();
    m->report(stats, outcome.simulated_ns);
    mods[m->report_name()] = stats;
  }

  auto& energy = r["energy"];
  energy["unit"] = ledger.unit();
  energy["technology_table"] = ledger.tech().name();
  // Static energy (standby, power-down, self-refresh, refresh, leakage) apart from dynamic.
  const auto levels = ledger.energy_split_by_level(outcome.simulated_ns);
  EnergySplit total;
  for (int l = 0; l < kLevelCount; ++l) {
    const char* level = to_string(static_cast<Level>(l));
    energy["by_level"][level] = levels[l].total();
    energy["by_level_static"][level] = levels[l].static_energy;
    energy["by_level_dynamic"][level] = levels[l].dynamic_energy;
    total.static_energy += levels[l].static_energy;
    total.dynamic_energy += levels[l].dynamic_energy;
  }
  energy["total"] = total.total();
  energy["static"] = total.static_energy;
  energy["dynamic"] = total.dynamic_energy;
  energy["counters"] = nlohmann::json::array();
  for (CounterId id = 0; id < ledger.counter_count(); ++id) {
    const CounterSpec& s = ledger.spec(id);
    energy["counters"].push_back({{"module", s.module},
                                  {"name", s.name},
                                  {"level", to_string(s.level)},
                                  {"action", to_string(s.action)},
                                  {"count", s.action == Action::static_power ? outcome.simulated_ns : double(ledger.count_of(id))},
                                  {"count_unit", s.count_unit},
                                  {"unit_energy", s.unit_energy},
                                  {"energy", ledger.energy_of(id, outcome.simulated_ns)},
                                  {"static", s.static_energy},
                                  {"source", s.source}});
  }
  return r;
}

void write_report_json(std::ostream& os, const nlohmann::json& report) {
  os << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

double number_or(const nlohmann::json& j, const std::string& key, double fallback) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : fallback;
}

namespace {

// The CNN engine's configuration and peak (its throughput while busy: the end-to-end figure is in
// each package's table), then the per-package layer tables (LSTM-only runs included).
void print_engine_layers(std::ostream& os, const nlohmann::json& r) {
  char line[256];
  for (const auto& [name, stats] : r["modules"].items()) {
    if (!stats.contains("peak_GOPS") || number_or(stats, "instructions") == 0) continue;
    std::snprintf(line, sizeof line, "%-16s %d PEs x %d convolvers of %dx%d at %.0f MHz: peak %.1f GOPS; %.1f GOPS while busy\n",
                  name.c_str(), int(number_or(stats, "pes")), int(number_or(stats, "convolvers")), int(number_or(stats, "kernel")),
                  int(number_or(stats, "kernel")), number_or(stats, "clock_MHz"), number_or(stats, "peak_GOPS"),
                  number_or(stats, "achieved_GOPS"));
    os << line;
  }
  if (r.contains("accelerator")) print_layer_report(os, r["accelerator"]);
}

// "exit code 3", or "exit code 256 (0x100): exit status 120" for a code that does not pass through.
std::string describe_exit(const nlohmann::json& run) {
  const int status = run["exit_status"].get<int>();
  if (!run["exit_code"].is_number()) return "exit status " + std::to_string(status);
  const uint32_t code = run["exit_code"].get<uint32_t>();
  char text[96];
  if (code <= exit_status::kSoftwareMax && static_cast<int>(code) == status) std::snprintf(text, sizeof text, "exit code %u", code);
  else std::snprintf(text, sizeof text, "exit code %u (0x%x): exit status %d", code, code, status);
  return text;
}

// The cost block: each FPGA resource used / available, the fit, the ASIC area and leakage.
void print_cost(std::ostream& os, const nlohmann::json& cost) {
  const auto& f = cost["figures"];
  const auto& d = cost["device"];
  auto figure = [&f](const char* name) { return f.contains(name) ? number_or(f[name], "value") : 0.0; };
  char line[256];
  std::snprintf(line, sizeof line, "%-16s", ("cost (" + d["name"].get<std::string>() + ")").c_str());
  os << line;
  const struct {
    const char *label, *used, *capacity, *utilization;
  } resources[] = {{"DSP", "fpga.dsp", "dsp_slices", "fpga.dsp_utilization"},
                   {"BRAM36", "fpga.bram36", "bram36", "fpga.bram36_utilization"},
                   {"LUT", "fpga.lut", "luts", "fpga.lut_utilization"},
                   {"FF", "fpga.ff", "flip_flops", "fpga.ff_utilization"}};
  const char* separator = " ";
  for (const auto& res : resources) {
    const double used = figure(res.used);  // whole, or a half block of RAM
    std::snprintf(line, sizeof line, "%s%s %.*f/%.0f (%.1f %%)", separator, res.label, used == std::floor(used) ? 0 : 1,
                  used, number_or(d, res.capacity), 100.0 * figure(res.utilization));
    os << line;
    separator = ", ";
  }
  os << (figure("fpga.fits") == 1 ? ": fits\n" : ": DOES NOT FIT\n");
  if (!f.contains("asic.area_mm2")) {
    os << "  ASIC: technology table '" << cost["technology_table"].get<std::string>() << "' has no area data\n";
    return;
  }
  std::snprintf(line, sizeof line,
                "  ASIC at %.0f nm: %.3f mm2 (logic %.3f + SRAM %.3f, x overhead), %.0f gates, %.1f KB SRAM, leakage %.2f mW\n",
                figure("asic.node_nm"), figure("asic.area_mm2"), figure("asic.logic_mm2"), figure("asic.sram_mm2"),
                figure("asic.gates"), figure("asic.sram_kb"), figure("asic.leakage_mw"));
  os << line;
}

}  // namespace

void print_power(std::ostream& os, const nlohmann::json& p) {
  char line[256];
  const std::string unit = p.value("unit", std::string("W"));
  const auto& average = p["average"];
  const auto& peak = p["peak"];
  std::snprintf(line, sizeof line, "power            average %s, peak %s (highest %.6g ns average of %.0f samples: a shorter interval shows higher peaks)\n",
                format_power(number_or(average, "total"), unit).c_str(), format_power(number_or(peak, "total"), unit).c_str(),
                number_or(p, "interval_ns"), number_or(p, "samples"));
  os << line;
  os << "  level         average            peak\n";
  for (int l = 0; l < kLevelCount; ++l) {
    const std::string level = to_string(static_cast<Level>(l));
    std::snprintf(line, sizeof line, "  %-8s %12s  %14s\n", level.c_str(), format_power(number_or(average["by_level"], level), unit).c_str(),
                  format_power(number_or(peak["by_level"], level), unit).c_str());
    os << line;
  }
}

void print_summary(std::ostream& os, const nlohmann::json& r) {
  char line[256];
  const auto& run = r["run"];
  os << "\n== dlvp summary: " << r["scenario"].get<std::string>() << " ==\n";
  std::snprintf(line, sizeof line, "simulated time   %.3f us (%s, %s), wall time %.3f s\n",
                run["simulated_time_ns"].get<double>() / 1000.0, run["end_reason"].get<std::string>().c_str(),
                describe_exit(run).c_str(), run["wall_time_s"].get<double>());
  os << line;
  for (const auto& [name, stats] : r["modules"].items()) {
    if (stats.contains("bandwidth_GBps") && number_or(stats, "bytes_read") + number_or(stats, "bytes_written") > 0) {
      std::snprintf(line, sizeof line, "%-16s %.0f B read, %.0f B written, %.3f GB/s average over the run\n",
                    name.c_str(), number_or(stats, "bytes_read"), number_or(stats, "bytes_written"),
                    number_or(stats, "bandwidth_GBps"));
      os << line;
    }
  }
  print_engine_layers(os, r);
  print_package_warnings(os, r);
  if (r.contains("log") && number_or(r["log"], "suppressed") > 0) {
    std::snprintf(line, sizeof line, "log              %.0f repeated lines suppressed (report.json: log.suppressed_by_site)\n",
                  number_or(r["log"], "suppressed"));
    os << line;
  }
  if (r.contains("cost")) print_cost(os, r["cost"]);
  const auto& e = r["energy"];
  const std::string unit = e["unit"];
  const double total = e["total"].get<double>();
  auto share = [total](double value) { return total > 0 ? 100.0 * value / total : 0.0; };
  std::snprintf(line, sizeof line, "energy (%s)  total %s: static %s (%.1f %%), dynamic %s (%.1f %%)\n",
                e["technology_table"].get<std::string>().c_str(), format_energy(total, unit).c_str(),
                format_energy(number_or(e, "static"), unit).c_str(), share(number_or(e, "static")),
                format_energy(number_or(e, "dynamic"), unit).c_str(), share(number_or(e, "dynamic")));
  os << line;
  auto of_level = [&e](const char* split, const std::string& level) {
    return e.contains(split) ? number_or(e[split], level) : 0.0;
  };
  os << "  level           total   share          static         dynamic\n";
  for (int l = 0; l < kLevelCount; ++l) {  // the hierarchy's order, not the JSON object's
    const std::string level = to_string(static_cast<Level>(l));
    const double value = of_level("by_level", level);
    std::snprintf(line, sizeof line, "  %-8s %12s  %5.1f %%  %14s  %14s\n", level.c_str(), format_energy(value, unit).c_str(),
                  share(value), format_energy(of_level("by_level_static", level), unit).c_str(),
                  format_energy(of_level("by_level_dynamic", level), unit).c_str());
    os << line;
  }
  if (r.contains("power")) print_power(os, r["power"]);
  if (const std::string trace = trace_summary_line(r); !trace.empty()) os << trace << "\n";
}

}  // namespace dlvp
