#include "tools/figures/figure_check.h"

#include "ip/common/config_error.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace dlvp::figures {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw ConfigError(path + ": cannot be written");
}

// Keys of a map node, each checked against the allowed ones.
void check_keys(const YAML::Node& node, const std::set<std::string>& allowed, const std::string& where) {
  if (!node.IsMap()) throw ConfigError(where + ": expected a map");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) throw ConfigError(where + ": unknown key '" + key + "'");
  }
}

std::string text_of(const YAML::Node& node, const std::string& key, const std::string& where, bool required = true) {
  const YAML::Node v = node[key];
  if (!v) {
    if (required) throw ConfigError(where + ": missing key '" + key + "'");
    return "";
  }
  if (!v.IsScalar()) throw ConfigError(where + "." + key + ": expected a string");
  return v.as<std::string>();
}

double number_of(const YAML::Node& node, const std::string& key, double fallback, const std::string& where) {
  const YAML::Node v = node[key];
  if (!v) return fallback;
  try {
    return v.as<double>();
  } catch (const YAML::Exception&) {
    throw ConfigError(where + "." + key + ": expected a number");
  }
}

// A regex with at least one group, compiled once here so that a bad one names its entry.
void check_regex(const std::string& pattern, const std::string& where) {
  try {
    const std::regex re(pattern);
    if (re.mark_count() < 1) throw ConfigError(where + ": the regex '" + pattern + "' has no group for the number");
  } catch (const std::regex_error& e) {
    throw ConfigError(where + ": bad regex '" + pattern + "': " + e.what());
  }
}

Figure load_figure(const YAML::Node& node, const std::string& where) {
  check_keys(node, {"id", "measure", "json", "scale", "tolerance", "quotes"}, where);
  Figure f;
  f.id = text_of(node, "id", where);
  const std::string at = where + " (" + f.id + ")";
  f.measure = text_of(node, "measure", at, false);
  if (const YAML::Node json = node["json"]) {
    check_keys(json, {"file", "path"}, at + ".json");
    f.json_file = text_of(json, "file", at + ".json");
    f.json_path = text_of(json, "path", at + ".json");
  }
  if (f.measure.empty() == f.json_file.empty()) throw ConfigError(at + ": give either 'measure' or 'json'");
  if (!f.measure.empty()) check_regex(f.measure, at + ".measure");
  f.scale = number_of(node, "scale", 1.0, at);
  f.tolerance = number_of(node, "tolerance", 0.0, at);
  if (!(f.tolerance >= 0 && f.tolerance < 1)) throw ConfigError(at + ".tolerance: expected a fraction in [0, 1)");
  const YAML::Node quotes = node["quotes"];
  if (!quotes || !quotes.IsSequence() || quotes.size() == 0) throw ConfigError(at + ": 'quotes' must list where the docs quote it");
  for (size_t i = 0; i < quotes.size(); ++i) {
    const std::string qw = at + ".quotes[" + std::to_string(i) + "]";
    check_keys(quotes[i], {"file", "regex"}, qw);
    Quote q{text_of(quotes[i], "file", qw), text_of(quotes[i], "regex", qw)};
    check_regex(q.regex, qw + ".regex");
    f.quotes.push_back(q);
  }
  return f;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string expand(const std::string& command, const Folders& folders) {
  return replace_all(replace_all(replace_all(command, "@build", folders.build), "@source", folders.source), "@tmp",
                     folders.tmp);
}

std::string shell_quoted(const std::string& text) { return "'" + replace_all(text, "'", "'\\''") + "'"; }

struct CommandOutput {
  int status = -1;
  std::string text;
};

CommandOutput run_command(const Command& c, const Folders& folders) {
  const std::string line = "cd " + shell_quoted(folders.source) + " && timeout " + std::to_string(c.timeout_s) +
                           " sh -c " + shell_quoted(expand(c.run, folders)) + " 2>&1";
  CommandOutput out;
  FILE* pipe = popen(line.c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
    if (out.text.size() < (size_t{64} << 20)) out.text.append(buffer, n);  // a runaway command cannot fill memory
  }
  const int status = pclose(pipe);
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// The figure's value from the command's output or its JSON file; throws ConfigError saying why not.
double measure(const Figure& f, const CommandOutput& out, const Folders& folders) {
  if (!f.measure.empty()) {
    std::smatch m;
    if (!std::regex_search(out.text, m, std::regex(f.measure)))
      throw ConfigError("'" + f.measure + "' not found in the command's output");
    bool ok = false;
    const double v = parse_quoted(m[1].str(), ok);
    if (!ok) throw ConfigError("'" + m[1].str() + "' is not a number");
    return v * f.scale;
  }
  const std::string path = expand(f.json_file, folders);
  nlohmann::json node;
  try {
    node = nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(path + ": " + e.what());
  }
  // A key may hold dots itself (module names: modules.soc.ddr.activates): segments are joined
  // until the object has the key.
  std::istringstream keys(f.json_path);
  std::string key;
  for (std::string segment; std::getline(keys, segment, '.');) {
    key += key.empty() ? segment : "." + segment;
    if (!node.is_object()) break;
    if (!node.contains(key)) continue;
    node = nlohmann::json(node[key]);
    key.clear();
  }
  if (!key.empty()) throw ConfigError(path + ": no '" + f.json_path + "'");
  if (!node.is_number()) throw ConfigError(path + ": '" + f.json_path + "' is not a number");
  return node.get<double>() * f.scale;
}

uint32_t line_of(const std::string& text, size_t offset) {
  return 1 + static_cast<uint32_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

struct Edit {
  size_t offset, length;
  std::string text;
};

}  // namespace

double parse_quoted(const std::string& text, bool& ok) {
  std::string digits;
  for (const char c : text)
    if (c != ',') digits += c;
  ok = false;
  if (digits.empty()) return 0;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(digits, &used);
  } catch (const std::exception&) {
    return 0;
  }
  ok = used == digits.size();
  return v;
}

std::string format_like(double value, const std::string& like) {
  const size_t dot = like.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(like.size() - dot - 1);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (like.find(',') == std::string::npos) return text;
  const size_t end = text.find('.') == std::string::npos ? text.size() : text.find('.');
  const size_t begin = text[0] == '-' ? 1 : 0;
  for (size_t at = end; at > begin + 3; at -= 3) text.insert(at - 3, ",");
  return text;
}

bool agrees(const std::string& quoted, double measured, double tolerance) {
  bool ok = false;
  const double q = parse_quoted(quoted, ok);
  if (!ok) return false;
  if (tolerance > 0) return std::fabs(measured - q) <= tolerance * std::fabs(q);
  return format_like(measured, quoted) == quoted;  // the quote is the measurement, rounded as written
}

std::vector<Command> load_manifest(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ": " + e.what());
  }
  const YAML::Node commands = root["commands"];
  if (!root.IsMap() || !commands || !commands.IsSequence()) throw ConfigError(path + ": expected 'commands:' with a list");
  check_keys(root, {"commands"}, path);
  std::vector<Command> out;
  std::set<std::string> ids;
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string where = path + ": commands[" + std::to_string(i) + "]";
    check_keys(commands[i], {"run", "timeout_s", "long", "figures"}, where);
    Command c;
    c.run = text_of(commands[i], "run", where);
    c.timeout_s = static_cast<uint32_t>(number_of(commands[i], "timeout_s", 120, where));
    c.long_running = commands[i]["long"] && commands[i]["long"].as<bool>();
    const YAML::Node figures = commands[i]["figures"];
    if (!figures || !figures.IsSequence()) throw ConfigError(where + ": 'figures' must be a list");
    for (size_t j = 0; j < figures.size(); ++j) {
      c.figures.push_back(load_figure(figures[j], where + ".figures[" + std::to_string(j) + "]"));
      if (!ids.insert(c.figures.back().id).second) throw ConfigError(where + ": figure id '" + c.figures.back().id + "' appears twice");
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<QuoteResult> check(const std::vector<Command>& commands, const Folders& folders, bool include_long,
                               bool update) {
  std::vector<QuoteResult> results;
  std::map<std::string, std::vector<Edit>> edits;  // by doc file
  std::map<std::string, std::string> docs;
  const auto doc = [&](const std::string& file) -> const std::string& {
    auto it = docs.find(file);
    if (it == docs.end()) it = docs.emplace(file, read_text(folders.source + "/" + file)).first;
    return it->second;
  };
  for (const Command& c : commands) {
    if (c.long_running && !include_long) continue;
    const CommandOutput out = run_command(c, folders);
    for (const Figure& f : c.figures) {
      double value = 0;
      std::string problem;
      if (out.status != 0) {
        const std::string tail = out.text.size() > 400 ? out.text.substr(out.text.size() - 400) : out.text;
        problem = "the command exited with " + std::to_string(out.status) + ": " + tail;
      } else {
        try {
          value = measure(f, out, folders);
        } catch (const ConfigError& e) {
          problem = e.what();
        }
      }
      for (const Quote& q : f.quotes) {
        const std::string& text = doc(q.file);
        const std::regex re(q.regex);
        bool any = false;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it) {
          any = true;
          QuoteResult r;
          r.figure = f.id, r.file = q.file, r.line = line_of(text, static_cast<size_t>(it->position(1)));
          r.quoted = (*it)[1].str(), r.measured = value, r.problem = problem;
          r.ok = problem.empty() && agrees(r.quoted, value, f.tolerance);
          if (!r.ok && r.problem.empty()) r.problem = "quoted " + r.quoted + ", measured " + format_like(value, r.quoted);
          if (update && problem.empty() && !r.ok)
            edits[q.file].push_back({static_cast<size_t>(it->position(1)), static_cast<size_t>(it->length(1)),
                                     format_like(value, r.quoted)});
          results.push_back(r);
        }
        if (!any) {
          QuoteResult r;
          r.figure = f.id, r.file = q.file, r.measured = value, r.found = false;
          r.problem = "the doc no longer quotes it: '" + q.regex + "' matches nothing";
          results.push_back(r);
        }
      }
    }
  }
  for (auto& [file, list] : edits) {
    std::string text = doc(file);
    std::sort(list.begin(), list.end(), [](const Edit& a, const Edit& b) { return a.offset > b.offset; });
    for (const Edit& e : list) text.replace(e.offset, e.length, e.text);
    write_text(folders.source + "/" + file, text);
  }
  return results;
}

}  // namespace dlvp::figures
