#include "ip/periph/cpu_stage_marks.h"

#include "ip/common/energy_tag.h"

#include <cmath>

namespace dlvp {
namespace {

int64_t picoseconds(const sc_core::sc_time& t) { return std::llround(t.to_seconds() * 1e12); }

}  // namespace

void CpuStageMarks::begin(uint64_t package, uint32_t layer, const sc_core::sc_time& at) {
  if (open_) {  // the previous stage never ended: its time and energy stay outside the layers
    ++unmatched_;
    if (ledger_) ledger_->set_tag(kUntagged);
  }
  open_ = true;
  current_ = Open{package, layer, at, probe_ ? probe_(at) : std::array<double, kLevelCount>{}};
  if (ledger_) ledger_->set_tag(layer_tag(*ledger_, package, layer));
}

void CpuStageMarks::end(uint64_t package, uint32_t layer, const sc_core::sc_time& at) {
  if (!open_ || current_.package != package || current_.layer != layer || at < current_.at) {
    ++unmatched_;
    return;
  }
  open_ = false;
  const auto key = std::make_pair(package, layer);
  if (!accounts_.count(key) && accounts_.size() >= kMaxLayerTags) {
    ++dropped_;
    if (ledger_) ledger_->set_tag(kUntagged);
    return;
  }
  Account& a = accounts_[key];
  ++a.stages;
  a.time_ps += picoseconds(at) - picoseconds(current_.at);
  if (probe_) {
    const std::array<double, kLevelCount> now = probe_(at);
    for (int l = 0; l < kLevelCount; ++l) a.static_energy[l] += now[l] - current_.static_at[l];
  }
  if (ledger_) {
    a.tag = ledger_->tag();
    ledger_->set_tag(kUntagged);
    // A CPU stage is a whole part of its job: its counts settle now (docs/energy.md, "Whole jobs
    // only"), also when no accelerator job follows it.
    ledger_->end_job(true);
  }
}

void CpuStageMarks::report(nlohmann::json& out) const {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& [key, a] : accounts_) {
    nlohmann::json row = {{"package", key.first},
                          {"tag", key.second},
                          {"stages_completed", a.stages},
                          {"time_ps", a.time_ps},
                          {"time_ns", double(a.time_ps) * 1e-3}};
    if (ledger_ && a.tag != kUntagged) report_tag(*ledger_, a.tag, row);
    report_static_energy(a.static_energy, row);
    stages.push_back(row);
  }
  out["cpu_stages"] = stages;
  out["cpu_stage_marks_unmatched"] = unmatched_;
  out["cpu_stage_marks_dropped"] = dropped_;
}

}  // namespace dlvp
