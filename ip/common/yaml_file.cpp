#include "yaml_file.h"

#include "config_error.h"

#include <yaml-cpp/eventhandler.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>
#include <vector>

namespace dlvp {
namespace {

// What the text came from, for messages: a file ("file:line: ..."), or a command-line value
// ("--set key=value: ...", which has no lines worth naming).
struct Source {
  std::string name;
  bool is_file;
  std::string at(const YAML::Mark& mark) const {
    return is_file && !mark.is_null() ? name + ":" + std::to_string(mark.line + 1) : name;
  }
};

// A key or value quoted in a message, cut short when long.
std::string quoted(const std::string& text) {
  constexpr size_t kShown = 60;
  return "'" + (text.size() > kShown ? text.substr(0, kShown) + "..." : text) + "'";
}

// Walks the parser's events before any node is built and refuses what dlvp does not accept.
class StrictYamlCheck : public YAML::EventHandler {
 public:
  explicit StrictYamlCheck(const Source& source) : source_(source) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) fail(mark, "a second YAML document (a file holds one)");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { node(mark, anchor, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { fail(mark, kNoAnchors); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    node(mark, anchor, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    node(mark, anchor, nullptr);
    open_.push_back(Container{false, true, {}});
  }
  void OnSequenceEnd() override { open_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    node(mark, anchor, nullptr);
    open_.push_back(Container{true, true, {}});
  }
  void OnMapEnd() override { open_.pop_back(); }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override { fail(mark, kNoAnchors); }

 private:
  static constexpr const char* kNoAnchors = "YAML aliases/anchors are not supported";

  struct Container {
    bool is_map;
    bool next_is_key = true;                // in a map, nodes alternate: key, value
    std::map<std::string, int> key_lines;  // scalar keys seen, with their lines
  };

  // Every node: no anchor, not too many, and a key not seen before in its map.
  void node(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* scalar) {
    if (anchor != YAML::NullAnchor) fail(mark, kNoAnchors);
    if (++nodes_ > kMaxYamlNodes)
      fail(mark, "more than " + std::to_string(kMaxYamlNodes) + " YAML nodes: too large for a configuration");
    if (open_.empty() || !open_.back().is_map) return;
    Container& map = open_.back();
    const bool is_key = map.next_is_key;
    map.next_is_key = !is_key;
    if (!is_key || !scalar) return;
    const auto [first, fresh] = map.key_lines.emplace(*scalar, mark.line + 1);
    if (!fresh) fail(mark, "duplicate key " + quoted(*scalar) + " (first at line " + std::to_string(first->second) + ")");
  }
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) const {
    throw ConfigError(source_.at(mark) + ": " + what);
  }

  const Source& source_;
  int documents_ = 0;
  uint64_t nodes_ = 0;
  std::vector<Container> open_;
};

// Checks `text` with StrictYamlCheck, then builds its nodes. Syntax errors name the position.
YAML::Node parse_strict(const std::string& text, const Source& source) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StrictYamlCheck check(source);
    while (parser.HandleNextDocument(check)) {
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    const std::string column = source.is_file && !e.mark.is_null() ? ":" + std::to_string(e.mark.column + 1) : "";
    throw ConfigError(source.at(e.mark) + column + ": YAML syntax error: " + e.msg);
  }
}

// The file's text; refuses a file larger than kMaxYamlFileBytes without reading it all.
std::string read_text(const std::string& path, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ConfigError(path + ": the " + what + " file cannot be read: " + std::strerror(errno));
  std::string text;
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw ConfigError(path + ": the " + what + " file cannot be read: " + std::strerror(err));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > kMaxYamlFileBytes) {
      ::close(fd);
      throw ConfigError(path + ": file too large for a " + what + " file (more than " +
                        std::to_string(kMaxYamlFileBytes >> 20) + " MiB)");
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace

YAML::Node load_yaml_map(const std::string& path, const std::string& what) {
  if (const std::string problem = file_problem(path); !problem.empty())
    throw ConfigError(path + ": the " + what + " file " + problem);
  const std::string text = read_text(path, what);
  const YAML::Node root = parse_strict(text, Source{path, true});
  if (root.IsNull()) return YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) throw ConfigError(path + ": a " + what + " must be a YAML map of keys");
  return root;
}

YAML::Node parse_yaml_value(const std::string& text, const std::string& origin) {
  if (text.size() > kMaxYamlFileBytes) throw ConfigError(origin + ": value too large");
  return parse_strict(text, Source{origin, false});
}

std::string file_problem(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) return "does not exist";
  if (ec) return "cannot be read: " + ec.message();
  if (fs::is_directory(status)) return "is a directory";
  if (!fs::is_regular_file(status)) return "is not a regular file";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::string("cannot be read: ") + std::strerror(errno);
  ::close(fd);
  return "";
}

std::string yaml_origin(const std::string& path, const YAML::Node& node) {
  const auto mark = node.Mark();
  return mark.is_null() ? path : path + ":" + std::to_string(mark.line + 1);
}

std::string yaml_single_quoted(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace dlvp
