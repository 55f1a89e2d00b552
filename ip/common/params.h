// Module parameters: name, default, unit, description, range — declared once per module.
//
// A module's Config struct has a static `bind(ParamBinder&, Config&)` that lists its fields. The
// same list loads and validates the scenario section (unknown keys, wrong types and out-of-range
// values are ConfigErrors naming the key and the file), documents the parameters (`dlvp params`),
// and dumps the effective configuration into report.json.
#pragma once
#include "config_error.h"

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace dlvp {

// Where a key of the merged scenario came from ("scenarios/hw/zynq.yaml:12" or "--set").
using OriginLookup = std::function<std::string(const std::string& dotted_key)>;

class ParamBinder {
 public:
  struct Entry {
    std::string key;          // dotted, e.g. "ddr.channels"
    std::string type;         // "integer", "real", "bool", "string", "choice"
    std::string value;        // effective value (the default when describing)
    std::string unit;         // "" when dimensionless
    std::string description;
    std::string range;        // "[1, 16]" or "a|b|c" or ""
    // The value as its type holds it (integer, real, bool; string and choice as text), for
    // outputs that keep types (report.json).
    std::variant<uint64_t, double, bool, std::string> typed;
  };

  // Loading: `section` is the module's YAML map (may be undefined: all defaults).
  ParamBinder(const YAML::Node& section, std::string prefix, OriginLookup origin);
  // Describing: no YAML, fields keep their defaults.
  explicit ParamBinder(std::string prefix);

  void integer(const char* name, uint64_t& field, const char* unit, const char* description,
               uint64_t min_value, uint64_t max_value);
  void integer(const char* name, uint32_t& field, const char* unit, const char* description,
               uint32_t min_value, uint32_t max_value);
  void real(const char* name, double& field, const char* unit, const char* description,
            double min_value, double max_value);
  void flag(const char* name, bool& field, const char* description);
  void text(const char* name, std::string& field, const char* description);
  void choice(const char* name, std::string& field, std::initializer_list<const char*> choices,
              const char* description);
  // A nested map, bound by its own ParamBinder(sub, key(name), origin()); marks it consumed.
  YAML::Node section(const char* name);
  const OriginLookup& origin() const { return origin_; }
  bool loading() const { return loading_; }

  // Throws ConfigError for keys in the section that no declaration consumed.
  void finish();

  const std::vector<Entry>& entries() const { return entries_; }
  std::string key(const char* name) const { return prefix_.empty() ? name : prefix_ + "." + name; }

 private:
  std::optional<YAML::Node> lookup(const char* name);
  [[noreturn]] void fail(const char* name, const std::string& what) const;
  void record(const char* name, std::string type, std::string value, const char* unit,
              const char* description, std::string range, std::variant<uint64_t, double, bool, std::string> typed);

  YAML::Node section_;
  bool loading_;
  std::string prefix_;
  OriginLookup origin_;
  std::set<std::string> consumed_;
  std::vector<Entry> entries_;
};

// Binds a Config struct in describe mode and returns its entries (for `dlvp params`).
template <typename Config>
std::vector<ParamBinder::Entry> describe_params(const std::string& prefix) {
  Config config;
  ParamBinder binder(prefix);
  Config::bind(binder, config);
  return binder.entries();
}

}  // namespace dlvp
