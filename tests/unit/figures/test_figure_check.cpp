// check_figures' rules (tools/figures): a quote agrees when it is the measurement rounded as the
// quote is written (or within the figure's tolerance); manifest errors name the entry; a drifted
// quote fails and --update rewrites it.
#include "ip/common/config_error.h"
#include "tools/figures/figure_check.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace dlvp::figures {
namespace {

namespace fs = std::filesystem;

TEST(FigureCheck, AQuoteIsTheMeasurementRoundedAsWritten) {
  EXPECT_TRUE(agrees("61.7", 61.675, 0));
  EXPECT_FALSE(agrees("61.7", 61.64, 0));
  EXPECT_TRUE(agrees("12,335", 12335, 0));
  EXPECT_FALSE(agrees("12,335", 12336, 0));
  EXPECT_TRUE(agrees("4,169", 4168.6, 0));
  EXPECT_FALSE(agrees("4,169", 4168.4, 0));
  EXPECT_TRUE(agrees("5.60", 5.5951, 0));
  EXPECT_TRUE(agrees("100", 101.9, 0.02));  // a stated tolerance, relative
  EXPECT_FALSE(agrees("100", 102.1, 0.02));
  EXPECT_FALSE(agrees("1.2.3", 1.2, 0));
  EXPECT_EQ(format_like(1234567.891, "1,000.00"), "1,234,567.89");
  EXPECT_EQ(format_like(613.66, "614.6"), "613.7");
  EXPECT_EQ(format_like(-1234, "1,000"), "-1,234");
}

struct Sandbox {
  fs::path dir = fs::temp_directory_path() / ("figure_check_" + std::to_string(::getpid()));
  Sandbox() { fs::create_directories(dir / "docs"); }
  ~Sandbox() { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(dir / name) << text; }
  std::string read(const std::string& name) const {
    std::ifstream in(dir / name);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  Folders folders() const { return {dir.string(), dir.string(), dir.string()}; }
};

constexpr const char* kManifest = R"(commands:
  - run: "echo 'the step takes 61.68 us, 12336 cycles'"
    figures:
      - id: step-us
        measure: 'takes ([0-9.]+) us'
        quotes: [{file: docs/a.md, regex: 'a step of ([0-9.]+) us'}]
      - id: step-cycles
        measure: '(\d+) cycles'
        quotes: [{file: docs/a.md, regex: 'in ([0-9,]+) cycles'}]
)";

TEST(FigureCheck, ADriftedQuoteFailsAndUpdateRewritesIt) {
  Sandbox box;
  box.write("figures.yaml", kManifest);
  box.write("docs/a.md", "We measured a step of 61.7 us in 12,335 cycles; a step of 61.7 us again.\n");
  const std::vector<Command> commands = load_manifest((box.dir / "figures.yaml").string());
  std::vector<QuoteResult> r = check(commands, box.folders(), false, false);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_TRUE(r[0].ok && r[1].ok);  // 61.68 reads as 61.7, both places
  EXPECT_FALSE(r[2].ok);            // 12,335 is not 12,336
  EXPECT_EQ(r[2].problem, "quoted 12,335, measured 12,336");
  EXPECT_EQ(r[2].line, 1u);
  check(commands, box.folders(), false, true);
  EXPECT_EQ(box.read("docs/a.md"), "We measured a step of 61.7 us in 12,336 cycles; a step of 61.7 us again.\n");
  for (const QuoteResult& q : check(commands, box.folders(), false, false)) EXPECT_TRUE(q.ok) << q.problem;
}

TEST(FigureCheck, AQuoteTheDocNoLongerHasOrAFailingCommandFails) {
  Sandbox box;
  box.write("figures.yaml", kManifest);
  box.write("docs/a.md", "Nothing quoted here.\n");
  std::vector<QuoteResult> r = check(load_manifest((box.dir / "figures.yaml").string()), box.folders(), false, false);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].found);
  EXPECT_FALSE(r[0].ok);
  box.write("figures.yaml", "commands:\n  - run: 'exit 3'\n    figures:\n      - id: x\n        measure: '(\\d+)'\n"
                            "        quotes: [{file: docs/a.md, regex: '(Nothing)'}]\n");
  r = check(load_manifest((box.dir / "figures.yaml").string()), box.folders(), false, false);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_FALSE(r[0].ok);
  EXPECT_NE(r[0].problem.find("exited with 3"), std::string::npos) << r[0].problem;
}

TEST(FigureCheck, ManifestErrorsNameTheEntry) {
  Sandbox box;
  const auto error_of = [&](const std::string& text) {
    box.write("m.yaml", text);
    try {
      load_manifest((box.dir / "m.yaml").string());
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("commands:\n  - run: x\n    figures:\n      - id: a\n        measure: 'no group'\n"
                     "        quotes: [{file: f, regex: '(x)'}]\n")
                .find("commands[0].figures[0] (a).measure: the regex 'no group' has no group"),
            std::string::npos);
  EXPECT_NE(error_of("commands:\n  - run: x\n    colour: red\n    figures: []\n").find("commands[0]: unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of("commands:\n  - run: x\n    figures:\n      - id: a\n        measure: '(\\d+'\n"
                     "        quotes: [{file: f, regex: '(x)'}]\n")
                .find("bad regex"),
            std::string::npos);
  EXPECT_NE(error_of("commands:\n  - run: x\n    figures:\n      - id: a\n        measure: '(\\d+)'\n").find("'quotes'"),
            std::string::npos);
}

}  // namespace
}  // namespace dlvp::figures
