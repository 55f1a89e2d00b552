#include "platform/layer_report.h"

#include "ip/common/energy_ledger.h"
#include "platform/model_package.h"
#include "platform/report.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>

namespace dlvp {
namespace {

// Layer records by tag of the first package (version 2) among the loaded files.
std::map<uint32_t, package::LayerRecord> package_layers(const PlatformConfig& config, std::string& file) {
  std::map<uint32_t, package::LayerRecord> layers;
  for (const MemoryLoad& load : config.software.load) {
    std::ifstream in(load.path, std::ios::binary);
    package::PackageHeader h{};
    if (!in.read(reinterpret_cast<char*>(&h), sizeof h)) continue;
    if (std::memcmp(h.magic, package::kMagic, sizeof h.magic) != 0 || h.version != package::kVersion) continue;
    in.seekg(static_cast<std::streamoff>(h.layers_offset));
    for (uint32_t i = 0; i < h.layer_count; ++i) {
      package::LayerRecord r{};
      if (!in.read(reinterpret_cast<char*>(&r), sizeof r)) break;
      r.name[sizeof r.name - 1] = 0;
      layers[r.tag] = r;
    }
    file = load.file;
    break;
  }
  return layers;
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
    default: return "?";
  }
}

}  // namespace

nlohmann::json build_layer_report(const PlatformConfig& config, const nlohmann::json& report) {
  const nlohmann::json* engine = nullptr;
  double jobs = 0;
  for (const auto& [name, stats] : report["modules"].items()) {
    if (stats.contains("peak_GOPS") && number_or(stats, "instructions") > 0) engine = &stats;
    if (stats.contains("jobs_done")) jobs = number_or(stats, "jobs_done");
  }
  if (!engine) return nullptr;
  const std::string unit = report["energy"]["unit"];
  std::string package_file;
  const auto records = package_layers(config, package_file);

  nlohmann::json out;
  out["package"] = package_file;
  out["jobs"] = jobs;
  out["batch_size"] = 1;  // one input per job
  out["precision"] = "int8 weights and activations (dynamic fixed point), int" +
                     std::to_string(config.cnn.accumulator_bits) + " accumulators";
  out["energy_unit"] = unit;
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json total = {{"macs", 0.0}, {"cycles", 0.0}, {"dram_read_bytes", 0.0}, {"dram_write_bytes", 0.0}};
  std::map<std::string, double> total_levels;
  for (const auto& layer : (*engine)["layers"]) {
    const uint32_t tag = static_cast<uint32_t>(number_or(layer, "tag"));
    nlohmann::json row;
    row["tag"] = tag;
    const auto r = records.find(tag);
    row["name"] = r != records.end() ? std::string(r->second.name) : "layer" + std::to_string(tag);
    row["kind"] = r != records.end() ? kind_name(r->second.kind) : "";
    row["input"] = r != records.end() ? shape(r->second.in_c, r->second.in_h, r->second.in_w) : "";
    row["output"] = r != records.end() ? shape(r->second.out_c, r->second.out_h, r->second.out_w) : "";
    for (const char* key : {"macs", "cycles", "time_ns", "utilization", "dram_read_bytes", "dram_write_bytes"})
      row[key] = number_or(layer, key);
    row["energy_by_level"] = layer["energy_by_level_" + unit];
    row["energy"] = number_or(layer, "energy_" + unit);
    for (const char* key : {"macs", "cycles", "dram_read_bytes", "dram_write_bytes"})
      total[key] = total[key].get<double>() + row[key].get<double>();
    for (const auto& [level, value] : row["energy_by_level"].items()) total_levels[level] += value.get<double>();
    rows.push_back(row);
  }
  total["energy_by_level"] = total_levels;
  double energy = 0;
  for (const auto& [level, value] : total_levels) energy += value;
  total["energy"] = energy;
  const double multipliers = number_or(*engine, "multipliers");
  total["utilization"] = total["cycles"].get<double>() > 0 && multipliers > 0
                             ? total["macs"].get<double>() / (total["cycles"].get<double>() * multipliers)
                             : 0.0;
  out["layers"] = rows;
  out["total"] = total;
  const double per = jobs > 0 ? jobs : 1;
  out["per_inference"] = {
      {"off_chip_bytes", (total["dram_read_bytes"].get<double>() + total["dram_write_bytes"].get<double>()) / per},
      {"macs", total["macs"].get<double>() / per},
      {"engine_cycles", total["cycles"].get<double>() / per},
      {"layer_energy", energy / per},
      {"note", "layer energy = dynamic energy attributed to the layers (engine, buffers, DMA, bus, DRAM commands); "
               "DRAM background and CPU activity are in the run's energy total"}};
  return out;
}

void write_layers_csv(std::ostream& os, const nlohmann::json& a) {
  const std::string unit = a["energy_unit"];
  os << "layer,name,kind,input,output,macs,cycles,time_ns,utilization,dram_read_bytes,dram_write_bytes";
  for (int l = 0; l < kLevelCount; ++l) os << ",energy_" << to_string(static_cast<Level>(l)) << "_" << unit;
  os << ",energy_" << unit << "\n";
  const auto row = [&](const std::string& index, const nlohmann::json& r) {
    os << index << "," << r.value("name", "total") << "," << r.value("kind", "") << "," << r.value("input", "") << ","
       << r.value("output", "") << "," << number_or(r, "macs") << "," << number_or(r, "cycles") << ","
       << number_or(r, "time_ns") << "," << number_or(r, "utilization") << "," << number_or(r, "dram_read_bytes") << ","
       << number_or(r, "dram_write_bytes");
    for (int l = 0; l < kLevelCount; ++l) os << "," << number_or(r["energy_by_level"], to_string(static_cast<Level>(l)));
    os << "," << number_or(r, "energy") << "\n";
  };
  for (const auto& r : a["layers"]) row(std::to_string(r["tag"].get<uint32_t>()), r);
  row("total", a["total"]);
}

void print_layer_report(std::ostream& os, const nlohmann::json& a) {
  const std::string unit = a["energy_unit"];
  const double jobs = a["jobs"].get<double>() > 0 ? a["jobs"].get<double>() : 1;
  char line[400];
  std::snprintf(line, sizeof line,
                "per layer and inference (%s; batch %d, %s; averaged over %.0f jobs; energy attributed to the layer):\n"
                "  %-3s %-24s %-7s %-10s %-10s %11s %9s %6s %10s %10s %10s %10s %10s %10s %10s\n",
                a["package"].get<std::string>().empty() ? "unnamed layers" : a["package"].get<std::string>().c_str(),
                a["batch_size"].get<int>(), a["precision"].get<std::string>().c_str(), jobs, "#", "layer", "kind",
                "input", "output", "MACs", "cycles", "util%", "DRAM rd B", "DRAM wr B", "dram", "buffer", "array+rf",
                "mac", "total");
  os << line;
  const auto print = [&](const std::string& index, const nlohmann::json& r) {
    const auto& e = r["energy_by_level"];
    std::string name = r.value("name", "total");
    if (name.size() > 24) name = "~" + name.substr(name.size() - 23);  // ONNX names end with what they are
    const auto energy = [&](double v) { return format_energy(v / jobs, unit); };
    std::snprintf(line, sizeof line, "  %-3s %-24s %-7s %-10s %-10s %11.0f %9.0f %6.1f %10.0f %10.0f %10s %10s %10s %10s %10s\n",
                  index.c_str(), name.c_str(), r.value("kind", "").c_str(), r.value("input", "").c_str(),
                  r.value("output", "").c_str(), number_or(r, "macs") / jobs, number_or(r, "cycles") / jobs,
                  100.0 * number_or(r, "utilization"), number_or(r, "dram_read_bytes") / jobs,
                  number_or(r, "dram_write_bytes") / jobs, energy(number_or(e, "dram")).c_str(),
                  energy(number_or(e, "buffer")).c_str(), energy(number_or(e, "array") + number_or(e, "rf")).c_str(),
                  energy(number_or(e, "mac")).c_str(), energy(number_or(r, "energy")).c_str());
    os << line;
  };
  for (const auto& r : a["layers"]) print(std::to_string(r["tag"].get<uint32_t>()), r);
  print("", a["total"]);
}

}  // namespace dlvp
