#include "platform/layer_report.h"

#include "ip/common/energy_ledger.h"
#include "ip/common/utf8.h"
#include "platform/package_file.h"
#include "platform/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

namespace dlvp {
namespace {

// The layer records, by tag, of the first model package among the loaded files (a file that starts
// with the package magic). A package the host-side reader refuses gives no records and the reason.
struct PackageLayers {
  std::string file, problem;
  std::map<uint32_t, package::LayerRecord> by_tag;
};

PackageLayers package_layers(const PlatformConfig& config) {
  PackageLayers p;
  for (const MemoryLoad& load : config.software.load) {
    if (!package::is_package_file(load.path)) continue;
    p.file = load.file;
    package::PackageContents contents;
    p.problem = utf8::valid(package::read_package_file(load.path, contents));
    for (const package::LayerRecord& r : contents.layers) p.by_tag[r.tag] = r;
    break;
  }
  return p;
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
  if (number_or(stats, "instructions") <= 0) return Engine::kNone;
  if (stats.contains("peak_GOPS")) return Engine::kCnn;
  if (stats.contains("stream_faults")) return Engine::kLstm;
  return Engine::kNone;
}

const char* engine_name(Engine e) { return e == Engine::kCnn ? "cnn" : "lstm"; }

// The sparse LSTM engine's per-layer figures (docs/lstm.md, "Engine: timing"): the PEs' load
// (entries walked, padding included) and the layer's throughput.
void add_lstm_figures(const nlohmann::json& layer, nlohmann::json& row) {
  for (const char* key : {"nonzero_macs", "dense_macs", "effective_GOPS", "dense_equivalent_GOPS"})
    row[key] = number_or(layer, key);
  const nlohmann::json& load = layer.contains("pe_entries") ? layer["pe_entries"] : nlohmann::json::object();
  row["pe_entries_min"] = number_or(load, "min");
  row["pe_entries_mean"] = number_or(load, "mean");
  row["pe_entries_max"] = number_or(load, "max");
  row["pe_imbalance"] = number_or(load, "imbalance");
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

// The LSTM engine's columns of layers.csv (after the common ones; empty in the CNN engine's rows,
// as `utilization` is in the LSTM engine's).
constexpr const char* kLstmColumns[] = {"nonzero_macs",   "dense_macs",   "pe_entries_min", "pe_entries_mean",
                                        "pe_entries_max", "pe_imbalance", "effective_GOPS", "dense_equivalent_GOPS"};

// A CSV field per RFC 4180: quoted (quotes doubled) when it holds a comma, a quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

nlohmann::json build_layer_report(const PlatformConfig& config, const nlohmann::json& report) {
  std::vector<std::pair<Engine, const nlohmann::json*>> engines;
  double jobs = 0;
  for (const auto& [name, stats] : report["modules"].items()) {
    if (const Engine e = engine_of(stats); e != Engine::kNone) engines.emplace_back(e, &stats);
    if (stats.contains("jobs_done")) jobs = number_or(stats, "jobs_done");
  }
  if (engines.empty()) return nullptr;
  const std::string unit = report["energy"]["unit"];
  const PackageLayers package = package_layers(config);
  const auto& records = package.by_tag;

  nlohmann::json out;
  out["package"] = package.file;
  if (!package.problem.empty()) out["package_problem"] = package.problem;
  out["jobs"] = jobs;
  out["batch_size"] = 1;  // one input per job
  out["energy_unit"] = unit;
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json total = {{"macs", 0.0}, {"cycles", 0.0}, {"time_ns", 0.0}, {"dram_read_bytes", 0.0},
                          {"dram_write_bytes", 0.0}};
  std::map<std::string, double> total_levels;
  double cnn_macs = 0, cnn_cycles = 0, multipliers = 0;
  bool cnn_ran = false, lstm_ran = false;
  for (const auto& [engine, stats] : engines) {
    (engine == Engine::kCnn ? cnn_ran : lstm_ran) = true;
    if (engine == Engine::kCnn) multipliers = number_or(*stats, "multipliers");
    for (const auto& layer : (*stats)["layers"]) {
      const uint32_t tag = static_cast<uint32_t>(number_or(layer, "tag"));
      nlohmann::json row;
      row["tag"] = tag;
      row["engine"] = engine_name(engine);
      const auto r = records.find(tag);
      row["name"] = r != records.end() ? package::layer_name(r->second) : "layer" + std::to_string(tag);
      row["kind"] = r != records.end() ? kind_name(r->second.kind) : "";
      row["input"] = r != records.end() ? shape(r->second.in_c, r->second.in_h, r->second.in_w) : "";
      row["output"] = r != records.end() ? shape(r->second.out_c, r->second.out_h, r->second.out_w) : "";
      for (const char* key : {"macs", "cycles", "time_ns", "dram_read_bytes", "dram_write_bytes"})
        row[key] = number_or(layer, key);
      if (engine == Engine::kCnn) {
        row["utilization"] = number_or(layer, "utilization");
        cnn_macs += row["macs"].get<double>();
        cnn_cycles += row["cycles"].get<double>();
      } else {
        add_lstm_figures(layer, row);
      }
      row["energy_by_level"] = layer["energy_by_level_" + unit];
      row["energy"] = number_or(layer, "energy_" + unit);
      for (const char* key : {"macs", "cycles", "time_ns", "dram_read_bytes", "dram_write_bytes"})
        total[key] = total[key].get<double>() + row[key].get<double>();
      for (const auto& [level, value] : row["energy_by_level"].items()) total_levels[level] += value.get<double>();
      rows.push_back(row);
    }
  }
  // A package's layers in its order (tags), whichever engine ran them.
  std::stable_sort(rows.begin(), rows.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a["tag"].get<uint32_t>() < b["tag"].get<uint32_t>();
  });
  out["precision"] = precision(config, cnn_ran, lstm_ran);
  total["energy_by_level"] = total_levels;
  double energy = 0;
  for (const auto& [level, value] : total_levels) energy += value;
  total["energy"] = energy;
  // Utilization is the CNN engine's (its multipliers): over its layers only.
  if (cnn_ran) total["utilization"] = cnn_cycles > 0 && multipliers > 0 ? cnn_macs / (cnn_cycles * multipliers) : 0.0;
  out["layers"] = rows;
  out["total"] = total;
  const double per = jobs > 0 ? jobs : 1;
  out["per_inference"] = {
      {"off_chip_bytes", (total["dram_read_bytes"].get<double>() + total["dram_write_bytes"].get<double>()) / per},
      {"macs", total["macs"].get<double>() / per},
      {"engine_cycles", total["cycles"].get<double>() / per},
      {"engine_time_ns", total["time_ns"].get<double>() / per},
      {"layer_energy", energy / per},
      {"note", "layer energy = dynamic energy attributed to the layers (engine, buffers, DMA, bus, DRAM commands); "
               "DRAM background and CPU activity are in the run's energy total"}};
  return out;
}

void write_layers_csv(std::ostream& os, const nlohmann::json& a) {
  const std::string unit = a["energy_unit"];
  os << "layer,name,kind,input,output,macs,cycles,time_ns,utilization,dram_read_bytes,dram_write_bytes";
  for (int l = 0; l < kLevelCount; ++l) os << ",energy_" << to_string(static_cast<Level>(l)) << "_" << unit;
  os << ",energy_" << unit << ",engine";
  for (const char* column : kLstmColumns) os << "," << column;
  os << "\n";
  // A figure the row has, or an empty cell (a column of the other engine).
  const auto cell = [&](const nlohmann::json& r, const char* key) {
    if (r.contains(key) && r[key].is_number()) os << r[key].get<double>();
  };
  const auto row = [&](const std::string& index, const nlohmann::json& r) {
    os << index << "," << csv_field(r.value("name", "total")) << "," << csv_field(r.value("kind", "")) << ","
       << csv_field(r.value("input", "")) << "," << csv_field(r.value("output", "")) << "," << number_or(r, "macs")
       << "," << number_or(r, "cycles") << "," << number_or(r, "time_ns") << ",";
    cell(r, "utilization");
    os << "," << number_or(r, "dram_read_bytes") << "," << number_or(r, "dram_write_bytes");
    for (int l = 0; l < kLevelCount; ++l) os << "," << number_or(r["energy_by_level"], to_string(static_cast<Level>(l)));
    os << "," << number_or(r, "energy") << "," << csv_field(r.value("engine", ""));
    for (const char* column : kLstmColumns) {
      os << ",";
      cell(r, column);
    }
    os << "\n";
  };
  for (const auto& r : a["layers"]) row(std::to_string(r["tag"].get<uint32_t>()), r);
  row("total", a["total"]);
}

void print_layer_report(std::ostream& os, const nlohmann::json& a) {
  const std::string unit = a["energy_unit"];
  const double jobs = a["jobs"].get<double>() > 0 ? a["jobs"].get<double>() : 1;
  std::string names = a["package"].get<std::string>().empty() ? "unnamed layers" : a["package"].get<std::string>();
  if (a.contains("package_problem")) names = "unnamed layers: " + a["package_problem"].get<std::string>();
  char line[1024];  // the heading holds the package path and both engines' precisions
  std::snprintf(line, sizeof line,
                "per layer and inference (%s; batch %d, %s; averaged over %.0f jobs; energy attributed to the layer):\n"
                "  %-3s %-24s %-7s %-10s %-10s %11s %9s %6s %10s %10s %10s %10s %10s %10s %10s\n",
                names.c_str(), a["batch_size"].get<int>(), a["precision"].get<std::string>().c_str(), jobs, "#", "layer",
                "kind", "input", "output", "MACs", "cycles", "util%", "DRAM rd B", "DRAM wr B", "dram", "buffer",
                "array+rf", "mac", "total");
  os << line;
  const auto print = [&](const std::string& index, const nlohmann::json& r) {
    const auto& e = r["energy_by_level"];
    std::string name = r.value("name", "total");
    if (name.size() > 24) name = "~" + std::string(utf8::tail(name, 23));  // ONNX names end with what they are
    const auto energy = [&](double v) { return format_energy(v / jobs, unit); };
    const std::string kind = r.value("kind", "").empty() ? r.value("engine", "") : r.value("kind", "");
    // Utilization is the CNN engine's figure; the LSTM engine's rows have none.
    char utilization[16] = "-";
    if (r.contains("utilization")) std::snprintf(utilization, sizeof utilization, "%.1f", 100.0 * number_or(r, "utilization"));
    std::snprintf(line, sizeof line, "  %-3s %-24s %-7s %-10s %-10s %11.0f %9.0f %6s %10.0f %10.0f %10s %10s %10s %10s %10s\n",
                  index.c_str(), name.c_str(), kind.c_str(), r.value("input", "").c_str(),
                  r.value("output", "").c_str(), number_or(r, "macs") / jobs, number_or(r, "cycles") / jobs,
                  utilization, number_or(r, "dram_read_bytes") / jobs,
                  number_or(r, "dram_write_bytes") / jobs, energy(number_or(e, "dram")).c_str(),
                  energy(number_or(e, "buffer")).c_str(), energy(number_or(e, "array") + number_or(e, "rf")).c_str(),
                  energy(number_or(e, "mac")).c_str(), energy(number_or(r, "energy")).c_str());
    os << line;
  };
  for (const auto& r : a["layers"]) print(std::to_string(r["tag"].get<uint32_t>()), r);
  print("", a["total"]);
}

}  // namespace dlvp
