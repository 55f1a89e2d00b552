#include "tools/dlvpc/gru_import.h"

#include <onnx/onnx_pb.h>

namespace dlvp::dlvpc {

std::vector<double> GruModel::sequence(const std::vector<double>& x, uint32_t b) const {
  return lstm_ref::onnx_sequence(x, seq_length, batch, layer.input_size, input_layout, b);
}

std::vector<double> GruModel::initial_h_of(uint32_t b) const {
  if (initial_h.empty()) return {};
  const uint64_t H = layer.hidden_size;
  return {initial_h.begin() + static_cast<std::ptrdiff_t>(b * H), initial_h.begin() + static_cast<std::ptrdiff_t>((b + 1) * H)};
}

bool has_gru_node(const onnx::ModelProto& model) {
  for (const auto& node : model.graph().node())
    if (node.op_type() == "GRU") return true;
  return false;
}

GruModel import_onnx_gru(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options) {
  GruModel g;
  LstmModel form = import_onnx_gru_form(model, origin, options, g.layer);
  g.origin = std::move(form.origin);
  g.node = std::move(form.node);
  g.input_name = std::move(form.input_name);
  g.input_dims = std::move(form.input_dims);
  g.seq_length = form.seq_length, g.batch = form.batch;
  g.layout = form.layout, g.input_layout = form.input_layout;
  g.initial_h = std::move(form.initial_h);
  for (const LstmModel::GraphOutput& o : form.outputs) g.outputs.push_back({o.name, o.what == LstmOutput::kY});
  g.has_head = form.has_head;
  g.head = std::move(form.head);
  g.head_every_step = form.head_every_step, g.steps_first = form.steps_first;
  return g;
}

}  // namespace dlvp::dlvpc
