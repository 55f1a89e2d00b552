// report.json (versioned schema, docs/report.md) and the printed run summary.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/reportable.h"
#include "platform/platform_config.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

constexpr int kReportSchemaVersion = 6;  // 6: power

struct RunOutcome {
  double simulated_ns = 0;
  double wall_seconds = 0;
  bool software_exited = false;
  uint32_t exit_code = 0;    // what the software wrote to EXIT (when it exited)
  int exit_status = 0;       // dlvp's process status (platform/exit_status.h)
  std::string end_reason;    // "software exit", "time limit", ...
  std::string console;       // the tail of what the software printed (uart.transcript_bytes)
  uint64_t console_dropped_bytes = 0;  // printed before that tail
  // What the software reported through the system controller's RESULT_* registers.
  std::vector<AppResult> app_results;
  uint64_t app_results_dropped = 0, app_results_refused = 0;
};

// report.json's `app`: `results` {name: {"value": number, "unit": text}} in commit order of the
// names, `results_dropped`, `results_refused`.
nlohmann::json app_json(const RunOutcome& outcome);
// An app result's value as JSON: an integer when it is one (exponent >= 0 and no overflow), else
// mantissa x 10^exponent as the nearest double.
nlohmann::json app_result_value(const AppResult& result);
// report.json's `configuration`: every parameter's value with the type the parameter system gives
// it (integers and addresses as numbers, reals, booleans, strings), its unit, and the files.
nlohmann::json configuration_json(const PlatformConfig& config);
// report.json's `cost`: the device, every cost figure with its unit and description, and the
// figures per block (docs/report.md, docs/cost.md).
nlohmann::json cost_json(const PlatformConfig& config);
nlohmann::json build_report(const PlatformConfig& config, const RunOutcome& outcome, const EnergyLedger& ledger,
                            const std::vector<const Reportable*>& modules);
// report.json's text. Strings a program controls (its console) may hold any bytes: invalid UTF-8
// is replaced (U+FFFD), never an error.
void write_report_json(std::ostream& os, const nlohmann::json& report);
void print_summary(std::ostream& os, const nlohmann::json& report);

// Formats an energy in the ledger's unit with an SI prefix when the unit is pJ ("1.23 uJ").
std::string format_energy(double value, const std::string& unit);
// Formats a power with an SI prefix when the unit is W ("12.3 mW").
std::string format_power(double value, const std::string& unit);
// A number of a report object, or `fallback` when the key is absent or not a number.
double number_or(const nlohmann::json& j, const std::string& key, double fallback = 0);

}  // namespace dlvp
