#include "tools/dlvpc/onnx_subgraph.h"

#include "ip/common/utf8.h"

#include <onnx/onnx_pb.h>

namespace dlvp::dlvpc {

std::string node_label(const onnx::GraphProto& graph, int index) {
  const onnx::NodeProto& node = graph.node(index);
  return utf8::printable(node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name());
}

onnx::ModelProto graph_part(const onnx::ModelProto& model, const std::string& name) {
  onnx::ModelProto part;
  part.set_ir_version(model.ir_version());
  *part.mutable_opset_import() = model.opset_import();
  onnx::GraphProto& g = *part.mutable_graph();
  g.set_name(name);
  *g.mutable_initializer() = model.graph().initializer();
  return part;
}

void add_float_input(onnx::GraphProto& graph, const std::string& name, const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto& in = *graph.add_input();
  in.set_name(name);
  auto& type = *in.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) type.mutable_shape()->add_dim()->set_dim_value(d);
}

}  // namespace dlvp::dlvpc
