#include "tests/reference/lstm_stack_reference.h"

#include <stdexcept>
#include <string>

namespace dlvp::lstm_ref {
namespace {

[[noreturn]] void invalid(const std::string& why) { throw std::invalid_argument("LSTM stack: " + why); }

template <typename Layer>
void check_level(const StackLevel<Layer>& level, size_t index, uint32_t input_size) {
  const std::string name = "level " + std::to_string(index);
  if (level.empty() || level.size() > 2) invalid(name + " has " + std::to_string(level.size()) + " directions (1 or 2)");
  if (level.size() == 2 && (level[0].reverse || !level[1].reverse))
    invalid(name + ": a bidirectional level is a forward layer, then a reverse one");
  for (const StackDirection<Layer>& d : level) {
    if (!d.layer) invalid(name + " has no layer");
    if (d.layer->input_size != input_size)
      invalid(name + " reads " + std::to_string(d.layer->input_size) + " inputs, its input has " +
              std::to_string(input_size));
    if (d.layer->output_size() != level[0].layer->output_size()) invalid(name + "'s directions differ in output size");
  }
}

// Writes direction d's outputs (in its walking order) into y [T][directions][size] at step order.
template <typename V>
void scatter(std::vector<V>& y, const std::vector<V>& out, uint32_t steps, uint32_t size, size_t d, size_t dirs,
             bool reverse) {
  for (uint32_t s = 0; s < steps; ++s) {
    const uint32_t t = reverse ? steps - 1 - s : s;
    for (uint32_t k = 0; k < size; ++k) y[(uint64_t{t} * dirs + d) * size + k] = out[uint64_t{s} * size + k];
  }
}

}  // namespace

FloatStackRun run_float_stack(const std::vector<StackLevel<FloatLstm>>& levels, const std::vector<double>& x) {
  if (levels.empty()) invalid("no level");
  FloatStackRun result;
  std::vector<double> input = x;
  uint32_t input_size = levels[0].empty() || !levels[0][0].layer ? 0 : levels[0][0].layer->input_size;
  for (size_t l = 0; l < levels.size(); ++l) {
    check_level(levels[l], l, input_size);
    if (input.size() % input_size) invalid("x is not a whole number of steps of " + std::to_string(input_size));
    const uint32_t steps = static_cast<uint32_t>(input.size() / input_size);
    const uint32_t size = levels[l][0].layer->output_size();
    std::vector<double> y(uint64_t{steps} * levels[l].size() * size);
    for (size_t d = 0; d < levels[l].size(); ++d) {
      const StackDirection<FloatLstm>& dir = levels[l][d];
      FloatRun run = run_float(*dir.layer, dir.reverse ? reverse_steps(input, input_size) : input);
      scatter(y, run.y, steps, size, d, levels[l].size(), dir.reverse);
      result.runs.push_back(std::move(run));
    }
    result.level_inputs.push_back(std::move(input));
    input = std::move(y);
    input_size = static_cast<uint32_t>(levels[l].size()) * size;
  }
  result.y = std::move(input);
  return result;
}

FixedStackRun run_fixed_stack(const std::vector<StackLevel<FixedLstm>>& levels,
                              const std::vector<const SparseLstm*>* sparse, const std::vector<int16_t>& x,
                              const std::vector<FixedState>* initial) {
  if (levels.empty()) invalid("no level");
  size_t layers = 0;
  for (const StackLevel<FixedLstm>& level : levels) layers += level.size();
  if (sparse && sparse->size() != layers) invalid("the encodings are not one per layer");
  if (initial && initial->size() != layers) invalid("the initial states are not one per layer");
  FixedStackRun result;
  std::vector<int16_t> input = x;
  uint32_t input_size = levels[0].empty() || !levels[0][0].layer ? 0 : levels[0][0].layer->input_size;
  int input_frac = input_size ? levels[0][0].layer->x_frac : 0;
  size_t k = 0;
  for (size_t l = 0; l < levels.size(); ++l) {
    check_level(levels[l], l, input_size);
    if (input.size() % input_size) invalid("x is not a whole number of steps of " + std::to_string(input_size));
    const uint32_t steps = static_cast<uint32_t>(input.size() / input_size);
    const uint32_t size = levels[l][0].layer->output_size();
    std::vector<int16_t> y(uint64_t{steps} * levels[l].size() * size);
    for (size_t d = 0; d < levels[l].size(); ++d, ++k) {
      const StackDirection<FixedLstm>& dir = levels[l][d];
      if (dir.layer->x_frac != input_frac)
        invalid("level " + std::to_string(l) + " reads x at radix point " + std::to_string(dir.layer->x_frac) +
                ", its input is at " + std::to_string(input_frac));
      if (dir.layer->output_frac() != levels[l][0].layer->output_frac())
        invalid("level " + std::to_string(l) + "'s directions differ in output radix point");
      const FixedRun run = run_fixed(*dir.layer, sparse ? (*sparse)[k] : nullptr,
                                     dir.reverse ? reverse_steps(input, input_size) : input,
                                     initial ? &(*initial)[k] : nullptr);
      scatter(y, run.y, steps, size, d, levels[l].size(), dir.reverse);
      result.last.push_back(run.last);
      result.saturations += run.saturations;
    }
    if (l + 1 < levels.size()) result.level_y.push_back(y);
    input = std::move(y);
    input_size = static_cast<uint32_t>(levels[l].size()) * size;
    input_frac = levels[l][0].layer->output_frac();
  }
  result.y = std::move(input);
  return result;
}

}  // namespace dlvp::lstm_ref
