// A scenario: one YAML file that names a hardware configuration (`hw:`, a file in scenarios/hw/),
// the software, run limits and what to report; any key may override the hardware file, and the
// command line may override anything (`--set ddr.channels=2`). The merged tree remembers where
// each key came from, so every error names the file and line (or the --set) at fault.
#pragma once
#include "ip/common/params.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

namespace dlvp {

class Scenario {
 public:
  // Throws ConfigError naming the file (and line) for syntax errors, missing files, bad --set.
  static Scenario load(const std::string& path, const std::vector<std::string>& overrides);

  const YAML::Node& root() const { return root_; }
  const std::string& path() const { return path_; }
  // "file:line" (or "--set key=value") of a dotted key ("software.load[0].file": list elements
  // are indexed); falls back to its closest parent.
  std::string origin(const std::string& dotted_key) const;
  OriginLookup origin_lookup() const;

  // Resolves a data file named in the scenario: a bare name ("ddr3-1066-x32", no dot, no slash) is looked up as
  // <data dir>/<kind>/<name>.yaml; anything else is a path relative to the file that set
  // `dotted_key` (or the scenario, for a --set). Throws ConfigError naming the key, its origin and
  // what is wrong when the file cannot be read ("does not exist", "is a directory", ...).
  std::string resolve_data_file(const std::string& dotted_key, const std::string& value, const std::string& kind) const;

  // scenarios/ of the source tree, or $DLVP_DATA_DIR.
  static std::string data_dir();

 private:
  void merge(YAML::Node& into, const YAML::Node& from, const std::string& prefix, const std::string& file);
  // Records the origins of everything below `key` (map keys and list elements) of a value a file set.
  void record_origins(const YAML::Node& value, const std::string& key, const std::string& file);
  // Sets `key`'s origin and forgets those below it (they came with the value it replaces).
  void set_origin(const std::string& key, const std::string& origin, const std::string& file);
  // `--set key=value`; every component of the key may be name[i], element i of an existing list.
  void apply_override(const std::string& assignment);

  std::string path_;
  YAML::Node root_;
  std::map<std::string, std::string> origins_;       // dotted key -> "file:line" or "--set key=value"
  std::map<std::string, std::string> origin_files_;  // dotted key -> file that set it ("" for a --set)
};

}  // namespace dlvp
