// The one YAML loader: only the plain subset a configuration needs (one document, no anchors or
// aliases, no key twice in a map, bounded size), and every refusal names the file and the line.
#include "ip/common/config_error.h"
#include "ip/common/yaml_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

using dlvp::ConfigError;

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

// The ConfigError message of loading `text` as a file, or "" when it loads.
std::string refusal(const std::string& text) {
  const std::string path = write_temp("refusal.yaml", text);
  try {
    dlvp::load_yaml_map(path, "scenario");
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    return message.rfind(path, 0) == 0 ? "FILE" + message.substr(path.size()) : message;
  }
  return "";
}

TEST(YamlFile, PlainMapsListsAndScalarsLoad) {
  const std::string path = write_temp("plain.yaml", "a: 1\nb: [x, y]\nc:\n  a: 2\n  d: {a: 3}\nlist:\n  - {a: 1}\n  - {a: 2}\n");
  const YAML::Node root = dlvp::load_yaml_map(path, "scenario");
  EXPECT_EQ(root["c"]["d"]["a"].as<int>(), 3);
  EXPECT_EQ(root["list"][1]["a"].as<int>(), 2) << "the same key in different maps is fine";
  EXPECT_TRUE(dlvp::load_yaml_map(write_temp("empty.yaml", ""), "scenario").IsMap());
}

TEST(YamlFile, AliasesAndAnchorsAreRefusedAtTheirLine) {
  EXPECT_EQ(refusal("a: 1\nb: &x [1, 2]\nc: *x\n"), "FILE:2: YAML aliases/anchors are not supported");
  EXPECT_EQ(refusal("a: &only 1\n"), "FILE:1: YAML aliases/anchors are not supported") << "an anchor alone too";
  EXPECT_EQ(refusal("base: {a: 1}\nother:\n  <<: *base\n"), "FILE:3:7: YAML syntax error: the referenced anchor is not defined");
}

TEST(YamlFile, ABillionLaughsIsRefusedWithoutExpanding) {
  std::string bomb = "a: [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) bomb += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
    bomb += "]\n";
  }
  EXPECT_EQ(refusal(bomb), "FILE:2: YAML aliases/anchors are not supported");
}

TEST(YamlFile, DuplicateKeysAreRefusedNamingBothLines) {
  EXPECT_EQ(refusal("a: 1\nb: 2\na: 3\n"), "FILE:3: duplicate key 'a' (first at line 1)");
  EXPECT_EQ(refusal("run:\n  x: 1\n  y: 2\n  'x': 3\n"), "FILE:4: duplicate key 'x' (first at line 2)");
  EXPECT_EQ(refusal("l:\n  - {k: 1, k: 2}\n"), "FILE:2: duplicate key 'k' (first at line 2)");
  EXPECT_EQ(refusal(std::string(100, 'k') + ": 1\n" + std::string(100, 'k') + ": 2\n"),
            "FILE:2: duplicate key '" + std::string(60, 'k') + "...' (first at line 1)")
      << "a long key is cut short in the message";
}

TEST(YamlFile, ASecondDocumentIsRefused) {
  EXPECT_EQ(refusal("a: 1\n---\nb: 2\n"), "FILE:2: a second YAML document (a file holds one)");
  EXPECT_EQ(refusal("---\na: 1\n...\n---\n"), "FILE:4: a second YAML document (a file holds one)");
}

TEST(YamlFile, SizeAndNodeCountAreBounded) {
  std::string many = "a: [0";
  for (uint64_t i = 1; i <= dlvp::kMaxYamlNodes; ++i) many += ",0";
  EXPECT_EQ(refusal(many + "]\n"), "FILE:1: more than 100000 YAML nodes: too large for a configuration");
  const std::string big = write_temp("big.yaml", "a: '" + std::string(dlvp::kMaxYamlFileBytes, 'x') + "'\n");
  try {
    dlvp::load_yaml_map(big, "DDR preset");
    FAIL() << "a file above the bound loads";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), big + ": file too large for a DDR preset file (more than 16 MiB)");
  }
}

TEST(YamlFile, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(refusal("a: 1\nb: [1, 2\n"), "FILE:3:1: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(refusal("- 1\n- 2\n"), "FILE: a scenario must be a YAML map of keys");
}

TEST(YamlFile, CommandLineValuesFollowTheSameRules) {
  EXPECT_EQ(dlvp::parse_yaml_value("[1, 2]", "--set a=[1, 2]").size(), 2u);
  for (const auto& [text, message] : std::vector<std::pair<std::string, std::string>>{
           {"&x 5", "--set k=v: YAML aliases/anchors are not supported"},
           {"{a: 1, a: 2}", "--set k=v: duplicate key 'a' (first at line 1)"},
           {"1\n---\n2", "--set k=v: a second YAML document (a file holds one)"},
           {"[1, 2", "--set k=v: YAML syntax error: end of sequence flow not found"}}) {
    try {
      dlvp::parse_yaml_value(text, "--set k=v");
      ADD_FAILURE() << text << " is accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()), message) << text;
    }
  }
}

TEST(YamlFile, FileProblemsSayWhatIsWrong) {
  const std::string dir = testing::TempDir() + "folder";
  std::filesystem::create_directories(dir);
  EXPECT_EQ(dlvp::file_problem(dir), "is a directory");
  EXPECT_EQ(dlvp::file_problem("/dev/null"), "is not a regular file");
  EXPECT_EQ(dlvp::file_problem(dir + "/missing.yaml"), "does not exist");
  EXPECT_EQ(dlvp::file_problem(write_temp("ok.yaml", "a: 1\n")), "");
  try {
    dlvp::load_yaml_map(dir, "technology table");
    FAIL() << "a folder loads";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), dir + ": the technology table file is a directory");
  }
}

}  // namespace
