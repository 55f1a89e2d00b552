#include "ddr_bandwidth_monitor.h"

#include <nlohmann/json.hpp>

namespace dlvp {

DdrBandwidthMonitor::DdrBandwidthMonitor(double interval_ns) : interval_ns_(interval_ns), series_(2) {}

void DdrBandwidthMonitor::sample(double now_ns, uint64_t bytes_read, uint64_t bytes_written) {
  if (now_ns <= last_ns_) return;
  last_span_ = Span{now_ns - last_ns_, bytes_read - bytes_read_, bytes_written - bytes_written_};
  series_.add(now_ns, last_span_.duration_ns,
              {static_cast<double>(last_span_.bytes_read), static_cast<double>(last_span_.bytes_written)});
  last_ns_ = now_ns;
  bytes_read_ = bytes_read;
  bytes_written_ = bytes_written;
  ++samples_;
}

void DdrBandwidthMonitor::report(nlohmann::json& out) const {
  out["unit"] = "GB/s";
  out["interval_ns"] = interval_ns_;
  out["samples"] = samples_;
  out["bytes_read"] = bytes_read_;
  out["bytes_written"] = bytes_written_;
  // Columnar, as power.series: a point's bandwidth is its bytes over its span (bytes per ns = GB/s).
  const std::vector<SpanSeries::Point> points = series_.points();
  nlohmann::json& series = out["series"];
  series["point_interval_ns"] = interval_ns_ * static_cast<double>(series_.spans_per_point());
  series["end_ns"] = nlohmann::json::array();
  series["read"] = nlohmann::json::array();
  series["write"] = nlohmann::json::array();
  for (const SpanSeries::Point& p : points) {
    series["end_ns"].push_back(p.end_ns);
    series["read"].push_back(p.amounts[0] / p.duration_ns);
    series["write"].push_back(p.amounts[1] / p.duration_ns);
  }
}

}  // namespace dlvp
