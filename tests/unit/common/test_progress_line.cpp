// The progress line: drawn only when enabled and due, redrawn in place, erased at the end.
#include "ip/common/progress_line.h"

#include <gtest/gtest.h>

#include <sstream>

namespace {

TEST(ProgressLine, DrawsInPlaceWhenDueAndErasesItself) {
  std::ostringstream os;
  {
    dlvp::ProgressLine line(os, true, 0.0, 0.0);  // due at once, every time
    line.update([] { return std::string("step 1"); });
    line.update([] { return std::string("step 2"); });
  }
  const std::string text = os.str();
  EXPECT_EQ(text.rfind("\rstep 1, wall ", 0), 0u) << text;
  EXPECT_NE(text.find("\033[K\rstep 2, wall "), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 4), "\r\033[K") << "erased when it ends";
}

TEST(ProgressLine, NothingWhenDisabledOrNotYetDue) {
  std::ostringstream disabled_os, early_os;
  {
    dlvp::ProgressLine disabled(disabled_os, false, 0.0, 0.0);
    dlvp::ProgressLine early(early_os, true, 3600.0, 0.0);  // a run shorter than the delay shows nothing
    int asked = 0;
    for (int i = 0; i < 3; ++i) {
      disabled.update([&] { return std::to_string(++asked); });
      early.update([&] { return std::to_string(++asked); });
    }
    EXPECT_EQ(asked, 0) << "the text is not even made";
  }
  EXPECT_EQ(disabled_os.str(), "");
  EXPECT_EQ(early_os.str(), "") << "nothing drawn, nothing to erase";
}

}  // namespace
