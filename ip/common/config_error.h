// The one exception type for bad user input (scenario, technology table, presets, command line).
// Its message always names the file and the key (or offset) at fault; the CLI prints it and exits 2.
#pragma once
#include <stdexcept>
#include <string>

namespace dlvp {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dlvp
