// One layer table per package (docs/report.md, "Per-layer report"): scenarios/fashion_lstm.yaml
// runs the sparse then the dense LSTM package; each gets its table in the console, layers.csv and
// report.json, its layers adding up to its job time, and a run cut by its time limit excludes the
// job it cut.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::read_text;
using dlvp::test::run_dlvp;

const std::string kFashionLstm = std::string(DLVP_SOURCE_DIR) + "/scenarios/fashion_lstm.yaml";
const std::string kFourImages = " --set 'software.args[3]=4'";

const nlohmann::json& package_named(const nlohmann::json& accelerator, const std::string& name) {
  for (const auto& p : accelerator["packages"])
    if (p["name"] == name) return p;
  static const nlohmann::json none;
  ADD_FAILURE() << "no package " << name << " in " << accelerator.dump();
  return none;
}

TEST(LayerTablesCli, SparseAndDenseEachGetATableWhoseLayersAddUpToTheJob) {
  const auto dir = out_dir("layer_tables");
  const auto r = run_dlvp("run " + kFashionLstm + kFourImages + " --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto report = read_report(dir);
  const auto& a = report["accelerator"];
  ASSERT_EQ(a["packages"].size(), 2u) << a.dump();
  for (const char* name : {"fashion_lstm", "fashion_lstm_dense"}) {
    SCOPED_TRACE(name);
    const auto& p = package_named(a, name);
    EXPECT_EQ(p["jobs"], 4) << "one job per image";
    EXPECT_TRUE(p["jobs_excluded"].empty());
    EXPECT_EQ(p["layers_time_ps_total"], p["job_time_ps_total"]) << "exactly, in picoseconds";
    ASSERT_EQ(p["layers"].size(), 2u);
    EXPECT_EQ(p["layers"][0]["name"], "lstm");
    EXPECT_EQ(p["layers"][1]["name"], "classifier");
    double sum = 0;
    for (const auto& l : p["layers"]) sum += l["time_ns"].get<double>();
    EXPECT_NEAR(sum, p["job_time_ns"].get<double>(), 1e-9 * sum);
    EXPECT_NE(r.output.find("package " + std::string(name) + " ("), std::string::npos) << r.output;
  }
  // The dense package walks every weight: more MACs and more engine time per image than the sparse one.
  const auto& sparse = package_named(a, "fashion_lstm")["layers"][0];
  const auto& dense = package_named(a, "fashion_lstm_dense")["layers"][0];
  EXPECT_GT(dense["macs"].get<double>(), 5 * sparse["macs"].get<double>());
  EXPECT_GT(dense["engine_busy_ns"].get<double>(), sparse["engine_busy_ns"].get<double>());
  const std::string csv = read_text(dir, "layers.csv");
  EXPECT_EQ(csv.rfind("package,layer,name,", 0), 0u) << csv;
  EXPECT_NE(csv.find("\nfashion_lstm,0,lstm,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nfashion_lstm_dense,0,lstm,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nfashion_lstm_dense,total,"), std::string::npos) << csv;
}

TEST(LayerTablesCli, ARunCutByItsTimeLimitExcludesThePartialJob) {
  const auto full_dir = out_dir("layer_tables_full");
  ASSERT_EQ(run_dlvp("run " + kFashionLstm + kFourImages + " --out " + full_dir).status, 0);
  const auto full = read_report(full_dir);
  // The last job is the dense package's fourth: stop half-way through it.
  const double end_ns = full["run"]["simulated_time_ns"].get<double>();
  const double dense_job_ns = package_named(full["accelerator"], "fashion_lstm_dense")["job_time_ns"].get<double>();
  char limit[64];
  std::snprintf(limit, sizeof limit, "%.6f", (end_ns - dense_job_ns / 2) / 1e6);
  const auto dir = out_dir("layer_tables_cut");
  const auto r = run_dlvp("run " + kFashionLstm + kFourImages + " --set run.max_time_ms=" + limit + " --out " + dir);
  const auto report = read_report(dir);
  EXPECT_EQ(report["run"]["end_reason"], "time limit (run.max_time_ms)") << r.output;
  const auto& dense = package_named(report["accelerator"], "fashion_lstm_dense");
  EXPECT_EQ(dense["jobs"], 3);
  EXPECT_EQ(dense["jobs_excluded"]["running at the end of the run"], 1) << dense.dump();
  EXPECT_EQ(dense["layers_time_ps_total"], dense["job_time_ps_total"]);
  // Per image, the whole jobs alone: the same work as in the full run (a partial job averaged in
  // would lower it). DRAM bytes per image differ: the first job also loads the weights.
  const auto& whole = package_named(full["accelerator"], "fashion_lstm_dense");
  for (const char* key : {"macs", "engine_busy_cycles", "nonzero_macs"})
    EXPECT_EQ(dense["layers"][0][key], whole["layers"][0][key]) << key;
  EXPECT_NE(r.output.find("1 running at the end of the run excluded"), std::string::npos) << r.output;
}

}  // namespace
