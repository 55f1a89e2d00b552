#include "platform/layer_report.h"

#include "ip/common/energy_ledger.h"
#include "ip/common/energy_tag.h"
#include "ip/common/utf8.h"
#include "platform/package_file.h"
#include "platform/report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>
#include <utility>
#include <vector>

namespace dlvp {

// A model package among software.load: where it lies in DDR and its layer records by tag. A package
// the host-side reader refuses gives no records and the reason.
struct LoadedPackage {
  std::string file, problem;
  uint64_t address = 0, bytes = 0;
  uint32_t images_per_job = 1;  // an LSTM package's sequences per job
  std::map<uint32_t, package::LayerRecord> by_tag;
  std::map<uint32_t, std::string> name_by_tag;                   // whole names
  std::map<uint32_t, package::LayerPrediction> predicted_by_tag;  // dlvpc's prediction, per job
  uint64_t predicted_job_ps = 0;                                  // 0: the package has none
  uint32_t stage_count = 0;  // CPUC: a job in stages (each accelerator stage its own program)
};

namespace {

std::vector<LoadedPackage> loaded_packages(const PlatformConfig& config) {
  std::vector<LoadedPackage> packages;
  for (const MemoryLoad& load : config.software.load) {
    if (!package::is_package_file(load.path)) continue;
    LoadedPackage p;
    p.file = load.file;
    p.address = load.address;
    package::PackageContents contents;
    p.problem = utf8::valid(package::read_package_file(load.path, contents));
    std::error_code size_error;
    const uint64_t file_bytes = std::filesystem::file_size(load.path, size_error);
    p.bytes = p.problem.empty() ? contents.header.total_bytes : size_error ? 0 : file_bytes;
    p.images_per_job = p.problem.empty() ? std::max<uint32_t>(1, contents.header.sequences) : 1;
    for (uint32_t i = 0; i < contents.layers.size(); ++i) {
      const package::LayerRecord& r = contents.layers[i];
      p.by_tag[r.tag] = r;
      p.name_by_tag[r.tag] = package::layer_name(contents, i);
      if (i < contents.predictions.size()) p.predicted_by_tag[r.tag] = contents.predictions[i];
    }
    if (!contents.predictions.empty()) p.predicted_job_ps = contents.header.predicted_job_ps;
    if (p.problem.empty()) p.stage_count = contents.header.stage_count;
    packages.push_back(std::move(p));
  }
  return packages;
}

// The package a program (INSTR_BASE) runs from: the last one loaded over that address (its bytes
// are the ones in DDR); null when none is.
const LoadedPackage* package_at(const std::vector<LoadedPackage>& packages, uint64_t base) {
  const LoadedPackage* found = nullptr;
  for (const LoadedPackage& p : packages)
    if (base >= p.address && base - p.address < p.bytes) found = &p;
  return found;
}

// The name of a package's layer table: its file's stem, or the program's address when it lies in
// no package.
std::string package_table_name(const LoadedPackage* package, uint64_t base) {
  if (package) return std::filesystem::path(package->file).stem().string();
  char unnamed[32];
  std::snprintf(unnamed, sizeof unnamed, "program@0x%llx", static_cast<unsigned long long>(base));
  return unnamed;
}

}  // namespace

LayerNames::LayerNames(const PlatformConfig& config) : packages_(loaded_packages(config)) {}

std::string LayerNames::package_name(uint64_t instr_base) const {
  return package_table_name(package_at(packages_, instr_base), instr_base);
}
LayerNames::~LayerNames() = default;

std::string LayerNames::name(uint64_t instr_base, uint32_t tag) const {
  if (const LoadedPackage* package = package_at(packages_, instr_base)) {
    const auto it = package->name_by_tag.find(tag);
    if (it != package->name_by_tag.end()) return it->second;
  }
  return layer_tag_name(tag);
}

namespace {

std::string shape(uint32_t c, uint32_t h, uint32_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

const char* kind_name(uint32_t kind) {
  switch (kind) {
    case package::kLayerConv: return "conv";
    case package::kLayerFc: return "fc";
    case package::kLayerPool: return "pool";
    case package::kLayerEltwise: return "eltwise";
    case package::kLayerConcat: return "concat";
    case package::kLayerLstm: return "lstm";
    case package::kLayerLstmLinear: return "lstm_linear";
    case package::kLayerCpu: return "cpu";
    case package::kLayerView: return "view";
    case package::kLayerCopy: return "copy";
    default: return "?";
  }
}

// The compute engines among the report's modules, told apart by a key only each one reports.
enum class Engine { kNone, kCnn, kLstm };

Engine engine_of(const nlohmann::json& stats) {
  if (stats.contains("peak_GOPS")) return Engine::kCnn;
  if (stats.contains("stream_faults")) return Engine::kLstm;
  return Engine::kNone;
}

// Adds every number of `from` to `into`, recursively (objects by key); other values are taken from
// `from` when `into` has none. The figures it merges are sums over jobs.
void add_numbers(nlohmann::json& into, const nlohmann::json& from) {
  for (const auto& [key, value] : from.items()) {
    if (!into.contains(key)) into[key] = value;
    else if (value.is_number_integer() && into[key].is_number_integer()) into[key] = into[key].get<int64_t>() + value.get<int64_t>();
    else if (value.is_number() && into[key].is_number()) into[key] = into[key].get<double>() + value.get<double>();
    else if (value.is_object() && into[key].is_object()) add_numbers(into[key], value);
  }
}

// What the layer report needs of the run's modules.
struct Platform {
  const nlohmann::json* ifu = nullptr;
  std::map<std::string, std::pair<Engine, const nlohmann::json*>> engine_layers;  // by ledger tag name
  double cnn_peak_gops = 0, cnn_multipliers = 0, cnn_clock_mhz = 0;
  double lstm_peak_gops = 0;
  double dram_peak_Bps = 0, bus_Bps = 0;
  const nlohmann::json* modules = nullptr;
};

Platform platform_of(const PlatformConfig& config, const nlohmann::json& report) {
  Platform p;
  p.modules = &report["modules"];
  // The DDR's peak from its configuration (every channel), not from the modules' figures: the bus
  // reports a peak bandwidth too.
  p.dram_peak_Bps = config.ddr_timing.peak_bandwidth_Bps() * config.ddr.channels;
  for (const auto& [name, stats] : report["modules"].items()) {
    if (stats.contains("programs")) p.ifu = &stats;
    const Engine e = engine_of(stats);
    if (e == Engine::kNone) continue;
    if (e == Engine::kCnn) {
      p.cnn_peak_gops = number_or(stats, "peak_GOPS");
      p.cnn_multipliers = number_or(stats, "multipliers");
      p.cnn_clock_mhz = number_or(stats, "clock_MHz");
    } else {  // each PE does macs_per_pe multiply-accumulates per cycle
      p.lstm_peak_gops = 2.0 * number_or(stats, "pes") * number_or(stats, "macs_per_pe") * number_or(stats, "clock_MHz") / 1e3;
    }
    if (stats.contains("layers"))
      for (const auto& layer : stats["layers"]) p.engine_layers[layer.value("ledger_tag", "")] = {e, &layer};
  }
  p.bus_Bps = config.bus.width_bytes * config.bus.clock_mhz * 1e6;
  return p;
}

// The sparse LSTM engine's per-layer figures (docs/lstm.md, "Engine: timing"): the PEs' load
// (entries walked, padding included) and the layer's throughput over its busy time.
void add_lstm_figures(const nlohmann::json& layer, double per, nlohmann::json& row) {
  row["nonzero_macs"] = number_or(layer, "nonzero_macs") / per;
  row["dense_macs"] = number_or(layer, "dense_macs") / per;
  for (const char* key : {"effective_GOPS", "dense_equivalent_GOPS"}) row[key] = number_or(layer, key);
  const nlohmann::json& load = layer.contains("pe_entries") ? layer["pe_entries"] : nlohmann::json::object();
  row["pe_entries_min"] = number_or(load, "min") / per;
  row["pe_entries_mean"] = number_or(load, "mean") / per;
  row["pe_entries_max"] = number_or(load, "max") / per;
  row["pe_imbalance"] = number_or(load, "imbalance");
}

// The layer's energy and DRAM traffic, per inference: the dynamic energy of every ledger counter
// attributed to its tag over the completed jobs (engine, buffers, DMA staging, bus beats, DDR
// commands and bursts), plus its static share (the IFU's: each job's static energy shared among
// its layers by their times), so that the layers of a package add up to its jobs' energy.
void add_energy(const nlohmann::json& ifu_layer, const std::string& unit, double per, nlohmann::json& row) {
  row["dram_read_bytes"] = number_or(ifu_layer, "dram_read_bytes") / per;
  row["dram_write_bytes"] = number_or(ifu_layer, "dram_write_bytes") / per;
  nlohmann::json levels = nlohmann::json::object();
  const nlohmann::json& dynamic = ifu_layer.value("energy_by_level_" + unit, nlohmann::json::object());
  const nlohmann::json& statics = ifu_layer.value("static_energy_by_level", nlohmann::json::object());
  for (int l = 0; l < kLevelCount; ++l) {
    const char* level = to_string(static_cast<Level>(l));
    levels[level] = (number_or(dynamic, level) + number_or(statics, level)) / per;
  }
  row["energy_by_level"] = levels;
  row["dynamic_energy"] = number_or(ifu_layer, "energy_" + unit) / per;
  row["static_energy"] = number_or(ifu_layer, "static_energy") / per;
  row["energy"] = row["dynamic_energy"].get<double>() + row["static_energy"].get<double>();
}

// The busiest on-chip buffer port over `span_ns`: the buffer, its side and the utilization.
struct BufferPortUse {
  std::string buffer, side;
  double utilization = 0;
};

// What a buffer's side can move in `span_ns` (B): the socket's ports (clock x port width x ports,
// the module's own keys) or the owning engine's datapath port (its "datapath" keys); 0 when the
// buffer does not report the port.
double port_capacity_bytes(const nlohmann::json& buffer, const std::string& side, double span_ns) {
  const nlohmann::json& port = side == "datapath" ? buffer.value("datapath", nlohmann::json::object()) : buffer;
  const double ports = side == "datapath" ? 1.0 : number_or(buffer, "ports");
  return span_ns * 1e-3 * number_or(port, "clock_MHz") * number_or(port, "port_width_bytes") * ports;
}

// Each buffer's sides apart: its 64-bit accesses under the layer's tag on one side x 8 B over what
// that side's port moves in the span. The DMA's fills and the engine's reads use different ports.
BufferPortUse busiest_buffer_port(const Platform& p, const nlohmann::json& ifu_layer, double span_ns, double per) {
  BufferPortUse most;
  if (!ifu_layer.contains("buffer_accesses_64b")) return most;
  for (const auto& [module, sides] : ifu_layer["buffer_accesses_64b"].items()) {
    if (!p.modules->contains(module)) continue;
    for (const auto& [side, accesses] : sides.items()) {
      const double capacity = port_capacity_bytes((*p.modules)[module], side, span_ns);
      const double utilization = capacity > 0 ? accesses.get<double>() / per * 8.0 / capacity : 0.0;
      if (utilization > most.utilization) most = {module, side, utilization};
    }
  }
  return most;
}

// The resource that bounds the layer (docs/report.md, "Bound"): the highest utilization among the
// engine (busy over the layer's time) and the memory path — DRAM, the system bus, the busiest
// buffer port — over the layer's span, where all of its transfers and buffer accesses lie (a
// layer's loads run partly in the previous layer's time, so over its own time a port could seem
// more than fully used); and roofline data.
void add_bound(const Platform& p, const nlohmann::json& ifu_layer, double peak_gops, double per, nlohmann::json& row) {
  const double time_ns = row["time_ns"].get<double>();
  const double span_ns = row["span_ns"].get<double>();
  const double dram_bytes = row["dram_read_bytes"].get<double>() + row["dram_write_bytes"].get<double>();
  const auto share = [&](double used, double capacity) { return capacity > 0 ? used / capacity : 0.0; };
  // The CNN engine's buffers serve it through the ports they model; the LSTM engine's PEs and
  // element-wise unit have ports of their own, whose rate its timing models (engine busy).
  const BufferPortUse port = row["engine"] == "cnn" ? busiest_buffer_port(p, ifu_layer, span_ns, per) : BufferPortUse{};
  if (!port.buffer.empty()) row["buffer_port"] = {{"buffer", port.buffer}, {"side", port.side}};
  const std::vector<std::pair<const char*, double>> utilization = {
      {"engine", share(row["engine_busy_ns"].get<double>(), time_ns)},
      {"dram", share(dram_bytes, span_ns * 1e-9 * p.dram_peak_Bps)},
      // A layer's LOAD/STORE traffic crosses the system bus once, between DDR and the DMA.
      {"bus", share(dram_bytes, span_ns * 1e-9 * p.bus_Bps)},
      {"buffer_port", port.utilization}};
  nlohmann::json by_resource = nlohmann::json::object();
  std::pair<const char*, double> bound{"engine", -1};
  for (const auto& u : utilization) {
    by_resource[std::string(u.first) + "_utilization"] = u.second;
    if (u.second > bound.second) bound = u;
  }
  row["bound"] = bound.first;
  row["bound_utilization"] = bound.second;
  row["utilization_by_resource"] = by_resource;
  const double ops = 2.0 * row["macs"].get<double>();
  row["ops_per_dram_byte"] = dram_bytes > 0 ? nlohmann::json(ops / dram_bytes) : nlohmann::json();
  row["peak_GOPS"] = peak_gops;
  row["attainable_GOPS"] = dram_bytes > 0 ? std::min(peak_gops, ops / dram_bytes * p.dram_peak_Bps / 1e9) : peak_gops;
}

// The programs (INSTR_BASE) that ran from one package (a package may start its jobs at several
// places: a first job that loads the weights, later ones that find them resident), merged into one:
// jobs, times, traffic and energy summed per layer (by tag), each layer with its engine's figures.
struct MergedProgram {
  nlohmann::json program;  // the IFU's program object, layers summed by tag
  std::map<uint32_t, std::pair<Engine, nlohmann::json>> engine;  // by layer tag
  // The program most of the package's jobs ran (its steady state: an LSTM package's first job also
  // loads the weights later jobs find resident, and dlvpc predicts the steady job).
  nlohmann::json steady;
  // CPUC: the package's CPU stages as the system controller's marks counted them (per layer).
  nlohmann::json cpu_layers = nlohmann::json::array();
};

// The mean time of layer `tag` in one job of `program` (ns); 0 when it ran no job.
double mean_layer_time_ns(const nlohmann::json& program, uint32_t tag) {
  const double jobs = number_or(program, "jobs_completed");
  if (jobs <= 0) return 0;
  for (const auto& layer : program["layers"])
    if (layer["tag"] == tag) return number_or(layer, "time_ns") / jobs;
  return 0;
}

// dlvpc's prediction of the layer (the package's, per job) per image, next to the measured time;
// the error against the steady-state program's mean (the job dlvpc predicts).
void add_prediction(const LoadedPackage& package, const nlohmann::json& steady, uint32_t tag, nlohmann::json& row) {
  const auto p = package.predicted_by_tag.find(tag);
  if (p == package.predicted_by_tag.end()) return;
  const double per_image_ns = 1e-3 / package.images_per_job;
  const package::LayerPrediction& t = p->second;
  row["predicted_time_ns"] = double(t.time_ps) * per_image_ns;
  row["predicted_engine_busy_ns"] = double(t.engine_busy_ps) * per_image_ns;
  row["predicted_memory_stall_ns"] = double(t.memory_stall_ps) * per_image_ns;
  row["predicted_store_tail_ns"] = double(t.store_tail_ps) * per_image_ns;
  row["predicted_other_ns"] = double(t.other_ps) * per_image_ns;
  const double measured = mean_layer_time_ns(steady, tag);
  if (measured > 0) row["prediction_error"] = double(t.time_ps) * 1e-3 / measured - 1.0;
}

const char* kTimeKeys[] = {"engine_busy_ns", "memory_stall_ns", "store_tail_ns", "other_ns", "span_ns", "overlapped_ns"};

// One layer of a package, per inference (sums over the completed jobs / images).
nlohmann::json layer_row(const Platform& p, const LoadedPackage* package, const MergedProgram& merged,
                         const nlohmann::json& ifu_layer, const std::string& unit, double images) {
  const auto& engines = merged.engine;
  const uint32_t tag = static_cast<uint32_t>(number_or(ifu_layer, "tag"));
  nlohmann::json row;
  row["tag"] = tag;
  const package::LayerRecord* r = nullptr;
  if (package && package->by_tag.count(tag)) r = &package->by_tag.at(tag);
  row["name"] = r ? package->name_by_tag.at(tag) : "layer" + std::to_string(tag);
  row["kind"] = r ? kind_name(r->kind) : "";
  row["input"] = r ? shape(r->in_c, r->in_h, r->in_w) : "";
  row["output"] = r ? shape(r->out_c, r->out_h, r->out_w) : "";
  row["time_ns"] = number_or(ifu_layer, "time_ns") / images;
  for (const char* key : kTimeKeys) row[key] = number_or(ifu_layer, key) / images;
  const auto engine = engines.find(tag);
  const Engine e = engine != engines.end() ? engine->second.first : Engine::kNone;
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& figures = e != Engine::kNone ? engine->second.second : empty;
  row["engine"] = e == Engine::kCnn ? "cnn" : e == Engine::kLstm ? "lstm" : "";
  row["macs"] = number_or(figures, "macs") / images;
  row["engine_busy_cycles"] = number_or(figures, "cycles") / images;
  const double time_ns = row["time_ns"].get<double>();
  row["GOPS"] = time_ns > 0 ? 2.0 * row["macs"].get<double>() / time_ns : 0.0;
  if (e == Engine::kCnn) {
    // Over the layer's time, and over the engine's busy cycles (the engine's own figure).
    const double mac_slots = time_ns * 1e-3 * p.cnn_clock_mhz * p.cnn_multipliers;
    row["mac_utilization"] = mac_slots > 0 ? row["macs"].get<double>() / mac_slots : 0.0;
    row["mac_utilization_busy"] = number_or(figures, "utilization");
  } else if (e == Engine::kLstm) {
    add_lstm_figures(figures, images, row);
  }
  add_energy(ifu_layer, unit, images, row);
  add_bound(p, ifu_layer, e == Engine::kLstm ? p.lstm_peak_gops : p.cnn_peak_gops, images, row);
  if (package) add_prediction(*package, merged.steady, tag, row);
  return row;
}

// CPUC: a CPU layer of a package, per inference: the time between the stage's marks (all of it
// the CPU's: engine "cpu", engine busy = time) and the energy counted meanwhile (the CPU's, its
// bus and DDR traffic, the static share of the stage's time).
nlohmann::json cpu_layer_row(const LoadedPackage* package, const nlohmann::json& stage, const std::string& unit,
                             double images) {
  const uint32_t tag = stage["tag"].get<uint32_t>();
  const package::LayerRecord* r = package && package->by_tag.count(tag) ? &package->by_tag.at(tag) : nullptr;
  nlohmann::json row;
  row["tag"] = tag;
  row["name"] = r ? package->name_by_tag.at(tag) : "layer" + std::to_string(tag);
  row["kind"] = r ? kind_name(r->kind) : "cpu";
  row["input"] = r ? shape(r->in_c, r->in_h, r->in_w) : "";
  row["output"] = r ? shape(r->out_c, r->out_h, r->out_w) : "";
  row["engine"] = "cpu";
  row["bound"] = "cpu";
  row["time_ns"] = number_or(stage, "time_ns") / images;
  for (const char* key : kTimeKeys) row[key] = 0.0;
  row["engine_busy_ns"] = row["span_ns"] = row["time_ns"];
  row["stages"] = number_or(stage, "stages_completed") / images;
  row["macs"] = 0.0;
  row["engine_busy_cycles"] = 0.0;
  row["GOPS"] = 0.0;
  add_energy(stage, unit, images, row);
  return row;
}

std::string precision(const PlatformConfig& config, bool cnn, bool lstm) {
  std::string p;
  if (cnn)
    p = "int8 weights and activations (dynamic fixed point), int" + std::to_string(config.cnn.accumulator_bits) +
        " accumulators";
  if (lstm)
    p += std::string(cnn ? "; LSTM engine: " : "") + "12-bit weights, 16-bit activations (fixed point), int" +
         std::to_string(config.lstm.accumulator_bits) + " accumulators";
  return p;
}

// Per inference: the layers' sums; utilization of the CNN engine's MACs over the CNN layers' time.
nlohmann::json package_total(const nlohmann::json& rows, const Platform& p) {
  nlohmann::json total = {{"name", "total"}};
  for (const char* key : {"time_ns", "engine_busy_ns", "memory_stall_ns", "store_tail_ns", "other_ns", "span_ns",
                          "overlapped_ns", "macs", "engine_busy_cycles", "dram_read_bytes", "dram_write_bytes", "energy",
                          "static_energy", "dynamic_energy"}) {
    double sum = 0;
    for (const auto& r : rows) sum += number_or(r, key);
    total[key] = sum;
  }
  std::map<std::string, double> levels;
  double cnn_macs = 0, cnn_time_ns = 0;
  for (const auto& r : rows) {
    for (const auto& [level, value] : r["energy_by_level"].items()) levels[level] += value.get<double>();
    if (r["engine"] == "cnn") cnn_macs += r["macs"].get<double>(), cnn_time_ns += r["time_ns"].get<double>();
  }
  total["energy_by_level"] = levels;
  const double time_ns = total["time_ns"].get<double>();
  total["GOPS"] = time_ns > 0 ? 2.0 * total["macs"].get<double>() / time_ns : 0.0;
  const double mac_slots = cnn_time_ns * 1e-3 * p.cnn_clock_mhz * p.cnn_multipliers;
  if (cnn_time_ns > 0) total["mac_utilization"] = mac_slots > 0 ? cnn_macs / mac_slots : 0.0;
  return total;
}

// The engine's figures of a layer summed over programs, with the engine's ratios recomputed from the
// sums (a package's programs run the same weights, so the PEs' per-PE loads add up exactly).
void finish_engine_figures(const Platform& p, Engine e, nlohmann::json& f) {
  const double cycles = number_or(f, "cycles");
  if (e == Engine::kCnn) {
    f["utilization"] = cycles > 0 && p.cnn_multipliers > 0 ? number_or(f, "macs") / (cycles * p.cnn_multipliers) : 0.0;
  } else if (e == Engine::kLstm && f.contains("pe_entries")) {
    const double mean = number_or(f["pe_entries"], "mean");
    f["pe_entries"]["imbalance"] = mean > 0 ? number_or(f["pe_entries"], "max") / mean : 0.0;
  }
}

// `staged`: the package's job runs in stages, each accelerator stage a program of its own: a job
// completes each of them once, so the jobs are the most any stage completed, and the times add.
void merge_program(const Platform& p, const nlohmann::json& program, bool staged, MergedProgram& m) {
  if (m.steady.is_null() || number_or(program, "jobs_completed") > number_or(m.steady, "jobs_completed"))
    m.steady = program;
  if (m.program.is_null()) {
    m.program = program;
    m.program["layers"] = nlohmann::json::array();
  } else {
    const double jobs = std::max(number_or(m.program, "jobs_completed"), number_or(program, "jobs_completed"));
    for (const char* key : {"jobs_completed", "job_time_ps", "job_time_ns", "jobs_excluded"}) {
      nlohmann::json part = {{key, program[key]}};
      nlohmann::json whole = {{key, m.program[key]}};
      add_numbers(whole, part);
      m.program[key] = whole[key];
    }
    if (staged) m.program["jobs_completed"] = jobs;
  }
  for (const auto& layer : program["layers"]) {
    const uint32_t tag = layer["tag"].get<uint32_t>();
    auto found = std::find_if(m.program["layers"].begin(), m.program["layers"].end(),
                              [&](const nlohmann::json& l) { return l["tag"] == tag; });
    if (found == m.program["layers"].end()) {
      m.program["layers"].push_back(layer);
    } else {
      add_numbers(*found, layer);
      (*found)["tag"] = tag;  // a key, not a figure
    }
    const auto engine = p.engine_layers.find(layer.value("ledger_tag", ""));
    if (engine == p.engine_layers.end()) continue;
    auto& [e, figures] = m.engine[tag];
    e = engine->second.first;
    add_numbers(figures, *engine->second.second);
    finish_engine_figures(p, e, figures);
  }
}

nlohmann::json package_report(const PlatformConfig& config, const Platform& p, const LoadedPackage* package,
                              const MergedProgram& merged, const std::string& unit) {
  const nlohmann::json& program = merged.program;
  const uint64_t base = program["instr_base"].get<uint64_t>();
  nlohmann::json out;
  out["package"] = package ? package->file : "";
  out["name"] = package_table_name(package, base);
  if (package && !package->problem.empty()) out["package_problem"] = package->problem;
  out["instr_base"] = base;
  const double jobs = number_or(program, "jobs_completed");
  const uint32_t per_job = package ? package->images_per_job : 1;
  out["jobs"] = jobs;
  out["jobs_excluded"] = program["jobs_excluded"];
  out["batch_size"] = per_job;  // images per job: an LSTM package's sequences
  out["images"] = jobs * per_job;
  const double images = jobs * per_job > 0 ? jobs * per_job : 1;
  nlohmann::json rows = nlohmann::json::array();
  bool cnn = false, lstm = false;
  for (const auto& layer : program["layers"]) {
    rows.push_back(layer_row(p, package, merged, layer, unit, images));
    cnn |= rows.back()["engine"] == "cnn";
    lstm |= rows.back()["engine"] == "lstm";
  }
  // CPUC: a job in stages is its accelerator stages and its CPU stages, one after the other.
  int64_t cpu_ps = 0;
  for (const auto& stage : merged.cpu_layers) {
    rows.push_back(cpu_layer_row(package, stage, unit, images));
    cpu_ps += stage["time_ps"].get<int64_t>();
  }
  if (!merged.cpu_layers.empty())  // in the package's order (dlvpc's tags are its layer indices)
    std::stable_sort(rows.begin(), rows.end(),
                     [](const nlohmann::json& a, const nlohmann::json& b) { return a["tag"] < b["tag"]; });
  const double job_time_ns = number_or(program, "job_time_ns") + double(cpu_ps) * 1e-3;
  out["precision"] = precision(config, cnn, lstm);
  out["job_time_ns"] = jobs > 0 ? job_time_ns / jobs : 0.0;
  if (package && package->predicted_job_ps > 0) {
    out["predicted_job_time_ns"] = double(package->predicted_job_ps) * 1e-3;
    const double steady_jobs = number_or(merged.steady, "jobs_completed");
    out["steady_job_time_ns"] = steady_jobs > 0 ? number_or(merged.steady, "job_time_ns") / steady_jobs : 0.0;
    if (out["steady_job_time_ns"].get<double>() > 0)
      out["job_prediction_error"] =
          out["predicted_job_time_ns"].get<double>() / out["steady_job_time_ns"].get<double>() - 1.0;
  }
  out["job_time_ps_total"] = program["job_time_ps"].get<int64_t>() + cpu_ps;
  nlohmann::json total = package_total(rows, p);
  // The check the table shows: the layers' times (exact, in ps) add up to the jobs' time.
  int64_t layers_ps = cpu_ps;
  for (const auto& layer : program["layers"]) layers_ps += layer["time_ps"].get<int64_t>();
  out["layers_time_ps_total"] = layers_ps;
  out["layers"] = rows;
  if (out.contains("predicted_job_time_ns")) {
    total["predicted_time_ns"] = out["predicted_job_time_ns"].get<double>() / per_job;
    if (out.contains("job_prediction_error")) total["prediction_error"] = out["job_prediction_error"];
  }
  out["total"] = total;
  out["per_inference"] = {
      {"time_ns", job_time_ns / images},
      {"GOPS", total["GOPS"]},  // end to end: 2 x MACs over the job time
      {"off_chip_bytes", total["dram_read_bytes"].get<double>() + total["dram_write_bytes"].get<double>()},
      {"macs", total["macs"]},
      {"engine_busy_cycles", total["engine_busy_cycles"]},
      {"layer_energy", total["energy"]},
      {"layer_static_energy", total["static_energy"]},
      {"layer_dynamic_energy", total["dynamic_energy"]},
      {"note", "per image; layer energy = the dynamic energy attributed to the layers (engine, buffers, DMA, bus, "
               "DRAM commands) + their share of the static energy during the jobs (by time); CPU layers: the CPU stages' "
               "energy between their marks (docs/periph.md); the CPU's other activity and the time between jobs "
               "are outside the layers (accelerator.energy_outside_layers)"}};
  return out;
}

// A CSV field per RFC 4180: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// Numeric columns of layers.csv after the text ones (name, kind, input, output, engine, bound); a
// row without the figure (the other engine's column) leaves it empty.
constexpr const char* kCsvNumbers[] = {
    "time_ns", "engine_busy_ns", "memory_stall_ns", "store_tail_ns", "other_ns", "span_ns", "overlapped_ns", "macs",
    "GOPS", "engine_busy_cycles", "mac_utilization", "mac_utilization_busy", "bound_utilization",
    "ops_per_dram_byte", "attainable_GOPS", "dram_read_bytes", "dram_write_bytes", "static_energy", "dynamic_energy",
    "predicted_time_ns", "prediction_error"};
constexpr const char* kResources[] = {"engine_utilization", "dram_utilization", "bus_utilization",
                                      "buffer_port_utilization"};
constexpr const char* kLstmColumns[] = {"nonzero_macs",   "dense_macs",   "pe_entries_min", "pe_entries_mean",
                                        "pe_entries_max", "pe_imbalance", "effective_GOPS", "dense_equivalent_GOPS"};

}  // namespace

nlohmann::json build_layer_report(const PlatformConfig& config, const nlohmann::json& report) {
  const Platform p = platform_of(config, report);
  if (!p.ifu || (*p.ifu)["programs"].empty()) return nullptr;
  const std::string unit = report["energy"]["unit"];
  const std::vector<LoadedPackage> packages = loaded_packages(config);
  nlohmann::json out;
  out["energy_unit"] = unit;
  // Programs by package (index into packages; unnamed programs each on their own, after them).
  std::map<size_t, MergedProgram> merged;
  size_t unnamed = packages.size();
  for (const auto& program : (*p.ifu)["programs"]) {
    const LoadedPackage* package = package_at(packages, program["instr_base"].get<uint64_t>());
    merge_program(p, program, package && package->stage_count > 0,
                  merged[package ? size_t(package - packages.data()) : unnamed++]);
  }
  // A job in stages is the steady state of all its accelerator stages together (what dlvpc predicts).
  for (auto& [index, m] : merged)
    if (index < packages.size() && packages[index].stage_count > 0) m.steady = m.program;
  // CPUC: each package's CPU stages (a stage of a package that ran no accelerator job: outside).
  for (const auto& [name, stats] : report["modules"].items())
    for (const auto& stage : stats.value("cpu_stages", nlohmann::json::array())) {
      const LoadedPackage* package = package_at(packages, stage["package"].get<uint64_t>());
      const auto m = package ? merged.find(size_t(package - packages.data())) : merged.end();
      if (m != merged.end()) m->second.cpu_layers.push_back(stage);
    }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [index, m] : merged)
    list.push_back(package_report(config, p, index < packages.size() ? &packages[index] : nullptr, m, unit));
  out["packages"] = list;
  // What the layers leave out of the run's energy: the CPU, the time between jobs, untagged traffic.
  double in_layers = 0;
  for (const auto& package : list) in_layers += number_or(package["total"], "energy") * number_or(package, "images");
  const double total = number_or(report["energy"], "total");
  out["energy_in_layers"] = in_layers;
  out["energy_outside_layers"] = total - in_layers;
  nlohmann::json problems = nlohmann::json::array();
  for (const LoadedPackage& package : packages)
    if (!package.problem.empty()) problems.push_back(package.problem);
  if (!problems.empty()) out["package_problems"] = problems;
  return out;
}

void write_layers_csv(std::ostream& os, const nlohmann::json& a) {
  const std::string unit = a["energy_unit"];
  os.precision(std::numeric_limits<double>::max_digits10);
  os << "package,layer,name,kind,input,output,engine,bound";
  for (const char* column : kCsvNumbers) os << "," << column;
  for (const char* column : kResources) os << "," << column;
  for (int l = 0; l < kLevelCount; ++l) os << ",energy_" << to_string(static_cast<Level>(l)) << "_" << unit;
  os << ",energy_" << unit;
  for (const char* column : kLstmColumns) os << "," << column;
  os << ",busiest_buffer,busiest_buffer_side\n";
  const auto cell = [&](const nlohmann::json& r, const char* key) {
    os << ",";
    if (r.contains(key) && r[key].is_number()) os << r[key].get<double>();
  };
  for (const auto& package : a["packages"]) {
    const std::string name = csv_field(package["name"].get<std::string>());
    const auto row = [&](const std::string& index, const nlohmann::json& r) {
      os << name << "," << index << "," << csv_field(r.value("name", "total")) << "," << csv_field(r.value("kind", ""))
         << "," << csv_field(r.value("input", "")) << "," << csv_field(r.value("output", "")) << ","
         << csv_field(r.value("engine", "")) << "," << csv_field(r.value("bound", ""));
      for (const char* column : kCsvNumbers) cell(r, column);
      const nlohmann::json none = nlohmann::json::object();
      for (const char* column : kResources) cell(r.value("utilization_by_resource", none), column);
      for (int l = 0; l < kLevelCount; ++l) cell(r.value("energy_by_level", none), to_string(static_cast<Level>(l)));
      cell(r, "energy");
      for (const char* column : kLstmColumns) cell(r, column);
      const nlohmann::json port = r.value("buffer_port", none);
      os << "," << csv_field(port.value("buffer", "")) << "," << csv_field(port.value("side", "")) << "\n";
    };
    for (const auto& r : package["layers"]) row(std::to_string(r["tag"].get<uint32_t>()), r);
    row("total", package["total"]);
  }
}

namespace {

void print_package_heading(std::ostream& os, const nlohmann::json& pkg) {
  std::ostringstream excluded;
  for (const auto& [reason, count] : pkg["jobs_excluded"].items())
    excluded << (excluded.tellp() > 0 ? ", " : "") << count.get<uint64_t>() << " " << reason;
  std::string source = pkg["package"].get<std::string>().empty() ? "unnamed layers" : pkg["package"].get<std::string>();
  if (pkg.contains("package_problem")) source = "unnamed layers: " + pkg["package_problem"].get<std::string>();
  os << "package " << utf8::printable(pkg["name"].get<std::string>()) << " (" << utf8::printable(source)
     << "), per inference = per image: batch " << pkg["batch_size"].get<uint32_t>() << " image(s) per job, "
     << pkg["precision"].get<std::string>() << "\n";
  char line[512];
  const double jobs = pkg["jobs"].get<double>();
  const int64_t job_ps = pkg["job_time_ps_total"].get<int64_t>(), layers_ps = pkg["layers_time_ps_total"].get<int64_t>();
  std::snprintf(line, sizeof line,
                "  %.0f whole jobs (%s excluded); job %.3f us = layers %.3f us (%s); end to end %.2f GOPS, "
                "%.3f us per image\n",
                jobs, excluded.str().empty() ? "none" : excluded.str().c_str(), pkg["job_time_ns"].get<double>() / 1e3,
                jobs > 0 ? double(layers_ps) / jobs / 1e6 : 0.0, job_ps == layers_ps ? "exact" : "MISMATCH",
                number_or(pkg["per_inference"], "GOPS"), number_or(pkg["per_inference"], "time_ns") / 1e3);
  os << line;
  if (pkg.contains("predicted_job_time_ns")) {
    std::snprintf(line, sizeof line, "  dlvpc predicted a job of %.3f us, the steady jobs took %.3f us (%+.1f %%; \"pred %%\" per layer)\n",
                  pkg["predicted_job_time_ns"].get<double>() / 1e3, pkg["steady_job_time_ns"].get<double>() / 1e3,
                  100.0 * pkg.value("job_prediction_error", 0.0));
    os << line;
  }
}

}  // namespace

void print_layer_report(std::ostream& os, const nlohmann::json& a) {
  const std::string unit = a["energy_unit"];
  char line[1024];
  if (a.contains("package_problems"))
    for (const auto& problem : a["package_problems"])
      os << "package refused by the report's reader (its layers unnamed): " << utf8::printable(problem.get<std::string>())
         << "\n";
  for (const auto& pkg : a["packages"]) {
    print_package_heading(os, pkg);
    std::snprintf(line, sizeof line,
                  "  %-3s %-24s %-11s %-10s %10s %8s %10s %10s %10s %10s %10s %11s %7s %-12s %5s %10s %10s %10s %10s %10s\n",
                  "#", "layer", "kind", "output", "time us", "pred %", "busy us", "stall us", "tail us", "other us", "overlap us",
                  "MACs", "GOPS", "bound", "util%", "DRAM rd B", "DRAM wr B", "static", "dynamic", "energy");
    os << line;
    const auto print = [&](const std::string& index, const nlohmann::json& r) {
      // Long names are cut between characters, marked: ONNX names end with what they are.
      std::string name = r.value("name", "total");
      if (name.size() > 24) name = "~" + std::string(utf8::tail(name, 23));
      const std::string kind = r.value("kind", "").empty() ? r.value("engine", "") : r.value("kind", "");
      // dlvpc's prediction against the measured time: +3.2 means predicted 3.2 % longer.
      char predicted[16] = "-";
      if (r.contains("prediction_error"))
        std::snprintf(predicted, sizeof predicted, "%+.1f", 100.0 * number_or(r, "prediction_error"));
      // A buffer port bound names its side: the DMA's socket or the engine's datapath port.
      std::string bound = r.value("bound", "");
      if (bound == "buffer_port" && r.contains("buffer_port")) bound = "buf:" + r["buffer_port"].value("side", "");
      char utilization[16] = "";
      if (r.contains("bound_utilization"))
        std::snprintf(utilization, sizeof utilization, "%.1f", 100.0 * number_or(r, "bound_utilization"));
      std::snprintf(line, sizeof line,
                    "  %-3s %s %-11s %-10s %10.3f %8s %10.3f %10.3f %10.3f %10.3f %10.3f %11.0f %7.2f %-12s %5s %10.0f "
                    "%10.0f %10s %10s %10s\n",
                    index.c_str(), utf8::column(name, 24).c_str(), kind.c_str(), r.value("output", "").c_str(),
                    number_or(r, "time_ns") / 1e3, predicted, number_or(r, "engine_busy_ns") / 1e3,
                    number_or(r, "memory_stall_ns") / 1e3, number_or(r, "store_tail_ns") / 1e3,
                    number_or(r, "other_ns") / 1e3, number_or(r, "overlapped_ns") / 1e3, number_or(r, "macs"),
                    number_or(r, "GOPS"), bound.c_str(), utilization, number_or(r, "dram_read_bytes"),
                    number_or(r, "dram_write_bytes"), format_energy(number_or(r, "static_energy"), unit).c_str(),
                    format_energy(number_or(r, "dynamic_energy"), unit).c_str(),
                    format_energy(number_or(r, "energy"), unit).c_str());
      os << line;
    };
    for (const auto& r : pkg["layers"]) print(std::to_string(r["tag"].get<uint32_t>()), r);
    print("", pkg["total"]);
  }
  os << "energy of the run: " << format_energy(number_or(a, "energy_in_layers"), unit) << " in the layers above (all images) + "
     << format_energy(number_or(a, "energy_outside_layers"), unit)
     << " outside them (CPU, time between jobs, traffic of no layer) = "
     << format_energy(number_or(a, "energy_in_layers") + number_or(a, "energy_outside_layers"), unit) << "\n";
}

}  // namespace dlvp
