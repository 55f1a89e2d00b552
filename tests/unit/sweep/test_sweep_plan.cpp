// Sweep files (docs/explore.md): points expanded in a stable order (product: the last axis fastest;
// zip: the i-th value of each), ranges (linear by count or step, log), group axes, and every
// refusal naming the file and the key at fault.
#include "ip/common/config_error.h"
#include "platform/sweep/sweep_plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace dlvp::sweep {
namespace {

const std::string kScenario = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";

// A sweep file of `body` (after the scenario line) in the test's temporary folder.
std::string sweep_file(const std::string& name, const std::string& body) {
  const std::string path = (std::filesystem::path(testing::TempDir()) / (name + ".yaml")).string();
  std::ofstream(path) << "scenario: " << kScenario << "\n" << body;
  return path;
}

Plan plan_of(const std::string& name, const std::string& body) { return load_plan(sweep_file(name, body), DLVP_APP_DIR); }

// The ConfigError's message for a sweep file that must be refused.
std::string refusal(const std::string& name, const std::string& body) {
  try {
    plan_of(name, body);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(SweepPlan, ProductVariesTheLastAxisFastest) {
  const Plan p = plan_of("product", "axes:\n  cnn.pes: [1, 2]\n  ddr.preset: [ddr3-1066-x32, ddr4-2400-x64]\n  cnn.convolvers: [4, 8, 16]\n");
  ASSERT_EQ(p.axes, (std::vector<std::string>{"cnn.pes", "ddr.preset", "cnn.convolvers"}));
  ASSERT_EQ(p.points.size(), 2u * 2u * 3u);
  EXPECT_EQ(p.points[0], (std::vector<std::string>{"1", "ddr3-1066-x32", "4"}));
  EXPECT_EQ(p.points[1], (std::vector<std::string>{"1", "ddr3-1066-x32", "8"}));
  EXPECT_EQ(p.points[3], (std::vector<std::string>{"1", "ddr4-2400-x64", "4"}));
  EXPECT_EQ(p.points[11], (std::vector<std::string>{"2", "ddr4-2400-x64", "16"}));
  EXPECT_EQ(p.overrides(11), (std::vector<std::string>{"cnn.pes=2", "ddr.preset=ddr4-2400-x64", "cnn.convolvers=16"}));
}

TEST(SweepPlan, ZipTakesTheIthValueOfEachAxis) {
  const Plan p = plan_of("zip", "combine: zip\naxes:\n  cnn.pes: [1, 2, 4]\n  cnn.convolvers: [16, 8, 4]\n");
  ASSERT_EQ(p.points.size(), 3u);
  EXPECT_EQ(p.points[2], (std::vector<std::string>{"4", "4"}));
  EXPECT_NE(refusal("zip_unequal", "combine: zip\naxes:\n  cnn.pes: [1, 2, 4]\n  cnn.convolvers: [16, 8]\n")
                .find(":5: key 'axes.cnn.convolvers' has 2 values, the first axis 3 (combine: zip takes axes of equal length)"),
            std::string::npos);
}

TEST(SweepPlan, RangesLinearByCountOrStepAndLog) {
  const Plan p = plan_of("ranges",
                         "combine: zip\naxes:\n"
                         "  cnn.pes: {from: 1, to: 8, count: 4, scale: log}\n"
                         "  cnn.convolvers: {from: 4, to: 16, step: 4}\n"
                         "  cnn.clock_mhz: {from: 100, to: 250, count: 4}\n");
  ASSERT_EQ(p.points.size(), 4u);
  const std::vector<std::vector<std::string>> expected = {{"1", "4", "100"}, {"2", "8", "150"}, {"4", "12", "200"}, {"8", "16", "250"}};
  EXPECT_EQ(p.points, expected);
}

TEST(SweepPlan, AGroupAxisSetsSeveralParametersTogether) {
  const Plan p = plan_of("group",
                         "axes:\n  cnn.pes: [1, 2]\n  buffers:\n"
                         "    - {cnn.input_buffer_bytes: 0x18000, cnn.output_buffer_bytes: 0x18000}\n"
                         "    - {cnn.input_buffer_bytes: 0x30000, cnn.output_buffer_bytes: 0x30000}\n");
  EXPECT_EQ(p.axes, (std::vector<std::string>{"cnn.pes", "cnn.input_buffer_bytes", "cnn.output_buffer_bytes"}));
  ASSERT_EQ(p.points.size(), 4u);
  EXPECT_EQ(p.points[1], (std::vector<std::string>{"1", "0x30000", "0x30000"}));
}

TEST(SweepPlan, FixedOverridesHardwareAndThePlanJsonRoundTrip) {
  const Plan p = plan_of("fixed",
                         "hardware: ddr4-2400\nset:\n  run.max_time_ms: 50\naxes:\n  cnn.pes: [1, 2]\n"
                         "constraints: [\"cnn.pes <= 1\", \"latency_ns < 2e5\"]\nobjectives: {latency_ns: min, throughput_per_s: max}\n");
  EXPECT_EQ(p.overrides(1)[0], "hw=" + std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr4-2400.yaml");
  EXPECT_EQ(p.overrides(1)[1], "run.max_time_ms=50");
  ASSERT_EQ(p.constraints.size(), 2u);
  EXPECT_EQ(p.constraints[1].column, "latency_ns");
  EXPECT_EQ(p.constraints[1].value, 2e5);
  EXPECT_TRUE(p.constraints[1].holds(1.99e5));
  EXPECT_FALSE(p.constraints[1].holds(2e5));
  EXPECT_TRUE(p.objectives[1].maximize);
  const Plan back = plan_from_json(plan_json(p), "plan.json");
  EXPECT_EQ(plan_json(back), plan_json(p));
  EXPECT_EQ(back.overrides(1), p.overrides(1));
}

TEST(SweepPlan, RefusalsNameTheFileAndTheKey) {
  struct Case {
    const char* name;
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {"unknown_key", "axis:\n  cnn.pes: [1]\n", ":2: key 'axis' is not known here"},
      {"unknown_parameter", "axes:\n  cnn.pe: [1, 2]\n", ":3: key 'axes.cnn.pe' is not a parameter ('dlvp params' lists them)"},
      {"range_count", "axes:\n  cnn.pes: {from: 1, to: 8, count: 0}\n", ":3: key 'axes.cnn.pes.count' must be a whole number, 1..10000"},
      {"range_both", "axes:\n  cnn.pes: {from: 1, to: 8, count: 2, step: 1}\n", "key 'axes.cnn.pes' a range needs 'count' or 'step' (one of them)"},
      {"range_log", "axes:\n  cnn.pes: {from: 0, to: 8, count: 3, scale: log}\n", "key 'axes.cnn.pes' a log range needs 'from' and 'to' above 0"},
      {"range_type", "axes:\n  cnn.pes: {from: one, to: 8, count: 3}\n", "key 'axes.cnn.pes.from' must be a number, not 'one'"},
      {"combine", "combine: cross\n", ":2: key 'combine' must be product or zip, not 'cross'"},
      {"constraint_form", "constraints: [\"latency_ns is small\"]\n", "key 'constraints[0]': 'latency_ns is small' is not \"column op number\""},
      {"constraint_column", "constraints: [\"latency < 5\"]\n", "key 'constraints[0]' names 'latency', which is not a parameter"},
      {"objective_goal", "objectives: {latency_ns: fastest}\n", "key 'objectives.latency_ns' must be min or max, not 'fastest'"},
      {"objective_column", "objectives: {speed: max}\n", "key 'objectives.speed' is not an axis, a parameter"},
      {"bad_value", "axes:\n  cnn.pes: [1, 0]\n", "point 1: --set cnn.pes=0"},
      {"missing_hardware", "hardware: no-such-board\n", "key 'hardware' names 'no-such-board', which is not in"},
      {"missing_model", "model: {onnx: no-such.onnx}\n", "key 'model.onnx' names "},
      {"sweep_option", "model: {onnx: " DLVP_SOURCE_DIR "/scenarios/models/fashion_cnn.onnx, options: [--hw, x]}\n",
       "key 'model.options[0]' '--hw' is set by the sweep"},
      {"group_keys", "axes:\n  b:\n    - {cnn.pes: 1}\n    - {cnn.convolvers: 2}\n", "key 'axes.b[1]' must set the same parameters"},
  };
  for (const Case& c : cases) {
    const std::string message = refusal(c.name, c.body);
    EXPECT_NE(message.find(std::string(c.name) + ".yaml"), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.name << ": " << message;
  }
}

}  // namespace
}  // namespace dlvp::sweep
