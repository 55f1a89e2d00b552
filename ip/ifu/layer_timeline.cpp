#include "layer_timeline.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

namespace dlvp::ifu {

void LayerTime::add(const LayerTime& o) {
  time += o.time;
  engine_busy += o.engine_busy;
  memory_stall += o.memory_stall;
  store_tail += o.store_tail;
  other += o.other;
  span += o.span;
  overlapped += o.overlapped;
  load_instructions += o.load_instructions;
  compute_instructions += o.compute_instructions;
  store_instructions += o.store_instructions;
}

namespace {

// An instruction's execution, clipped to the job, with the position of its layer in the result.
struct Interval {
  Picoseconds start = 0, end = 0;
  uint32_t index = 0;
  size_t layer = 0;
  bool load = false;
};

struct LayerState {
  LayerTime time;
  uint32_t first_index = UINT32_MAX;
  Picoseconds first_issue = 0, last_end = 0;
  Picoseconds inside_span = 0;  // attributed time that lies within the span
};

class Sweep {
 public:
  Sweep(Picoseconds job_start, Picoseconds job_end, const std::vector<ExecutedInstruction>& instructions)
      : job_start_(job_start), job_end_(std::max(job_start, job_end)) {
    collect(instructions);
  }

  std::vector<LayerTime> run() {
    std::vector<Picoseconds> cuts{job_start_, job_end_};
    for (const Interval& c : computes_) cuts.insert(cuts.end(), {c.start, c.end});
    for (const Interval& t : transfers_) cuts.insert(cuts.end(), {t.start, t.end});
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    for (size_t i = 0; i + 1 < cuts.size(); ++i) attribute(cuts[i], cuts[i + 1]);
    return result();
  }

 private:
  Picoseconds clip(Picoseconds t) const { return std::clamp(t, job_start_, job_end_); }

  void collect(const std::vector<ExecutedInstruction>& instructions) {
    std::unordered_map<uint32_t, size_t> position;
    for (const ExecutedInstruction& e : instructions) {
      const auto [it, added] = position.emplace(e.layer, layers_.size());
      if (added) {
        layers_.emplace_back();
        layers_.back().time.layer = e.layer;
        layers_.back().first_issue = clip(e.issue);
        layers_.back().last_end = clip(e.end);
      }
      LayerState& l = layers_[it->second];
      l.first_index = std::min(l.first_index, e.index);
      l.first_issue = std::min(l.first_issue, clip(e.issue));
      l.last_end = std::max(l.last_end, clip(std::max(e.end, e.issue)));
      const Interval interval{clip(e.start), clip(std::max(e.start, e.end)), e.index, it->second, e.queue == isa::kQueueLoad};
      if (e.queue == isa::kQueueCompute) {
        ++l.time.compute_instructions;
        computes_.push_back(interval);
      } else {
        ++(e.queue == isa::kQueueLoad ? l.time.load_instructions : l.time.store_instructions);
        transfers_.push_back(interval);
      }
    }
    auto by_start = [](const Interval& a, const Interval& b) { return a.start < b.start; };
    std::sort(computes_.begin(), computes_.end(), by_start);
    std::sort(transfers_.begin(), transfers_.end(), by_start);
    ends_ = transfers_;
    std::sort(ends_.begin(), ends_.end(), [](const Interval& a, const Interval& b) { return a.end < b.end; });
  }

  // Gives [from, to) to one layer; the state of the queues is constant over it.
  void attribute(Picoseconds from, Picoseconds to) {
    while (next_compute_ < computes_.size() && computes_[next_compute_].end <= from) ++next_compute_;
    while (next_start_ < transfers_.size() && transfers_[next_start_].start <= from) {
      const Interval& t = transfers_[next_start_++];
      if (t.end > from) in_flight_.emplace(t.index, &t);
    }
    while (next_end_ < ends_.size() && ends_[next_end_].end <= from) {
      in_flight_.erase({ends_[next_end_].index, nullptr});
      ++next_end_;
    }
    const Picoseconds length = to - from;
    LayerState* owner = nullptr;
    Picoseconds LayerTime::*category = &LayerTime::other;
    if (next_compute_ < computes_.size() && computes_[next_compute_].start <= from) {
      owner = &layers_[computes_[next_compute_].layer];
      category = &LayerTime::engine_busy;
    } else if (!in_flight_.empty()) {
      const Interval& oldest = *in_flight_.begin()->second;
      owner = &layers_[oldest.layer];
      category = oldest.load ? &LayerTime::memory_stall : &LayerTime::store_tail;
    } else {
      owner = idle_owner();
    }
    owner->time.*category += length;
    owner->time.time += length;
    owner->inside_span += std::max<Picoseconds>(0, std::min(to, owner->last_end) - std::max(from, owner->first_issue));
    last_owner_ = owner;
  }

  // Nothing runs: the layer the engine works on next, else the one it worked on last.
  LayerState* idle_owner() {
    if (next_compute_ < computes_.size()) return &layers_[computes_[next_compute_].layer];
    if (!computes_.empty()) return &layers_[computes_.back().layer];
    if (last_owner_) return last_owner_;
    return &*std::min_element(layers_.begin(), layers_.end(), [](const LayerState& a, const LayerState& b) {
      return a.first_index < b.first_index;
    });
  }

  std::vector<LayerTime> result() {
    std::sort(layers_.begin(), layers_.end(),
              [](const LayerState& a, const LayerState& b) { return a.first_index < b.first_index; });
    std::vector<LayerTime> out;
    out.reserve(layers_.size());
    for (LayerState& l : layers_) {
      l.time.span = l.last_end - l.first_issue;
      l.time.overlapped = l.time.span - l.inside_span;
      out.push_back(l.time);
    }
    return out;
  }

  // In flight, oldest (lowest program index) first. The comparison is on the index alone, so a
  // transfer is erased by its index.
  struct ByIndex {
    bool operator()(const std::pair<uint32_t, const Interval*>& a, const std::pair<uint32_t, const Interval*>& b) const {
      return a.first < b.first;
    }
  };

  const Picoseconds job_start_, job_end_;
  std::vector<LayerState> layers_;
  std::vector<Interval> computes_, transfers_, ends_;
  size_t next_compute_ = 0, next_start_ = 0, next_end_ = 0;
  std::set<std::pair<uint32_t, const Interval*>, ByIndex> in_flight_;
  LayerState* last_owner_ = nullptr;
};

}  // namespace

std::vector<LayerTime> attribute_layers(Picoseconds job_start, Picoseconds job_end,
                                        const std::vector<ExecutedInstruction>& instructions) {
  if (instructions.empty()) return {};
  return Sweep(job_start, job_end, instructions).run();
}

}  // namespace dlvp::ifu
