#include "tools/dlvpc/gru_import.h"

#include "ip/common/utf8.h"
#include "tools/builder/lstm_program.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>

namespace dlvp::dlvpc {

std::vector<double> GruModel::sequence(const std::vector<double>& x, uint32_t b) const {
  return lstm_ref::onnx_sequence(x, seq_length, batch, layer.input_size, layout, b);
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

namespace {

class GruImporter {
 public:
  GruImporter(const onnx::ModelProto& model, std::string origin, const ImportOptions& options)
      : model_(model), graph_(model.graph()), origin_(std::move(origin)), options_(options) {}

  GruModel run() {
    check_versions(model_, origin_);
    constants_ = decode_initializers(graph_, origin_);
    for (const auto& [name, tensor] : options_.bindings) constants_[name] = tensor;
    for (int i = 0; i < graph_.node_size(); ++i) {
      if (graph_.node(i).op_type() != "GRU")
        fail(i, "dlvpc's GRU import takes a graph of one GRU node reading the graph input (other nodes, torch's "
                "export forms and heads are not supported yet)");
      if (i > 0) fail(i, "a second GRU: stacked GRUs are not supported");
    }
    if (graph_.node_size() == 0) fail("the graph has no GRU node");
    read_data_input();
    const onnx::NodeProto& node = graph_.node(0);
    if (!node.domain().empty() && node.domain() != "ai.onnx") fail(0, "operator domain '" + node.domain() + "'");
    m_.origin = origin_;
    m_.node = utf8::printable(node.name().empty() ? "GRU#0" : node.name());
    read_attributes();
    read_weights();
    read_states();
    read_outputs();
    return std::move(m_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ImportError(utf8::printable(origin_ + ": " + what)); }
  [[noreturn]] void fail(int index, const std::string& what) const {
    const onnx::NodeProto& node = graph_.node(index);
    fail("node '" + (node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name()) + "' (" +
         node.op_type() + "): " + what);
  }
  const ConstTensor* constant_input(int slot, const char* role) const {
    const onnx::NodeProto& node = graph_.node(0);
    if (slot >= node.input_size() || node.input(slot).empty()) return nullptr;
    const auto it = constants_.find(node.input(slot));
    if (it == constants_.end())
      fail(0, std::string(role) + " '" + node.input(slot) + "' is not a constant; the engine needs it at compile time");
    return &it->second;
  }

  void read_data_input() {
    for (const auto& input : graph_.input()) {
      if (constants_.count(input.name())) continue;
      if (!m_.input_name.empty())
        fail("graph inputs '" + m_.input_name + "' and '" + input.name() +
             "' are both data inputs; a GRU job takes one input sequence tensor (bind the others as constants)");
      const auto& type = input.type().tensor_type();
      if (type.elem_type() != onnx::TensorProto::FLOAT)
        fail("graph input '" + input.name() + "' is not float (element type 1)");
      for (const auto& d : type.shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() <= 0)
          fail("graph input '" + input.name() + "' has a dynamic or non-positive dimension; dlvpc compiles fixed shapes");
        dims_.push_back(d.dim_value());
      }
      m_.input_name = input.name();
    }
    if (m_.input_name.empty()) fail("the graph has no data input (every input is a constant)");
  }

  void read_attributes() {
    for (const auto& a : graph_.node(0).attribute()) {
      const std::string& n = a.name();
      if (n == "hidden_size") {
        if (a.i() < 1 || a.i() > lstm::kMaxColumns)
          fail(0, "hidden_size " + std::to_string(a.i()) + " is outside 1.." + std::to_string(lstm::kMaxColumns));
        m_.layer.hidden_size = static_cast<uint32_t>(a.i());
      } else if (n == "layout") {
        if (a.i() != 0 && a.i() != 1) fail(0, "layout " + std::to_string(a.i()) + " (ONNX defines 0 and 1)");
        m_.layout = static_cast<int>(a.i());
      } else if (n == "direction") {
        if (a.s() != "forward") fail(0, "direction '" + a.s() + "' is not supported (the engine runs one forward direction)");
      } else if (n == "linear_before_reset") {
        if (a.i() != 0 && a.i() != 1) fail(0, "linear_before_reset " + std::to_string(a.i()) + " (ONNX defines 0 and 1)");
        m_.layer.linear_before_reset = a.i() == 1;
      } else if (n == "activations") {
        const std::vector<std::string> defaults = {"Sigmoid", "Tanh"};
        if (!std::equal(a.strings().begin(), a.strings().end(), defaults.begin(), defaults.end()))
          fail(0, "activations other than Sigmoid, Tanh are not supported (the LUTs hold sigmoid and tanh)");
      } else if (n == "clip") {
        fail(0, "clip is not supported (the engine does not clip the gates' pre-activations)");
      } else {
        fail(0, "attribute '" + n + "' is not supported");
      }
    }
  }

  void read_weights() {
    const ConstTensor* w = constant_input(1, "W");
    const ConstTensor* r = constant_input(2, "R");
    if (!w || !r) fail(0, "W and R are required");
    if (w->dims.size() != 3 || r->dims.size() != 3 || w->dims[0] != 1 || r->dims[0] != 1 || w->dims[1] % 3 != 0)
      fail(0, "W " + dims_text(w->dims) + " and R " + dims_text(r->dims) + " are not [1, 3H, I] and [1, 3H, H]");
    const int64_t H = w->dims[1] / 3, I = w->dims[2];
    if (H < 1 || I < 1 || H > lstm::kMaxColumns || I > lstm::kMaxColumns)
      fail(0, "sizes H = " + std::to_string(H) + ", I = " + std::to_string(I) + " are outside 1.." + std::to_string(lstm::kMaxColumns));
    if (m_.layer.hidden_size != 0 && m_.layer.hidden_size != H)
      fail(0, "hidden_size " + std::to_string(m_.layer.hidden_size) + " does not match W " + dims_text(w->dims));
    if (r->dims[1] != 3 * H || r->dims[2] != H)
      fail(0, "R " + dims_text(r->dims) + " is not [1, " + std::to_string(3 * H) + ", " + std::to_string(H) + "]");
    lstm_ref::FloatGru& l = m_.layer;
    l.hidden_size = static_cast<uint32_t>(H), l.input_size = static_cast<uint32_t>(I);
    l.w = w->values, l.r = r->values;
    if (const ConstTensor* b = constant_input(3, "B")) {
      if (element_count(b->dims) != 6 * H) fail(0, "B " + dims_text(b->dims) + " is not [1, " + std::to_string(6 * H) + "]");
      l.wb.assign(b->values.begin(), b->values.begin() + 3 * H);
      l.rb.assign(b->values.begin() + 3 * H, b->values.end());
    }
  }

  void read_states() {
    const onnx::NodeProto& node = graph_.node(0);
    if (node.input_size() == 0 || node.input(0) != m_.input_name)
      fail(0, "X is not the graph input '" + m_.input_name + "'");
    if (dims_.size() != 3) fail(0, "X " + dims_text(dims_) + " is not a 3-D sequence tensor");
    const int64_t steps = m_.layout == 0 ? dims_[0] : dims_[1];
    if (steps > builder::kMaxLstmSteps)
      fail(0, "X " + dims_text(dims_) + " has " + std::to_string(steps) + " time steps; the engine runs 1.." +
                  std::to_string(builder::kMaxLstmSteps) + " per job");
    if (const std::string problem = shape_problem(dims_); !problem.empty()) fail(0, "X " + dims_text(dims_) + " " + problem);
    m_.seq_length = static_cast<uint32_t>(steps);
    m_.batch = static_cast<uint32_t>(m_.layout == 0 ? dims_[1] : dims_[0]);
    if (dims_[2] != m_.layer.input_size)
      fail(0, "X " + dims_text(dims_) + " has " + std::to_string(dims_[2]) + " features, W expects " +
                  std::to_string(m_.layer.input_size));
    if (const ConstTensor* lens = constant_input(4, "sequence_lens"))
      for (const double v : lens->values)
        if (v != m_.seq_length)
          fail(0, "sequence_lens holds " + value_text(v) + "; only full-length sequences (" +
                      std::to_string(m_.seq_length) + ") are supported");
    if (const ConstTensor* h0 = constant_input(5, "initial_h")) {
      if (h0->values.size() != uint64_t{m_.batch} * m_.layer.hidden_size)
        fail(0, "initial_h " + dims_text(h0->dims) + " does not hold batch x hidden values");
      m_.initial_h = h0->values;
    }
  }

  void read_outputs() {
    const onnx::NodeProto& node = graph_.node(0);
    const auto output = [&](int k) { return k < node.output_size() ? node.output(k) : std::string(); };
    for (const auto& out : graph_.output()) {
      if (out.name().empty() || (out.name() != output(0) && out.name() != output(1)))
        fail("graph output '" + out.name() + "' is not the GRU's Y or Y_h");
      m_.outputs.push_back({out.name(), out.name() == output(0)});
    }
  }

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_;
  std::string origin_;
  const ImportOptions& options_;
  std::map<std::string, ConstTensor> constants_;
  std::vector<int64_t> dims_;
  GruModel m_;
};

}  // namespace

GruModel import_onnx_gru(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options) {
  return GruImporter(model, origin, options).run();
}

}  // namespace dlvp::dlvpc
