// Power over time (docs/energy.md, "Power over time"): the energy ledger's totals per level, static and dynamic,
// sampled at the end of every span of simulated time the simulation is advanced by (the runner
// advances it report.power_interval_ns at a time, so no SystemC process wakes per sample). From the
// samples: the average and peak power per level and in total, and a bounded series for report.json.
// Peak power is the highest span average, so it depends on the interval: a shorter interval shows
// higher peaks.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/span_series.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace dlvp {

// Power per level and in total, in the ledger's unit per ns (pJ/ns = mW for a pJ table).
struct LevelPower {
  std::array<double, kLevelCount> level{};
  double total = 0;
};

class PowerMonitor {
 public:
  // The series keeps at most this many points: when full, neighbours are merged pairwise (their
  // energy summed), so it holds kMaxSeries / 2 to kMaxSeries points, each spanning 2^k intervals.
  static constexpr size_t kMaxSeries = SpanSeries::kMaxPoints;

  PowerMonitor(const EnergyLedger& ledger, double interval_ns);

  double interval_ns() const { return interval_ns_; }
  // Takes a sample at `now_ns` (after the lazily accounted counters were brought up to it): the
  // energy spent since the last sample. Only spans of a whole interval count for the peak, so a
  // short last span (the software exited mid-interval) cannot make one. Earlier times are ignored.
  void sample(double now_ns);

  double sampled_ns() const { return last_ns_; }
  uint64_t samples() const { return samples_; }
  // Energy per ns from 0 to the last sample.
  LevelPower average() const;
  // The highest span average seen (whole intervals only); level peaks may fall in different spans.
  const LevelPower& peak() const { return peak_; }
  // The power over the span the last sample closed (its start: the sample before).
  const LevelPower& last_span() const { return last_span_; }

  // Reports give power in W for a pJ ledger (scale 1e-3 from pJ/ns), else in the ledger's unit per ns.
  std::string power_unit() const;
  double power_scale() const;

  // report.json's `power` (docs/report.md): averages, peaks and the series, in W for a pJ ledger
  // (else the ledger's unit per ns).
  void report(nlohmann::json& out) const;

 private:
  const EnergyLedger& ledger_;
  double interval_ns_;
  double last_ns_ = 0;
  std::array<EnergySplit, kLevelCount> last_energy_{};
  uint64_t samples_ = 0;
  LevelPower peak_, last_span_;
  SpanSeries series_;  // per span: each level's static energy, then its dynamic energy
};

}  // namespace dlvp
