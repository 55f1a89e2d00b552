#include "tools/dlvpc/lstm_stack_compress.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace dlvp::dlvpc {
namespace {

template <typename Layer, typename Get>
std::vector<lstm_ref::StackLevel<Layer>> view_levels(const CompressedStack& s, Get get) {
  std::vector<lstm_ref::StackLevel<Layer>> levels;
  for (size_t l = 0; l < s.levels.size(); ++l) {
    lstm_ref::StackLevel<Layer> level;
    for (size_t d = 0; d < s.levels[l].size(); ++d) level.push_back({&get(s.levels[l][d]), s.reverse[l][d]});
    levels.push_back(level);
  }
  return levels;
}

// Every layer quantized on its (tied) ranges and encoded.
CompressedStack quantize_stack(CompressedStack& s, const CompressOptions& options) {
  for (auto& level : s.levels)
    for (CompressedLstm& c : level) {
      c.fixed = quantize_lstm(c.pruned, c.ranges, options.quantize);
      c.sparse = encode_lstm(c.fixed, options.prune.pes, options.store_zeros);
      c.report = compression_report(c.sparse, options.prune.mode, options.prune.density);
    }
  return std::move(s);
}

}  // namespace

std::vector<lstm_ref::StackLevel<lstm_ref::FixedLstm>> CompressedStack::fixed_levels() const {
  return view_levels<lstm_ref::FixedLstm>(*this, [](const CompressedLstm& c) -> const lstm_ref::FixedLstm& { return c.fixed; });
}

std::vector<lstm_ref::StackLevel<lstm_ref::FloatLstm>> CompressedStack::pruned_levels() const {
  return view_levels<lstm_ref::FloatLstm>(*this, [](const CompressedLstm& c) -> const lstm_ref::FloatLstm& { return c.pruned; });
}

std::vector<const lstm_ref::SparseLstm*> CompressedStack::sparse() const {
  std::vector<const lstm_ref::SparseLstm*> all;
  for (const auto& level : levels)
    for (const CompressedLstm& c : level) all.push_back(&c.sparse);
  return all;
}

std::vector<builder::LstmStackLevel> CompressedStack::program_levels() const {
  std::vector<builder::LstmStackLevel> out;
  for (size_t l = 0; l < levels.size(); ++l) {
    builder::LstmStackLevel level;
    for (size_t d = 0; d < levels[l].size(); ++d)
      level.push_back({&levels[l][d].fixed, &levels[l][d].sparse, static_cast<bool>(reverse[l][d])});
    out.push_back(level);
  }
  return out;
}

CompressedStack compress_lstm_stack(const std::vector<FloatStackLevel>& levels,
                                    const std::vector<std::vector<double>>& calibration, const CompressOptions& options,
                                    const std::vector<LstmRanges>* ranges) {
  CompressedStack s;
  // Pruned first: calibration runs the model the engine will run.
  for (const FloatStackLevel& level : levels) {
    std::vector<CompressedLstm> pruned;
    std::vector<bool> reverse;
    for (const FloatStackLayer& layer : level) {
      CompressedLstm c;
      c.pruned = prune_lstm(layer.layer, options.prune);
      pruned.push_back(std::move(c));
      reverse.push_back(layer.reverse);
    }
    s.levels.push_back(std::move(pruned));
    s.reverse.push_back(std::move(reverse));
  }
  if (ranges) {
    size_t layers = 0;
    for (const auto& level : s.levels) layers += level.size();
    if (ranges->size() != layers)
      throw std::invalid_argument("calibration ranges of " + std::to_string(ranges->size()) + " layers, the stack has " +
                                  std::to_string(layers));
    size_t k = 0;
    for (auto& level : s.levels)
      for (CompressedLstm& c : level) c.ranges = (*ranges)[k++];
    return quantize_stack(s, options);
  }
  const auto float_levels = s.pruned_levels();
  for (const std::vector<double>& x : calibration) {
    const lstm_ref::FloatStackRun run = lstm_ref::run_float_stack(float_levels, x);
    size_t k = 0;
    for (size_t l = 0; l < s.levels.size(); ++l)
      for (CompressedLstm& c : s.levels[l]) {
        const bool projection = c.pruned.projection_size != 0;
        c.ranges.add(run.level_inputs[l], run.runs[k++], {}, {}, projection);
      }
  }
  // The shared radix points: a level's output range is the union of its directions', and the next
  // level's input range.
  for (size_t l = 0; l < s.levels.size(); ++l) {
    Range out;
    for (const CompressedLstm& c : s.levels[l]) out.add({c.ranges.y.lo, c.ranges.y.hi});
    for (CompressedLstm& c : s.levels[l]) {
      c.ranges.y = out;
      if (!c.pruned.projection_size) c.ranges.h = out;
    }
    if (l + 1 < s.levels.size())
      for (CompressedLstm& next : s.levels[l + 1]) next.ranges.x = out;
  }
  return quantize_stack(s, options);
}

}  // namespace dlvp::dlvpc
