#include "energy_ledger.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace dlvp {

const char* to_string(Level level) {
  static const char* names[] = {"dram", "buffer", "array", "rf", "mac", "other"};
  return names[static_cast<int>(level)];
}

const char* to_string(Action action) {
  static const char* names[] = {"read", "write", "update", "compute", "static"};
  return names[static_cast<int>(action)];
}

EnergyLedger::EnergyLedger(TechTable table) : tech_(std::move(table)) {}

CounterId EnergyLedger::add_counter(CounterSpec spec) {
  specs_.push_back(std::move(spec));
  counts_.push_back(0);
  return static_cast<CounterId>(specs_.size() - 1);
}

CounterId EnergyLedger::add_counter_from_table(const std::string& module, const std::string& name, Level level,
                                               Action action, const std::string& table_key, double scale) {
  const TechTable::Entry& e = tech_.entry(table_key);
  std::string source = tech_.name() + ":" + table_key + " (" + e.source + ")";
  if (scale != 1.0) source += " x " + std::to_string(scale);
  return add_counter(CounterSpec{module, name, level, action, e.energy * scale, e.per, source});
}

CounterId EnergyLedger::add_static(const std::string& module, const std::string& name, Level level, double power,
                                   std::string source) {
  return add_counter(CounterSpec{module, name, level, Action::static_power, power, "ns", std::move(source), true});
}

TagId EnergyLedger::define_tag(const std::string& name) {
  tag_names_.push_back(name);
  const auto tag = static_cast<TagId>(tag_names_.size() - 1);
  tag_ids_.emplace(name, tag);  // a repeated name keeps resolving to its first tag
  return tag;
}

std::optional<TagId> EnergyLedger::find_tag(const std::string& name) const {
  const auto it = tag_ids_.find(name);
  return it != tag_ids_.end() ? std::optional<TagId>(it->second) : std::nullopt;
}

TagId EnergyLedger::tag_named(const std::string& name) {
  const auto it = tag_ids_.find(name);
  return it != tag_ids_.end() ? it->second : define_tag(name);
}

void EnergyLedger::grow_and_count_for_tag(CounterId id, uint64_t n, TagId tag) {
  // Room for every tag and counter defined so far, so the table rarely grows again.
  const auto rows = static_cast<uint32_t>(std::max<size_t>({tag_rows_, size_t{tag} + 1, tag_names_.size()}));
  const auto columns = static_cast<uint32_t>(std::max<size_t>({tag_columns_, size_t{id} + 1, counts_.size()}));
  std::vector<uint64_t> grown(size_t{rows} * columns, 0);
  for (size_t t = 0; t < tag_rows_; ++t)
    std::copy_n(tag_counts_.begin() + t * tag_columns_, tag_columns_, grown.begin() + t * columns);
  tag_counts_ = std::move(grown);
  tag_rows_ = rows;
  tag_columns_ = columns;
  tag_counts_[size_t{tag} * tag_columns_ + id] += n;
}

uint64_t EnergyLedger::count_of(CounterId id, TagId tag) const {
  if (tag == kUntagged) {  // no row of its own: what no tag received
    uint64_t tagged = 0;
    if (id < tag_columns_)
      for (size_t t = 1; t < tag_rows_; ++t) tagged += tag_counts_[t * tag_columns_ + id];
    return counts_.at(id) - tagged;
  }
  if (tag >= tag_rows_ || id >= tag_columns_) return 0;
  return tag_counts_[size_t{tag} * tag_columns_ + id];
}

double EnergyLedger::energy_of(CounterId id, double elapsed_ns) const {
  const CounterSpec& s = specs_.at(id);
  if (s.action == Action::static_power) return s.unit_energy * elapsed_ns;
  return s.unit_energy * static_cast<double>(counts_[id]);
}

double EnergyLedger::energy_of(CounterId id, TagId tag) const {
  return specs_.at(id).unit_energy * static_cast<double>(count_of(id, tag));
}

std::array<double, kLevelCount> EnergyLedger::energy_by_level(double elapsed_ns) const {
  std::array<double, kLevelCount> sum{};
  for (CounterId id = 0; id < specs_.size(); ++id) sum[static_cast<int>(specs_[id].level)] += energy_of(id, elapsed_ns);
  return sum;
}

std::array<EnergySplit, kLevelCount> EnergyLedger::energy_split_by_level(double elapsed_ns) const {
  std::array<EnergySplit, kLevelCount> split{};
  for (CounterId id = 0; id < specs_.size(); ++id)
    split[static_cast<int>(specs_[id].level)].add(specs_[id], energy_of(id, elapsed_ns));
  return split;
}

EnergySplit EnergyLedger::energy_split(double elapsed_ns) const {
  EnergySplit total;
  for (const EnergySplit& level : energy_split_by_level(elapsed_ns)) {
    total.static_energy += level.static_energy;
    total.dynamic_energy += level.dynamic_energy;
  }
  return total;
}

double EnergyLedger::total_energy(double elapsed_ns) const {
  double total = 0;
  for (double e : energy_by_level(elapsed_ns)) total += e;
  return total;
}

CounterId EnergyLedger::find(const std::string& module, const std::string& name) const {
  for (CounterId id = 0; id < specs_.size(); ++id)
    if (specs_[id].module == module && specs_[id].name == name) return id;
  throw std::out_of_range("no energy counter " + module + "." + name);
}

void EnergyLedger::reset_counts() {
  std::fill(counts_.begin(), counts_.end(), 0);
  std::fill(tag_counts_.begin(), tag_counts_.end(), 0);
  dram_traffic_.clear();
  settled_ = excluded_ = TagTable{};
}

EnergyLedger::TagTable EnergyLedger::tag_table() const {
  return TagTable{tag_counts_, tag_rows_, tag_columns_, dram_traffic_};
}

void EnergyLedger::end_job(bool completed) {
  TagTable now = tag_table();
  if (!completed) {  // excluded += now - settled, on now's (never smaller) dimensions
    TagTable grown{std::vector<uint64_t>(now.counts.size(), 0), now.rows, now.columns,
                   std::vector<DramTraffic>(now.dram.size())};
    for (TagId t = 0; t < now.rows; ++t)
      for (CounterId c = 0; c < now.columns; ++c)
        grown.counts[size_t{t} * now.columns + c] = excluded_.at(t, c) + now.at(t, c) - settled_.at(t, c);
    for (TagId t = 0; t < now.dram.size(); ++t) {
      const DramTraffic before = t < settled_.dram.size() ? settled_.dram[t] : DramTraffic{};
      const DramTraffic set_apart = t < excluded_.dram.size() ? excluded_.dram[t] : DramTraffic{};
      grown.dram[t] = {set_apart.read_bytes + now.dram[t].read_bytes - before.read_bytes,
                       set_apart.write_bytes + now.dram[t].write_bytes - before.write_bytes};
    }
    excluded_ = std::move(grown);
  }
  settled_ = std::move(now);
}

uint64_t EnergyLedger::completed_count_of(CounterId id, TagId tag) const {
  return settled_.at(tag, id) - excluded_.at(tag, id);
}

DramTraffic EnergyLedger::completed_dram_traffic(TagId tag) const {
  const DramTraffic settled = tag < settled_.dram.size() ? settled_.dram[tag] : DramTraffic{};
  const DramTraffic excluded = tag < excluded_.dram.size() ? excluded_.dram[tag] : DramTraffic{};
  return {settled.read_bytes - excluded.read_bytes, settled.write_bytes - excluded.write_bytes};
}

void report_tag(const EnergyLedger& ledger, TagId tag, nlohmann::json& out) {
  out["ledger_tag"] = ledger.tag_name(tag);
  // What the layer's LOAD/STOREs moved to and from DRAM (the DDR controller counts it per tag).
  const DramTraffic dram = ledger.completed_dram_traffic(tag);
  out["dram_read_bytes"] = dram.read_bytes;
  out["dram_write_bytes"] = dram.write_bytes;
  // Every counter attributed to the tag: the engine's and its buffers', and those of the layer's
  // DMA traffic (staging FIFO, bus beats, DDR commands and bursts), which carry the same tag.
  std::array<double, kLevelCount> by_level{};
  std::map<std::string, std::map<std::string, uint64_t>> buffer_accesses;  // by module, side
  for (CounterId id = 0; id < ledger.counter_count(); ++id) {
    const CounterSpec& spec = ledger.spec(id);
    by_level[static_cast<int>(spec.level)] += ledger.completed_energy_of(id, tag);
    // The on-chip buffers' 64-bit accesses by side (socket, datapath), for the bound of a layer.
    if (const uint64_t n = ledger.completed_count_of(id, tag); !spec.buffer_side.empty() && n)
      buffer_accesses[spec.module][spec.buffer_side] += n;
  }
  out["buffer_accesses_64b"] = buffer_accesses;
  nlohmann::json levels;
  double total = 0;
  for (int l = 0; l < kLevelCount; ++l) {
    levels[to_string(static_cast<Level>(l))] = by_level[l];
    total += by_level[l];
  }
  out["energy_by_level_" + ledger.unit()] = levels;
  out["energy_" + ledger.unit()] = total;
}

void report_static_energy(const std::array<double, kLevelCount>& by_level, nlohmann::json& out) {
  nlohmann::json levels = nlohmann::json::object();
  double total = 0;
  for (int l = 0; l < kLevelCount; ++l) {
    levels[to_string(static_cast<Level>(l))] = by_level[l];
    total += by_level[l];
  }
  out["static_energy_by_level"] = levels;
  out["static_energy"] = total;
}

}  // namespace dlvp
