// The output folder: the files of an earlier run are removed (links too, never their targets),
// folders in the way are left for the write to report, and a file as the folder is bad input.
#include "ip/common/config_error.h"
#include "platform/output_folder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

TEST(OutputFolder, RemovesWhatAnEarlierRunLeftAndNothingElse) {
  const std::string dir = testing::TempDir() + "out";
  fs::create_directories(dir + "/trace.json");  // a folder in the way: left alone
  const std::string target = testing::TempDir() + "link_target.txt";
  std::ofstream(target) << "keep";
  for (const char* file : {"report.json", "layers.csv", "dlvp.log", "uart.log.partial"}) std::ofstream(dir + "/" + file) << "old";
  fs::create_symlink(target, dir + "/uart.log");
  std::ofstream(dir + "/mine.txt") << "mine";

  dlvp::OutputFolder out(dir, "s.yaml", false);
  for (const char* file : {"report.json", "layers.csv", "dlvp.log", "uart.log.partial", "uart.log"})
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir + "/" + file))) << file;
  EXPECT_TRUE(fs::is_directory(dir + "/trace.json"));
  EXPECT_TRUE(fs::exists(dir + "/mine.txt"));
  EXPECT_TRUE(fs::exists(target)) << "a link is removed, not its target";

  EXPECT_FALSE(out.write(dlvp::OutputFolder::kTrace, [](std::ostream& os) { os << "{}"; }));
  EXPECT_TRUE(out.write(dlvp::OutputFolder::kReport, [](std::ostream& os) { os << "{}"; }));
  out.record_failure(out.path(dlvp::OutputFolder::kUartLog), "No space left on device");
  ASSERT_EQ(out.failures().size(), 2u);
  EXPECT_EQ(out.failures()[0], "cannot write " + dir + "/trace.json: Is a directory");
  EXPECT_EQ(out.failures()[1], "cannot write " + dir + "/uart.log: No space left on device");
}

TEST(OutputFolder, CreatesTheFolderOrRefusesAFile) {
  const std::string nested = testing::TempDir() + "a/b/c";
  dlvp::OutputFolder out(nested, "s.yaml", false);
  EXPECT_TRUE(fs::is_directory(nested));
  const std::string file = testing::TempDir() + "plain_file";
  std::ofstream(file) << "x";
  try {
    dlvp::OutputFolder refused(file, "s.yaml", false);
    FAIL() << "a file is taken as the output folder";
  } catch (const dlvp::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "--out " + file + ": is a file; the output folder must be a directory");
  }
  try {
    dlvp::OutputFolder refused(file + "/below", "s.yaml", false);
    FAIL() << "a folder below a file is created";
  } catch (const dlvp::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--out " + file + "/below: cannot create the output folder: ", 0), 0u) << e.what();
  }
}

TEST(OutputFolder, RecordsItsScenarioAndRefusesAnotherUnlessForced) {
  const std::string dir = testing::TempDir() + "owned";
  fs::remove_all(dir);
  const std::string first = fs::absolute(testing::TempDir() + "first.yaml").lexically_normal().string();
  const std::string second = fs::absolute(testing::TempDir() + "second.yaml").lexically_normal().string();
  {
    dlvp::OutputFolder out(dir, first, false);
    EXPECT_TRUE(out.write(dlvp::OutputFolder::kReport, [](std::ostream& os) { os << "first"; }));
  }
  dlvp::OutputFolder again(dir, testing::TempDir() + "./first.yaml", false);  // the same file, spelled otherwise
  EXPECT_FALSE(fs::exists(dir + "/report.json")) << "a run of the same scenario clears the earlier one's files";
  EXPECT_TRUE(again.write(dlvp::OutputFolder::kReport, [](std::ostream& os) { os << "first"; }));
  try {
    dlvp::OutputFolder refused(dir, second, false);
    FAIL() << "the folder of another scenario is taken without --force";
  } catch (const dlvp::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "--out " + dir + ": holds the output of " + first + ", not of " + second +
                                         "; give another --out, or --force to replace that run's files");
  }
  EXPECT_TRUE(fs::exists(dir + "/report.json")) << "a refused run removes nothing";
  dlvp::OutputFolder forced(dir, second, true);
  EXPECT_FALSE(fs::exists(dir + "/report.json"));
  std::ifstream owner(dir + "/" + dlvp::OutputFolder::kOwner);
  std::string recorded;
  std::getline(owner, recorded);
  EXPECT_EQ(recorded, second);
}

}  // namespace
