#include "tools/dlvpc/lstm_import.h"

#include "ip/common/utf8.h"
#include "tools/builder/lstm_program.h"
#include "tools/dlvpc/constant_fold.h"
#include "tools/dlvpc/onnx_subgraph.h"

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
  return lstm_ref::onnx_sequence(x, seq_length, batch, layer.input_size, input_layout, b);
}

namespace {

std::vector<double> state_of(const std::vector<double>& state, uint32_t b, uint32_t n) {
  if (state.empty()) return {};
  return {state.begin() + static_cast<std::ptrdiff_t>(uint64_t{b} * n),
          state.begin() + static_cast<std::ptrdiff_t>(uint64_t{b + 1} * n)};
}

class LstmImporter {
 public:
  // gru: import a GRU node instead (gru_import.h): its weights go there, the forms around it are
  // read as an LSTM's.
  LstmImporter(const onnx::ModelProto& model, std::string origin, const ImportOptions& options,
               lstm_ref::FloatGru* gru = nullptr)
      : model_(model), graph_(model.graph()), origin_(std::move(origin)), options_(options), gru_(gru),
        op_(gru ? "GRU" : "LSTM") {}

  LstmModel run();

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ImportError(utf8::printable(origin_ + ": " + what)); }
  [[noreturn]] void fail(int index, const std::string& what) const {
    const onnx::NodeProto& node = graph_.node(index);
    fail("node '" + node_name(index) + "' (" + node.op_type() + "): " + what);
  }
  std::string node_name(int index) const { return node_label(graph_, index); }
  // The constant input `slot` of node `index` (nullptr when absent or empty).
  const ConstTensor* constant_input(int index, int slot, const char* role) const;
  void read_data_input();
  void read_attributes(int index);
  void read_weights(int index);
  void read_gru_attribute(int index, const onnx::AttributeProto& a);
  void read_gru_weights(int index);
  void read_states(int index);
  // A view of an LSTM output: its shape and what each axis is ('T' steps, 'D' directions, 'B'
  // batch, 'H' hidden, '1' an inserted axis). `steps`: it still holds every step of Y.
  struct View {
    std::vector<int64_t> dims;
    std::string axes;
    bool cell = false;  // Y_c
    bool steps() const { return axes.find('T') != std::string::npos && dims[axes.find('T')] > 1; }
    // Its elements in [batch][hidden] order: the axes of more than one element are B, H in order.
    bool hidden_order() const;
    // hidden_order, as a matrix [batch, hidden] (or a vector when the batch is 1).
    bool batch_rows() const { return hidden_order() && dims.size() <= 2; }
  };
  // Folds the node when its inputs are constants or known shapes; false when it is not one to fold.
  bool fold(int index);
  // A node before the LSTM: folded, or the batch_first Transpose of the graph input.
  void read_before(int index);
  // A node after the LSTM reading a view: the view it makes (Squeeze, Unsqueeze, Transpose, Gather
  // or Slice of the last step, Reshape, Flatten, Identity), or false when it starts the head.
  bool apply_view(int index, const View& in, View& out) const;
  void read_after(int lstm_index);
  void read_outputs_without_head();
  void import_head(int lstm_index, int first, const std::string& input, const View& view);
  // A head on every step: the view must hold Y's rows as [batch, steps, hidden] or [steps, batch,
  // hidden] (axes of size 1 aside); sets steps_first.
  void read_step_layout(int first, const View& view);

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_;
  std::string origin_;
  const ImportOptions& options_;
  lstm_ref::FloatGru* gru_;  // the GRU's weights (a GRU import), else nullptr
  std::string op_;           // the recurrent node's operator: "LSTM" or "GRU"
  std::map<std::string, ConstTensor> constants_;
  std::map<std::string, std::vector<int64_t>> data_;  // the graph input and its transposes: their shapes
  std::set<std::string> transposed_;                  // those that are the input batch_first-transposed
  std::map<std::string, View> views_;                 // the LSTM's outputs and their views
  std::set<int> consumed_;                            // nodes folded or read as views (not the head's)
  uint64_t folded_elements_ = 0;                      // constants made by folding (kMaxConstantElements)
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
           "' are both data inputs; an " + op_ + " job takes one input sequence tensor (bind the others as constants)");
    const auto& type = input.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT)
      fail("graph input '" + input.name() + "' has element type " + std::to_string(type.elem_type()) +
           "; the " + op_ + " import takes float sequences (element type 1)");
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
    if (gru_ && n != "hidden_size" && n != "layout" && n != "direction") {
      read_gru_attribute(index, a);
    } else if (n == "hidden_size") {
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

void LstmImporter::read_gru_attribute(int index, const onnx::AttributeProto& a) {
  const std::string& n = a.name();
  if (n == "linear_before_reset") {
    if (a.i() != 0 && a.i() != 1) fail(index, "linear_before_reset " + std::to_string(a.i()) + " (ONNX defines 0 and 1)");
    gru_->linear_before_reset = a.i() == 1;
  } else if (n == "activations") {
    const std::vector<std::string> defaults = {"Sigmoid", "Tanh"};
    if (!std::equal(a.strings().begin(), a.strings().end(), defaults.begin(), defaults.end()))
      fail(index, "activations other than Sigmoid, Tanh are not supported (the LUTs hold sigmoid and tanh)");
  } else if (n == "activation_alpha" || n == "activation_beta") {
    fail(index, "attribute '" + n + "' is not supported (only the default activations, which take no parameters)");
  } else if (n == "clip") {
    fail(index, "clip is not supported (the engine does not clip the gates' pre-activations)");
  } else {
    fail(index, "attribute '" + n + "' is not supported");
  }
}

// W [1, 3H, I], R [1, 3H, H] in ONNX's gate order z, r, h; B's Wb and Rb kept apart (the reset
// gate multiplies R_h's bias with linear_before_reset).
void LstmImporter::read_gru_weights(int index) {
  const ConstTensor* w = constant_input(index, 1, "W");
  const ConstTensor* r = constant_input(index, 2, "R");
  if (!w || !r) fail(index, "W and R are required");
  if (w->dims.size() != 3 || r->dims.size() != 3 || w->dims[1] % lstm_ref::kGruGates != 0)
    fail(index, "W " + dims_text(w->dims) + " and R " + dims_text(r->dims) + " are not [1, 3H, I] and [1, 3H, H]");
  if (w->dims[0] != 1 || r->dims[0] != 1) fail(index, "W has " + std::to_string(w->dims[0]) + " directions; one is supported");
  const int64_t H = w->dims[1] / lstm_ref::kGruGates, I = w->dims[2];
  if (m_.layer.hidden_size != 0 && m_.layer.hidden_size != H)
    fail(index, "hidden_size " + std::to_string(m_.layer.hidden_size) + " does not match W " + dims_text(w->dims));
  if (r->dims[1] != 3 * H || r->dims[2] != H) fail(index, "R " + dims_text(r->dims) + " is not [1, " + std::to_string(3 * H) + ", " + std::to_string(H) + "]");
  if (H < 1 || I < 1 || H > lstm::kMaxColumns || I > lstm::kMaxColumns)
    fail(index, "sizes H = " + std::to_string(H) + ", I = " + std::to_string(I) + " are outside 1.." + std::to_string(lstm::kMaxColumns));
  m_.layer.hidden_size = gru_->hidden_size = static_cast<uint32_t>(H);
  m_.layer.input_size = gru_->input_size = static_cast<uint32_t>(I);
  gru_->w = w->values;
  gru_->r = r->values;
  if (const ConstTensor* b = constant_input(index, 3, "B")) {
    if (element_count(b->dims) != 6 * H) fail(index, "B " + dims_text(b->dims) + " is not [1, " + std::to_string(6 * H) + "]");
    gru_->wb.assign(b->values.begin(), b->values.begin() + 3 * H);
    gru_->rb.assign(b->values.begin() + 3 * H, b->values.end());
  }
}

void LstmImporter::read_weights(int index) {
  if (gru_) return read_gru_weights(index);
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
  const onnx::NodeProto& node = graph_.node(index);
  const auto x = node.input_size() ? data_.find(node.input(0)) : data_.end();
  if (x == data_.end())
    fail(index, "X '" + (node.input_size() ? node.input(0) : "") + "' is not the graph input '" + m_.input_name +
                    "' (or its batch_first Transpose)");
  const std::vector<int64_t>& d = x->second;
  m_.input_layout = transposed_.count(node.input(0)) ? 1 - m_.layout : m_.layout;
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
  if (!gru_) state(6, "initial_c", m_.initial_c);
}

bool LstmImporter::fold(int index) {
  const onnx::NodeProto& node = graph_.node(index);
  const auto input_of = [&](const std::string& name) -> std::optional<FoldInput> {
    if (const auto c = constants_.find(name); c != constants_.end()) return FoldInput{&c->second, false, {}};
    if (const auto d = data_.find(name); d != data_.end()) return FoldInput{nullptr, true, d->second};
    if (const auto v = views_.find(name); v != views_.end()) return FoldInput{nullptr, true, v->second.dims};
    return std::nullopt;
  };
  std::vector<ConstTensor> outputs;
  bool folded = false;
  if (const std::string why = try_fold(node, input_of, folded_elements_, outputs, folded); !why.empty()) fail(index, why);
  if (!folded) return false;
  for (size_t k = 0; k < outputs.size() && static_cast<int>(k) < node.output_size(); ++k)
    constants_[node.output(static_cast<int>(k))] = std::move(outputs[k]);
  consumed_.insert(index);
  return true;
}

std::vector<int64_t> perm_attr(const onnx::NodeProto& node, size_t rank) {
  for (const auto& a : node.attribute())
    if (a.name() == "perm") return {a.ints().begin(), a.ints().end()};
  std::vector<int64_t> reverse;
  for (size_t i = rank; i-- > 0;) reverse.push_back(static_cast<int64_t>(i));
  return reverse;
}

void LstmImporter::read_before(int index) {
  if (fold(index)) return;
  const onnx::NodeProto& node = graph_.node(index);
  const std::string& op = node.op_type();
  const auto x = node.input_size() ? data_.find(node.input(0)) : data_.end();
  if (x != data_.end() && node.output_size() > 0 && (op == "Identity" || op == "Transpose")) {
    std::vector<int64_t> dims = x->second;
    bool transposed = transposed_.count(node.input(0)) > 0;
    if (op == "Transpose") {
      const std::vector<int64_t> perm = perm_attr(node, dims.size());
      if (perm != std::vector<int64_t>{1, 0, 2})
        fail(index, "transposes X " + dims_text(dims) + " with perm " + dims_text(perm) +
                        "; before an " + op_ + " only [1,0,2] (batch_first) is supported");
      std::swap(dims[0], dims[1]);
      transposed = !transposed;
    }
    data_[node.output(0)] = dims;
    if (transposed) transposed_.insert(node.output(0));
    consumed_.insert(index);
    return;
  }
  fail(index, "comes before the " + op_ + " and is neither a constant subgraph (folded) nor the batch_first Transpose "
              "[1,0,2] of the input; the " + op_ + " must read the graph input");
}

bool LstmImporter::View::hidden_order() const {
  std::string order;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] != 1) order += axes[i];
  return !cell && (order == "BH" || order == "H" || order == "B" || order.empty());
}

bool LstmImporter::apply_view(int index, const View& in, View& out) const {
  const onnx::NodeProto& node = graph_.node(index);
  const std::string& op = node.op_type();
  const auto rank = static_cast<int64_t>(in.dims.size());
  out = in;
  if (op == "Identity") return true;
  if (op == "Squeeze" || op == "Unsqueeze") {
    const std::vector<double> axes = squeeze_axes(node, constant_input(index, 1, "axes"));
    if (const std::string why = squeeze_dims(in.dims, axes, op == "Unsqueeze", out.dims); !why.empty()) fail(index, why);
    // The labels follow the axes: an inserted axis is '1', a removed one drops its label.
    out.axes.clear();
    if (op == "Unsqueeze") {
      std::string labels = in.axes;
      std::vector<int64_t> at;
      for (const double a : axes) at.push_back(a < 0 ? static_cast<int64_t>(a) + rank + static_cast<int64_t>(axes.size()) : static_cast<int64_t>(a));
      std::sort(at.begin(), at.end());
      for (const int64_t a : at) labels.insert(labels.begin() + a, '1');
      out.axes = labels;
    } else {
      std::set<int64_t> listed;
      for (const double a : axes) listed.insert(a < 0 ? static_cast<int64_t>(a) + rank : static_cast<int64_t>(a));
      for (int64_t i = 0; i < rank; ++i)
        if (listed.empty() ? in.dims[i] != 1 : !listed.count(i)) out.axes += in.axes[i];
    }
    return true;
  }
  if (op == "Transpose") {
    const std::vector<int64_t> perm = perm_attr(node, in.dims.size());
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < rank; ++i)
      if (static_cast<int64_t>(sorted.size()) != rank || sorted[i] != i) fail(index, "perm " + dims_text(perm) + " is not a permutation");
    for (int64_t i = 0; i < rank; ++i) out.dims[i] = in.dims[perm[i]], out.axes[i] = in.axes[perm[i]];
    return true;
  }
  const auto int_attr = [&](const char* name, int64_t fallback) {
    for (const auto& a : node.attribute())
      if (a.name() == name) return a.i();
    return fallback;
  };
  const auto last_step_only = [&](const std::string& what) {
    fail(index, what + " of the " + op_ + "'s output " + dims_text(in.dims) + "; dlvpc takes the last step of Y only (out[:, -1])");
  };
  if (op == "Gather") {
    int64_t axis = int_attr("axis", 0);
    if (axis < -rank || axis >= rank) fail(index, "axis " + std::to_string(axis) + " is outside the rank " + std::to_string(rank));
    if (axis < 0) axis += rank;
    const ConstTensor* indices = constant_input(index, 1, "indices");
    if (!indices || indices->values.size() != 1) fail(index, "gathers several indices; dlvpc takes one step");
    const int64_t n = in.dims[axis];
    auto i = static_cast<int64_t>(indices->values[0]);
    if (i < 0) i += n;
    if (i != n - 1 || (n > 1 && in.axes[axis] != 'T')) last_step_only("reads index " + value_text(indices->values[0]) + " of axis " + std::to_string(axis));
    if (indices->dims.empty()) {
      out.dims.erase(out.dims.begin() + axis);
      out.axes.erase(out.axes.begin() + axis);
    } else {
      out.dims[axis] = 1;
    }
    return true;
  }
  if (op == "Slice") {
    const ConstTensor* starts = constant_input(index, 1, "starts");
    const ConstTensor* ends = constant_input(index, 2, "ends");
    const ConstTensor* axes = constant_input(index, 3, "axes");
    const ConstTensor* steps = constant_input(index, 4, "steps");
    if (!starts || !ends || starts->values.size() != ends->values.size()) fail(index, "starts and ends are missing or differ in length");
    for (size_t k = 0; k < starts->values.size(); ++k) {
      const double a = axes ? axes->values.at(k) : static_cast<double>(k);
      if (!(a >= -rank && a < rank)) fail(index, "axis " + value_text(a) + " is outside the rank " + std::to_string(rank));
      const int64_t axis = a < 0 ? static_cast<int64_t>(a) + rank : static_cast<int64_t>(a);
      const double n = static_cast<double>(in.dims[axis]);
      double start = starts->values[k], end = ends->values[k];
      if (start < 0) start += n;
      if (end < 0) end += n;
      if (steps && steps->values.at(k) != 1) fail(index, "slices with step " + value_text(steps->values[k]) + "; dlvpc takes step 1");
      if (start <= 0 && end >= n) continue;  // the whole axis
      if (in.axes[axis] != 'T' || start != n - 1 || end < n) last_step_only("slices [" + value_text(starts->values[k]) + ", " + value_text(ends->values[k]) + ") of axis " + std::to_string(axis));
      out.dims[axis] = 1;
    }
    return true;
  }
  if (op == "Reshape" || op == "Flatten") {
    if (in.steps() || in.cell) return false;  // the head's own (refused by import_head)
    std::vector<int64_t> dims;
    if (op == "Flatten") {
      int64_t axis = int_attr("axis", 1);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis > rank) fail(index, "axis out of range");
      const int64_t outer = element_count({in.dims.begin(), in.dims.begin() + axis});
      dims = {outer, element_count(in.dims) / std::max<int64_t>(outer, 1)};
    } else {
      const ConstTensor* shape = constant_input(index, 1, "shape");
      if (!shape) fail(index, "the target shape is missing");
      if (const std::string why = reshape_target(shape->values, in.dims, int_attr("allowzero", 0) != 0, dims); !why.empty()) fail(index, why);
    }
    // The axes of more than one element keep their order and sizes: they keep their labels.
    std::vector<size_t> kept;
    for (size_t i = 0; i < in.dims.size(); ++i)
      if (in.dims[i] != 1) kept.push_back(i);
    out.dims = dims;
    out.axes.clear();
    size_t next = 0;
    for (const int64_t d : dims) {
      if (d == 1) {
        out.axes += '1';
      } else if (next < kept.size() && in.dims[kept[next]] == d) {
        out.axes += in.axes[kept[next++]];
      } else {
        fail(index, "reshapes the " + op_ + "'s output " + dims_text(in.dims) + " to " + dims_text(dims) +
                        ", which mixes its batch and hidden axes");
      }
    }
    return true;
  }
  return false;
}

void LstmImporter::read_after(int lstm_index) {
  const int64_t B = m_.batch, T = m_.seq_length, H = m_.layer.hidden_size;
  const View y = m_.layout == 0 ? View{{T, 1, B, H}, "TDBH"} : View{{B, T, 1, H}, "BTDH"};
  const View last = m_.layout == 0 ? View{{1, B, H}, "DBH"} : View{{B, 1, H}, "BDH"};
  if (!y_.empty()) views_[y_] = y;
  if (!y_h_.empty()) views_[y_h_] = last;
  if (!y_c_.empty()) {
    views_[y_c_] = last;
    views_[y_c_].cell = true;
  }
  for (int i = lstm_index + 1; i < graph_.node_size(); ++i) {
    const onnx::NodeProto& node = graph_.node(i);
    if (fold(i)) continue;
    for (int k = 1; k < node.input_size(); ++k)
      if (views_.count(node.input(k)))
        fail(i, "reads the " + op_ + "'s output '" + node.input(k) + "' as its input " + std::to_string(k) +
                    "; a head reads the last hidden state as its data input");
    const auto v = node.input_size() ? views_.find(node.input(0)) : views_.end();
    if (v == views_.end()) continue;  // the head's, or a node import_head refuses
    View out;
    if (node.output_size() > 0 && apply_view(i, v->second, out)) {
      views_[node.output(0)] = out;
      consumed_.insert(i);
      continue;
    }
    import_head(lstm_index, i, node.input(0), v->second);
    return;
  }
  read_outputs_without_head();
}

void LstmImporter::read_outputs_without_head() {
  for (const auto& out : graph_.output()) {
    const auto v = views_.find(out.name());
    if (v == views_.end()) fail("graph output '" + out.name() + "' is not produced by the " + op_);
    LstmOutput what = LstmOutput::kYh;
    if (out.name() == y_) what = LstmOutput::kY;
    else if (out.name() == y_c_) what = LstmOutput::kYc;
    else if (!v->second.hidden_order())
      fail("graph output '" + out.name() + "' " + dims_text(v->second.dims) +
           " is a view of the " + op_ + "'s outputs other than Y, Y_h, Y_c or the last step reshaped");
    m_.outputs.push_back({out.name(), what});
  }
}

void LstmImporter::import_head(int lstm_index, int first, const std::string& input, const View& view) {
  if (view.cell) fail(first, "reads the LSTM's Y_c; a head reads the hidden state (Y_h, or the last step of Y)");
  const bool every_step = view.steps();
  if (every_step) read_step_layout(first, view);
  else if (!view.batch_rows())
    fail(first, "the head reads the " + op_ + "'s output as " + dims_text(view.dims) + "; bring it to [batch, hidden] = [" +
                    std::to_string(m_.batch) + "," + std::to_string(m_.layer.hidden_size) +
                    "] first (Squeeze of the directions axis)");
  for (const auto& out : graph_.output())
    if (views_.count(out.name()))
      fail("graph output '" + out.name() + "' is an " + op_ + " output next to the head's; dlvpc compiles one output");
  // The head as a graph of its own whose input is the last hidden state: import_onnx's operators,
  // fusions and checks; the constants folded here are bound as its inputs.
  onnx::ModelProto head = graph_part(model_, graph_.name() + "_head");
  onnx::GraphProto& g = *head.mutable_graph();
  // A head on every step is imported for one step's vector [1, hidden]: the rows are the steps.
  add_float_input(g, input, every_step ? std::vector<int64_t>{1, m_.layer.hidden_size} : view.dims);
  ImportOptions options = options_;
  std::set<std::string> initializers;
  for (const auto& t : graph_.initializer()) initializers.insert(t.name());
  for (int k = lstm_index + 1; k < graph_.node_size(); ++k) {
    if (consumed_.count(k)) continue;
    const onnx::NodeProto& node = graph_.node(k);
    for (const auto& name : node.input()) {
      if (name != input && views_.count(name))
        fail(k, "reads the " + op_ + "'s output '" + name + "' besides the head's input '" + input + "'; dlvpc compiles one head");
      if (const auto c = constants_.find(name); c != constants_.end() && !initializers.count(name)) options.bindings[name] = c->second;
    }
    *g.add_node() = node;
  }
  *g.mutable_output() = graph_.output();
  if (every_step)
    for (auto& out : *g.mutable_output()) out.mutable_type()->mutable_tensor_type()->clear_shape();
  m_.head = import_onnx(head, origin_, options);
  m_.has_head = true;
  m_.head_every_step = every_step;
  if (every_step && m_.head.softmax_on_cpu)
    fail(first, "a Softmax after a head on every step is not supported: the package's CPU Softmax runs over a "
                "sequence's whole output (" + std::to_string(m_.seq_length) + " steps' classes together), not per step");
}

void LstmImporter::read_step_layout(int first, const View& view) {
  std::string order;
  for (size_t i = 0; i < view.dims.size(); ++i)
    if (view.axes[i] != 'D' && view.axes[i] != '1') order += view.axes[i];
  if (view.cell || (order != "BTH" && order != "TBH") || view.dims.back() != m_.layer.hidden_size)
    fail(first, "the head on every step reads the " + op_ + "'s Y as " + dims_text(view.dims) + " (axes " + view.axes +
                    "); it takes [batch, steps, hidden] or [steps, batch, hidden] (Squeeze of the directions axis, "
                    "batch_first Transpose)");
  m_.steps_first = order == "TBH";
}

LstmModel LstmImporter::run() {
  check_versions(model_, origin_);
  constants_ = decode_initializers(graph_, origin_);
  for (const auto& [name, tensor] : options_.bindings) constants_[name] = tensor;
  read_data_input();
  data_[m_.input_name] = m_.input_dims;
  int lstm_index = -1;
  for (int i = 0; i < graph_.node_size(); ++i) {
    if (graph_.node(i).op_type() != op_) continue;
    if (lstm_index >= 0)
      fail(i, "a second " + op_ + ": stacked " + op_ + "s are not supported (dlvpc's " + op_ + " import takes one layer)");
    lstm_index = i;
  }
  if (lstm_index < 0) fail("the graph has no " + op_ + " node");
  for (int i = 0; i < lstm_index; ++i) read_before(i);
  const onnx::NodeProto& node = graph_.node(lstm_index);
  if (!node.domain().empty() && node.domain() != "ai.onnx") fail(lstm_index, "operator domain '" + node.domain() + "'");
  m_.origin = origin_;
  m_.node = node_name(lstm_index);
  read_attributes(lstm_index);
  read_weights(lstm_index);
  read_states(lstm_index);
  const auto output = [&](int k) { return k < node.output_size() ? node.output(k) : std::string(); };
  y_ = output(0), y_h_ = output(1), y_c_ = gru_ ? std::string() : output(2);
  read_after(lstm_index);
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

LstmModel import_onnx_gru_form(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options,
                                lstm_ref::FloatGru& gru) {
  return LstmImporter(model, origin, options, &gru).run();
}

LstmModel import_onnx_lstm_file(const std::string& path, const ImportOptions& options) {
  return import_onnx_lstm(read_onnx_model(path), path, options);
}

}  // namespace dlvp::dlvpc
