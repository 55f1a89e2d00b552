#include "yaml_file.h"

#include "config_error.h"

#include <filesystem>

namespace dlvp {

YAML::Node load_yaml_map(const std::string& path, const std::string& what) {
  if (!is_readable_file(path)) throw ConfigError(path + ": no such " + what + " file");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot read " + what + " file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": YAML syntax error: " + e.msg);
  }
  if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigError(path + ": a " + what + " must be a YAML map of keys");
  return root;
}

bool is_readable_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec) && !ec;
}

std::string yaml_origin(const std::string& path, const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.is_null() ? path : path + ":" + std::to_string(mark.line + 1);
}

}  // namespace dlvp
