// dlvpc's progress line (docs/dlvpc.md): on a terminal only, from the calibration to the package,
// erased before the report; nothing in a pipe or with --quiet.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>

#include <string>

namespace dlvp::test {
namespace {

const std::string kCompile = std::string(DLVPC_BINARY) + " compile " + DLVP_SOURCE_DIR +
                             "/scenarios/models/fashion_cnn.onnx --hw zynq7020 --calib random:3 --progress-after 0 -o ";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// On a pseudo-terminal (script(1)); the output folder is the test's temporary one.
CliResult on_terminal(const std::string& args) {
  return run_command("script", "-qec \"" + kCompile + args + "\" /dev/null");
}

TEST(DlvpcProgress, ShownOnATerminalOnly) {
  const std::string out = out_dir("dlvpc_progress") + ".dlvp";
  const CliResult piped = run_command(kCompile + out, "");
  ASSERT_EQ(piped.status, 0) << piped.output;
  EXPECT_FALSE(contains(piped.output, "dlvpc: calibration image")) << piped.output;
  EXPECT_FALSE(contains(piped.output, "\r")) << "a carriage return in captured output";
  EXPECT_TRUE(contains(piped.output, "total: 4 layers")) << piped.output;

  const CliResult tty = on_terminal(out);
  ASSERT_EQ(tty.status, 0) << tty.output;
  EXPECT_TRUE(contains(tty.output, "\rdlvpc: calibration image 1 of 3 (4 layers), wall ")) << tty.output;
  EXPECT_TRUE(contains(tty.output, "\r\033[K")) << "the line is erased";
  // Erased before the report's first line.
  EXPECT_LT(tty.output.rfind("\r\033[K"), tty.output.find("total: 4 layers")) << tty.output;

  const CliResult quiet = on_terminal(out + " --quiet");
  ASSERT_EQ(quiet.status, 0) << quiet.output;
  EXPECT_FALSE(contains(quiet.output, "dlvpc: calibration image")) << quiet.output;
}

TEST(DlvpcProgress, TheDelayIsAnOptionWithARange) {
  const CliResult r = run_command(kCompile + out_dir("dlvpc_progress_bad") + ".dlvp --progress-after -1", "");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(contains(r.output, "--progress-after -1")) << r.output;
}

}  // namespace
}  // namespace dlvp::test
