// Modules that have statistics implement Reportable; the platform collects them into
// report.json (module statistics section) and into the printed summary.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace dlvp {

class Reportable {
 public:
  virtual ~Reportable() = default;
  // Hierarchical name used as the key in report.json.
  virtual std::string report_name() const = 0;
  // Writes statistics with units in the key names (e.g. "bytes_read", "bandwidth_GBps",
  // "avg_read_latency_ns"); `elapsed_ns` is the simulated time of the run.
  virtual void report(nlohmann::json& out, double elapsed_ns) const = 0;
};

}  // namespace dlvp
