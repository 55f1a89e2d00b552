// Leakage as static energy (docs/energy.md, "Leakage"): every accelerator block's leakage from the
// cost model, charged over the whole simulated time, adds up to the cost model's asic.leakage_mw;
// a normalized technology table (energy in MACs) charges none.
#include "tests/support/dlvp_cli.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <string>

namespace {

using dlvp::test::out_dir;
using dlvp::test::read_report;
using dlvp::test::run_dlvp;

const std::string kSelftest = std::string(DLVP_SOURCE_DIR) + "/scenarios/cnn_selftest.yaml";

std::vector<nlohmann::json> leakage_counters(const nlohmann::json& report) {
  std::vector<nlohmann::json> out;
  for (const auto& c : report["energy"]["counters"])
    if (c["module"].get<std::string>().rfind("leakage.", 0) == 0) out.push_back(c);
  return out;
}

TEST(LeakageCli, EveryBlockLeaksOverTheWholeRunAsTheCostModelSays) {
  const auto dir = out_dir("leakage");
  const auto r = run_dlvp("run " + kSelftest + " --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto report = read_report(dir);
  const double elapsed_ns = report["run"]["simulated_time_ns"].get<double>();
  const double model_mw = report["cost"]["figures"]["asic.leakage_mw"]["value"].get<double>();
  double power_mw = 0, logic_pj = 0, sram_pj = 0;
  std::set<std::string> blocks;
  for (const auto& c : leakage_counters(report)) {
    SCOPED_TRACE(c.dump());
    EXPECT_TRUE(c["static"].get<bool>());
    EXPECT_EQ(c["count_unit"], "ns");
    EXPECT_NEAR(c["count"].get<double>(), elapsed_ns, 1e-6 * elapsed_ns);  // the whole run, not only the jobs
    const double energy = c["energy"].get<double>(), power = c["unit_energy"].get<double>();
    EXPECT_NEAR(energy, power * elapsed_ns, 1e-9 * energy);
    power_mw += power;  // pJ per ns = mW
    (c["name"] == "logic" ? logic_pj : sram_pj) += energy;
    EXPECT_EQ(c["level"], c["name"] == "logic" ? "other" : "buffer");
    blocks.insert(c["module"].get<std::string>());
  }
  EXPECT_NEAR(power_mw, model_mw, 1e-9 * model_mw) << "the blocks' leakage adds up to asic.leakage_mw";
  EXPECT_GT(model_mw, 0);
  for (const char* block : {"leakage.cnn.convolvers", "leakage.cnn.buffers", "leakage.ifu", "leakage.dma"})
    EXPECT_TRUE(blocks.count(block)) << block;
  // The static energy by level holds the leakage (and, for the buffer level, nothing else).
  EXPECT_GE(report["energy"]["by_level_static"]["other"].get<double>(), logic_pj * (1 - 1e-9));
  EXPECT_NEAR(report["energy"]["by_level_static"]["buffer"].get<double>(), sram_pj, 1e-6 * sram_pj);
}

TEST(LeakageCli, ANormalizedTableChargesNoLeakage) {
  const auto dir = out_dir("leakage_normalized");
  const auto r = run_dlvp("run " + kSelftest + " --set energy.tech=normalized-eyeriss --out " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(leakage_counters(read_report(dir)).empty());
}

}  // namespace
