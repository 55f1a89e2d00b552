// What pruning and quantization cost an LSTM model (docs/lstm.md, "What pruning costs"): on
// held-back inputs (not the ones that set the ranges), the float model as imported and the
// compiled model (pruned, quantized: the reference model, bit-exact with the engine) are run side
// by side, and so is the model quantized without dlvpc's pruning; top-1 agreement with the float
// model, output SQNR and (with labels) accuracy, and a warning when pruning loses more than a
// threshold of agreement.
#pragma once
#include "tools/dlvpc/gru_compiler.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/lstm_stack_compiler.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// One quantized model's outputs against the float model's over the held-back sequences.
struct OutputAgreement {
  uint64_t samples = 0;
  uint64_t same_top1 = 0;  // argmax equal to the float model's (the first maximum on ties)
  uint64_t correct = 0;    // argmax equal to the label (labelled inputs only)
  double signal = 0;       // sum of the float outputs' squares
  double noise = 0;        // sum of the squared differences
  double agreement_percent() const;
  double accuracy_percent() const;
  double sqnr_db() const;  // 10 log10(signal / noise); +inf when the outputs are equal
};

struct PruneEstimate {
  uint64_t samples = 0;       // held-back sequences
  bool labelled = false;
  bool pruned = false;        // dlvpc pruned the model (--density < 1): `unpruned` is another model
  OutputAgreement compiled;   // the package's model
  OutputAgreement unpruned;   // the model quantized without dlvpc's pruning (= compiled when not pruned)
  uint64_t float_correct = 0; // the float model's correct answers (labelled inputs only)
  double warn_points = 0;     // --prune-warn-pct
  // Agreement lost to pruning (unpruned minus compiled, in points).
  double agreement_loss() const { return unpruned.agreement_percent() - compiled.agreement_percent(); }
  bool warns() const { return pruned && agreement_loss() > warn_points; }
};

// The held-back ONNX inputs (each one ONNX input tensor X, every batch entry a sequence) and, when
// not empty, one label per input (the model's batch must then be 1; a label is a class index
// of the output). `calibration`: the inputs that set the ranges (to quantize the unpruned model
// as compile_lstm did the compiled one). Throws ConfigError for labels of another count or a
// batch other than 1 with labels.
PruneEstimate estimate_pruning(const LstmCompiled& compiled, const std::vector<std::vector<double>>& calibration,
                               const std::vector<std::vector<double>>& held_back, const std::vector<uint8_t>& labels,
                               const LstmCompileOptions& options, double warn_points);
// The same for a stacked or bidirectional LSTM: the unpruned stack prepared with
// prepare_lstm_stack_weights (density 1) on the same calibration inputs.
PruneEstimate estimate_stack_pruning(const LstmStackCompiled& compiled, const std::vector<std::vector<double>>& calibration,
                                     const std::vector<std::vector<double>>& held_back, const std::vector<uint8_t>& labels,
                                     const LstmCompileOptions& options, double warn_points);
// The same for a GRU (gru_compiler.h).
PruneEstimate estimate_pruning(const GruCompiled& compiled, const std::vector<std::vector<double>>& calibration,
                               const std::vector<std::vector<double>>& held_back, const std::vector<uint8_t>& labels,
                               const LstmCompileOptions& options, double warn_points);

// The report's lines: samples, agreement, SQNR, accuracies, and the warning's verdict.
std::string format_estimate(const PruneEstimate& estimate, const std::string& held_back_what);
// The warning (one line, no newline): "dlvpc: warning: ..." naming the loss and the threshold.
std::string estimate_warning(const PruneEstimate& estimate);

}  // namespace dlvp::dlvpc
