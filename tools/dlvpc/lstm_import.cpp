#include "tools/dlvpc/lstm_import.h"

#include "ip/common/utf8.h"
#include "tools/builder/lstm_program.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace dlvp::dlvpc {

const char* to_string(LstmOutput output) {
  return output == LstmOutput::kY ? "Y" : output == LstmOutput::kYh ? "Y_h" : "Y_c";
}

std::vector<double> LstmModel::sequence(const std::vector<double>& x, uint32_t b) const {
  return lstm_ref::onnx_sequence(x, seq_length, batch, layer.input_size, layout, b);
}

namespace {

std::vector<double> state_of(const std::vector<double>& state, uint32_t b, uint32_t n) {
  if (state.empty()) return {};
  return {state.begin() + static_cast<std::ptrdiff_t>(uint64_t{b} * n),
          state.begin() + static_cast<std::ptrdiff_t>(uint64_t{b + 1} * n)};
}

class LstmImporter {
 public:
  LstmImporter(const onnx::ModelProto& model, std::string origin, const ImportOptions& options)
      : model_(model), graph_(model.graph()), origin_(std::move(origin)), options_(options) {}

  LstmModel run();

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ImportError(utf8::printable(origin_ + ": " + what)); }
  [[noreturn]] void fail(int index, const std::string& what) const {
    const onnx::NodeProto& node = graph_.node(index);
    fail("node '" + node_name(index) + "' (" + node.op_type() + "): " + what);
  }
  std::string node_name(int index) const {
    const onnx::NodeProto& node = graph_.node(index);
    return utf8::printable(node.name().empty() ? node.op_type() + "#" + std::to_string(index) : node.name());
  }
  // The constant input `slot` of node `index` (nullptr when absent or empty).
  const ConstTensor* constant_input(int index, int slot, const char* role) const;
  void read_data_input();
  void read_attributes(int index);
  void read_weights(int index);
  void read_states(int index);
  // Squeeze / Reshape / Flatten / Identity applied to `dims` (fails if it is none of them).
  std::vector<int64_t> reshaped(int index, const std::vector<int64_t>& dims) const;
  void read_tail(int lstm_index);

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_;
  std::string origin_;
  const ImportOptions& options_;
  std::map<std::string, ConstTensor> constants_;
  LstmModel m_;
  std::string y_, y_h_, y_c_;  // the LSTM's output names (empty: not produced)
};

const ConstTensor* LstmImporter::constant_input(int index, int slot, const char* role) const {
  const onnx::NodeProto& node = graph_.node(index);
  if (slot >= node.input_size() || node.input(slot).empty()) return nullptr;
  const auto it = constants_.find(node.input(slot));
  if (it == constants_.end())
    fail(index, std::string(role) + " '" + node.input(slot) +
                    "' is not a constant; the engine needs it at compile time (an initializer)");
  return &it->second;
}

void LstmImporter::read_data_input() {
  for (const auto& input : graph_.input()) {
    if (constants_.count(input.name())) continue;
    if (!m_.input_name.empty())
      fail("graph inputs '" + m_.input_name + "' and '" + input.name() +
           "' are both data inputs; an LSTM job takes one input sequence tensor (bind the others as constants)");
    const auto& type = input.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT)
      fail("graph input '" + input.name() + "' has element type " + std::to_string(type.elem_type()) +
           "; the LSTM import takes float sequences (element type 1)");
    for (const auto& d : type.shape().dim()) {
      if (!d.has_dim_value())
        fail("graph input '" + input.name() + "' has a dynamic dimension; dlvpc compiles fixed shapes");
      if (d.dim_value() <= 0)
        fail("graph input '" + input.name() + "' has dimension " + std::to_string(m_.input_dims.size()) + " = " +
             std::to_string(d.dim_value()) + "; dlvpc compiles tensors whose dimensions are >= 1");
      m_.input_dims.push_back(d.dim_value());
    }
    m_.input_name = input.name();  // its size is read_states' to check, after the step count
  }
  if (m_.input_name.empty()) fail("the graph has no data input (every input is a constant)");
}

void LstmImporter::read_attributes(int index) {
  const onnx::NodeProto& node = graph_.node(index);
  for (const auto& a : node.attribute()) {
    const std::string& n = a.name();
    if (n == "hidden_size") {
      if (a.i() < 1 || a.i() > lstm::kMaxColumns)
        fail(index, "hidden_size " + std::to_string(a.i()) + " is outside 1.." + std::to_string(lstm::kMaxColumns));
      m_.layer.hidden_size = static_cast<uint32_t>(a.i());
    } else if (n == "layout") {
      if (a.i() != 0 && a.i() != 1) fail(index, "layout " + std::to_string(a.i()) + " (ONNX defines 0 and 1)");
      m_.layout = static_cast<int>(a.i());
    } else if (n == "direction") {
      if (a.s() != "forward")
        fail(index, "direction '" + a.s() + "' is not supported (the engine runs one forward direction)");
    } else if (n == "activations") {
      const std::vector<std::string> defaults = {"Sigmoid", "Tanh", "Tanh"};
      if (!std::equal(a.strings().begin(), a.strings().end(), defaults.begin(), defaults.end()))
        fail(index, "activations other than Sigmoid, Tanh, Tanh are not supported (the LUTs hold sigmoid and tanh)");
    } else if (n == "activation_alpha" || n == "activation_beta") {
      fail(index, "attribute '" + n + "' is not supported (only the default activations, which take no parameters)");
    } else if (n == "clip") {
      fail(index, "clip is not supported (the engine does not clip the gates' pre-activations)");
    } else if (n == "input_forget") {
      if (a.i() != 0) fail(index, "input_forget = 1 (coupled input and forget gates) is not supported");
    } else {
      fail(index, "attribute '" + n + "' is not supported");
    }
  }
}

void LstmImporter::read_weights(int index) {
  const ConstTensor* w = constant_input(index, 1, "W");
  const ConstTensor* r = constant_input(index, 2, "R");
  if (!w || !r) fail(index, "W and R are required");
  if (w->dims.size() != 3 || r->dims.size() != 3 || w->dims[1] % lstm::kGateCount != 0)
    fail(index, "W " + dims_text(w->dims) + " and R " + dims_text(r->dims) + " are not [1, 4H, I] and [1, 4H, H]");
  if (w->dims[0] != 1 || r->dims[0] != 1) fail(index, "W has " + std::to_string(w->dims[0]) + " directions; one is supported");
  const int64_t H = w->dims[1] / lstm::kGateCount, I = w->dims[2];
  if (m_.layer.hidden_size != 0 && m_.layer.hidden_size != H)
    fail(index, "hidden_size " + std::to_string(m_.layer.hidden_size) + " does not match W " + dims_text(w->dims));
  if (r->dims[1] != 4 * H || r->dims[2] != H) fail(index, "R " + dims_text(r->dims) + " is not [1, " + std::to_string(4 * H) + ", " + std::to_string(H) + "]");
  if (H < 1 || I < 1 || H > lstm::kMaxColumns || I > lstm::kMaxColumns)
    fail(index, "sizes H = " + std::to_string(H) + ", I = " + std::to_string(I) + " are outside 1.." + std::to_string(lstm::kMaxColumns));
  lstm_ref::FloatLstm& l = m_.layer;
  l.hidden_size = static_cast<uint32_t>(H);
  l.input_size = static_cast<uint32_t>(I);
  l.w = w->values;
  l.r = r->values;
  if (const ConstTensor* b = constant_input(index, 3, "B")) {
    if (element_count(b->dims) != 8 * H) fail(index, "B " + dims_text(b->dims) + " is not [1, " + std::to_string(8 * H) + "]");
    l.bias.resize(static_cast<size_t>(4 * H));
    for (int64_t n = 0; n < 4 * H; ++n) l.bias[n] = b->values[n] + b->values[4 * H + n];  // W_b + R_b
  }
  if (const ConstTensor* p = constant_input(index, 7, "P")) {
    if (element_count(p->dims) != 3 * H) fail(index, "P " + dims_text(p->dims) + " is not [1, " + std::to_string(3 * H) + "]");
    l.peephole = p->values;
  }
}

void LstmImporter::read_states(int index) {
  const std::vector<int64_t>& d = m_.input_dims;
  const onnx::NodeProto& node = graph_.node(index);
  if (node.input_size() == 0 || node.input(0) != m_.input_name)
    fail(index, "X '" + (node.input_size() ? node.input(0) : "") + "' is not the graph input '" + m_.input_name + "'");
  if (d.size() != 3) fail(index, "X " + dims_text(d) + " is not a 3-D sequence tensor");
  // Before anything is allocated for the sequences: the engine's step count.
  const int64_t steps = m_.layout == 0 ? d[0] : d[1];
  if (steps > builder::kMaxLstmSteps)
    fail(index, "X " + dims_text(d) + " has " + std::to_string(steps) + " time steps; the engine runs 1.." +
                    std::to_string(builder::kMaxLstmSteps) + " per job");
  if (const std::string problem = shape_problem(d); !problem.empty()) fail(index, "X " + dims_text(d) + " " + problem);
  m_.seq_length = static_cast<uint32_t>(steps);
  m_.batch = static_cast<uint32_t>(m_.layout == 0 ? d[1] : d[0]);
  if (d[2] != m_.layer.input_size)
    fail(index, "X " + dims_text(d) + " has " + std::to_string(d[2]) + " features, W expects " + std::to_string(m_.layer.input_size));
  if (const ConstTensor* lens = constant_input(index, 4, "sequence_lens"))
    for (const double v : lens->values)
      if (v != m_.seq_length)
        fail(index, "sequence_lens holds " + value_text(v) + "; only full-length sequences (" +
                        std::to_string(m_.seq_length) + ") are supported");
  const uint64_t state_size = uint64_t{m_.batch} * m_.layer.hidden_size;
  const auto state = [&](int slot, const char* role, std::vector<double>& out) {
    if (const ConstTensor* s = constant_input(index, slot, role)) {
      if (s->values.size() != state_size)
        fail(index, std::string(role) + " " + dims_text(s->dims) + " does not hold batch x hidden = " + std::to_string(state_size) + " values");
      out = s->values;
    }
  };
  state(5, "initial_h", m_.initial_h);
  state(6, "initial_c", m_.initial_c);
}

std::vector<int64_t> LstmImporter::reshaped(int index, const std::vector<int64_t>& dims) const {
  const onnx::NodeProto& node = graph_.node(index);
  const std::string& op = node.op_type();
  const int64_t rank = static_cast<int64_t>(dims.size());
  const auto int_attr = [&](const char* name, int64_t fallback) {
    for (const auto& a : node.attribute())
      if (a.name() == name) return a.i();
    return fallback;
  };
  if (op == "Identity") return dims;
  if (op == "Flatten") {
    int64_t axis = int_attr("axis", 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) fail(index, "axis out of range");
    const int64_t outer = element_count({dims.begin(), dims.begin() + axis});
    return {outer, element_count(dims) / std::max<int64_t>(outer, 1)};
  }
  if (op == "Squeeze") {
    std::vector<int64_t> axes;
    for (const auto& a : node.attribute())
      if (a.name() == "axes") axes.assign(a.ints().begin(), a.ints().end());
    if (const ConstTensor* t = constant_input(index, 1, "axes"))
      for (const double v : t->values) {
        if (!(v >= -rank && v < rank)) fail(index, "axis " + value_text(v) + " is outside the rank " + std::to_string(rank));
        axes.push_back(static_cast<int64_t>(v));
      }
    std::set<int64_t> drop;
    for (int64_t a : axes) {
      if (a < -rank || a >= rank) fail(index, "axis " + std::to_string(a) + " is outside the rank " + std::to_string(rank));
      drop.insert(a < 0 ? a + rank : a);
    }
    std::vector<int64_t> out;
    for (int64_t i = 0; i < rank; ++i)
      if (axes.empty() ? dims[i] != 1 : !drop.count(i)) out.push_back(dims[i]);
    return out;
  }
  if (op == "Reshape") {
    const ConstTensor* shape = constant_input(index, 1, "shape");
    if (!shape) fail(index, "the target shape is missing");
    std::vector<int64_t> out;
    const std::string problem = reshape_target(shape->values, dims, int_attr("allowzero", 0) != 0, out);
    if (!problem.empty()) fail(index, problem);
    return out;
  }
  fail(index, "is not a Squeeze, Reshape, Flatten or Identity");
}

void LstmImporter::read_tail(int lstm_index) {
  const int n = graph_.node_size();
  const uint32_t B = m_.batch, H = m_.layer.hidden_size;
  for (int i = lstm_index + 1; i < n; ++i)
    for (const auto& in : graph_.node(i).input())
      if (!in.empty() && (in == y_ || in == y_c_))
        fail(i, "reads the LSTM's " + std::string(in == y_ ? "Y" : "Y_c") +
                    "; a head may only read Y_h (the last step's hidden state)");
  // Leading reshapes of Y_h to [batch, hidden].
  std::string current = y_h_;
  std::vector<int64_t> dims = m_.layout == 0 ? std::vector<int64_t>{1, B, H} : std::vector<int64_t>{B, 1, H};
  int i = lstm_index + 1;
  const std::set<std::string> reshapes = {"Squeeze", "Reshape", "Flatten", "Identity"};
  const auto reads_current = [&](int k) {
    const onnx::NodeProto& node = graph_.node(k);
    return node.input_size() > 0 && node.output_size() > 0 && node.input(0) == current;
  };
  for (; i < n && reshapes.count(graph_.node(i).op_type()) && !current.empty() && reads_current(i); ++i) {
    dims = reshaped(i, dims);
    current = graph_.node(i).output(0);
  }
  const auto is_lstm_output = [&](const std::string& name) {
    return !name.empty() && (name == y_ || name == y_h_ || name == y_c_ || name == current);
  };
  if (i == n) {  // no head: the graph outputs are the LSTM's
    for (const auto& out : graph_.output()) {
      if (!is_lstm_output(out.name())) fail("graph output '" + out.name() + "' is not produced by the LSTM");
      const LstmOutput what = out.name() == y_ ? LstmOutput::kY : out.name() == y_c_ ? LstmOutput::kYc : LstmOutput::kYh;
      m_.outputs.push_back({out.name(), what});
    }
    return;
  }
  if (current.empty()) fail(i, "follows an LSTM whose Y_h is not produced; a head reads Y_h");
  for (const auto& out : graph_.output())
    if (is_lstm_output(out.name()))
      fail("graph output '" + out.name() + "' is an LSTM output next to the head's; dlvpc compiles one output");
  const bool batch_rows = (dims.size() == 2 && dims[0] == B && dims[1] == H) ||
                          (B == 1 && element_count(dims) == H && dims.size() <= 2);
  if (!batch_rows)
    fail(i, "the head reads Y_h as " + dims_text(dims) + "; reshape it to [batch, hidden] = [" + std::to_string(B) + "," +
                std::to_string(H) + "] first (Squeeze of the directions axis)");
  // The head as a graph of its own whose input is Y_h: import_onnx's operators, fusions and checks.
  onnx::ModelProto head;
  head.set_ir_version(model_.ir_version());
  *head.mutable_opset_import() = model_.opset_import();
  onnx::GraphProto& g = *head.mutable_graph();
  g.set_name(graph_.name() + "_head");
  *g.mutable_initializer() = graph_.initializer();
  onnx::ValueInfoProto& input = *g.add_input();
  input.set_name(current);
  auto& type = *input.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) type.mutable_shape()->add_dim()->set_dim_value(d);
  for (int k = i; k < n; ++k) *g.add_node() = graph_.node(k);
  *g.mutable_output() = graph_.output();
  m_.head = import_onnx(head, origin_, options_);
  m_.has_head = true;
}

LstmModel LstmImporter::run() {
  check_versions(model_, origin_);
  constants_ = decode_initializers(graph_, origin_);
  for (const auto& [name, tensor] : options_.bindings) constants_[name] = tensor;
  read_data_input();
  int lstm_index = -1;
  for (int i = 0; i < graph_.node_size(); ++i) {
    if (graph_.node(i).op_type() != "LSTM") continue;
    if (lstm_index >= 0) fail(i, "a second LSTM; dlvpc's LSTM import takes one layer");
    lstm_index = i;
  }
  if (lstm_index < 0) fail("the graph has no LSTM node");
  if (lstm_index > 0) fail(0, "comes before the LSTM; the LSTM must read the graph input directly");
  const onnx::NodeProto& node = graph_.node(lstm_index);
  if (!node.domain().empty() && node.domain() != "ai.onnx") fail(lstm_index, "operator domain '" + node.domain() + "'");
  m_.origin = origin_;
  m_.node = node_name(lstm_index);
  read_attributes(lstm_index);
  read_weights(lstm_index);
  read_states(lstm_index);
  const auto output = [&](int k) { return k < node.output_size() ? node.output(k) : std::string(); };
  y_ = output(0), y_h_ = output(1), y_c_ = output(2);
  read_tail(lstm_index);
  return std::move(m_);
}

}  // namespace

std::vector<double> LstmModel::initial_h_of(uint32_t b) const { return state_of(initial_h, b, layer.hidden_size); }
std::vector<double> LstmModel::initial_c_of(uint32_t b) const { return state_of(initial_c, b, layer.hidden_size); }

bool has_lstm_node(const onnx::ModelProto& model) {
  for (const auto& node : model.graph().node())
    if (node.op_type() == "LSTM") return true;
  return false;
}

LstmModel import_onnx_lstm(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options) {
  return LstmImporter(model, origin, options).run();
}

LstmModel import_onnx_lstm_file(const std::string& path, const ImportOptions& options) {
  return import_onnx_lstm(read_onnx_model(path), path, options);
}

}  // namespace dlvp::dlvpc
