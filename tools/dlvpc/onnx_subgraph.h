// Pieces of an ONNX graph as graphs of their own (the LSTM importers cut a head, or one layer of a
// stack, out of a model and import it by another importer), and how a node is named in messages.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
}  // namespace onnx

namespace dlvp::dlvpc {

// A node in messages: its name (printable), or "<op>#<index>" when it has none.
std::string node_label(const onnx::GraphProto& graph, int index);

// An empty graph named `name` with the model's IR version, operator sets and every initializer.
onnx::ModelProto graph_part(const onnx::ModelProto& model, const std::string& name);
// Adds a float graph input of fixed dims.
void add_float_input(onnx::GraphProto& graph, const std::string& name, const std::vector<int64_t>& dims);

}  // namespace dlvp::dlvpc
