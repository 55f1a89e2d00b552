// dlvpc's predicted layer times against the SoC's measured ones (docs/validation.md, "Timing
// prediction"). Usage:
//   bench_layer_accuracy HW PACKAGE.dlvp TRACE.json
// HW: a hardware file (scenarios/hw/NAME.yaml); TRACE.json: `dlvp run ... --trace` of a run of the
// package. The measured layer times are ifu::attribute_layers over the trace's instruction records
// of each job (the rule the SoC's layer report uses), averaged over the jobs; the predicted ones
// are dlvpc's schedule prediction of the package's program. Prints one line per layer and the job;
// "error" is (predicted - measured) / measured. Exit status 0, or 2 with a message on bad input.
#include "ip/common/config_error.h"
#include "platform/package_file.h"
#include "platform/platform_config.h"
#include "platform/scenario.h"
#include "tools/dlvpc/schedule_predictor.h"

#include <nlohmann/json.hpp>
#include <systemc>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

namespace {

using dlvp::ConfigError;
using dlvp::ifu::ExecutedInstruction;
using dlvp::ifu::LayerTime;
using dlvp::ifu::Picoseconds;

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Picoseconds ps_of_us(double us) { return static_cast<Picoseconds>(std::llround(us * 1e6)); }

// Per job: its [start, end) and its executed instructions, from the IFU's Chrome trace.
struct MeasuredJob {
  Picoseconds start = 0, end = 0;
  std::vector<ExecutedInstruction> instructions;
};

std::map<uint64_t, MeasuredJob> read_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot be read");
  const nlohmann::json trace = nlohmann::json::parse(in, nullptr, false);
  if (trace.is_discarded() || !trace.contains("traceEvents")) throw ConfigError(path + ": not a dlvp trace");
  std::map<uint64_t, MeasuredJob> jobs;
  uint64_t job_number = 0;
  for (const nlohmann::json& e : trace["traceEvents"]) {
    const std::string cat = e.value("cat", "");
    if (cat == "job") {  // "job N (done)", in job order
      MeasuredJob& j = jobs[job_number++];
      j.start = ps_of_us(e["ts"].get<double>());
      j.end = j.start + ps_of_us(e["dur"].get<double>());
    } else if (cat == "load" || cat == "compute" || cat == "store") {
      const nlohmann::json& a = e["args"];
      if (a.value("outcome", "") != "retired") continue;
      ExecutedInstruction x;
      x.index = a["index"].get<uint32_t>();
      x.layer = a["tag"].get<uint32_t>();
      x.queue = cat == "load" ? dlvp::isa::kQueueLoad : cat == "compute" ? dlvp::isa::kQueueCompute : dlvp::isa::kQueueStore;
      x.start = ps_of_us(e["ts"].get<double>());
      x.issue = x.start - ps_of_us(a["token_wait_us"].get<double>());
      x.end = x.start + ps_of_us(e["dur"].get<double>());
      jobs[a["job"].get<uint64_t>()].instructions.push_back(x);
    }
  }
  return jobs;
}

double error_percent(double predicted, double measured) { return measured > 0 ? (predicted - measured) / measured * 100 : 0; }

int run(const std::string& hw_path, const std::string& package_path, const std::string& trace_path) {
  const dlvp::PlatformConfig platform = dlvp::load_platform_config(dlvp::Scenario::load(hw_path, {}), "");
  const std::vector<uint8_t> bytes = read_file(package_path);
  const dlvp::package::PackageContents contents = dlvp::package::read_package(bytes, package_path);
  const dlvp::package::PackageHeader& h = contents.header;
  std::vector<dlvp::isa::Instruction> program(h.instruction_count);
  std::memcpy(program.data(), bytes.data() + h.instructions_offset, program.size() * sizeof(dlvp::isa::Instruction));
  std::array<uint64_t, dlvp::isa::kArgCount> windows{};
  for (size_t a = 0; a < windows.size(); ++a) windows[a] = h.args[a].size;
  const dlvp::dlvpc::SchedulePrediction predicted = dlvp::dlvpc::predict_schedule(
      program,
      dlvp::dlvpc::schedule_hardware(platform.ifu, platform.dma, platform.bus, platform.ddr, platform.ddr_timing, platform.cnn),
      dlvp::dlvpc::driver_placement(program.size() * sizeof(dlvp::isa::Instruction), windows));

  const std::map<uint64_t, MeasuredJob> jobs = read_trace(trace_path);
  if (jobs.empty()) throw ConfigError(trace_path + ": no job");
  std::map<uint32_t, LayerTime> measured;
  Picoseconds measured_job = 0;
  for (const auto& [number, job] : jobs) {
    measured_job += job.end - job.start;
    for (const LayerTime& t : dlvp::ifu::attribute_layers(job.start, job.end, job.instructions)) measured[t.layer].add(t);
  }
  const double n = double(jobs.size());
  std::printf("%-4s %-32s %12s %12s %8s %9s  %s\n", "tag", "layer", "predicted_us", "measured_us", "error_%", "share_%",
              "(predicted / measured busy, stall, tail, other us)");
  for (const LayerTime& p : predicted.layers) {
    const LayerTime m = measured.count(p.layer) ? measured.at(p.layer) : LayerTime{};
    const std::string name = p.layer < contents.layers.size() ? dlvp::package::layer_name(contents.layers[p.layer]) : "?";
    const double mt = double(m.time) / n;
    std::printf("%-4u %-32s %12.2f %12.2f %8.1f %9.1f  (%.1f/%.1f, %.1f/%.1f, %.1f/%.1f, %.1f/%.1f)\n", p.layer,
                name.c_str(), p.time * 1e-6, mt * 1e-6, error_percent(double(p.time), mt), mt / (double(measured_job) / n) * 100,
                p.engine_busy * 1e-6, m.engine_busy / n * 1e-6, p.memory_stall * 1e-6, m.memory_stall / n * 1e-6,
                p.store_tail * 1e-6, m.store_tail / n * 1e-6, p.other * 1e-6, m.other / n * 1e-6);
  }
  const double mj = double(measured_job) / n;
  std::printf("job: predicted %.2f us, measured %.2f us (mean of %zu jobs), error %.1f %%\n", predicted.job * 1e-6,
              mj * 1e-6, jobs.size(), error_percent(double(predicted.job), mj));
  return 0;
}

}  // namespace

int sc_main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_layer_accuracy HW.yaml PACKAGE.dlvp TRACE.json\n");
    return 2;
  }
  try {
    return run(argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_layer_accuracy: %s\n", e.what());
    return 2;
  }
}
