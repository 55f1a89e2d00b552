// Scenario loading: every key remembers where it came from, list elements included, so an error
// names the file and line or the --set at fault; --set reaches into list elements.
#include "ip/common/config_error.h"
#include "platform/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

using dlvp::ConfigError;
using dlvp::Scenario;

std::string write_scenario(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

const char* kWithLoads =
    "hw: zynq7020\n"
    "software:\n"
    "  load:\n"
    "    - {file: a.bin, address: 0x90000000}\n"
    "    - file: b.bin\n"
    "      address: 0x91000000\n"
    "  args: [1, 2]\n";

TEST(Scenario, ListElementsFromAFileKnowTheirLines) {
  const std::string path = write_scenario("loads.yaml", kWithLoads);
  const Scenario s = Scenario::load(path, {});
  EXPECT_EQ(s.origin("software.load[0].file"), path + ":4");
  EXPECT_EQ(s.origin("software.load[1]"), path + ":5");
  EXPECT_EQ(s.origin("software.load[1].address"), path + ":6");
  EXPECT_EQ(s.origin("software.args[1]"), path + ":7");
  EXPECT_EQ(s.origin("software.load[7].file"), path + ":3") << "an element that is not there: its list";
}

TEST(Scenario, SetReachesIntoListElementsAndIsNamedAsTheOrigin) {
  const std::string path = write_scenario("loads_set.yaml", kWithLoads);
  const Scenario s = Scenario::load(path, {"software.load[1].file=other.bin", "software.args[0]=7"});
  EXPECT_EQ(s.root()["software"]["load"][1]["file"].as<std::string>(), "other.bin");
  EXPECT_EQ(s.root()["software"]["load"][1]["address"].as<std::string>(), "0x91000000") << "the rest of the element stays";
  EXPECT_EQ(s.root()["software"]["load"].size(), 2u);
  EXPECT_EQ(s.root()["software"]["args"][0].as<int>(), 7);
  EXPECT_EQ(s.origin("software.load[1].file"), "--set software.load[1].file=other.bin");
  EXPECT_EQ(s.origin("software.load[1].address"), path + ":6");
  EXPECT_EQ(s.origin("software.args[0]"), "--set software.args[0]=7");
  try {
    s.resolve_data_file("software.load[1].file", "other.bin", "data");
    FAIL() << "other.bin does not exist";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--set software.load[1].file=other.bin: key 'software.load[1].file' names 'other.bin', but ", 0), 0u)
        << e.what();
  }
}

TEST(Scenario, ASetOfAWholeListForgetsTheOriginsOfTheOldElements) {
  const std::string path = write_scenario("loads_replaced.yaml", kWithLoads);
  const std::string set = "software.load=[{file: c.bin, address: 0x92000000}]";
  const Scenario s = Scenario::load(path, {set});
  EXPECT_EQ(s.origin("software.load[0].file"), "--set " + set);
  EXPECT_EQ(s.origin("software.load[1].address"), "--set " + set);
}

TEST(Scenario, BadListIndexesInSetAreNamed) {
  const std::string path = write_scenario("loads_bad.yaml", kWithLoads);
  struct Case {
    std::string set, message;
  };
  for (const Case& c : std::vector<Case>{
           {"software.load[2].file=x", "--set software.load[2].file=x: 'software.load' is not a list with an element 2"},
           {"software.args[0].x=1", "--set software.args[0].x=1: 'software.args[0]' is not a map of keys"},
           {"software.load[x].file=1", "--set software.load[x].file=1: 'load[x]' is not a name or name[index]"},
           {"software.app[0]=1", "--set software.app[0]=1: 'software.app' is not a list with an element 0"},
           {"software..app=1", "--set software..app=1: empty key component"},
           {"software.load[0]=&a 1", "--set software.load[0]=&a 1: YAML aliases/anchors are not supported"}}) {
    try {
      Scenario::load(path, {c.set});
      ADD_FAILURE() << c.set << " is accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()), c.message);
    }
  }
}

TEST(Scenario, AHardwareFileThatIsAFolderIsNamedForWhatItIs) {
  const std::string dir = testing::TempDir() + "hw.d";
  std::filesystem::create_directories(dir);
  const std::string path = write_scenario("hw_folder.yaml", "hw: hw.d\n");
  try {
    Scenario::load(path, {});
    FAIL() << "a folder as the hardware file loads";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":1: key 'hw' names 'hw.d', but " + dir + " is a directory");
  }
}

}  // namespace
