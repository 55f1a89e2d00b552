// DDR bandwidth over time (docs/report.md, `ddr_bandwidth`): the bytes of each span from the DDR's
// totals, the series in GB/s on the same points as the power series, bounded without losing a byte.
#include "ip/pmu/ddr_bandwidth_monitor.h"
#include "ip/pmu/power_monitor.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace {

TEST(DdrBandwidthMonitor, GivesEachSpansBytesAndIgnoresEarlierTimes) {
  dlvp::DdrBandwidthMonitor ddr(100.0);
  ddr.sample(100, 6400, 0);
  EXPECT_EQ(ddr.last_span().bytes_read, 6400u);
  ddr.sample(200, 6400, 3200);
  EXPECT_EQ(ddr.last_span().bytes_read, 0u);
  EXPECT_EQ(ddr.last_span().bytes_written, 3200u);
  ddr.sample(250, 12800, 3200);  // a 50 ns tail
  ddr.sample(240, 99999, 99999);  // earlier than the last sample: ignored
  EXPECT_DOUBLE_EQ(ddr.last_span().duration_ns, 50.0);
  nlohmann::json report;
  ddr.report(report);
  EXPECT_EQ(report["unit"], "GB/s");
  EXPECT_EQ(report["samples"], 3u);
  EXPECT_EQ(report["bytes_read"], 12800u);
  EXPECT_EQ(report["bytes_written"], 3200u);
  const auto& series = report["series"];
  EXPECT_EQ(series["end_ns"], nlohmann::json({100.0, 200.0, 250.0}));
  EXPECT_EQ(series["read"], nlohmann::json({6400 / 100.0, 0.0, 6400 / 50.0}));  // bytes per ns = GB/s
  EXPECT_EQ(series["write"], nlohmann::json({0.0, 3200 / 100.0, 0.0}));
}

TEST(DdrBandwidthMonitor, SeriesIsBoundedOnThePowerSeriesPointsAndKeepsEveryByte) {
  dlvp::EnergyLedger ledger(dlvp::TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml"));
  const double interval = 10.0;
  dlvp::PowerMonitor power(ledger, interval);
  dlvp::DdrBandwidthMonitor ddr(interval);
  const size_t spans = 3 * dlvp::PowerMonitor::kMaxSeries + 7;
  uint64_t read = 0, written = 0;
  for (size_t i = 1; i <= spans; ++i) {
    read += 64 * (i % 7);  // a varying load
    written += 64 * (i % 3);
    const double now = static_cast<double>(i) * interval - (i == spans ? 4.0 : 0.0);  // a short last span
    power.sample(now);
    ddr.sample(now, read, written);
  }
  nlohmann::json power_report, report;
  power.report(power_report);
  ddr.report(report);
  const auto& series = report["series"];
  EXPECT_EQ(series["end_ns"], power_report["series"]["end_ns"]);
  EXPECT_EQ(series["point_interval_ns"], power_report["series"]["point_interval_ns"]);
  ASSERT_LE(series["end_ns"].size(), dlvp::PowerMonitor::kMaxSeries);
  ASSERT_GT(series["point_interval_ns"].get<double>(), interval);  // merged
  double read_bytes = 0, written_bytes = 0, start = 0;
  for (size_t p = 0; p < series["end_ns"].size(); ++p) {
    const double end = series["end_ns"][p].get<double>();
    read_bytes += series["read"][p].get<double>() * (end - start);
    written_bytes += series["write"][p].get<double>() * (end - start);
    start = end;
  }
  EXPECT_NEAR(read_bytes, static_cast<double>(read), 1e-9 * static_cast<double>(read));
  EXPECT_NEAR(written_bytes, static_cast<double>(written), 1e-9 * static_cast<double>(written));
}

}  // namespace
