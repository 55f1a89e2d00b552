// Power over time (docs/energy.md, "Power over time"): span averages from the ledger's totals, the peak over whole
// intervals only, the series bounded by pairwise merging that keeps every joule.
#include "ip/pmu/power_monitor.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace {

dlvp::TechTable table45() { return dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml"); }

TEST(PowerMonitor, AveragesEachSpanAndPeaksOverWholeIntervalsOnly) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const double leak = 0.5;  // pJ/ns
  ledger.add_static("ddr", "background", dlvp::Level::dram, leak, "test: 0.5 pJ/ns");
  const double mul_pj = ledger.spec(mul).unit_energy;
  const int mac = static_cast<int>(dlvp::Level::mac), dram = static_cast<int>(dlvp::Level::dram);

  dlvp::PowerMonitor power(ledger, 100.0);
  ledger.count(mul, 1000);
  power.sample(100);  // 1000 multiplies in 100 ns
  power.sample(200);  // none
  ledger.count(mul, 1000);
  power.sample(250);  // 1000 in a 50 ns tail: twice the first span's power, but not a whole interval
  power.sample(240);  // earlier than the last sample: ignored
  EXPECT_EQ(power.samples(), 3u);
  EXPECT_DOUBLE_EQ(power.peak().level[mac], 1000 * mul_pj / 100);
  EXPECT_DOUBLE_EQ(power.peak().level[dram], leak);
  EXPECT_DOUBLE_EQ(power.peak().total, 1000 * mul_pj / 100 + leak);
  EXPECT_DOUBLE_EQ(power.average().level[mac], 2000 * mul_pj / 250);
  EXPECT_DOUBLE_EQ(power.average().level[dram], leak);

  nlohmann::json report;
  power.report(report);
  EXPECT_EQ(report["unit"], "W");  // pJ per ns is mW
  EXPECT_DOUBLE_EQ(report["peak"]["by_level"]["mac"].get<double>(), 1000 * mul_pj / 100 * 1e-3);
  EXPECT_DOUBLE_EQ(report["average"]["total"].get<double>(), (2000 * mul_pj / 250 + leak) * 1e-3);
  const auto& series = report["series"];
  EXPECT_EQ(series["end_ns"], nlohmann::json({100.0, 200.0, 250.0}));
  const auto& dynamic_mac = series["dynamic_by_level"]["mac"];
  ASSERT_EQ(dynamic_mac.size(), 3u);
  EXPECT_DOUBLE_EQ(dynamic_mac[0].get<double>(), 1000 * mul_pj / 100 * 1e-3);
  EXPECT_DOUBLE_EQ(dynamic_mac[1].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(dynamic_mac[2].get<double>(), 1000 * mul_pj / 50 * 1e-3);
  EXPECT_DOUBLE_EQ(series["static_by_level"]["dram"][2].get<double>(), leak * 1e-3);
}

TEST(PowerMonitor, SeriesStaysBoundedAndKeepsEveryJoule) {
  dlvp::EnergyLedger ledger(table45());
  const auto mul = ledger.add_counter_from_table("pe", "mul", dlvp::Level::mac, dlvp::Action::compute, "int8_mul");
  const double interval = 10.0;
  dlvp::PowerMonitor power(ledger, interval);
  const size_t spans = 3 * dlvp::PowerMonitor::kMaxSeries + 7;
  for (size_t i = 1; i <= spans; ++i) {
    ledger.count(mul, i % 5);  // a varying load
    power.sample(static_cast<double>(i) * interval);
  }
  nlohmann::json report;
  power.report(report);
  const auto& series = report["series"];
  const size_t points = series["end_ns"].size();
  EXPECT_LE(points, dlvp::PowerMonitor::kMaxSeries + 1);  // + the partly filled last point
  EXPECT_GE(points, dlvp::PowerMonitor::kMaxSeries / 2);
  // Merged twice (at kMaxSeries and again at 2 x kMaxSeries spans): 4 intervals a point.
  EXPECT_DOUBLE_EQ(series["point_interval_ns"].get<double>(), 4 * interval);
  EXPECT_DOUBLE_EQ(series["end_ns"].back().get<double>(), static_cast<double>(spans) * interval);
  // Power x span summed over the points is the ledger's energy.
  double energy_pj = 0, previous_end = 0;
  for (size_t p = 0; p < points; ++p) {
    const double end = series["end_ns"][p].get<double>();
    energy_pj += series["dynamic_by_level"]["mac"][p].get<double>() * 1e3 * (end - previous_end);
    previous_end = end;
  }
  EXPECT_NEAR(energy_pj, ledger.energy_split(spans * interval).dynamic_energy, 1e-6 * energy_pj);
  // The peak is of single intervals, not of the merged points: 4 multiplies in one interval (a
  // difference of two running totals, so to rounding).
  const double peak = 4 * ledger.spec(mul).unit_energy / interval;
  EXPECT_NEAR(power.peak().total, peak, 1e-9 * peak);
}

}  // namespace
