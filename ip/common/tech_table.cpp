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

// `value(p)` of the points (sorted by bytes) at `bytes`, linear in log2(size), clamped at the ends.
template <typename Point, typename Value>
double interpolate_log2(const std::vector<Point>& points, uint64_t bytes, Value value) {
  if (bytes <= points.front().bytes) return value(points.front());
  for (size_t i = 1; i < points.size(); ++i) {
    if (bytes <= points[i].bytes) {
      const double x0 = std::log2(double(points[i - 1].bytes)), x1 = std::log2(double(points[i].bytes));
      const double f = (std::log2(double(bytes)) - x0) / (x1 - x0);
      return value(points[i - 1]) + f * (value(points[i]) - value(points[i - 1]));
    }
  }
  return value(points.back());
}

// A section `points` sequence of maps with `bytes` (>= 1) and the keys `fields`.
template <typename Point, typename Fill>
std::vector<Point> load_points(const std::string& path, const YAML::Node& section, const std::string& name, Fill fill) {
  if (!section.IsMap() || !section["points"] || !section["points"].IsSequence() || !section["source"])
    bad(path, section, "key '" + name + "' must be a map with 'source' and a sequence 'points'");
  std::vector<Point> points;
  for (const auto& p : section["points"]) {
    Point point;
    const double bytes = number(path, p["bytes"], name + ".points.bytes");
    if (bytes < 1) bad(path, p, "key '" + name + ".points.bytes' must be at least 1");
    point.bytes = static_cast<uint64_t>(bytes);
    fill(p, point);
    points.push_back(point);
  }
  if (points.empty()) bad(path, section, "key '" + name + ".points' must not be empty");
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.bytes < b.bytes; });
  return points;
}

}  // namespace

TechTable TechTable::load(const std::string& path) {
  const YAML::Node root = load_yaml_map(path, "technology table");
  TechTable t;
  t.path_ = path;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "unit" && key != "description" && key != "entries" && key != "sram" && key != "area" &&
        key != "sram_area")
      bad(path, kv.first, "unknown key '" + key + "' (known: name, unit, description, entries, sram, area, sram_area)");
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
    t.sram_ = load_points<SramPoint>(path, sram, "sram", [&](const YAML::Node& p, SramPoint& point) {
      point.read = number(path, p["read"], "sram.points.read");
      point.write = number(path, p["write"], "sram.points.write");
    });
    t.sram_source_ = sram["source"].as<std::string>();
  }
  if (const YAML::Node area = root["area"]) {
    if (!area.IsMap()) bad(path, area, "key 'area' must be a map of {value, unit, source}");
    for (const auto& kv : area) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& e = kv.second;
      if (!e.IsMap() || !e["unit"] || !e["source"] || e.size() != 3)
        bad(path, e, "area entry '" + key + "' must be a map with exactly value, unit, source");
      t.area_[key] = AreaEntry{number(path, e["value"], "area." + key + ".value"), e["unit"].as<std::string>(),
                               e["source"].as<std::string>()};
    }
  }
  if (const YAML::Node sram_area = root["sram_area"]) {
    t.sram_area_ = load_points<SramAreaPoint>(path, sram_area, "sram_area", [&](const YAML::Node& p, SramAreaPoint& point) {
      point.um2_per_byte = number(path, p["um2_per_byte"], "sram_area.points.um2_per_byte");
    });
    t.sram_area_source_ = sram_area["source"].as<std::string>();
  }
  if (t.area_.empty() != t.sram_area_.empty())
    throw ConfigError(path + ": keys 'area' and 'sram_area' go together (one without the other gives no ASIC cost)");
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
  return interpolate_log2(sram_, array_bytes, [write](const SramPoint& p) { return write ? p.write : p.read; });
}

const TechTable::AreaEntry& TechTable::area(const std::string& key) const {
  const auto it = area_.find(key);
  if (it == area_.end())
    throw ConfigError(path_ + ": technology table '" + name_ + "' has no area entry '" + key + "'");
  return it->second;
}

double TechTable::sram_um2_per_byte(uint64_t macro_bytes) const {
  if (sram_area_.empty()) throw ConfigError(path_ + ": technology table '" + name_ + "' has no 'sram_area' section");
  return interpolate_log2(sram_area_, macro_bytes, [](const SramAreaPoint& p) { return p.um2_per_byte; });
}

}  // namespace dlvp
