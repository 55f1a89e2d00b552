// Constant folding at import (docs/dlvpc.md, "Import"): the shape arithmetic and constant
// subgraphs that torch.onnx.export emits around the layers (Constant, Shape -> Gather ->
// Unsqueeze -> Concat -> Reshape targets, Expand/ConstantOfShape of zero states, Cast, ...) are
// evaluated on their constant inputs, so the importers see constants, and a refusal names the
// node that really blocks, not a Constant feeding it. Shared by the CNN and the LSTM importer.
#pragma once
#include "tools/dlvpc/onnx_import.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class NodeProto;
}

namespace dlvp::dlvpc {

// What a node's input is when it is folded: a constant (value set), or a computed tensor of which
// only the shape is known (value null; Shape reads it).
struct FoldInput {
  const ConstTensor* value = nullptr;  // a constant
  bool computed = false;               // a computed tensor of shape `dims` (neither: an absent input)
  std::vector<int64_t> dims;
};

// What Squeeze (or Unsqueeze) makes of `dims` with these axes (attribute and input together; none:
// every dimension of 1 for Squeeze): the problem ("" when none) and `out`.
std::string squeeze_dims(const std::vector<int64_t>& dims, const std::vector<double>& axes, bool unsqueeze,
                         std::vector<int64_t>& out);
// The axes of a Squeeze or Unsqueeze node: its attribute and the values of its constant input `given`.
std::vector<double> squeeze_axes(const onnx::NodeProto& node, const ConstTensor* given);

// The operators fold_node evaluates.
bool is_foldable(const std::string& op_type);
// Whether node `op_type` with these inputs can be folded: every input a constant, or a Shape of
// any tensor.
bool can_fold(const std::string& op_type, const std::vector<FoldInput>& inputs);

// Evaluates a foldable node on its inputs (missing optional inputs: value null and no dims). Returns
// "" and fills `outputs` (one per node output), or the reason it cannot. Every result is bounded by
// kMaxTensorElements (checked before it is allocated).
std::string fold_node(const onnx::NodeProto& node, const std::vector<FoldInput>& inputs, std::vector<ConstTensor>& outputs);

// An importer's step: folds `node` when can_fold allows, its inputs given by `input_of` (nullopt for a
// name it does not know: not folded). Returns the reason it cannot ("" when folded or not one to
// fold; `folded` says which), the results in `outputs`, counted into `folded_elements`, which may
// not exceed kMaxConstantElements (a model's constants).
std::string try_fold(const onnx::NodeProto& node, const std::function<std::optional<FoldInput>(const std::string&)>& input_of,
                     uint64_t& folded_elements, std::vector<ConstTensor>& outputs, bool& folded);

}  // namespace dlvp::dlvpc
