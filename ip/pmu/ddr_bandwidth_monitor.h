// DDR read and write bandwidth over time (docs/report.md, report.json `ddr_bandwidth`): the DDR
// controller's cumulative bytes read and written, sampled at the same times as the power
// (report.power_interval_ns), give the bytes of each span. One source for report.json's series
// and trace.json's `DDR bandwidth (GB/s)` counter.
#pragma once
#include "ip/common/span_series.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>

namespace dlvp {

class DdrBandwidthMonitor {
 public:
  // What the DDR moved over one span.
  struct Span {
    double duration_ns = 0;
    uint64_t bytes_read = 0, bytes_written = 0;
  };

  explicit DdrBandwidthMonitor(double interval_ns);

  // The DDR's totals so far at `now_ns`; earlier times (and the same time again) are ignored, as
  // the power monitor ignores them.
  void sample(double now_ns, uint64_t bytes_read, uint64_t bytes_written);

  // The span the last sample closed.
  const Span& last_span() const { return last_span_; }

  // report.json's `ddr_bandwidth`: the bytes, the interval and the series in GB/s (bytes per ns),
  // on the points of the power series.
  void report(nlohmann::json& out) const;

 private:
  double interval_ns_;
  double last_ns_ = 0;
  uint64_t bytes_read_ = 0, bytes_written_ = 0;  // at the last sample
  uint64_t samples_ = 0;
  Span last_span_;
  SpanSeries series_;  // per span: bytes read, bytes written
};

}  // namespace dlvp
