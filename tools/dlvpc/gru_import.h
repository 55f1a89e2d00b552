// ONNX GRU -> dlvpc's GRU model (docs/lstm.md, "GRU: import"). The forms the LSTM import reads
// (lstm_import.h: torch's zero-state constant chains, Squeeze/Unsqueeze, the batch_first
// Transpose, Gather or Slice of Y's last step, a Gemm/MatMul head on the last hidden state, Softmax
// on the CPU; or one node whose Y and Y_h are the graph's outputs, as in ONNX's GRU node tests) are
// read by the same importer (import_onnx_gru_form) around one GRU node. Supported: forward
// direction, the default activations (Sigmoid, Tanh; stating them is fine), linear_before_reset 0
// and 1, layout 0 and 1, bias B, a constant initial_h, sequence_lens only when every sequence has
// the full length. Refused, with an ImportError naming the node and the reason: anything else
// (reverse or bidirectional, other activations, clip, non-constant weights or states, stacked
// GRUs, a Softmax after a head on every step, a graph output that is not Y or Y_h).
#pragma once
#include "tests/reference/lstm_reference.h"
#include "tools/dlvpc/lstm_import.h"
#include "tools/dlvpc/onnx_import.h"

#include <string>
#include <vector>

namespace dlvp::dlvpc {

struct GruModel {
  std::string origin;        // the model file (or what the caller named it), for messages
  std::string node;          // the GRU node's name (or "GRU#<index>")
  lstm_ref::FloatGru layer;  // ONNX's gate order z, r, h; Wb and Rb apart
  std::string input_name;    // X
  std::vector<int64_t> input_dims;
  uint32_t seq_length = 0, batch = 0;
  int layout = 0;                  // ONNX's layout attribute
  int input_layout = 0;            // how the graph input holds X (LstmModel::input_layout)
  std::vector<double> initial_h;   // [batch][hidden]; empty: zeros
  // Without a head: the graph outputs.
  struct GraphOutput {
    std::string name;
    bool every_step = false;  // Y (every step); else Y_h
  };
  std::vector<GraphOutput> outputs;
  // With a head: the classifier reading the last h as [batch][hidden] (LstmModel::head).
  bool has_head = false;
  FloatGraph head;
  bool head_every_step = false, steps_first = false;  // a head on every step (LstmModel's)

  // Sequence b of an ONNX input X (layout-aware) as [T][I]; its initial state (empty: zeros).
  std::vector<double> sequence(const std::vector<double>& x, uint32_t b) const;
  std::vector<double> initial_h_of(uint32_t b) const;
};

bool has_gru_node(const onnx::ModelProto& model);

// Throws ImportError "<origin>: node '<name>' (<op>): <reason>" for anything outside the list above.
GruModel import_onnx_gru(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options = {});

}  // namespace dlvp::dlvpc
