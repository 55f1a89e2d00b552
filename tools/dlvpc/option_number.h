// Numbers a user types on dlvpc's command line (options, "random:N"): the whole text must be the
// number and it must lie in the option's range. One parser for every numeric option, so that
// "-5", "1e99", "nan", "12abc" and "" are refused alike, with the option and its range named.
#pragma once
#include <cstdint>
#include <string>

namespace dlvp::dlvpc {

// `text` as an integer in [min, max]. Throws ConfigError "dlvpc: SHOWN: ..." naming the range
// otherwise; `shown` is what the user typed, e.g. "--calib-count -5" or "--calib random:x".
uint64_t parse_integer_option(const std::string& shown, const std::string& text, uint64_t min, uint64_t max);

// `text` as a finite real in (min, max] (min_inclusive: [min, max]). Throws ConfigError
// "dlvpc: SHOWN: ..." naming the range otherwise (NaN and infinities included).
double parse_real_option(const std::string& shown, const std::string& text, double min, double max,
                         bool min_inclusive = false);

}  // namespace dlvp::dlvpc
