// Per-layer statistics that count whole jobs only (docs/report.md, "Whole jobs only"): what an
// engine executes goes to the running job's figures; at the job's end (ComputeEngineIf::end_job)
// they are added to the completed figures, or dropped when the job did not complete (failed, or
// still running when the run stopped). Keys are ledger tags, which the ledger bounds (energy_tag.h).
#pragma once
#include "energy_ledger.h"
#include "energy_tag.h"

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

// A compute engine's figures of one layer (a ledger tag): its instructions and their summed timing.
template <typename Timing>
struct EngineLayerStats {
  uint32_t tag = 0;  // Header.tag
  TagId ledger_tag = kUntagged;
  uint64_t instructions = 0;
  Timing timing;  // summed over the layer's instructions

  // A ledger tag several layers share (the overflow tag, energy_tag.h) is layer kOverflowLayer.
  void add(const EngineLayerStats& o) {
    tag = instructions > 0 && tag != o.tag ? kOverflowLayer : o.tag;
    ledger_tag = o.ledger_tag;
    instructions += o.instructions;
    timing += o.timing;
  }
};

// A compute engine's per-layer figures: of every instruction executed, and of completed jobs only.
template <typename Timing>
class EngineLayers {
 public:
  using Stats = EngineLayerStats<Timing>;
  void add(TagId ledger_tag, uint32_t tag, const Timing& timing) {
    const Stats one{tag, ledger_tag, 1, timing};
    all_[ledger_tag].add(one);
    whole_jobs_.running(ledger_tag).add(one);
  }
  void end_job(bool completed) { whole_jobs_.end_job(completed); }
  const std::map<TagId, Stats>& all() const { return all_; }
  const std::map<TagId, Stats>& completed() const { return whole_jobs_.completed(); }

 private:
  std::map<TagId, Stats> all_;
  WholeJobStats<Stats> whole_jobs_;
};

}  // namespace dlvp
