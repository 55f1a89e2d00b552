// Loading the YAML dlvp reads (scenarios, hardware files, presets, technology tables, --set
// values), with errors that name the file, the line and what the file was supposed to be. Only
// the plain subset a configuration needs is accepted: one document, no anchors or aliases (a
// kilobyte alias bomb expands to gigabytes), no key twice in a map, at most kMaxYamlFileBytes and
// kMaxYamlNodes.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

namespace dlvp {

constexpr uint64_t kMaxYamlFileBytes = uint64_t{16} << 20;
constexpr uint64_t kMaxYamlNodes = 100000;  // yaml-cpp needs about 0.5 KB per node

// `what` names the kind of file in messages ("DDR preset", "technology table"). A missing or
// unreadable file, a syntax error, refused YAML (see above), or a top level that is not a map
// throw ConfigError. An empty file is an empty map.
YAML::Node load_yaml_map(const std::string& path, const std::string& what);

// Parses a YAML value given on the command line under the same rules; messages start with
// `origin` ("--set key=value").
YAML::Node parse_yaml_value(const std::string& text, const std::string& origin);

// Why `path` cannot be read as a file: "does not exist", "is a directory", "is not a regular
// file", "cannot be read: <reason>"; "" when it is a readable regular file. Never throws.
std::string file_problem(const std::string& path);

// `text` as a YAML single-quoted scalar (a --set value that stays a string: a file name).
std::string yaml_single_quoted(const std::string& text);

// "path:line" of a node, or "path" when the node has no position.
std::string yaml_origin(const std::string& path, const YAML::Node& node);

}  // namespace dlvp
