// GRU compression for the sparse LSTM engine (docs/lstm.md, "GRU"): the LSTM path's mechanisms on
// a GRU's matrices — magnitude pruning of W and R (global or load-balance-aware over the PEs,
// prune_matrix), calibration of x and h on the float GRU, 12-bit weights and 16-bit activations
// with the LSTM's radix point rules (lstm_quantize.h), and CSC encoding of W, R_zr and R_h.
#pragma once
#include "tests/reference/lstm_reference.h"
#include "tools/dlvpc/lstm_compress.h"
#include "tools/dlvpc/lstm_quantize.h"

#include <vector>

namespace dlvp::dlvpc {

struct GruRanges {
  uint32_t sequences = 0;
  Range x, h;
  Range preact;  // z, r and n's pre-activations (informational, as LstmRanges::preact)
};

// Runs the float GRU on every sequence ([T][I] each) from h0 (empty: zeros). Throws QuantizeError
// when a run is not finite.
GruRanges calibrate_gru(const lstm_ref::FloatGru& model, const std::vector<std::vector<double>>& sequences,
                        const std::vector<double>& h0 = {});

// The LSTM's rules (docs/lstm.md "Quantization") with h in the role of both h and the recurrent
// input; biases: Wb + Rb for z and r, Wb_h (+ Rb_h without linear_before_reset) at the gate
// accumulators' radix point; with linear_before_reset Rb_h separately (bias_n).
lstm_ref::FixedGru quantize_gru(const lstm_ref::FloatGru& model, const GruRanges& ranges,
                                const LstmQuantizeOptions& options = {});

// W and R pruned to options.density each (R as one [3H][H] matrix: with H a multiple of the PEs,
// its row slices are R_zr's and R_h's together).
lstm_ref::FloatGru prune_gru(const lstm_ref::FloatGru& model, const PruneOptions& options);

// W [3H][I], R_zr [2H][H] and R_h [H][H], each interleaved over `pes`.
lstm_ref::SparseGru encode_gru(const lstm_ref::FixedGru& model, uint32_t pes, bool store_zeros = false);

struct CompressedGru {
  lstm_ref::FloatGru pruned;
  GruRanges ranges;
  lstm_ref::FixedGru fixed;
  lstm_ref::SparseGru sparse;
  CompressionReport report;  // W, R_zr, R_h
};

// Prune, calibrate on `calibration` (from zero states), quantize, encode. With `ranges` (the
// calibration cache's, of the same pruned model and sequences) the float runs are skipped.
CompressedGru compress_gru(const lstm_ref::FloatGru& model, const std::vector<std::vector<double>>& calibration,
                           const CompressOptions& options, const GruRanges* ranges = nullptr);

}  // namespace dlvp::dlvpc
