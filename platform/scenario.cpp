#include "scenario.h"

#include "ip/common/yaml_file.h"

#include <cstdlib>
#include <filesystem>
#include <optional>

namespace dlvp {
namespace fs = std::filesystem;

namespace {

YAML::Node load_file(const std::string& path) { return load_yaml_map(path, "scenario"); }

std::string where(const std::string& file, const YAML::Node& node) { return yaml_origin(file, node); }

// A map key as a name; a list, a map or null as a key is refused.
std::string key_name(const YAML::Node& key, const std::string& file) {
  if (!key.IsScalar()) throw ConfigError(where(file, key) + ": a key must be a name, not a list, a map or null");
  return key.Scalar();
}

// The key one level up: "a.b[2].c" -> "a.b[2]" -> "a.b" -> "a" -> "".
std::string parent_key(const std::string& key) {
  const auto cut = key.find_last_of(".[");
  return cut == std::string::npos ? std::string() : key.substr(0, cut);
}

// The value of the closest key at or above `key` in `table`.
const std::string* closest(const std::map<std::string, std::string>& table, std::string key) {
  for (; !key.empty(); key = parent_key(key)) {
    const auto it = table.find(key);
    if (it != table.end()) return &it->second;
  }
  return nullptr;
}

// One component of a --set key: a name, or name[i] (element i of an existing list).
struct KeyPart {
  std::string name;
  std::optional<size_t> index;
};

std::vector<KeyPart> split_key(const std::string& key, const std::string& origin) {
  std::vector<KeyPart> parts;
  for (size_t start = 0;;) {
    const auto dot = key.find('.', start);
    std::string text = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    KeyPart part;
    const auto bracket = text.find('[');
    if (bracket != std::string::npos) {
      const std::string index_text = text.substr(bracket + 1, text.size() - bracket - 2);
      if (text.back() != ']' || index_text.empty() || index_text.find_first_not_of("0123456789") != std::string::npos ||
          index_text.size() > 9)
        throw ConfigError(origin + ": '" + text + "' is not a name or name[index]");
      part.index = std::stoul(index_text);
      text.resize(bracket);
    }
    if (text.empty()) throw ConfigError(origin + ": empty key component");
    part.name = text;
    parts.push_back(part);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

std::string Scenario::data_dir() {
  if (const char* env = std::getenv("DLVP_DATA_DIR")) return env;
  return DLVP_DATA_DIR;
}

void Scenario::set_origin(const std::string& key, const std::string& origin, const std::string& file) {
  // Keys below `key` came with the value it replaces.
  for (auto* table : {&origins_, &origin_files_})
    for (auto it = table->lower_bound(key); it != table->end() && it->first.compare(0, key.size(), key) == 0;) {
      const char next = it->first.size() > key.size() ? it->first[key.size()] : '\0';
      it = next == '.' || next == '[' ? table->erase(it) : std::next(it);
    }
  origins_[key] = origin;
  origin_files_[key] = file;
}

void Scenario::record_origins(const YAML::Node& value, const std::string& key, const std::string& file) {
  if (value.IsMap()) {
    for (const auto& kv : value) {
      const std::string sub = key + "." + key_name(kv.first, file);
      set_origin(sub, where(file, kv.first), file);
      record_origins(kv.second, sub, file);
    }
  } else if (value.IsSequence()) {
    for (size_t i = 0; i < value.size(); ++i) {
      const std::string sub = key + "[" + std::to_string(i) + "]";
      set_origin(sub, where(file, value[i]), file);
      record_origins(value[i], sub, file);
    }
  }
}

void Scenario::merge(YAML::Node& into, const YAML::Node& from, const std::string& prefix, const std::string& file) {
  for (const auto& kv : from) {
    const std::string name = key_name(kv.first, file);
    const std::string key = prefix.empty() ? name : prefix + "." + name;
    YAML::Node existing = into[name];
    if (kv.second.IsMap() && existing.IsDefined() && existing.IsMap()) {
      origins_[key] = where(file, kv.first);
      origin_files_[key] = file;
      merge(existing, kv.second, key, file);
    } else {
      set_origin(key, where(file, kv.first), file);
      into[name] = YAML::Clone(kv.second);
      record_origins(kv.second, key, file);
    }
  }
}

void Scenario::apply_override(const std::string& assignment) {
  const std::string origin = "--set " + assignment;
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError(origin + ": expected key=value (e.g. --set ddr.channels=2)");
  const std::string key = assignment.substr(0, eq);
  const YAML::Node value = parse_yaml_value(assignment.substr(eq + 1), origin);
  const std::vector<KeyPart> parts = split_key(key, origin);
  // Walk (creating maps) to the node that holds the last component. A chain of handles, since
  // assigning a YAML::Node would overwrite the node it refers to.
  std::vector<YAML::Node> chain{root_};
  std::string walked;
  for (size_t i = 0; i < parts.size(); ++i) {
    const KeyPart& part = parts[i];
    const bool last = i + 1 == parts.size();
    walked += (walked.empty() ? "" : ".") + part.name;
    if (last && !part.index) {
      chain.back()[part.name] = value;
      break;
    }
    YAML::Node child = chain.back()[part.name];
    if (part.index) {
      if (!child.IsSequence() || *part.index >= child.size())
        throw ConfigError(origin + ": '" + walked + "' is not a list with an element " + std::to_string(*part.index));
      walked += "[" + std::to_string(*part.index) + "]";
      if (last) {
        child[*part.index] = value;
        break;
      }
      const YAML::Node element = child[*part.index];
      if (!element.IsMap()) throw ConfigError(origin + ": '" + walked + "' is not a map of keys");
      chain.push_back(element);
      continue;
    }
    if (child.IsDefined() && !child.IsNull() && !child.IsMap())
      throw ConfigError(origin + ": '" + walked + "' is not a map of keys");
    if (!child.IsDefined() || child.IsNull()) chain.back()[part.name] = YAML::Node(YAML::NodeType::Map);
    chain.push_back(chain.back()[part.name]);
  }
  set_origin(key, origin, "");
}

Scenario Scenario::load(const std::string& path, const std::vector<std::string>& overrides) {
  Scenario s;
  s.path_ = path;
  s.root_ = YAML::Node(YAML::NodeType::Map);
  YAML::Node own = load_file(path);
  // `--set hw=NAME` chooses another hardware configuration: it must apply before the include.
  for (const auto& o : overrides) {
    if (o.rfind("hw=", 0) == 0) {
      own["hw"] = o.substr(3);
      s.set_origin("hw", "--set " + o, "");
    }
  }
  // The hardware configuration first, then the scenario's own keys over it.
  if (own["hw"]) {
    if (!s.origins_.count("hw")) s.set_origin("hw", where(path, own["hw"]), path);
    if (!own["hw"].IsScalar()) throw ConfigError(s.origins_["hw"] + ": key 'hw' must name a hardware configuration");
    const std::string hw_path = s.resolve_data_file("hw", own["hw"].Scalar(), "hw");
    const YAML::Node hw = load_yaml_map(hw_path, "hardware configuration");
    if (hw["hw"]) throw ConfigError(where(hw_path, hw["hw"]) + ": a hardware configuration cannot include another ('hw' key)");
    s.merge(s.root_, hw, "", hw_path);
  }
  // The scenario's own keys, but `hw` keeps the origin found above (a --set hw= wins).
  const auto hw_origin = s.origins_.find("hw");
  const std::optional<std::pair<std::string, std::string>> hw_set =
      hw_origin == s.origins_.end() ? std::nullopt : std::optional(std::make_pair(hw_origin->second, s.origin_files_["hw"]));
  s.merge(s.root_, own, "", path);
  if (hw_set) s.set_origin("hw", hw_set->first, hw_set->second);
  for (const auto& o : overrides)
    if (o.rfind("hw=", 0) != 0) s.apply_override(o);
  return s;
}

std::string Scenario::origin(const std::string& dotted_key) const {
  const std::string* found = closest(origins_, dotted_key);
  return found ? *found : path_;
}

OriginLookup Scenario::origin_lookup() const {
  return [this](const std::string& key) { return origin(key); };
}

std::string Scenario::resolve_data_file(const std::string& dotted_key, const std::string& value, const std::string& kind) const {
  fs::path candidate;
  if (value.find('/') == std::string::npos && value.find('.') == std::string::npos) {
    candidate = fs::path(data_dir()) / kind / (value + ".yaml");
  } else {
    const std::string* file = closest(origin_files_, dotted_key);
    const std::string base_file = file && !file->empty() ? *file : path_;
    candidate = fs::path(value).is_absolute() ? fs::path(value) : fs::path(base_file).parent_path() / value;
  }
  if (const std::string problem = file_problem(candidate.string()); !problem.empty())
    throw ConfigError(origin(dotted_key) + ": key '" + dotted_key + "' names '" + value + "', but " +
                      candidate.string() + " " + problem);
  return candidate.lexically_normal().string();
}

}  // namespace dlvp
