#include "tools/dlvpc/option_number.h"

#include "ip/common/config_error.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace dlvp::dlvpc {
namespace {

[[noreturn]] void refuse(const std::string& shown, const std::string& why) { throw ConfigError("dlvpc: " + shown + ": " + why); }

std::string real_text(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Leading spaces are strtoll's and strtod's; the whole text must be the number.
bool starts_like_a_number(const std::string& text) { return !text.empty() && !std::isspace(static_cast<unsigned char>(text[0])); }

}  // namespace

uint64_t parse_integer_option(const std::string& shown, const std::string& text, uint64_t min, uint64_t max) {
  const std::string range = "expected an integer in " + std::to_string(min) + ".." + std::to_string(max);
  errno = 0;
  char* end = nullptr;
  const long long v = starts_like_a_number(text) ? std::strtoll(text.c_str(), &end, 10) : 0;
  if (!starts_like_a_number(text) || end != text.c_str() + text.size()) refuse(shown, "not a number (" + range + ")");
  if (errno == ERANGE || v < 0 || static_cast<unsigned long long>(v) < min || static_cast<unsigned long long>(v) > max)
    refuse(shown, "out of range (" + range + ")");
  return static_cast<uint64_t>(v);
}

double parse_real_option(const std::string& shown, const std::string& text, double min, double max, bool min_inclusive) {
  const std::string range = std::string(min_inclusive ? "[" : "(") + real_text(min) + ", " + real_text(max) + "]";
  errno = 0;
  char* end = nullptr;
  const double v = starts_like_a_number(text) ? std::strtod(text.c_str(), &end) : 0;
  if (!starts_like_a_number(text) || end != text.c_str() + text.size()) refuse(shown, "not a number (expected " + range + ")");
  const bool above_min = min_inclusive ? v >= min : v > min;
  if (!std::isfinite(v) || !above_min || v > max)
    refuse(shown, (min == 0 && !min_inclusive ? "must be a positive finite number, in " : "must be a finite number in ") + range);
  return v;
}

}  // namespace dlvp::dlvpc
