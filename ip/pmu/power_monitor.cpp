#include "power_monitor.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace dlvp {

PowerMonitor::PowerMonitor(const EnergyLedger& ledger, double interval_ns) : ledger_(ledger), interval_ns_(interval_ns) {}

void PowerMonitor::sample(double now_ns) {
  if (now_ns <= last_ns_) return;
  const auto energy = ledger_.energy_split_by_level(now_ns);
  Span span{now_ns, now_ns - last_ns_, {}};
  LevelPower power;
  for (int l = 0; l < kLevelCount; ++l) {
    span.energy[l].static_energy = energy[l].static_energy - last_energy_[l].static_energy;
    span.energy[l].dynamic_energy = energy[l].dynamic_energy - last_energy_[l].dynamic_energy;
    power.level[l] = span.energy[l].total() / span.duration_ns;
    power.total += power.level[l];
  }
  // A whole interval (to rounding of the time resolution) counts for the peak.
  if (span.duration_ns >= interval_ns_ * (1 - 1e-9)) {
    for (int l = 0; l < kLevelCount; ++l) peak_.level[l] = std::max(peak_.level[l], power.level[l]);
    peak_.total = std::max(peak_.total, power.total);
  }
  store(span);
  last_span_ = power;
  last_ns_ = now_ns;
  last_energy_ = energy;
  ++samples_;
}

void PowerMonitor::store(const Span& span) {
  pending_.end_ns = span.end_ns;
  pending_.duration_ns += span.duration_ns;
  for (int l = 0; l < kLevelCount; ++l) {
    pending_.energy[l].static_energy += span.energy[l].static_energy;
    pending_.energy[l].dynamic_energy += span.energy[l].dynamic_energy;
  }
  if (++pending_spans_ < spans_per_point_) return;
  series_.push_back(pending_);
  pending_ = Span{};
  pending_spans_ = 0;
  if (series_.size() < kMaxSeries) return;
  // Full: merge neighbours, so every stored point spans twice as many intervals from now on.
  for (size_t i = 0; i < series_.size() / 2; ++i) {
    Span merged = series_[2 * i + 1];
    merged.duration_ns += series_[2 * i].duration_ns;
    for (int l = 0; l < kLevelCount; ++l) {
      merged.energy[l].static_energy += series_[2 * i].energy[l].static_energy;
      merged.energy[l].dynamic_energy += series_[2 * i].energy[l].dynamic_energy;
    }
    series_[i] = merged;
  }
  series_.resize(series_.size() / 2);
  spans_per_point_ *= 2;
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
  std::vector<Span> points = series_;
  if (pending_spans_ > 0) points.push_back(pending_);
  nlohmann::json& series = out["series"];
  series["point_interval_ns"] = interval_ns_ * static_cast<double>(spans_per_point_);
  series["end_ns"] = nlohmann::json::array();
  for (const Span& s : points) series["end_ns"].push_back(s.end_ns);
  for (const char* part : {"static", "dynamic"}) {
    const bool is_static = part[0] == 's';
    for (int l = 0; l < kLevelCount; ++l) {
      nlohmann::json& column = series[std::string(part) + "_by_level"][to_string(static_cast<Level>(l))];
      column = nlohmann::json::array();
      for (const Span& s : points)
        column.push_back((is_static ? s.energy[l].static_energy : s.energy[l].dynamic_energy) / s.duration_ns * scale);
    }
  }
}

}  // namespace dlvp
