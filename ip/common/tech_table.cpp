#include "tech_table.h"

#include "config_error.h"
#include "yaml_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>

namespace dlvp {
namespace {

[[noreturn]] void bad(const std::string& path, const YAML::Node& node, const std::string& what) {
  throw ConfigError(yaml_origin(path, node) + ": " + what);
}

double number(const std::string& path, const YAML::Node& node, const std::string& key) {
  if (!node || !node.IsScalar()) bad(path, node, "key '" + key + "' must be a number");
  try {
    const double v = node.as<double>();
    if (!std::isfinite(v) || v < 0) bad(path, node, "key '" + key + "' must be a non-negative number");
    return v;
  } catch (const YAML::Exception&) {
    bad(path, node, "key '" + key + "' must be a number, got '" + node.Scalar() + "'");
  }
}

}  // namespace

TechTable TechTable::load(const std::string& path) {
  const YAML::Node root = load_yaml_map(path, "technology table");
  TechTable t;
  t.path_ = path;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "unit" && key != "description" && key != "entries" && key != "sram")
      bad(path, kv.first, "unknown key '" + key + "' (known: name, unit, description, entries, sram)");
  }
  if (!root["name"] || !root["unit"]) throw ConfigError(path + ": keys 'name' and 'unit' are required");
  t.name_ = root["name"].as<std::string>();
  t.unit_ = root["unit"].as<std::string>();
  if (root["description"]) t.description_ = root["description"].as<std::string>();
  const YAML::Node entries = root["entries"];
  if (!entries || !entries.IsMap()) throw ConfigError(path + ": key 'entries' must be a map");
  for (const auto& kv : entries) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& e = kv.second;
    if (!e.IsMap()) bad(path, e, "entry '" + key + "' must be a map with energy, per, source");
    for (const auto& f : e) {
      const std::string field = f.first.as<std::string>();
      if (field != "energy" && field != "per" && field != "source")
        bad(path, f.first, "entry '" + key + "': unknown key '" + field + "' (known: energy, per, source)");
    }
    Entry entry;
    entry.energy = number(path, e["energy"], "entries." + key + ".energy");
    if (!e["per"] || !e["source"]) bad(path, e, "entry '" + key + "' needs 'per' and 'source'");
    entry.per = e["per"].as<std::string>();
    entry.source = e["source"].as<std::string>();
    t.entries_[key] = entry;
  }
  if (const YAML::Node sram = root["sram"]) {
    if (!sram.IsMap() || !sram["points"] || !sram["points"].IsSequence() || !sram["source"])
      bad(path, sram, "key 'sram' must be a map with 'source' and a sequence 'points'");
    t.sram_source_ = sram["source"].as<std::string>();
    for (const auto& p : sram["points"]) {
      SramPoint point;
      const double bytes = number(path, p["bytes"], "sram.points.bytes");
      if (bytes < 1) bad(path, p, "key 'sram.points.bytes' must be at least 1");
      point.bytes = static_cast<uint64_t>(bytes);
      point.read = number(path, p["read"], "sram.points.read");
      point.write = number(path, p["write"], "sram.points.write");
      t.sram_.push_back(point);
    }
    if (t.sram_.empty()) bad(path, sram, "key 'sram.points' must not be empty");
    std::sort(t.sram_.begin(), t.sram_.end(), [](const SramPoint& a, const SramPoint& b) { return a.bytes < b.bytes; });
  }
  return t;
}

const TechTable::Entry& TechTable::entry(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end())
    throw ConfigError(path_ + ": technology table '" + name_ + "' has no entry '" + key + "'");
  return it->second;
}

double TechTable::sram_access_64b(uint64_t array_bytes, bool write) const {
  if (sram_.empty()) throw ConfigError(path_ + ": technology table '" + name_ + "' has no 'sram' section");
  auto value = [write](const SramPoint& p) { return write ? p.write : p.read; };
  if (array_bytes <= sram_.front().bytes) return value(sram_.front());
  if (array_bytes >= sram_.back().bytes) return value(sram_.back());
  for (size_t i = 1; i < sram_.size(); ++i) {
    if (array_bytes <= sram_[i].bytes) {
      const double x0 = std::log2(double(sram_[i - 1].bytes)), x1 = std::log2(double(sram_[i].bytes));
      const double f = (std::log2(double(array_bytes)) - x0) / (x1 - x0);
      return value(sram_[i - 1]) + f * (value(sram_[i]) - value(sram_[i - 1]));
    }
  }
  return value(sram_.back());
}

}  // namespace dlvp
