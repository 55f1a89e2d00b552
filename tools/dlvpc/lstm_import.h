// ONNX LSTM -> dlvpc's LSTM model (docs/lstm.md, "Import"). A second entry point next to
// import_onnx (which handles the CNN operators): graphs made of one LSTM node reading the graph
// input (or its batch_first Transpose), optionally followed by a classifier head on its last
// hidden state — Y_h, or the last step of Y (out[:, -1]), brought to [batch, hidden] by Squeeze,
// Unsqueeze, Transpose, Gather or Slice of the last step, Reshape or Flatten — written with
// operators import_onnx knows (Gemm, MatMul, Relu, Softmax, ...), which import_onnx imports as a
// FloatGraph of its own. Constant subgraphs anywhere (torch's zero states: Shape, Gather,
// Unsqueeze, Concat, Expand, ConstantOfShape) are folded first (constant_fold.h).
//
// Supported: forward direction, the default activations (Sigmoid, Tanh, Tanh; stating them is
// fine), layout 0 and 1, bias B, peepholes P, constant initial_h / initial_c, sequence_lens only
// when every sequence has the full length. Refused, with an ImportError naming the node and the
// reason: reverse or bidirectional, other activations, activation_alpha / beta, clip,
// input_forget = 1, other sequence lengths, non-constant weights or states, other computations
// before the LSTM, stacked LSTMs, a head that reads Y_c or other steps of Y. A head on every step of
// Y (a MatMul/Gemm of [.., H] rows) is imported for one step's vector; a Softmax after it is refused.
#pragma once
#include "tests/reference/lstm_reference.h"
#include "tools/dlvpc/onnx_import.h"

#include <string>
#include <vector>

namespace dlvp::dlvpc {

enum class LstmOutput { kY, kYh, kYc };
const char* to_string(LstmOutput output);

struct LstmModel {
  std::string origin;           // the model file (or what the caller named it), for messages
  std::string node;             // the LSTM node's name (or "LSTM#<index>")
  lstm_ref::FloatLstm layer;    // its weights in ONNX's gate order, bias = W_b + R_b
  std::string input_name;       // X
  std::vector<int64_t> input_dims;
  uint32_t seq_length = 0, batch = 0;
  int layout = 0;               // ONNX's layout attribute
  int input_layout = 0;         // how the graph input holds X: 0 [T,B,I], 1 [B,T,I] (layout, swapped
                                // by a batch_first Transpose before the LSTM)
  std::vector<double> initial_h, initial_c;  // [batch][hidden]; empty: zeros

  // Without a head: the graph outputs, each one of the LSTM's outputs.
  struct GraphOutput {
    std::string name;
    LstmOutput what = LstmOutput::kYh;
  };
  std::vector<GraphOutput> outputs;

  // With a head: the classifier reading Y_h as [batch][hidden] (its graph input), as import_onnx
  // imports it; head.output_name is the graph's output.
  bool has_head = false;
  FloatGraph head;
  // A head on every step (torch's fc(out): MatMul + Add on Y [B, T, H] or [T, B, H]): `head` is
  // imported for one step's vector, and the graph output holds [batch][step][outputs], or
  // [step][batch][outputs] when steps_first (docs/lstm.md, "A head on every step").
  bool head_every_step = false;
  bool steps_first = false;

  // Sequence b of an ONNX input X (layout-aware) as [T][I]; its initial states (empty: zeros).
  std::vector<double> sequence(const std::vector<double>& x, uint32_t b) const;
  std::vector<double> initial_h_of(uint32_t b) const;
  std::vector<double> initial_c_of(uint32_t b) const;
};

// Whether the graph has an LSTM node (dlvpc then takes this path instead of import_onnx's).
bool has_lstm_node(const onnx::ModelProto& model);

// Throws ImportError "<origin>: node '<name>' (<op>): <reason>" for anything outside the list above.
LstmModel import_onnx_lstm(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options = {});
// GRUC: the forms above around one GRU node instead (gru_import.h): its attributes and weights go
// to `gru`; of the LstmModel's `layer` only the sizes are set.
LstmModel import_onnx_gru_form(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options,
                                lstm_ref::FloatGru& gru);
LstmModel import_onnx_lstm_file(const std::string& path, const ImportOptions& options = {});

}  // namespace dlvp::dlvpc
