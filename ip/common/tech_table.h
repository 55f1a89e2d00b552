// A technology table: unit energies of operations and accesses, loaded from YAML
// (scenarios/tech/*.yaml). Every energy a report shows is a count times an entry of this table
// (or a figure a model derives from datasheet currents, e.g. DRAM), so each has a named source.
#pragma once
#include "config_error.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dlvp {

class TechTable {
 public:
  struct Entry {
    double energy = 0;     // in unit() per `per`
    std::string per;       // what one count is: "operation", "64-bit access", "mW" for static power
    std::string source;
  };
  // An area or leakage coefficient (section `area`, docs/cost.md): value in `unit`, and its source.
  struct AreaEntry {
    double value = 0;
    std::string unit;
    std::string source;
  };
  struct SramPoint {
    uint64_t bytes = 0;    // array size
    double read = 0;       // energy of one 64-bit read, in unit()
    double write = 0;      // energy of one 64-bit write
  };

  // Throws ConfigError naming the file and the key on any problem.
  static TechTable load(const std::string& path);

  const std::string& name() const { return name_; }
  const std::string& unit() const { return unit_; }  // "pJ", or "MAC" for normalized tables
  const std::string& path() const { return path_; }
  const std::string& description() const { return description_; }

  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  // Throws ConfigError naming the table and the key when missing.
  const Entry& entry(const std::string& key) const;
  double energy(const std::string& key) const { return entry(key).energy; }

  // Energy of one 64-bit access to an SRAM array of `array_bytes`, interpolated between the
  // table's points linearly in log2(size) and clamped at the ends.
  double sram_access_64b(uint64_t array_bytes, bool write) const;
  std::string sram_source() const { return sram_source_; }

  const std::map<std::string, Entry>& entries() const { return entries_; }

  // Area data (optional sections `area` and `sram_area`): a table without them gives no ASIC cost.
  bool has_area() const { return !area_.empty() && !sram_area_.empty(); }
  // Throws ConfigError naming the table and the key when missing.
  const AreaEntry& area(const std::string& key) const;
  // Area of one byte of an SRAM macro of `macro_bytes` (um^2), interpolated like sram_access_64b.
  double sram_um2_per_byte(uint64_t macro_bytes) const;
  const std::string& sram_area_source() const { return sram_area_source_; }

 private:
  struct SramAreaPoint {
    uint64_t bytes = 0;
    double um2_per_byte = 0;
  };
  std::string name_, unit_, path_, description_, sram_source_, sram_area_source_;
  std::map<std::string, Entry> entries_;
  std::vector<SramPoint> sram_;  // sorted by size
  std::map<std::string, AreaEntry> area_;
  std::vector<SramAreaPoint> sram_area_;  // sorted by size
};

}  // namespace dlvp
