// dlvp's process exit statuses (docs/scenarios.md, "Exit status"). The software's own exit code
// passes through when it is small; dlvp's own outcomes sit above, where no passed-through code
// can be mistaken for them.
#pragma once
#include <cstdint>

namespace dlvp::exit_status {

constexpr int kSoftwareMax = 119;            // 0..119: the software's exit code (0 = success)
constexpr int kSoftwareOutOfRange = 120;     // the software's code was above 119 (full code in report.json)
constexpr int kOutputWriteFailed = 121;      // an output file could not be written
constexpr int kBadInput = 122;               // command line, scenario, hardware/technology/preset or software files
constexpr int kInternalError = 123;          // an unexpected exception
constexpr int kTimeLimit = 124;              // run.max_time_ms ran out before the software exited

// The status for the code the software wrote to the system controller's EXIT register.
constexpr int from_software(uint32_t code) {
  return code <= static_cast<uint32_t>(kSoftwareMax) ? static_cast<int>(code) : kSoftwareOutOfRange;
}

}  // namespace dlvp::exit_status
