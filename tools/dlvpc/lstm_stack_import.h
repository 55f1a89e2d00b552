// ONNX stacked and bidirectional LSTMs -> dlvpc's stack model (docs/lstm.md, "Stacked and
// bidirectional LSTMs: import"). Graphs of LSTM nodes in a chain, each reading the previous one's
// Y brought to [T, batch, directions x hidden] by the views torch.onnx.export writes between them
// (Squeeze of the directions axis; for a bidirectional node Transpose [0,2,1,3] then Reshape to
// [T, batch, 2 hidden]), with direction forward, reverse or bidirectional, optionally followed by a
// head on the last step of the last node's output (out[:, -1], which for a bidirectional node is
// [forward h_{T-1}, backward output at T-1]).
//
// Each layer (each direction of each node) is imported by import_onnx_lstm on a graph of its own:
// the node's segment of the graph (its constant subgraphs, the batch_first Transpose before the
// first node), its X as the graph input, its direction's weights and states taken by a Gather of
// the directions axis (folded), the direction attribute removed; so every check and refusal of the
// one-layer import applies to every layer. A forward last node's head is imported with it (every
// head form import_onnx_lstm takes); a bidirectional last node's head is read here (the views
// above, then Transpose [1,0,2] for batch_first, then the last step) and imported by import_onnx.
#pragma once
#include "tools/dlvpc/lstm_import.h"

#include <cstddef>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

// LSTM nodes in a stack (each is imported on a graph of its own, initializers included): at most.
constexpr size_t kMaxLstmStackLevels = 16;

struct LstmStackModel {
  std::string origin;
  // Per level (node), per direction (forward, then reverse): the layer as import_onnx_lstm gives it
  // (levels[0][0] holds the graph input, its dims, layout, steps and batch).
  std::vector<std::vector<LstmModel>> levels;
  std::vector<std::vector<bool>> reverse;
  // The head on the last level's last step [batch][directions x output] (import_onnx's graph).
  bool has_head = false;
  FloatGraph head;
  bool head_every_step = false, steps_first = false;  // a forward last level's head on every step (LstmModel's)
};

// Whether the graph needs the stack import: more than one LSTM node, or one whose direction is not
// forward.
bool needs_lstm_stack(const onnx::ModelProto& model);

// Throws ImportError "<origin>: node '<name>' (<op>): <reason>" for what it does not take, and
// whatever import_onnx_lstm throws for a layer.
LstmStackModel import_onnx_lstm_stack(const onnx::ModelProto& model, const std::string& origin,
                                      const ImportOptions& options = {});
LstmStackModel import_onnx_lstm_stack_file(const std::string& path, const ImportOptions& options = {});

}  // namespace dlvp::dlvpc
