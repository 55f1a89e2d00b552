// dlvp — the command-line front end: `dlvp run SCENARIO [--set key=value]... [--out DIR]`.
#include "ip/common/log.h"
#include "ip/common/progress_line.h"
#include "ip/common/yaml_file.h"
#include "platform/sweep/child_process.h"
#include "platform/exit_status.h"
#include "platform/html_page.h"
#include "platform/output_folder.h"
#include "platform/platform_config.h"
#include "platform/report.h"
#include "platform/run_diff.h"
#include "platform/runner.h"
#include "platform/sweep/sweep_executor.h"
#include "platform/sweep/sweep_point.h"

#include <systemc>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace {

namespace exit_status = dlvp::exit_status;

void usage(std::ostream& os) {
  os << "usage:\n"
        "  dlvp run SCENARIO.yaml [--set key=value]... [--out DIR] [--force] [--log LEVEL,CATEGORY,...]\n"
        "           [--trace] [--html] [--signature FILE] [--gdb PORT]\n"
        "      simulate; writes DIR/report.json, DIR/uart.log, DIR/dlvp.log (DIR defaults to out/<scenario>;\n"
        "      those files of an earlier run there are removed first); a DIR that holds the run of another\n"
        "      scenario is refused (status 122) unless --force is given\n"
        "      --log takes a level (error, warn (default), info, debug, trace) and categories: mmio (every\n"
        "      device register access), irq (every interrupt raised, claimed, completed), e.g. --log mmio,irq\n"
        "      --trace also writes DIR/trace.json (chrome://tracing or Perfetto: IFU queues, engines and DMA named by\n"
        "      layer; power, DDR bandwidth and bus utilization counters; at most report.trace_max_events events)\n"
        "      --html also writes DIR/report.html (charts of report.json; one file that opens offline)\n"
        "      --signature FILE (cpu.mode: iss) writes the words between the ELF's begin_signature and\n"
        "      end_signature to FILE, one per line in hex (the RISC-V compliance convention)\n"
        "      --gdb PORT (implies cpu.mode: iss) waits for gdb on 127.0.0.1:PORT before the first instruction\n"
        "      and runs the program under its control (docs/cpu.md, \"Debugging with gdb\")\n"
        "      exit status (docs/scenarios.md):\n"
        "        0..119 the software's exit code; 120 the software's code was above 119 (see report.json run.exit_code)\n"
        "        121 an output file could not be written; 122 bad input; 123 internal error; 124 run.max_time_ms ran out\n"
        "  dlvp sweep SWEEP.yaml [--out DIR] [--jobs N] [--executor local|slurm] [--partition P] [--time T]\n"
        "             [--sbatch-option X]... [--points-per-task K]\n"
        "      design-space exploration (docs/explore.md): every point of the sweep compiled and run, one row each in\n"
        "      DIR/results.sqlite and DIR/results.csv (DIR defaults to out/sweep-<sweep>), the Pareto front printed;\n"
        "      the same command on the same DIR continues an interrupted sweep; --jobs defaults to the cores\n"
        "  dlvp sweep DIR --collect   merge DIR/rows/ into the database and print the front\n"
        "  dlvp report DIR    write DIR/report.html from the report.json of a run's output folder DIR\n"
        "  dlvp diff RUN_A RUN_B [--json | --html [--out FILE]]\n"
        "      compare two output folders' report.json: configuration differences, latency, throughput, energy\n"
        "      per level (static/dynamic), accuracy, power, and per-layer deltas, largest first (docs/report.md);\n"
        "      --html writes the comparison as a page, RUN_B/diff.html unless --out FILE names another\n"
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
  dlvp::log::Categories log_categories;
  bool trace = false;
  bool html = false;
  bool force = false;
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
    else if (a == "--trace") args.trace = true;
    else if (a == "--html") args.html = true;
    else if (a == "--force") args.force = true;
    else if (a == "--signature") args.overrides.push_back("cpu.signature_file=" + dlvp::yaml_single_quoted(value("a file")));
    else if (a == "--gdb") {
      args.overrides.push_back("cpu.mode=iss");
      args.overrides.push_back("cpu.gdb_port=" + value("a port"));
    }
    else if (a == "--log") {
      const std::string words = value("a level or category");
      if (!dlvp::log::parse_option(words, args.log_level, args.log_categories))
        throw dlvp::ConfigError("--log " + words + ": expected a comma-separated list of a level (error, warn, info, "
                                "debug, trace) and categories (mmio, irq)");
    } else if (!a.empty() && a[0] == '-') throw dlvp::ConfigError("unknown option " + a);
    else if (args.scenario.empty()) args.scenario = a;
    else throw dlvp::ConfigError("more than one scenario given: " + args.scenario + " and " + a);
  }
  if (args.scenario.empty()) throw dlvp::ConfigError("dlvp run needs a scenario file");
  if (args.out_dir.empty()) args.out_dir = "out/" + std::filesystem::path(args.scenario).stem().string();
  return true;
}

int write_report_page(int argc, char** argv) {
  if (argc != 3) throw dlvp::ConfigError("usage: dlvp report DIR (the output folder of a run)");
  const std::string error = dlvp::write_report_html_of_folder(argv[2]);
  if (!error.empty()) {
    std::cerr << "dlvp: error: " << error << "\n";
    return exit_status::kOutputWriteFailed;
  }
  std::cout << "report: " << argv[2] << "/" << dlvp::OutputFolder::kReportHtml << "\n";
  return 0;
}

int run(const RunArgs& args) {
  dlvp::RunRequest request{args.scenario, args.overrides, args.out_dir, app_dir(), args.log_level, args.log_categories, args.trace};
  request.progress = dlvp::ProgressLine::stderr_is_terminal();
  request.force = args.force;
  request.html = args.html;
  const dlvp::RunResult result = dlvp::run_scenario(request);
  dlvp::print_summary(std::cout, result.report);
  if (!result.report_path.empty()) std::cout << "report: " << result.report_path << "\n";
  std::cout << std::flush;
  for (const std::string& error : result.output_errors) std::cerr << "dlvp: error: " << error << "\n";
  return result.exit_status;
}

}  // namespace

int sc_main(int argc, char** argv) {
  // A closed stdout or a file size limit makes writes fail (EPIPE, EFBIG), which dlvp reports,
  // instead of killing it before report.json is written.
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGXFSZ, SIG_IGN);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? exit_status::kBadInput : 0;
  }
  const std::string command = argv[1];
  try {
    if (command == "params") return list_params();
    if (command == "report") return write_report_page(argc, argv);
    if (command == "diff") return dlvp::diff_command(argc, argv, 2);
    if (command == "sweep") {
      const dlvp::sweep::SweepOptions options = dlvp::sweep::parse_sweep_args(argc, argv, 2);
      return dlvp::sweep::run_sweep(options, dlvp::executable_dir() + "/dlvp", app_dir());
    }
    if (command == "sweep-point") {  // hidden: one point of a sweep, run by the executors
      if (argc != 4) throw dlvp::ConfigError("usage: dlvp sweep-point DIR INDEX");
      const std::string index = argv[3];
      if (index.empty() || index.size() > 9 || index.find_first_not_of("0123456789") != std::string::npos)
        throw dlvp::ConfigError("sweep-point: '" + index + "' is not a point index");
      return dlvp::sweep::run_point(argv[2], std::stoul(index), app_dir());
    }
    if (command == "run") {
      RunArgs args;
      parse_run_args(argc, argv, args);
      return run(args);
    }
    std::cerr << "dlvp: unknown command '" << command << "'\n";
    usage(std::cerr);
    return exit_status::kBadInput;
  } catch (const dlvp::ConfigError& e) {
    std::istringstream lines(e.what());  // a message of several lines (a refused package's) prefixes each
    std::string line;
    while (std::getline(lines, line)) std::cerr << "dlvp: error: " << line << "\n";
    return exit_status::kBadInput;
  } catch (const sc_core::sc_report& e) {
    std::cerr << "dlvp: internal error: SystemC: " << e.what() << "\n";
    return exit_status::kInternalError;
  } catch (const std::exception& e) {
    // Not expected (bad input is a ConfigError); reported rather than terminating silently.
    std::cerr << "dlvp: internal error: " << e.what() << "\n";
    return exit_status::kInternalError;
  } catch (...) {
    std::cerr << "dlvp: internal error: an unknown exception\n";
    return exit_status::kInternalError;
  }
}
