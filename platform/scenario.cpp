#include "scenario.h"

#include "ip/common/yaml_file.h"

#include <cstdlib>
#include <filesystem>

namespace dlvp {
namespace fs = std::filesystem;

namespace {

YAML::Node load_file(const std::string& path) { return load_yaml_map(path, "scenario"); }

std::string where(const std::string& file, const YAML::Node& node) { return yaml_origin(file, node); }

}  // namespace

std::string Scenario::data_dir() {
  if (const char* env = std::getenv("DLVP_DATA_DIR")) return env;
  return DLVP_DATA_DIR;
}

void Scenario::merge(YAML::Node& into, const YAML::Node& from, const std::string& prefix, const std::string& file) {
  for (const auto& kv : from) {
    const std::string name = kv.first.as<std::string>();
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    origins_[key] = where(file, kv.first);
    origin_files_[key] = file;
    YAML::Node existing = into[name];
    if (kv.second.IsMap() && existing.IsDefined() && existing.IsMap()) {
      merge(existing, kv.second, key, file);
    } else {
      into[name] = YAML::Clone(kv.second);
      if (kv.second.IsMap()) {
        YAML::Node scratch(YAML::NodeType::Map);  // records the origins of the nested keys
        merge(scratch, kv.second, key, file);
      }
    }
  }
}

void Scenario::apply_override(const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("--set " + assignment + ": expected key=value (e.g. --set ddr.channels=2)");
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  YAML::Node value;
  try {
    value = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--set " + assignment + ": value is not valid YAML: " + e.msg);
  }
  // Walk (creating maps) to the parent of the last component.
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const auto dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::vector<YAML::Node> chain{root_};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i].empty()) throw ConfigError("--set " + assignment + ": empty key component");
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap())
      throw ConfigError("--set " + assignment + ": '" + parts[i] + "' is not a map of keys");
    if (!next.IsDefined() || next.IsNull()) chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
    chain.push_back(chain.back()[parts[i]]);
  }
  // "name[i]" as the last component replaces element i of an existing list (software.args[3]=0).
  std::string last = parts.back();
  const auto bracket = last.find('[');
  if (bracket != std::string::npos && last.back() == ']') {
    const std::string index_text = last.substr(bracket + 1, last.size() - bracket - 2);
    last.resize(bracket);
    YAML::Node list = chain.back()[last];
    size_t index = 0;
    try {
      size_t used = 0;
      index = std::stoul(index_text, &used);
      if (used != index_text.size()) throw std::invalid_argument(index_text);
    } catch (const std::exception&) {
      throw ConfigError("--set " + assignment + ": '" + index_text + "' is not a list index");
    }
    if (!list.IsSequence() || index >= list.size())
      throw ConfigError("--set " + assignment + ": '" + last + "' is not a list with an element " + index_text);
    list[index] = value;
    origins_[key] = "--set " + assignment;
    return;
  }
  chain.back()[parts.back()] = value;
  origins_[key] = "--set " + assignment;
  origin_files_[key] = "";
}

Scenario Scenario::load(const std::string& path, const std::vector<std::string>& overrides) {
  Scenario s;
  s.path_ = path;
  s.root_ = YAML::Node(YAML::NodeType::Map);
  YAML::Node own = load_file(path);
  // `--set hw=NAME` chooses another hardware configuration: it must apply before the include.
  for (const auto& o : overrides) {
    if (o.rfind("hw=", 0) == 0) {
      if (!own.IsMap()) own = YAML::Node(YAML::NodeType::Map);
      own["hw"] = o.substr(3);
      s.origins_["hw"] = "--set " + o;
      s.origin_files_["hw"] = "";
    }
  }
  // The hardware configuration first, then the scenario's own keys over it.
  if (own.IsMap() && own["hw"]) {
    if (!s.origins_.count("hw")) {
      s.origins_["hw"] = where(path, own["hw"]);
      s.origin_files_["hw"] = path;
    }
    if (!own["hw"].IsScalar()) throw ConfigError(s.origins_["hw"] + ": key 'hw' must name a hardware configuration");
    const std::string hw_path = s.resolve_data_file("hw", own["hw"].Scalar(), "hw");
    const YAML::Node hw = load_file(hw_path);
    if (hw.IsMap() && hw["hw"]) throw ConfigError(where(hw_path, hw["hw"]) + ": a hardware configuration cannot include another ('hw' key)");
    if (hw.IsMap()) s.merge(s.root_, hw, "", hw_path);
  }
  if (own.IsMap()) {
    const std::string hw_origin = s.origins_["hw"];
    s.merge(s.root_, own, "", path);
    s.origins_["hw"] = hw_origin;
  }
  for (const auto& o : overrides)
    if (o.rfind("hw=", 0) != 0) s.apply_override(o);
  return s;
}

std::string Scenario::origin(const std::string& dotted_key) const {
  for (std::string key = dotted_key;;) {
    const auto it = origins_.find(key);
    if (it != origins_.end()) return it->second;
    const auto dot = key.rfind('.');
    if (dot == std::string::npos) return path_;
    key.resize(dot);
  }
}

OriginLookup Scenario::origin_lookup() const {
  return [this](const std::string& key) { return origin(key); };
}

std::string Scenario::resolve_data_file(const std::string& dotted_key, const std::string& value, const std::string& kind) const {
  fs::path candidate;
  if (value.find('/') == std::string::npos && value.find('.') == std::string::npos) {
    candidate = fs::path(data_dir()) / kind / (value + ".yaml");
  } else {
    const auto it = origin_files_.find(dotted_key);
    const std::string base_file = it != origin_files_.end() && !it->second.empty() ? it->second : path_;
    candidate = fs::path(value).is_absolute() ? fs::path(value) : fs::path(base_file).parent_path() / value;
  }
  if (!is_readable_file(candidate.string()))
    throw ConfigError(origin(dotted_key) + ": key '" + dotted_key + "' names '" + value + "', but " +
                      candidate.string() + " does not exist");
  return candidate.lexically_normal().string();
}

}  // namespace dlvp
