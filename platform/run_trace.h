// trace.json (`dlvp run --trace`, docs/report.md "trace.json"): the run as a Chrome/Perfetto trace
// (ip/common/chrome_trace.h). Slices, named by the packages' layer names: the IFU's three queues
// and its jobs, the CNN and LSTM engines' instructions, each DMA channel's jobs. Counters, over the
// spans the power is sampled at (report.power_interval_ns): power per level, DDR read and write
// bandwidth, utilization of each bus target port that carried traffic. Software's side: every
// device register access and every interrupt raised, claimed and completed (ip/common/soc_trace.h),
// as zero-length slices on two tracks of their own. At most
// report.trace_max_events events: a longer run's trace stops at a time and says so.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/soc_trace.h"
#include "platform/layer_report.h"
#include "platform/soc.h"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

class RunTrace : public trace::Sink {
 public:
  RunTrace(Soc& soc, const EnergyLedger& ledger, uint64_t max_events);

  // The software events, recorded while the run's trace::Scope holds this sink (at most
  // max_events of each kind; the rest counted).
  void register_access(const trace::RegisterAccess& access) override;
  void interrupt(const trace::Interrupt& interrupt) override;

  // After Soc::sample_over_time(t): the counters over the span since the previous sample. Samples
  // beyond what the event cap could ever write are counted, not kept.
  void sample(const sc_core::sc_time& t);

  // Writes the trace; returns report.json's `trace` object (events written and left out, the
  // cut-off time, records the modules did not keep).
  nlohmann::json write(std::ostream& out, const LayerNames& names, const std::string& scenario) const;

 private:
  // The figures of a span (power in the report's unit, the DDR's bytes) and its end.
  struct Sample {
    double end_ns = 0;
    std::array<double, kLevelCount> power{};
    uint64_t ddr_read_bytes = 0, ddr_written_bytes = 0;
  };
  void add_events(ChromeTrace& trace, const LayerNames& names, const std::string& scenario) const;
  void add_engine_and_dma_tracks(ChromeTrace& trace, const LayerNames& names) const;
  void add_counters(ChromeTrace& trace) const;
  void add_software_tracks(ChromeTrace& trace) const;
  nlohmann::json records_not_kept() const;

  Soc& soc_;
  const EnergyLedger& ledger_;
  uint64_t max_events_;
  std::vector<Sample> samples_;
  std::vector<double> port_busy_ns_;  // per sample, one per bus target port (cumulative)
  uint64_t samples_not_kept_ = 0;
  struct SoftwareEvent {
    double time_us;
    std::string name;  // e.g. "cpu write CTRL (soc.ifu) = 0x7", "claimed 2 (ifu)"
  };
  std::vector<SoftwareEvent> register_accesses_, interrupts_;
  uint64_t register_accesses_not_kept_ = 0, interrupts_not_kept_ = 0;
};

// The summary's line about the trace ("" when report.json has none).
std::string trace_summary_line(const nlohmann::json& report);

}  // namespace dlvp
