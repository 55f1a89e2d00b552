// Compression of a stacked and/or bidirectional LSTM (docs/lstm.md, "Stacked and bidirectional
// LSTMs"): every layer pruned, calibrated on what it reads in the float stack, quantized and
// encoded as compress_lstm does one layer, with the radix points tied where the engine needs them
// tied: a level's directions share their output radix point (the next level reads their outputs
// as one vector), and it is the next level's input radix point (no requantization between levels).
#pragma once
#include "tests/reference/lstm_stack_reference.h"
#include "tools/builder/lstm_stack_program.h"
#include "tools/dlvpc/lstm_compress.h"

#include <vector>

namespace dlvp::dlvpc {

// A float stack: levels of 1 or 2 layers (forward; reverse; forward then reverse).
struct FloatStackLayer {
  lstm_ref::FloatLstm layer;
  bool reverse = false;
};
using FloatStackLevel = std::vector<FloatStackLayer>;

struct CompressedStack {
  std::vector<std::vector<CompressedLstm>> levels;  // as the float stack's
  std::vector<std::vector<bool>> reverse;
  // The views the reference model and the program builder take (pointing into `levels`).
  std::vector<lstm_ref::StackLevel<lstm_ref::FixedLstm>> fixed_levels() const;
  std::vector<lstm_ref::StackLevel<lstm_ref::FloatLstm>> pruned_levels() const;
  std::vector<const lstm_ref::SparseLstm*> sparse() const;  // one per layer, levels in order
  std::vector<builder::LstmStackLevel> program_levels() const;
};

// Prunes every layer (options.prune), runs the pruned float stack on the calibration sequences
// ([T][I] each, zero initial states) and quantizes each layer on its own ranges with the shared
// radix points above. With `ranges` (the calibration cache's: every layer's tied ranges, levels in
// order, of the same pruned stack and sequences) the float runs are skipped. Throws what
// compress_lstm throws, and std::invalid_argument for a stack the reference model refuses (sizes,
// directions) or `ranges` of another layer count.
CompressedStack compress_lstm_stack(const std::vector<FloatStackLevel>& levels,
                                    const std::vector<std::vector<double>>& calibration, const CompressOptions& options,
                                    const std::vector<LstmRanges>* ranges = nullptr);

}  // namespace dlvp::dlvpc
