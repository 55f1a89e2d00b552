// Header edits of package images in tests, each refused by validate_header naming the field, the
// host-side reader of the re-sealed image (tests/support/package_refusal.h) agreeing.
#pragma once
#include "platform/package_validation.h"
#include "tests/support/package_edit.h"
#include "tests/support/package_refusal.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace dlvp::test {

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
