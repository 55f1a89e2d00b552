#include "params.h"

#include <cmath>
#include <limits>
#include <sstream>

namespace dlvp {

ParamBinder::ParamBinder(const YAML::Node& section, std::string prefix, OriginLookup origin)
    : section_(section), loading_(true), prefix_(std::move(prefix)), origin_(std::move(origin)) {
  if (section_.IsDefined() && !section_.IsNull() && !section_.IsMap())
    throw ConfigError(origin_(prefix_) + ": key '" + prefix_ + "' must be a map of parameters");
}

ParamBinder::ParamBinder(std::string prefix)
    : loading_(false), prefix_(std::move(prefix)), origin_([](const std::string&) { return std::string("(defaults)"); }) {}

std::optional<YAML::Node> ParamBinder::lookup(const char* name) {
  consumed_.insert(name);
  if (!loading_ || !section_.IsDefined() || section_.IsNull() || !section_.IsMap()) return std::nullopt;
  const YAML::Node node = section_[name];
  if (!node.IsDefined() || node.IsNull()) return std::nullopt;
  return node;
}

void ParamBinder::fail(const char* name, const std::string& what) const {
  throw ConfigError(origin_(key(name)) + ": key '" + key(name) + "' " + what);
}

void ParamBinder::record(const char* name, std::string type, std::string value, const char* unit,
                         const char* description, std::string range,
                         std::variant<uint64_t, double, bool, std::string> typed) {
  entries_.push_back(Entry{key(name), std::move(type), std::move(value), unit ? unit : "",
                           description ? description : "", std::move(range), std::move(typed)});
}

namespace {
bool parse_unsigned(const std::string& text, uint64_t& out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  try {
    size_t used = 0;
    out = std::stoull(text, &used, 0);  // accepts decimal and 0x.. hexadecimal
    return used == text.size();
  } catch (...) {
    return false;
  }
}
std::string hex_or_dec(uint64_t v) {
  std::ostringstream os;
  if (v >= 0x10000 && (v & 0xfff) == 0) os << "0x" << std::hex << v;
  else os << v;
  return os.str();
}
}  // namespace

void ParamBinder::integer(const char* name, uint64_t& field, const char* unit, const char* description,
                          uint64_t min_value, uint64_t max_value) {
  if (const auto node = lookup(name)) {
    if (!node->IsScalar()) fail(name, "must be an integer");
    uint64_t v = 0;
    if (!parse_unsigned(node->Scalar(), v)) fail(name, "must be a non-negative integer, got '" + node->Scalar() + "'");
    if (v < min_value || v > max_value)
      fail(name, "= " + node->Scalar() + " is out of range [" + std::to_string(min_value) + ", " + std::to_string(max_value) + "]");
    field = v;
  }
  record(name, "integer", hex_or_dec(field), unit, description,
         "[" + hex_or_dec(min_value) + ", " + hex_or_dec(max_value) + "]", field);
}

void ParamBinder::integer(const char* name, uint32_t& field, const char* unit, const char* description,
                          uint32_t min_value, uint32_t max_value) {
  uint64_t wide = field;
  integer(name, wide, unit, description, min_value, max_value);
  field = static_cast<uint32_t>(wide);
}

void ParamBinder::real(const char* name, double& field, const char* unit, const char* description,
                       double min_value, double max_value) {
  if (const auto node = lookup(name)) {
    if (!node->IsScalar()) fail(name, "must be a number");
    double v = 0;
    try {
      size_t used = 0;
      v = std::stod(node->Scalar(), &used);
      if (used != node->Scalar().size()) throw std::invalid_argument("trailing");
    } catch (...) {
      fail(name, "must be a number, got '" + node->Scalar() + "'");
    }
    if (!std::isfinite(v) || v < min_value || v > max_value) {
      std::ostringstream os;
      os << "= " << node->Scalar() << " is out of range [" << min_value << ", " << max_value << "]";
      fail(name, os.str());
    }
    field = v;
  }
  std::ostringstream value, range;
  value << field;
  range << "[" << min_value << ", " << max_value << "]";
  record(name, "real", value.str(), unit, description, range.str(), field);
}

void ParamBinder::flag(const char* name, bool& field, const char* description) {
  if (const auto node = lookup(name)) {
    const std::string& s = node->IsScalar() ? node->Scalar() : std::string();
    if (s == "true" || s == "on" || s == "yes" || s == "1") field = true;
    else if (s == "false" || s == "off" || s == "no" || s == "0") field = false;
    else fail(name, "must be true or false, got '" + s + "'");
  }
  record(name, "bool", field ? "true" : "false", "", description, "true|false", field);
}

void ParamBinder::text(const char* name, std::string& field, const char* description) {
  if (const auto node = lookup(name)) {
    if (!node->IsScalar()) fail(name, "must be a string");
    field = node->Scalar();
  }
  record(name, "string", field, "", description, "", field);
}

void ParamBinder::choice(const char* name, std::string& field, std::initializer_list<const char*> choices,
                         const char* description) {
  std::string all;
  for (const char* c : choices) all += (all.empty() ? "" : "|") + std::string(c);
  if (const auto node = lookup(name)) {
    if (!node->IsScalar()) fail(name, "must be one of " + all);
    bool ok = false;
    for (const char* c : choices) ok = ok || node->Scalar() == c;
    if (!ok) fail(name, "= '" + node->Scalar() + "' is not one of " + all);
    field = node->Scalar();
  }
  record(name, "choice", field, "", description, all, field);
}

YAML::Node ParamBinder::section(const char* name) {
  consumed_.insert(name);
  if (!loading_ || !section_.IsDefined() || !section_.IsMap()) return YAML::Node();
  return section_[name];
}

void ParamBinder::finish() {
  if (!loading_ || !section_.IsDefined() || !section_.IsMap()) return;
  for (const auto& kv : section_) {
    if (!kv.first.IsScalar())
      throw ConfigError(origin_(prefix_) + ": a key in '" + prefix_ +
                        "' is a list or a map, not a name");
    const std::string name = kv.first.as<std::string>();
    if (!consumed_.count(name)) {
      std::string known;
      for (const auto& c : consumed_) known += (known.empty() ? "" : ", ") + c;
      throw ConfigError(origin_(key(name.c_str())) + ": unknown key '" + key(name.c_str()) +
                        "' (known keys here: " + known + ")");
    }
  }
}

}  // namespace dlvp
