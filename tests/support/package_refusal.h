// The host-side package reader's verdict in tests: "" when it accepts a package image, else its
// refusal ("pkg: <reason>").
#pragma once
#include "ip/common/config_error.h"
#include "platform/package_file.h"

#include <string>
#include <vector>

namespace dlvp::test {

inline std::string refusal(const std::vector<uint8_t>& blob) {
  try {
    package::read_package(blob, "pkg");
    return "";
  } catch (const ConfigError& e) {
    return e.what();
  }
}

}  // namespace dlvp::test
