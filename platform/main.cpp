// dlvp — the command-line front end: `dlvp run SCENARIO [--set key=value]... [--out DIR]`.
#include "ip/common/log.h"
#include "platform/platform_config.h"
#include "platform/report.h"
#include "platform/scenario.h"
#include "platform/soc.h"

#include <systemc>
#include <tlm>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace {

constexpr int kExitUsage = 2;      // bad command line or scenario
constexpr int kExitTimeLimit = 124;  // the run hit run.max_time_ms before software exited

void usage(std::ostream& os) {
  os << "usage:\n"
        "  dlvp run SCENARIO.yaml [--set key=value]... [--out DIR] [--log error|warn|info|debug|trace]\n"
        "      simulate; writes DIR/report.json, DIR/uart.log, DIR/dlvp.log (DIR defaults to out/<scenario>)\n"
        "      exit status: the software's exit code; 124 when run.max_time_ms ran out; 2 for bad input\n"
        "  dlvp params        list every scenario parameter with its default, unit and description\n"
        "  dlvp --help\n";
}

std::string app_dir() {
  if (const char* env = std::getenv("DLVP_APP_DIR")) return env;
  return DLVP_APP_DIR;
}

int list_params() {
  for (const auto& e : dlvp::describe_platform_params()) {
    std::cout << e.key << " = " << e.value << (e.unit.empty() ? "" : " [" + e.unit + "]") << "  " << e.range << "\n"
              << "    " << e.description << "\n";
  }
  return 0;
}

struct RunArgs {
  std::string scenario;
  std::vector<std::string> overrides;
  std::string out_dir;
  dlvp::log::Level log_level = dlvp::log::Level::warn;
};

bool parse_run_args(int argc, char** argv, RunArgs& args) {
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* what) -> std::string {
      if (i + 1 >= argc) throw dlvp::ConfigError(std::string("option ") + a + " needs " + what);
      return argv[++i];
    };
    if (a == "--set") args.overrides.push_back(value("key=value"));
    else if (a.rfind("--set=", 0) == 0) args.overrides.push_back(a.substr(6));
    else if (a == "--out") args.out_dir = value("a directory");
    else if (a == "--log") {
      const std::string level = value("a level");
      if (!dlvp::log::parse_level(level, args.log_level))
        throw dlvp::ConfigError("--log " + level + ": expected error, warn, info, debug or trace");
    } else if (!a.empty() && a[0] == '-') throw dlvp::ConfigError("unknown option " + a);
    else if (args.scenario.empty()) args.scenario = a;
    else throw dlvp::ConfigError("more than one scenario given: " + args.scenario + " and " + a);
  }
  if (args.scenario.empty()) throw dlvp::ConfigError("dlvp run needs a scenario file");
  if (args.out_dir.empty()) args.out_dir = "out/" + std::filesystem::path(args.scenario).stem().string();
  return true;
}

int run(const RunArgs& args) {
  namespace fs = std::filesystem;
  const auto wall_start = std::chrono::steady_clock::now();
  const dlvp::Scenario scenario = dlvp::Scenario::load(args.scenario, args.overrides);
  const dlvp::PlatformConfig config = dlvp::load_platform_config(scenario, app_dir());
  std::error_code ec;
  fs::create_directories(args.out_dir, ec);
  if (ec) throw dlvp::ConfigError(args.out_dir + ": cannot create output directory: " + ec.message());

  dlvp::log::install_report_handler((fs::path(args.out_dir) / "dlvp.log").string());
  dlvp::log::set_threshold(args.log_level);
  dlvp::EnergyLedger ledger(dlvp::TechTable::load(config.tech_path));
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(config.run.quantum_ns, sc_core::SC_NS));

  dlvp::Soc soc("soc", config, ledger);
  soc.uart().set_log_path((fs::path(args.out_dir) / "uart.log").string());

  sc_core::sc_start(sc_core::sc_time(config.run.max_time_ms, sc_core::SC_MS));

  dlvp::RunOutcome outcome;
  outcome.software_exited = soc.sysctl().exit_requested();
  const sc_core::sc_time end = outcome.software_exited ? soc.sysctl().exit_time() : sc_core::sc_time_stamp();
  outcome.simulated_ns = end.to_seconds() * 1e9;
  outcome.exit_code = outcome.software_exited ? static_cast<int>(soc.sysctl().exit_code()) : kExitTimeLimit;
  outcome.end_reason = outcome.software_exited ? "software exit" : "time limit (run.max_time_ms)";
  if (sc_core::sc_get_status() != sc_core::SC_STOPPED) sc_core::sc_stop();  // runs end_of_simulation()
  soc.ddr().finalize(end);
  outcome.console = soc.uart().transcript();
  outcome.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  const nlohmann::json report = dlvp::build_report(config, outcome, ledger, soc.reportables());
  const fs::path report_path = fs::path(args.out_dir) / "report.json";
  std::ofstream(report_path) << report.dump(2) << "\n";
  dlvp::print_summary(std::cout, report);
  std::cout << "report: " << report_path.string() << "\n";
  return outcome.exit_code;
}

}  // namespace

int sc_main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? kExitUsage : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "params") return list_params();
    if (command == "run") {
      RunArgs args;
      parse_run_args(argc, argv, args);
      return run(args);
    }
    std::cerr << "dlvp: unknown command '" << command << "'\n";
    usage(std::cerr);
    return kExitUsage;
  } catch (const dlvp::ConfigError& e) {
    std::cerr << "dlvp: error: " << e.what() << "\n";
    return kExitUsage;
  } catch (const sc_core::sc_report& e) {
    std::cerr << "dlvp: SystemC error: " << e.what() << "\n";
    return 1;
  }
}
