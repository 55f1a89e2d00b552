#include "runner.h"

#include "platform/layer_report.h"

#include "platform/platform_config.h"
#include "platform/report.h"
#include "platform/scenario.h"
#include "platform/soc.h"

#include <systemc>
#include <tlm>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace dlvp {

RunResult run_scenario(const RunRequest& request) {
  namespace fs = std::filesystem;
  using clock = std::chrono::steady_clock;
  const auto wall_start = clock::now();
  const Scenario scenario = Scenario::load(request.scenario, request.overrides);
  const PlatformConfig config = load_platform_config(scenario, request.app_dir);
  std::error_code ec;
  fs::create_directories(request.out_dir, ec);
  if (ec) throw ConfigError(request.out_dir + ": cannot create output directory: " + ec.message());

  log::install_report_handler((fs::path(request.out_dir) / "dlvp.log").string());
  log::set_threshold(request.log_level);
  EnergyLedger ledger(TechTable::load(config.tech_path));
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(config.run.quantum_ns, sc_core::SC_NS));

  Soc soc("soc", config, ledger);
  soc.uart().set_log_path((fs::path(request.out_dir) / "uart.log").string());

  RunResult result;
  const auto simulate_start = clock::now();
  sc_core::sc_start(sc_core::sc_time(config.run.max_time_ms, sc_core::SC_MS));
  result.simulate_seconds = std::chrono::duration<double>(clock::now() - simulate_start).count();

  RunOutcome outcome;
  outcome.software_exited = soc.sysctl().exit_requested();
  const sc_core::sc_time end = outcome.software_exited ? soc.sysctl().exit_time() : sc_core::sc_time_stamp();
  outcome.simulated_ns = end.to_seconds() * 1e9;
  outcome.exit_code = outcome.software_exited ? static_cast<int>(soc.sysctl().exit_code()) : kExitTimeLimit;
  outcome.end_reason = outcome.software_exited ? "software exit" : "time limit (run.max_time_ms)";
  if (sc_core::sc_get_status() != sc_core::SC_STOPPED) sc_core::sc_stop();  // runs end_of_simulation()
  soc.ddr().finalize(end);
  outcome.console = soc.uart().transcript();
  outcome.wall_seconds = std::chrono::duration<double>(clock::now() - wall_start).count();

  result.report = build_report(config, outcome, ledger, soc.reportables());
  if (nlohmann::json layers = build_layer_report(config, result.report); !layers.is_null()) {
    std::ofstream csv(fs::path(request.out_dir) / "layers.csv");
    write_layers_csv(csv, layers);
    result.report["accelerator"] = std::move(layers);
  }
  std::ofstream(fs::path(request.out_dir) / "report.json") << result.report.dump(2) << "\n";
  if (request.trace) {
    std::ofstream trace(fs::path(request.out_dir) / "trace.json");
    soc.ifu().write_chrome_trace(trace);
  }
  result.exit_code = outcome.exit_code;
  return result;
}

}  // namespace dlvp
