// Per-layer statistics that count whole jobs only (docs/report.md, "Whole jobs only"): what an
// engine executes goes to the running job's figures; at the job's end (ComputeEngineIf::end_job)
// they are added to the completed figures, or dropped when the job did not complete (failed, or
// still running when the run stopped). Keys are ledger tags, which the ledger bounds (energy_tag.h).
#pragma once
#include "energy_ledger.h"

#include <map>

namespace dlvp {

// Stats: default-constructible, with add(const Stats&).
template <typename Stats>
class WholeJobStats {
 public:
  Stats& running(TagId tag) { return running_[tag]; }
  void end_job(bool completed) {
    if (completed)
      for (const auto& [tag, stats] : running_) completed_[tag].add(stats);
    running_.clear();
  }
  const std::map<TagId, Stats>& completed() const { return completed_; }

 private:
  std::map<TagId, Stats> running_, completed_;
};

}  // namespace dlvp
