#include "ip/common/params.h"

#include <gtest/gtest.h>

namespace {

struct ExampleConfig {
  uint32_t pes = 2;
  double clock_mhz = 214.0;
  bool relu = true;
  std::string policy = "open";
  static void bind(dlvp::ParamBinder& b, ExampleConfig& c) {
    b.integer("pes", c.pes, "", "processing elements", 1, 64);
    b.real("clock_mhz", c.clock_mhz, "MHz", "engine clock", 1, 5000);
    b.flag("relu", c.relu, "ReLU in the pipeline");
    b.choice("policy", c.policy, {"open", "closed"}, "page policy");
  }
};

ExampleConfig load(const std::string& yaml) {
  ExampleConfig c;
  dlvp::ParamBinder b(YAML::Load(yaml), "cnn", [](const std::string& key) { return "hw.yaml (" + key + ")"; });
  ExampleConfig::bind(b, c);
  b.finish();
  return c;
}

std::string error_of(const std::string& yaml) {
  try {
    load(yaml);
  } catch (const dlvp::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Params, DefaultsAndOverrides) {
  const auto d = load("{}");
  EXPECT_EQ(d.pes, 2u);
  const auto c = load("{pes: 4, clock_mhz: 300.5, relu: off, policy: closed}");
  EXPECT_EQ(c.pes, 4u);
  EXPECT_DOUBLE_EQ(c.clock_mhz, 300.5);
  EXPECT_FALSE(c.relu);
  EXPECT_EQ(c.policy, "closed");
  EXPECT_EQ(load("{pes: 0x10}").pes, 16u);
}

TEST(Params, ErrorsNameKeyAndFile) {
  auto e = error_of("{pes: 65}");
  EXPECT_NE(e.find("'cnn.pes'"), std::string::npos) << e;
  EXPECT_NE(e.find("hw.yaml"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  e = error_of("{pes: -1}");
  EXPECT_NE(e.find("non-negative integer"), std::string::npos) << e;
  e = error_of("{clock_mhz: fast}");
  EXPECT_NE(e.find("'cnn.clock_mhz'"), std::string::npos) << e;
  e = error_of("{policy: half}");
  EXPECT_NE(e.find("open|closed"), std::string::npos) << e;
  e = error_of("{pez: 3}");
  EXPECT_NE(e.find("unknown key 'cnn.pez'"), std::string::npos) << e;
  e = error_of("{relu: maybe}");
  EXPECT_NE(e.find("true or false"), std::string::npos) << e;
}

TEST(Params, DescribeListsUnitsAndDefaults) {
  const auto entries = dlvp::describe_params<ExampleConfig>("cnn");
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[1].key, "cnn.clock_mhz");
  EXPECT_EQ(entries[1].unit, "MHz");
  EXPECT_EQ(entries[1].value, "214");
  EXPECT_EQ(entries[3].range, "open|closed");
}

}  // namespace
