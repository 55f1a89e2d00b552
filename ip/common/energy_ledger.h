// The energy ledger (docs/architecture.md): counters registered by modules, each with a level, an
// action and a unit energy with its source. Modules only increment counts on their hot paths;
// energy = count x unit energy is computed at report time. Counts are also attributed to a tag
// (a job, a layer, an instruction) so reports can break energy down.
#pragma once
#include "tech_table.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace dlvp {

enum class Level : uint8_t { dram, buffer, array, rf, mac, other };
constexpr int kLevelCount = 6;
const char* to_string(Level level);

enum class Action : uint8_t { read, write, update, compute, static_power };
const char* to_string(Action action);

using CounterId = uint32_t;
using TagId = uint32_t;
constexpr TagId kUntagged = 0;

// Data moved to and from DRAM under one tag, counted by the memory controller (requested bytes,
// not rounded to bursts).
struct DramTraffic {
  uint64_t read_bytes = 0, write_bytes = 0;
};

struct CounterSpec {
  std::string module;       // hierarchical name of the owner, e.g. "soc.ddr"
  std::string name;         // e.g. "ch0.activate"
  Level level = Level::other;
  Action action = Action::read;
  double unit_energy = 0;   // in the technology table's unit, per count
  std::string count_unit;   // what one count is: "burst", "64-bit access", "ns", ...
  std::string source;       // where unit_energy comes from (table entry or datasheet formula)
  // Static energy is spent by time, not by work: background, standby, power-down, self-refresh,
  // refresh, leakage. Everything else is dynamic. Reports and the PMU show the two apart.
  bool static_energy = false;
  // An on-chip buffer's access counter: the side of the array it counts ("socket", "datapath";
  // sram_buffer.h), so that per-layer reports set each side against its own port. Empty otherwise.
  std::string buffer_side = {};
};

// Energy split into its static and dynamic parts, in the ledger's unit.
struct EnergySplit {
  double static_energy = 0, dynamic_energy = 0;
  double total() const { return static_energy + dynamic_energy; }
  void add(const CounterSpec& spec, double energy) { (spec.static_energy ? static_energy : dynamic_energy) += energy; }
};

class EnergyLedger {
 public:
  explicit EnergyLedger(TechTable table);

  const TechTable& tech() const { return tech_; }
  const std::string& unit() const { return tech_.unit(); }

  CounterId add_counter(CounterSpec spec);
  // Convenience: unit energy taken from a technology table entry.
  CounterId add_counter_from_table(const std::string& module, const std::string& name, Level level,
                                   Action action, const std::string& table_key, double scale = 1.0);
  // Static power (leakage): energy = power x simulated time, static energy. `power` is in
  // table unit per ns (pJ/ns = mW for the 45 nm table).
  CounterId add_static(const std::string& module, const std::string& name, Level level, double power,
                       std::string source);

  // Hot path: one add (plus one for the tag when attribution is active).
  void count(CounterId id, uint64_t n = 1) {
    counts_[id] += n;
    if (tag_ != kUntagged) count_for_tag(id, n, tag_);
  }
  void count_tagged(CounterId id, uint64_t n, TagId tag) {
    counts_[id] += n;
    if (tag != kUntagged) count_for_tag(id, n, tag);
  }

  // Attribution. Tags are named ("job0", "layer3", ...); the current tag applies to count().
  // define_tag always creates a new tag; tag_named returns the tag of that name (the first one
  // defined under it) or defines it, so modules that never see each other agree on a tag by name.
  TagId define_tag(const std::string& name);
  TagId tag_named(const std::string& name);
  // The tag of that name, if one is defined (defines none).
  std::optional<TagId> find_tag(const std::string& name) const;
  void set_tag(TagId tag) { tag_ = tag; }
  TagId tag() const { return tag_; }
  // The tag a transaction carries, or the current tag when it carries none (kUntagged): what
  // count() would attribute to. Idempotent, so a tag may be resolved again further down a path.
  TagId tag_or_current(TagId tag) const { return tag != kUntagged ? tag : tag_; }
  const std::string& tag_name(TagId tag) const { return tag_names_.at(tag); }
  size_t tag_count() const { return tag_names_.size(); }

  // Queries. Static counters need the elapsed simulated time (ns).
  size_t counter_count() const { return specs_.size(); }
  const CounterSpec& spec(CounterId id) const { return specs_.at(id); }
  uint64_t count_of(CounterId id) const { return counts_.at(id); }
  // Counts attributed to `tag`; for kUntagged, the counts attributed to no tag (total - tagged).
  uint64_t count_of(CounterId id, TagId tag) const;
  double energy_of(CounterId id, double elapsed_ns) const;
  double energy_of(CounterId id, TagId tag) const;  // dynamic energy of a tag (kUntagged: of no tag)
  std::array<double, kLevelCount> energy_by_level(double elapsed_ns) const;
  double total_energy(double elapsed_ns) const;
  // Static and dynamic energy per level and in total, up to `elapsed_ns`. Counters of time that a
  // module accounts lazily (the DDR's power states) must be brought up to that time first (the
  // DDR controller's finalize). A span's static energy is the difference of two such totals.
  std::array<EnergySplit, kLevelCount> energy_split_by_level(double elapsed_ns) const;
  EnergySplit energy_split(double elapsed_ns) const;
  CounterId find(const std::string& module, const std::string& name) const;  // throws if absent

  // DRAM traffic per tag (kUntagged included), counted by the DDR controller for every
  // transaction and DMI block, so per-job or per-layer reports need no reference to the memory.
  void count_dram_traffic(TagId tag, uint64_t bytes, bool write) {
    if (tag >= dram_traffic_.size()) dram_traffic_.resize(tag + 1);
    (write ? dram_traffic_[tag].write_bytes : dram_traffic_[tag].read_bytes) += bytes;
  }
  DramTraffic dram_traffic(TagId tag) const { return tag < dram_traffic_.size() ? dram_traffic_[tag] : DramTraffic{}; }

  void reset_counts();

  // Whole jobs (docs/energy.md, "Whole jobs only"). Per-layer figures count only jobs the IFU
  // completed: at each job's end the IFU calls end_job; a job that did not complete (failed) has its
  // per-tag counts set apart, and what is counted after the last end_job (a job cut by the time
  // limit) is not settled. The completed_* queries give the per-tag counts of completed jobs only;
  // with no job ever ended they are zero. A copy of the per-tag table per job: O(tags x counters).
  void end_job(bool completed);
  uint64_t completed_count_of(CounterId id, TagId tag) const;
  DramTraffic completed_dram_traffic(TagId tag) const;
  double completed_energy_of(CounterId id, TagId tag) const {
    return specs_.at(id).unit_energy * static_cast<double>(completed_count_of(id, tag));
  }

 private:
  // The per-tag counts (every counter, and DRAM traffic) at one moment, or summed over jobs.
  struct TagTable {
    std::vector<uint64_t> counts;  // [tag * columns + counter]
    uint32_t rows = 0, columns = 0;
    std::vector<DramTraffic> dram;  // [tag]
    uint64_t at(TagId tag, CounterId id) const {
      return tag < rows && id < columns ? counts[size_t{tag} * columns + id] : 0;
    }
  };
  TagTable tag_table() const;

  // Tagged counts live in one row-major table, tag_rows_ x tag_columns_; the fast path is an
  // index check and an add, the table grows (rarely: a new tag or counter) out of line.
  void count_for_tag(CounterId id, uint64_t n, TagId tag) {
    if (tag < tag_rows_ && id < tag_columns_) tag_counts_[size_t{tag} * tag_columns_ + id] += n;
    else grow_and_count_for_tag(id, n, tag);
  }
  void grow_and_count_for_tag(CounterId id, uint64_t n, TagId tag);

  TechTable tech_;
  std::vector<CounterSpec> specs_;
  std::vector<uint64_t> counts_;
  std::vector<std::string> tag_names_{"untagged"};
  std::unordered_map<std::string, TagId> tag_ids_{{"untagged", kUntagged}};
  std::vector<uint64_t> tag_counts_;               // [tag * tag_columns_ + counter]; row 0 unused
  uint32_t tag_rows_ = 0, tag_columns_ = 0;
  std::vector<DramTraffic> dram_traffic_;          // [tag], grown on demand
  TagId tag_ = kUntagged;
  TagTable settled_;   // per-tag counts at the last end_job
  TagTable excluded_;  // per-tag counts of the jobs that did not complete

};

// What a layer report gives for one tag (an engine layer): the tag's name, the DRAM bytes its
// transfers moved, and every ledger counter's energy attributed to it, per level and in total (in
// the ledger's unit), over the completed jobs (EnergyLedger::end_job). Shared by the engines' and
// the IFU's per-layer reports.
void report_tag(const EnergyLedger& ledger, TagId tag, nlohmann::json& out);
// A layer's share of the static energy by level: out["static_energy_by_level"] and its sum
// out["static_energy"] (the IFU's layers, the CPU stages' layers).
void report_static_energy(const std::array<double, kLevelCount>& by_level, nlohmann::json& out);

}  // namespace dlvp
