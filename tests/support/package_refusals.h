// Refusals of edited package images in tests: what the host-side reader says, and header edits
// each refused by validate_header naming the field, the reader of the re-sealed image agreeing.
#pragma once
#include "ip/common/config_error.h"
#include "platform/package_file.h"
#include "platform/package_validation.h"
#include "tests/support/package_edit.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace dlvp::test {

// The host-side reader's refusal of `blob` ("" when it accepts it).
inline std::string refusal(const std::vector<uint8_t>& blob) {
  try {
    package::read_package(blob, "pkg");
    return "";
  } catch (const ConfigError& e) {
    return e.what();
  }
}

struct Corruption {
  const char* name;
  std::function<void(package::PackageHeader&)> edit;
  std::string expected;  // in the reason
};

// Each header edit of `good` is refused by validate_header with a reason containing the expected
// text, and the host-side reader of the re-sealed image says the same.
inline void expect_refusals(const std::vector<uint8_t>& good, const std::vector<Corruption>& cases) {
  for (const Corruption& c : cases) {
    package::PackageHeader h = header_of(good);
    c.edit(h);
    package::Refusal why;
    const char* reason = package::validate_header(h, good.size(), &why);
    ASSERT_NE(reason, nullptr) << c.name;
    EXPECT_NE(std::string(reason).find(c.expected), std::string::npos) << c.name << ": " << reason;
    EXPECT_EQ(refusal(with_header(good, c.edit)), "pkg: " + std::string(reason)) << c.name;
  }
}

}  // namespace dlvp::test
