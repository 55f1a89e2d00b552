#include "report.h"

#include "ip/common/log.h"
#include "platform/exit_status.h"
#include "platform/layer_report.h"

#include <cmath>
#include <cstdio>

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

nlohmann::json build_report(const PlatformConfig& config, const RunOutcome& outcome, const EnergyLedger& ledger,
                            const std::vector<const Reportable*>& modules) {
  nlohmann::json r;
  r["schema"] = "dlvp-report";
  r["schema_version"] = kReportSchemaVersion;
  r["scenario"] = config.scenario_path;

  auto& cfg = r["configuration"];
  for (const auto& e : config.effective) cfg[e.key] = {{"value", e.value}, {"unit", e.unit}};
  cfg["files"] = {{"technology_table", config.tech_path}, {"ddr_preset", config.ddr_preset_path}, {"app", config.app_path}};

  r["run"] = {{"simulated_time_ns", outcome.simulated_ns},
              {"wall_time_s", outcome.wall_seconds},
              {"end_reason", outcome.end_reason},
              {"software_exited", outcome.software_exited},
              {"exit_code", outcome.software_exited ? nlohmann::json(outcome.exit_code) : nlohmann::json()},
              {"exit_status", outcome.exit_status}};
  r["software"] = {{"console", outcome.console}, {"console_dropped_bytes", outcome.console_dropped_bytes}};
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
  const auto levels = ledger.energy_by_level(outcome.simulated_ns);
  double total = 0;
  for (int l = 0; l < kLevelCount; ++l) {
    energy["by_level"][to_string(static_cast<Level>(l))] = levels[l];
    total += levels[l];
  }
  energy["total"] = total;
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

}  // namespace

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
  if (r.contains("log") && number_or(r["log"], "suppressed") > 0) {
    std::snprintf(line, sizeof line, "log              %.0f repeated lines suppressed (report.json: log.suppressed_by_site)\n",
                  number_or(r["log"], "suppressed"));
    os << line;
  }
  const auto& e = r["energy"];
  const std::string unit = e["unit"];
  os << "energy (" << e["technology_table"].get<std::string>() << ")  total " << format_energy(e["total"], unit) << "\n";
  for (int l = 0; l < kLevelCount; ++l) {  // the hierarchy's order, not the JSON object's
    const std::string level = to_string(static_cast<Level>(l));
    const auto& value = e["by_level"][level];
    const double total = e["total"].get<double>();
    std::snprintf(line, sizeof line, "  %-8s %14s  %5.1f %%\n", level.c_str(), format_energy(value, unit).c_str(),
                  total > 0 ? 100.0 * value.get<double>() / total : 0.0);
    os << line;
  }
}

}  // namespace dlvp
