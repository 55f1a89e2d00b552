// UTF-8 for text from input files (ip/common/utf8.h): ill-formed sequences become U+FFFD, one per
// maximal ill-formed subpart (Unicode Table 3-7); a tail is never cut inside a character.
#include "ip/common/utf8.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace dlvp {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8, WellFormedTextIsKept) {
  const std::string text = "conv_1 \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 \x7F";  // é € 😀 DEL
  EXPECT_EQ(utf8::valid(text), text);
  EXPECT_EQ(utf8::valid(""), "");
}

TEST(Utf8, IllFormedSequencesAreReplaced) {
  EXPECT_EQ(utf8::valid("a\xFF" "b"), "a" + kFffd + "b");                 // never a lead byte
  EXPECT_EQ(utf8::valid("\x80\x80"), kFffd + kFffd);                      // lone continuations
  EXPECT_EQ(utf8::valid("\xC0\xAF"), kFffd + kFffd);                      // overlong '/'
  EXPECT_EQ(utf8::valid("\xE0\x80\xAF"), kFffd + kFffd + kFffd);          // overlong, 3 bytes
  EXPECT_EQ(utf8::valid("\xED\xA0\x80"), kFffd + kFffd + kFffd);          // a surrogate
  EXPECT_EQ(utf8::valid("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // beyond U+10FFFF
  EXPECT_EQ(utf8::valid("\xE2\x82"), kFffd);                              // truncated: one subpart
  EXPECT_EQ(utf8::valid("\xE2\x82" "x"), kFffd + "x");
  EXPECT_EQ(utf8::valid("\xF0\x9F\x98"), kFffd);
  // nlohmann::json writes any result (it throws on ill-formed UTF-8).
  for (const char* bad : {"\xFF\xFE", "\xC3", "ab\xED\xBF\xBF", "\xF8\x88\x80\x80\x80"})
    EXPECT_NO_THROW((void)nlohmann::json(utf8::valid(bad)).dump()) << bad;
}

TEST(Utf8, ATailStartsAtACharacterBoundary) {
  const std::string e_acute = "\xC3\xA9";
  std::string text;
  for (int i = 0; i < 10; ++i) text += e_acute;  // 20 bytes
  EXPECT_EQ(utf8::tail(text, 31), text);
  EXPECT_EQ(utf8::tail(text, 7), text.substr(14));  // 6 bytes: 7 would start mid-character
  EXPECT_EQ(utf8::tail(text, 8), text.substr(12));
  EXPECT_EQ(utf8::tail("abc\xF0\x9F\x98\x80", 3), "");  // only part of the last character fits
  EXPECT_EQ(utf8::tail("abcdef", 3), "def");
}

}  // namespace
}  // namespace dlvp
