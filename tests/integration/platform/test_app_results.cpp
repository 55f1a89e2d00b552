// classify's results in report.json (app.results, docs/report.md): typed numbers whose accuracy is
// correct / images, the float model's accuracy on exactly the images the SoC ran (checked here
// against the prediction file and the labels), both LSTM packages labelled sparse and dense; and a
// float-prediction file of another format or for another model is refused with exit status 2.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::run_dlvp;

const std::string kScenarios = std::string(DLVP_SOURCE_DIR) + "/scenarios/";
const std::string kBuild = DLVP_BUILD_DIR;
constexpr uint64_t kImages = 20;

std::vector<uint8_t> idx1_body(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GE(bytes.size(), 8u) << path;
  EXPECT_EQ(bytes[3], 1) << path << ": IDX1";
  return {bytes.begin() + 8, bytes.end()};
}

// The float model's correct answers among the first `n` test images.
uint64_t float_correct(const std::string& predictions, uint64_t n) {
  const std::vector<uint8_t> p = idx1_body(predictions);
  const std::vector<uint8_t> labels = idx1_body(kBuild + "/data/fashion-mnist/t10k-labels-idx1-ubyte");
  uint64_t correct = 0;
  for (uint64_t i = 0; i < n; ++i) correct += p.at(i) == labels.at(i);
  return correct;
}

nlohmann::json run_classify(const std::string& scenario, const std::string& name, const std::string& extra = "") {
  const auto dir = out_dir(name);
  const auto r = run_dlvp("run " + kScenarios + scenario + " --set software.args[3]=" + std::to_string(kImages) + extra +
                          " --out " + dir);
  EXPECT_EQ(r.status, 0) << r.output;
  return read_report(dir);
}

// One package's results under `prefix`: numbers, accuracy = correct / images, the float figures
// from the prediction file, positive latency, throughput and energy with their units.
void expect_package_results(const nlohmann::json& results, const std::string& prefix, const std::string& predictions) {
  const auto value = [&](const std::string& name) {
    EXPECT_TRUE(results.contains(prefix + name)) << prefix + name;
    EXPECT_TRUE(results[prefix + name]["value"].is_number()) << prefix + name;
    return results[prefix + name]["value"].get<double>();
  };
  EXPECT_TRUE(results[prefix + "images"]["value"].is_number_integer());
  EXPECT_EQ(value("images"), kImages);
  EXPECT_NEAR(value("accuracy"), value("correct") / kImages, 1e-9);
  const uint64_t expected_float = float_correct(predictions, kImages);
  EXPECT_EQ(value("float_correct"), expected_float);
  EXPECT_NEAR(value("float_accuracy"), double(expected_float) / kImages, 1e-9);
  // Agreement counts images where both are right or both wrong alike: at least the overlap of
  // the right answers, at most everything.
  EXPECT_GE(value("agreement") * kImages + 1e-6, value("correct") + expected_float - double(kImages));
  EXPECT_LE(value("agreement"), 1.0);
  EXPECT_GT(value("latency_ns"), 0);
  EXPECT_EQ(results[prefix + "latency_ns"]["unit"], "ns");
  EXPECT_GT(value("throughput"), 0);
  EXPECT_EQ(results[prefix + "throughput"]["unit"], "inferences/s");
  EXPECT_GT(value("energy_per_inference"), 0);
  EXPECT_EQ(results[prefix + "energy_per_inference"]["unit"], "pJ");
}

TEST(AppResults, ClassifierReportsTypedResultsAndTheFloatAccuracyOnTheSameImages) {
  const nlohmann::json report = run_classify("fashion_mnist.yaml", "app_results_cnn");
  const nlohmann::json& results = report["app"]["results"];
  expect_package_results(results, "", kBuild + "/models/fashion_cnn.float-predictions-idx1-ubyte");
  EXPECT_EQ(report["app"]["results_refused"], 0);
  const std::string console = report["software"]["console"];
  EXPECT_NE(console.find("float model "), std::string::npos);
  EXPECT_NE(console.find("on the same 20 images, agreement "), std::string::npos) << console;
  EXPECT_TRUE(report["configuration"]["map.dma"]["value"].is_number()) << "configuration typed";
}

TEST(AppResults, LstmScenarioLabelsItsPackagesSparseAndDenseAndComparesThem) {
  const nlohmann::json report = run_classify("fashion_lstm.yaml", "app_results_lstm");
  const nlohmann::json& results = report["app"]["results"];
  const std::string predictions = kBuild + "/models/fashion_lstm.float-predictions-idx1-ubyte";
  expect_package_results(results, "sparse.", predictions);
  expect_package_results(results, "dense.", predictions);
  EXPECT_EQ(results["dense_over_sparse.differing_predictions"]["value"], 0) << "dense mode computes the same model";
  EXPECT_NEAR(results["dense_over_sparse.latency_ratio"]["value"].get<double>(),
              results["dense.latency_ns"]["value"].get<double>() / results["sparse.latency_ns"]["value"].get<double>(), 1e-3);
  EXPECT_GT(results["dense_over_sparse.energy_ratio"]["value"].get<double>(), 1.0);
  const std::string console = report["software"]["console"];
  EXPECT_NE(console.find("classify: sparse model at 0x90000000"), std::string::npos) << console;
  EXPECT_NE(console.find("classify: dense model at 0x94000000"), std::string::npos) << console;
  EXPECT_NE(console.find("classify: sparse: accuracy"), std::string::npos) << console;
  EXPECT_NE(console.find("classify: dense / sparse: job time"), std::string::npos) << console;
}

// Without a prediction file: no float figure, no float result.
TEST(AppResults, WithoutFloatPredictionsNoFloatFigureIsPrinted) {
  const nlohmann::json report = run_classify("fashion_mnist.yaml", "app_results_no_float", " --set software.args[4]=0");
  EXPECT_FALSE(report["app"]["results"].contains("float_accuracy"));
  EXPECT_EQ(report["software"]["console"].get<std::string>().find("float model"), std::string::npos);
}

void expect_refused(const std::string& set, const std::string& message, const std::string& name) {
  const auto dir = out_dir(name);
  const auto r = run_dlvp("run " + kScenarios + "fashion_mnist.yaml --set software.args[3]=3 " + set + " --out " + dir);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(read_report(dir)["software"]["console"].get<std::string>().find(message), std::string::npos) << r.output;
}

TEST(AppResults, AFloatPredictionFileOfAnotherFormatOrModelIsRefused) {
  // The image file (IDX3) is no prediction file.
  expect_refused("--set software.args[4]=0x91000000", "boot argument 4 must point at the float model's predictions", "pred_idx3");
  // Five predictions for 10,000 images.
  const std::string short_file = out_dir("pred_short") + ".idx1";
  {
    std::ofstream out(short_file, std::ios::binary);
    out.write("\0\0\x08\x01\0\0\0\x05\1\2\3\4\5", 13);
  }
  expect_refused("--set software.load[3].file=" + short_file, "predictions for the 10000 images", "pred_short");
  // 10,000 entries, but classes the 10-class model does not have.
  const std::string wrong_classes = out_dir("pred_classes") + ".idx1";
  {
    std::ofstream out(wrong_classes, std::ios::binary);
    out.write("\0\0\x08\x01\0\0\x27\x10", 8);
    out << std::string(10000, char(200));
  }
  expect_refused("--set software.load[3].file=" + wrong_classes, "image 0 has class 200, the model has 10 classes",
                 "pred_classes");
}

}  // namespace
