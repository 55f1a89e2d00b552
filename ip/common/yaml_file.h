// Loading a YAML file that must be a map (scenarios, hardware files, presets, technology tables),
// with errors that name the file, the line and what the file was supposed to be.
#pragma once
#include <yaml-cpp/yaml.h>

#include <string>

namespace dlvp {

// `what` names the kind of file in messages ("DDR preset", "technology table"). A missing or
// unreadable file, a syntax error, or a top level that is not a map throw ConfigError.
// An empty file is an empty map.
YAML::Node load_yaml_map(const std::string& path, const std::string& what);

// True when `path` names an existing regular file. Never throws: a path the OS refuses (too long,
// bad characters, no permission) is simply not a readable file.
bool is_readable_file(const std::string& path);

// "path:line" of a node, or "path" when the node has no position.
std::string yaml_origin(const std::string& path, const YAML::Node& node);

}  // namespace dlvp
