// Stacked and bidirectional LSTMs in the reference model (docs/lstm.md, "Stacked and bidirectional
// LSTMs"): levels of one forward layer, one reverse layer, or a forward and a reverse layer
// (ONNX's direction forward / reverse / bidirectional). Level l + 1 reads level l's output
// sequence: at step t the concatenation of its directions' outputs at t, forward first (ONNX's Y
// [T][directions][batch][hidden], torch's out[t] = [forward h_t, backward h_t]). A reverse layer
// walks the steps from the last to the first; its output at step t is the state after it has
// read x_t (ONNX's reverse direction). Written from the docs, as lstm_reference is.
#pragma once
#include "tests/reference/lstm_reference.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlvp::lstm_ref {

// One direction of a level: a layer and whether it walks the steps backwards.
template <typename Layer>
struct StackDirection {
  const Layer* layer = nullptr;
  bool reverse = false;
};
template <typename Layer>
using StackLevel = std::vector<StackDirection<Layer>>;  // 1 or 2 directions (forward, then reverse)

// The float stack on one sequence x [T][I]: the last level's output [T][directions x output_size]
// and every layer's run (level by level, directions in order; a reverse layer's run in its own
// walking order: run.y[0] is its output at step T - 1). Initial states are zeros.
struct FloatStackRun {
  std::vector<double> y;
  std::vector<std::vector<double>> level_inputs;  // per level: its input [T][I_l] (calibration)
  std::vector<FloatRun> runs;
};
FloatStackRun run_float_stack(const std::vector<StackLevel<FloatLstm>>& levels, const std::vector<double>& x);

// The fixed-point stack on one channel's x [T][I] at the first level's x_frac: the last level's
// output [T][directions x output_size] (at its output_frac) and every layer's last state.
// `sparse` (null: dense products) holds each layer's encoding in the same order as the levels'
// directions; initial: null, or one state per layer in that order. Each level's directions must
// share their output radix point, and it must be the next level's x_frac (std::invalid_argument).
struct FixedStackRun {
  std::vector<int16_t> y;
  std::vector<std::vector<int16_t>> level_y;  // every level but the last: its output [T][directions x output_size]
  std::vector<FixedState> last;  // per layer
  uint64_t saturations = 0;
};
FixedStackRun run_fixed_stack(const std::vector<StackLevel<FixedLstm>>& levels, const std::vector<const SparseLstm*>* sparse,
                              const std::vector<int16_t>& x, const std::vector<FixedState>* initial = nullptr);

// A sequence [T][size] with its steps in reverse order.
template <typename T>
std::vector<T> reverse_steps(const std::vector<T>& x, uint32_t size) {
  std::vector<T> r(x.size());
  const std::size_t steps = size ? x.size() / size : 0;
  for (std::size_t t = 0; t < steps; ++t)
    for (uint32_t k = 0; k < size; ++k) r[(steps - 1 - t) * size + k] = x[t * size + k];
  return r;
}

}  // namespace dlvp::lstm_ref
