#include "power_monitor.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace dlvp {

PowerMonitor::PowerMonitor(const EnergyLedger& ledger, double interval_ns)
    : ledger_(ledger), interval_ns_(interval_ns), series_(2 * kLevelCount) {}

void PowerMonitor::sample(double now_ns) {
  if (now_ns <= last_ns_) return;
  const auto energy = ledger_.energy_split_by_level(now_ns);
  const double duration_ns = now_ns - last_ns_;
  std::vector<double> amounts(2 * kLevelCount);
  LevelPower power;
  for (int l = 0; l < kLevelCount; ++l) {
    amounts[l] = energy[l].static_energy - last_energy_[l].static_energy;
    amounts[kLevelCount + l] = energy[l].dynamic_energy - last_energy_[l].dynamic_energy;
    power.level[l] = EnergySplit{amounts[l], amounts[kLevelCount + l]}.total() / duration_ns;
    power.total += power.level[l];
  }
  // A whole interval (to rounding of the time resolution) counts for the peak.
  if (duration_ns >= interval_ns_ * (1 - 1e-9)) {
    for (int l = 0; l < kLevelCount; ++l) peak_.level[l] = std::max(peak_.level[l], power.level[l]);
    peak_.total = std::max(peak_.total, power.total);
  }
  series_.add(now_ns, duration_ns, amounts);
  last_span_ = power;
  last_ns_ = now_ns;
  last_energy_ = energy;
  ++samples_;
}

LevelPower PowerMonitor::average() const {
  LevelPower power;
  if (last_ns_ <= 0) return power;
  for (int l = 0; l < kLevelCount; ++l) {
    power.level[l] = last_energy_[l].total() / last_ns_;
    power.total += power.level[l];
  }
  return power;
}

// pJ per ns is mW; another table's unit stays per ns.
std::string PowerMonitor::power_unit() const { return ledger_.unit() == "pJ" ? "W" : ledger_.unit() + "/ns"; }
double PowerMonitor::power_scale() const { return ledger_.unit() == "pJ" ? 1e-3 : 1.0; }

void PowerMonitor::report(nlohmann::json& out) const {
  const double scale = power_scale();
  const std::string unit = power_unit();
  const auto levels = [&](const LevelPower& p) {
    nlohmann::json j;
    for (int l = 0; l < kLevelCount; ++l) j["by_level"][to_string(static_cast<Level>(l))] = p.level[l] * scale;
    j["total"] = p.total * scale;
    return j;
  };
  out["unit"] = unit;
  out["interval_ns"] = interval_ns_;
  out["samples"] = samples_;
  out["average"] = levels(average());
  out["peak"] = levels(peak_);
  out["peak_note"] = "highest average over one interval_ns span; a shorter interval gives higher peaks";
  // The series, columnar: a point's power is its energy over its span (end_ns - previous end_ns).
  const std::vector<SpanSeries::Point> points = series_.points();
  nlohmann::json& series = out["series"];
  series["point_interval_ns"] = interval_ns_ * static_cast<double>(series_.spans_per_point());
  series["end_ns"] = nlohmann::json::array();
  for (const SpanSeries::Point& p : points) series["end_ns"].push_back(p.end_ns);
  for (const char* part : {"static", "dynamic"}) {
    const size_t first = part[0] == 's' ? 0 : kLevelCount;
    for (int l = 0; l < kLevelCount; ++l) {
      nlohmann::json& column = series[std::string(part) + "_by_level"][to_string(static_cast<Level>(l))];
      column = nlohmann::json::array();
      for (const SpanSeries::Point& p : points) column.push_back(p.amounts[first + l] / p.duration_ns * scale);
    }
  }
}

}  // namespace dlvp
