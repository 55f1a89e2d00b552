#include "platform/layer_report.h"

#include "ip/common/energy_ledger.h"
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
namespace {

// A model package among software.load: where it lies in DDR and its layer records by tag. A package
// the host-side reader refuses gives no records and the reason.
struct LoadedPackage {
  std::string file, problem;
  uint64_t address = 0, bytes = 0;
  uint32_t images_per_job = 1;  // an LSTM package's sequences per job
  std::map<uint32_t, package::LayerRecord> by_tag;
};

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
    for (const package::LayerRecord& r : contents.layers) p.by_tag[r.tag] = r;
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
  for (const auto& [name, stats] : report["modules"].items()) {
    if (stats.contains("programs")) p.ifu = &stats;
    if (stats.contains("peak_bandwidth_GBps")) p.dram_peak_Bps += number_or(stats, "peak_bandwidth_GBps") * 1e9;
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

// The layer's energy and DRAM traffic: every ledger counter attributed to its tag over the
// completed jobs (engine, buffers, DMA staging, bus beats, DDR commands and bursts), per inference.
// Static energy per layer (a share of DRAM background and leakage) would join here.
void add_energy(const nlohmann::json& ifu_layer, const std::string& unit, double per, nlohmann::json& row) {
  row["dram_read_bytes"] = number_or(ifu_layer, "dram_read_bytes") / per;
  row["dram_write_bytes"] = number_or(ifu_layer, "dram_write_bytes") / per;
  nlohmann::json levels = nlohmann::json::object();
  const nlohmann::json& by_level = ifu_layer.value("energy_by_level_" + unit, nlohmann::json::object());
  for (int l = 0; l < kLevelCount; ++l) {
    const char* level = to_string(static_cast<Level>(l));
    levels[level] = number_or(by_level, level) / per;
  }
  row["energy_by_level"] = levels;
  row["energy"] = number_or(ifu_layer, "energy_" + unit) / per;
}

// The busiest on-chip buffer's port utilization over `time_ns`: its 64-bit accesses x 8 B over
// what its ports move in that time (clock x port width x ports).
double buffer_port_utilization(const Platform& p, const nlohmann::json& ifu_layer, double time_ns, double per) {
  double most = 0;
  if (!ifu_layer.contains("buffer_accesses_64b")) return 0;
  for (const auto& [module, accesses] : ifu_layer["buffer_accesses_64b"].items()) {
    if (!p.modules->contains(module)) continue;
    const nlohmann::json& b = (*p.modules)[module];
    const double capacity = time_ns * 1e-3 * number_or(b, "clock_MHz") * number_or(b, "port_width_bytes") * number_or(b, "ports");
    if (capacity > 0) most = std::max(most, accesses.get<double>() / per * 8.0 / capacity);
  }
  return most;
}

// The resource that bounds the layer (docs/report.md, "Bound"): the highest utilization over the
// layer's time among the engine, DRAM, the system bus and the busiest buffer port; and roofline data.
void add_bound(const Platform& p, const nlohmann::json& ifu_layer, double peak_gops, double per, nlohmann::json& row) {
  const double time_ns = row["time_ns"].get<double>();
  const double dram_bytes = row["dram_read_bytes"].get<double>() + row["dram_write_bytes"].get<double>();
  const auto share = [&](double used, double capacity) { return capacity > 0 ? used / capacity : 0.0; };
  const std::vector<std::pair<const char*, double>> utilization = {
      {"engine", share(row["engine_busy_ns"].get<double>(), time_ns)},
      {"dram", share(dram_bytes, time_ns * 1e-9 * p.dram_peak_Bps)},
      // A layer's LOAD/STORE traffic crosses the system bus once, between DDR and the DMA.
      {"bus", share(dram_bytes, time_ns * 1e-9 * p.bus_Bps)},
      // The CNN engine's buffers serve it through the ports they model; the LSTM engine's PEs and
      // element-wise unit have ports of their own, whose rate its timing models (engine busy).
      {"buffer_port", row["engine"] == "cnn" ? buffer_port_utilization(p, ifu_layer, time_ns, per) : 0.0}};
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

const char* kTimeKeys[] = {"engine_busy_ns", "memory_stall_ns", "store_tail_ns", "other_ns", "span_ns", "overlapped_ns"};

// One layer of a package, per inference (sums over the completed jobs / images).
nlohmann::json layer_row(const Platform& p, const LoadedPackage* package, const nlohmann::json& ifu_layer,
                         const std::map<uint32_t, std::pair<Engine, nlohmann::json>>& engines, const std::string& unit,
                         double images) {
  const uint32_t tag = static_cast<uint32_t>(number_or(ifu_layer, "tag"));
  nlohmann::json row;
  row["tag"] = tag;
  const package::LayerRecord* r = nullptr;
  if (package && package->by_tag.count(tag)) r = &package->by_tag.at(tag);
  row["name"] = r ? package::layer_name(*r) : "layer" + std::to_string(tag);
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
  // dlvpc's predicted time per layer (from the package) would join here, next to time_ns.
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
                          "overlapped_ns", "macs", "engine_busy_cycles", "dram_read_bytes", "dram_write_bytes", "energy"}) {
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

// The programs (INSTR_BASE) that ran from one package (a package may start its jobs at several
// places: a first job that loads the weights, later ones that find them resident), merged into one:
// jobs, times, traffic and energy summed per layer (by tag), each layer with its engine's figures.
struct MergedProgram {
  nlohmann::json program;  // the IFU's program object, layers summed by tag
  std::map<uint32_t, std::pair<Engine, nlohmann::json>> engine;  // by layer tag
};

void merge_program(const Platform& p, const nlohmann::json& program, MergedProgram& m) {
  if (m.program.is_null()) {
    m.program = program;
    m.program["layers"] = nlohmann::json::array();
  } else {
    for (const char* key : {"jobs_completed", "job_time_ps", "job_time_ns", "jobs_excluded"}) {
      nlohmann::json part = {{key, program[key]}};
      nlohmann::json whole = {{key, m.program[key]}};
      add_numbers(whole, part);
      m.program[key] = whole[key];
    }
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
  char unnamed[32];
  std::snprintf(unnamed, sizeof unnamed, "program@0x%llx", static_cast<unsigned long long>(base));
  out["name"] = package ? std::filesystem::path(package->file).stem().string() : std::string(unnamed);
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
    rows.push_back(layer_row(p, package, layer, merged.engine, unit, images));
    cnn |= rows.back()["engine"] == "cnn";
    lstm |= rows.back()["engine"] == "lstm";
  }
  out["precision"] = precision(config, cnn, lstm);
  out["job_time_ns"] = jobs > 0 ? number_or(program, "job_time_ns") / jobs : 0.0;
  out["job_time_ps_total"] = program["job_time_ps"];
  nlohmann::json total = package_total(rows, p);
  // The check the table shows: the layers' times (exact, in ps) add up to the jobs' time.
  int64_t layers_ps = 0;
  for (const auto& layer : program["layers"]) layers_ps += layer["time_ps"].get<int64_t>();
  out["layers_time_ps_total"] = layers_ps;
  out["layers"] = rows;
  out["total"] = total;
  out["per_inference"] = {
      {"time_ns", number_or(program, "job_time_ns") / images},
      {"GOPS", total["GOPS"]},  // end to end: 2 x MACs over the job time
      {"off_chip_bytes", total["dram_read_bytes"].get<double>() + total["dram_write_bytes"].get<double>()},
      {"macs", total["macs"]},
      {"engine_busy_cycles", total["engine_busy_cycles"]},
      {"layer_energy", total["energy"]},
      {"note", "per image; layer energy = dynamic energy attributed to the layers (engine, buffers, DMA, bus, DRAM "
               "commands); DRAM background and CPU activity are in the run's energy total"}};
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
    "ops_per_dram_byte", "attainable_GOPS", "dram_read_bytes", "dram_write_bytes"};
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
    merge_program(p, program, merged[package ? size_t(package - packages.data()) : unnamed++]);
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [index, m] : merged)
    list.push_back(package_report(config, p, index < packages.size() ? &packages[index] : nullptr, m, unit));
  out["packages"] = list;
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
  os << "\n";
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
      os << "\n";
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
                  "  %-3s %-24s %-7s %-10s %10s %10s %10s %10s %10s %10s %11s %7s %-11s %5s %10s %10s %10s\n", "#",
                  "layer", "kind", "output", "time us", "busy us", "stall us", "tail us", "other us", "overlap us",
                  "MACs", "GOPS", "bound", "util%", "DRAM rd B", "DRAM wr B", "energy");
    os << line;
    const auto print = [&](const std::string& index, const nlohmann::json& r) {
      // Long names are cut between characters, marked: ONNX names end with what they are.
      std::string name = r.value("name", "total");
      if (name.size() > 24) name = "~" + std::string(utf8::tail(name, 23));
      const std::string kind = r.value("kind", "").empty() ? r.value("engine", "") : r.value("kind", "");
      char utilization[16] = "";
      if (r.contains("bound_utilization"))
        std::snprintf(utilization, sizeof utilization, "%.1f", 100.0 * number_or(r, "bound_utilization"));
      std::snprintf(line, sizeof line,
                    "  %-3s %s %-7s %-10s %10.3f %10.3f %10.3f %10.3f %10.3f %10.3f %11.0f %7.2f %-11s %5s %10.0f "
                    "%10.0f %10s\n",
                    index.c_str(), utf8::column(name, 24).c_str(), kind.c_str(), r.value("output", "").c_str(),
                    number_or(r, "time_ns") / 1e3, number_or(r, "engine_busy_ns") / 1e3,
                    number_or(r, "memory_stall_ns") / 1e3, number_or(r, "store_tail_ns") / 1e3,
                    number_or(r, "other_ns") / 1e3, number_or(r, "overlapped_ns") / 1e3, number_or(r, "macs"),
                    number_or(r, "GOPS"), r.value("bound", "").c_str(), utilization, number_or(r, "dram_read_bytes"),
                    number_or(r, "dram_write_bytes"), format_energy(number_or(r, "energy"), unit).c_str());
      os << line;
    };
    for (const auto& r : pkg["layers"]) print(std::to_string(r["tag"].get<uint32_t>()), r);
    print("", pkg["total"]);
  }
}

}  // namespace dlvp
