#include "runner.h"

#include "ip/common/progress_line.h"
#include "platform/exit_status.h"
#include "platform/html_page.h"
#include "platform/job_timeline.h"
#include "platform/layer_report.h"
#include "platform/output_folder.h"
#include "platform/package_binding.h"
#include "platform/platform_config.h"
#include "platform/report.h"
#include "platform/run_trace.h"
#include "platform/scenario.h"
#include "platform/soc.h"

#include <systemc>
#include <tlm>

#include <chrono>
#include <memory>
#include <optional>
#include <cstdio>
#include <iostream>

namespace dlvp {

namespace {

// What the simulation ended with: the software's exit, or the time limit.
RunOutcome outcome_of(Soc& soc) {
  RunOutcome outcome;
  Sysctl& sysctl = soc.sysctl();
  outcome.software_exited = sysctl.exit_requested();
  const sc_core::sc_time end = outcome.software_exited ? sysctl.exit_time() : sc_core::sc_time_stamp();
  outcome.simulated_ns = end.to_seconds() * 1e9;
  outcome.exit_code = sysctl.exit_code();
  outcome.exit_status = outcome.software_exited ? exit_status::from_software(sysctl.exit_code()) : exit_status::kTimeLimit;
  outcome.end_reason = outcome.software_exited ? "software exit" : "time limit (run.max_time_ms)";
  if (sc_core::sc_get_status() != sc_core::SC_STOPPED) sc_core::sc_stop();  // runs end_of_simulation()
  soc.ddr().finalize(end);
  outcome.console = soc.uart().transcript();
  outcome.console_dropped_bytes = soc.uart().transcript_dropped_bytes();
  outcome.app_results = sysctl.app_results();
  outcome.app_results_dropped = sysctl.app_results_dropped();
  outcome.app_results_refused = sysctl.app_results_refused();
  return outcome;
}

// Simulates up to the time limit or the software's exit, report.power_interval_ns at a time: power
// and DDR bandwidth are sampled between the slices, so no SystemC process wakes per sample, and the progress line is
// redrawn there; the trace's counters (when asked for) are sampled with it. The slices are not
// neutral to the last digit (docs/energy.md, "Power over time").
void simulate(Soc& soc, const PlatformConfig& config, bool show_progress, RunTrace* trace) {
  using namespace sc_core;
  const sc_time limit(config.run.max_time_ms, SC_MS);
  const sc_time interval(config.report.power_interval_ns, SC_NS);
  ProgressLine progress(std::cerr, show_progress, config.report.progress_after_s);
  // The program's lines on lines of their own; the hook goes before the line does, even on a throw.
  struct EchoHook {
    Uart& uart;
    ~EchoHook() { uart.set_before_echo(nullptr); }
  } hook{soc.uart()};
  soc.uart().set_before_echo([&progress] { progress.clear(); });
  for (bool started = false; sc_get_status() != SC_STOPPED && sc_time_stamp() < limit; started = true) {
    // Nothing left to happen: the time runs out at once, as one sc_start would have let it.
    const bool idle = started && !sc_pending_activity();
    sc_start(idle ? limit - sc_time_stamp() : std::min(interval, limit - sc_time_stamp()));
    const Sysctl& sysctl = soc.sysctl();
    const sc_time sampled = sysctl.exit_requested() ? std::min(sysctl.exit_time(), sc_time_stamp()) : sc_time_stamp();
    soc.sample_over_time(sampled);
    if (trace) trace->sample(sampled);
    progress.update([&] {
      char text[160];
      uint64_t jobs = 0;
      for (const auto& entry : soc.ifu().programs()) jobs += entry.second.jobs_completed;
      std::snprintf(text, sizeof text, "dlvp run: simulated %.3f of %.3f ms, %llu accelerator jobs done",
                    sc_time_stamp().to_seconds() * 1e3, config.run.max_time_ms, static_cast<unsigned long long>(jobs));
      return std::string(text);
    });
  }
}

}  // namespace

RunResult run_scenario(const RunRequest& request) {
  using clock = std::chrono::steady_clock;
  const auto wall_start = clock::now();
  const Scenario scenario = Scenario::load(request.scenario, request.overrides);
  const PlatformConfig config = load_platform_config(scenario, request.app_dir);
  // Every package is bound to this platform before anything runs: one that cannot run here is bad input.
  const std::vector<PackageBinding> packages = bind_packages(config);
  refuse_unbindable(packages);
  OutputFolder out(request.out_dir, request.scenario, request.force);

  log::install_report_handler(out.path(OutputFolder::kDlvpLog));
  log::set_threshold(request.log_level);
  trace::LogLines trace_lines;
  const trace::Scope trace_scope(trace_lines, request.log_categories.mmio, request.log_categories.irq);
  EnergyLedger ledger(TechTable::load(config.tech_path));
  tlm::tlm_global_quantum::instance().set(sc_core::sc_time(config.run.quantum_ns, sc_core::SC_NS));

  Soc soc("soc", config, ledger);
  soc.uart().set_log_path(out.path(OutputFolder::kUartLog));

  RunResult result;
  std::unique_ptr<RunTrace> trace;
  if (request.trace) trace = std::make_unique<RunTrace>(soc, ledger, config.report.trace_max_events);
  std::optional<trace::Scope> software_events;  // register accesses and interrupts as trace tracks
  if (trace) software_events.emplace(*trace, true, true);
  const auto simulate_start = clock::now();
  simulate(soc, config, request.progress, trace.get());
  result.simulate_seconds = std::chrono::duration<double>(clock::now() - simulate_start).count();

  RunOutcome outcome = outcome_of(soc);
  const sc_core::sc_time end(outcome.simulated_ns, sc_core::SC_NS);
  soc.sample_over_time(end);  // the last, partial span
  if (trace) trace->sample(end);
  outcome.wall_seconds = std::chrono::duration<double>(clock::now() - wall_start).count();
  result.report = build_report(config, outcome, ledger, soc.reportables());
  result.report["packages"] = packages_report(packages);
  soc.power().report(result.report["power"]);
  soc.ddr_bandwidth().report(result.report["ddr_bandwidth"]);
  std::optional<LayerNames> layer_names;  // the packages read again only when the timeline or the trace names layers
  const auto names = [&]() -> const LayerNames& {
    if (!layer_names) layer_names.emplace(config);
    return *layer_names;
  };
  if (nlohmann::json layers = build_layer_report(config, result.report); !layers.is_null()) {
    out.write(OutputFolder::kLayers, [&](std::ostream& os) { write_layers_csv(os, layers); });
    result.report["accelerator"] = std::move(layers);
    result.report["accelerator"]["timeline"] =
        build_job_timeline(soc.ifu().trace(), soc.ifu().job_summaries(), config.report.timeline_instructions,
                           [&](uint64_t base) { return names().package_name(base); });
  }
  if (trace)
    out.write(OutputFolder::kTrace, [&](std::ostream& os) {
      result.report["trace"] = trace->write(os, names(), request.scenario);
    });
  if (!soc.uart().log_error().empty()) out.record_failure(out.path(OutputFolder::kUartLog), soc.uart().log_error());
  if (log::mirror_failed()) out.record_failure(out.path(OutputFolder::kDlvpLog), "a log line could not be written");
  if (const CpuIss* iss = soc.iss(); iss && iss->signature_write_failed())
    out.record_failure(config.cpu.signature_file, "the compliance signature could not be written");

  // report.json last, so that its exit_status counts every other output's failure; report.html just
  // before it, from the same data (its status as it stands then).
  if (!out.failures().empty()) result.report["run"]["exit_status"] = exit_status::kOutputWriteFailed;
  if (request.html &&
      !out.write(OutputFolder::kReportHtml, [&](std::ostream& os) { write_report_html(os, result.report); }))
    result.report["run"]["exit_status"] = exit_status::kOutputWriteFailed;
  if (out.write(OutputFolder::kReport, [&](std::ostream& os) { write_report_json(os, result.report); }))
    result.report_path = out.path(OutputFolder::kReport);
  result.output_errors = out.failures();
  result.exit_status = result.output_errors.empty() ? outcome.exit_status : exit_status::kOutputWriteFailed;
  result.report["run"]["exit_status"] = result.exit_status;
  return result;
}

}  // namespace dlvp
