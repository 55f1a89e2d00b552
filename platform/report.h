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

constexpr int kReportSchemaVersion = 3;

struct RunOutcome {
  double simulated_ns = 0;
  double wall_seconds = 0;
  bool software_exited = false;
  uint32_t exit_code = 0;    // what the software wrote to EXIT (when it exited)
  int exit_status = 0;       // dlvp's process status (platform/exit_status.h)
  std::string end_reason;    // "software exit", "time limit", ...
  std::string console;       // the tail of what the software printed (uart.transcript_bytes)
  uint64_t console_dropped_bytes = 0;  // printed before that tail
};

nlohmann::json build_report(const PlatformConfig& config, const RunOutcome& outcome, const EnergyLedger& ledger,
                            const std::vector<const Reportable*>& modules);
// report.json's text. Strings a program controls (its console) may hold any bytes: invalid UTF-8
// is replaced (U+FFFD), never an error.
void write_report_json(std::ostream& os, const nlohmann::json& report);
void print_summary(std::ostream& os, const nlohmann::json& report);

// Formats an energy in the ledger's unit with an SI prefix when the unit is pJ ("1.23 uJ").
std::string format_energy(double value, const std::string& unit);
// A number of a report object, or `fallback` when the key is absent or not a number.
double number_or(const nlohmann::json& j, const std::string& key, double fallback = 0);

}  // namespace dlvp
