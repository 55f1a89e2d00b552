// `dlvp diff RUN_A RUN_B` (docs/report.md, "Comparing two runs"): the Fashion CNN on DDR3 and on
// DDR4, and the folders and reports it must refuse or take apart.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

namespace dlvp::test {
namespace {

namespace fs = std::filesystem;

const std::string kFashion = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_mnist.yaml";
const std::string kFewImages = " --set 'software.args=[0x90000000, 0x91000000, 0x92000000, 20, 0x92800000, 0]'";

// The two runs, made once for the whole file.
class DiffCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    // ctest runs each case in a process of its own, in parallel: folders of their own.
    const std::string process = std::to_string(getpid());
    ddr3_ = out_dir("diff_ddr3_" + process);
    ddr4_ = out_dir("diff_ddr4_" + process);
    ASSERT_EQ(run_dlvp("run " + kFashion + kFewImages + " --out " + ddr3_).status, 0);
    ASSERT_EQ(run_dlvp("run " + kFashion + kFewImages + " --set ddr.preset=ddr4-2400-x64 --out " + ddr4_).status, 0);
  }
  static nlohmann::json diff_json(const std::string& a, const std::string& b) {
    const CliResult r = run_dlvp("diff " + a + " " + b + " --json");
    EXPECT_EQ(r.status, 0) << r.output;
    return nlohmann::json::parse(r.output);
  }
  static const nlohmann::json* figure(const nlohmann::json& diff, const std::string& name) {
    for (const auto& f : diff["figures"])
      if (f["name"] == name) return &f;
    return nullptr;
  }
  // A copy of a run's folder whose report.json `edit` changed.
  template <typename Edit>
  static std::string edited_copy(const std::string& from, const std::string& name, Edit edit) {
    const std::string dir = out_dir(name + "_" + std::to_string(getpid()));
    fs::create_directories(dir);
    nlohmann::json report = read_report(from);
    edit(report);
    std::ofstream(dir + "/report.json") << report.dump();
    return dir;
  }
  static inline std::string ddr3_, ddr4_;
};

TEST_F(DiffCli, Ddr3AgainstDdr4ListsTheParameterTheFiguresAndEveryLayer) {
  const nlohmann::json a = read_report(ddr3_), b = read_report(ddr4_);
  const nlohmann::json diff = diff_json(ddr3_, ddr4_);

  bool preset = false;
  for (const auto& p : diff["configuration"])
    if (p["parameter"] == "ddr.preset") {
      preset = true;
      EXPECT_EQ(p["a"], "ddr3-1066-x32");
      EXPECT_EQ(p["b"], "ddr4-2400-x64");
    }
  EXPECT_TRUE(preset) << diff["configuration"].dump();
  for (const auto& p : diff["configuration"]) EXPECT_NE(p["a"], p["b"]) << "only differences are listed";

  // Latency: the sign of the delta is the reports'.
  const auto& package_a = a["accelerator"]["packages"][0];
  const auto& package_b = b["accelerator"]["packages"][0];
  const double latency_a = package_a["per_inference"]["time_ns"], latency_b = package_b["per_inference"]["time_ns"];
  ASSERT_NE(latency_a, latency_b);
  const nlohmann::json* latency = figure(diff, "fashion_cnn: latency per image");
  ASSERT_TRUE(latency);
  EXPECT_DOUBLE_EQ((*latency)["a"].get<double>(), latency_a);
  EXPECT_DOUBLE_EQ((*latency)["b"].get<double>(), latency_b);
  EXPECT_EQ((*latency)["delta"].get<double>() < 0, latency_b < latency_a);
  // Accuracy, energy per inference per level and part, power.
  const nlohmann::json* accuracy = figure(diff, "app: accuracy");
  ASSERT_TRUE(accuracy);
  EXPECT_EQ((*accuracy)["a"], a["app"]["results"]["accuracy"]["value"]);
  const double images = package_a["images"];
  const nlohmann::json* dram_static = figure(diff, "energy per inference: dram static");
  ASSERT_TRUE(dram_static);
  EXPECT_DOUBLE_EQ((*dram_static)["a"].get<double>(), a["energy"]["by_level_static"]["dram"].get<double>() / images);
  for (const char* name : {"energy per inference: mac dynamic", "average power", "peak power: dram", "fashion_cnn: throughput"})
    EXPECT_TRUE(figure(diff, name)) << name;

  // A row per layer of the package, its figures the reports', the largest change first.
  const auto& layers = diff["layers"];
  ASSERT_EQ(layers.size(), package_a["layers"].size());
  for (size_t i = 1; i < layers.size(); ++i) EXPECT_GE(layers[i - 1]["change"].get<double>(), layers[i]["change"].get<double>());
  for (const auto& row : layers) {
    for (const auto& layer : package_a["layers"])
      if (layer["name"] == row["layer"]) {
        EXPECT_DOUBLE_EQ(row["time_ns"]["a"].get<double>(), layer["time_ns"].get<double>());
        EXPECT_DOUBLE_EQ(row["dram_bytes"]["a"].get<double>(),
                         layer["dram_read_bytes"].get<double>() + layer["dram_write_bytes"].get<double>());
      }
    for (const auto& layer : package_b["layers"])
      if (layer["name"] == row["layer"]) {
        EXPECT_DOUBLE_EQ(row["energy"]["b"].get<double>(), layer["energy"].get<double>());
      }
  }
  EXPECT_TRUE(diff["only_in_a"].empty() && diff["only_in_b"].empty());

  // The text: the parameter, the latency row, every layer.
  const CliResult text = run_dlvp("diff " + ddr3_ + " " + ddr4_);
  ASSERT_EQ(text.status, 0) << text.output;
  EXPECT_NE(text.output.find("ddr.preset"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("fashion_cnn: latency per image"), std::string::npos) << text.output;
  for (const auto& layer : package_a["layers"]) {
    const std::string name = layer["name"];
    EXPECT_NE(text.output.find(name.substr(name.size() - 20)), std::string::npos) << name;
  }
}

TEST_F(DiffCli, LayersAndPackagesInOneRunOnlyAreListedApart) {
  const std::string renamed = edited_copy(ddr4_, "diff_renamed", [](nlohmann::json& r) {
    r["accelerator"]["packages"][0]["layers"][0]["name"] = "a layer B has instead";
    nlohmann::json extra = r["accelerator"]["packages"][0];
    extra["name"] = "another_package";
    r["accelerator"]["packages"].push_back(extra);
  });
  const nlohmann::json diff = diff_json(ddr3_, renamed);
  const std::string first = read_report(ddr3_)["accelerator"]["packages"][0]["layers"][0]["name"];
  EXPECT_EQ(diff["only_in_a"], nlohmann::json::array({"fashion_cnn / " + first}));
  EXPECT_EQ(diff["only_in_b"], nlohmann::json::array({"another_package", "fashion_cnn / a layer B has instead"}));
  EXPECT_EQ(diff["layers"].size(), read_report(ddr3_)["accelerator"]["packages"][0]["layers"].size() - 1);
  const CliResult text = run_dlvp("diff " + ddr3_ + " " + renamed);
  EXPECT_NE(text.output.find("only in B: another_package"), std::string::npos) << text.output;
}

TEST_F(DiffCli, MissingOrForeignRunsAreBadInputNamingThem) {
  const std::string missing = out_dir("diff_missing");
  CliResult r = run_dlvp("diff " + missing + " " + ddr4_);
  EXPECT_EQ(r.status, 122);
  EXPECT_NE(r.output.find(missing + ": no such run folder"), std::string::npos) << r.output;

  const std::string empty = out_dir("diff_empty");
  fs::create_directories(empty);
  r = run_dlvp("diff " + ddr3_ + " " + empty);
  EXPECT_EQ(r.status, 122);
  EXPECT_NE(r.output.find(empty + "/report.json: cannot be read"), std::string::npos) << r.output;

  std::ofstream(empty + "/report.json") << "{not json";
  r = run_dlvp("diff " + ddr3_ + " " + empty);
  EXPECT_EQ(r.status, 122);
  EXPECT_NE(r.output.find(empty + "/report.json: not valid JSON"), std::string::npos) << r.output;

  std::ofstream(empty + "/report.json") << R"({"schema": "something else"})";
  r = run_dlvp("diff " + ddr3_ + " " + empty);
  EXPECT_EQ(r.status, 122);
  EXPECT_NE(r.output.find("not a dlvp report"), std::string::npos) << r.output;

  EXPECT_EQ(run_dlvp("diff " + ddr3_).status, 122);
  EXPECT_EQ(run_dlvp("diff " + ddr3_ + " " + ddr4_ + " --html-typo").status, 122);
}

TEST_F(DiffCli, AReportOfUnexpectedShapeIsComparedAsFarAsItGoesWithoutACrash) {
  const std::string odd = edited_copy(ddr4_, "diff_odd", [](nlohmann::json& r) {
    r["configuration"]["ddr.preset"] = 7;          // untyped
    r["accelerator"]["packages"][0]["layers"] = "x";  // not a list
    r["power"] = nlohmann::json::array();
    r["app"]["results"]["accuracy"]["value"] = "high";
    r["cost"] = 3;
  });
  const CliResult r = run_dlvp("diff " + ddr3_ + " " + odd + " --json");
  ASSERT_EQ(r.status, 0) << r.output;
  const nlohmann::json diff = nlohmann::json::parse(r.output);
  EXPECT_TRUE(diff["layers"].empty());
  EXPECT_EQ(diff["only_in_a"].size(), read_report(ddr3_)["accelerator"]["packages"][0]["layers"].size());
  const nlohmann::json* accuracy = figure(diff, "app: accuracy");
  ASSERT_TRUE(accuracy);
  EXPECT_TRUE((*accuracy)["b"].is_null());
}

}  // namespace
}  // namespace dlvp::test
