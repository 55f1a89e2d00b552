#include "tools/dlvpc/lstm_stack_import.h"

#include "ip/common/utf8.h"
#include "tools/dlvpc/constant_fold.h"
#include "tools/dlvpc/onnx_subgraph.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <set>

namespace dlvp::dlvpc {
namespace {

std::string direction_of(const onnx::NodeProto& node) {
  for (const auto& a : node.attribute())
    if (a.name() == "direction") return a.s();
  return "forward";
}

int64_t int_attr(const onnx::NodeProto& node, const char* name, int64_t fallback) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

std::vector<int64_t> ints_attr(const onnx::NodeProto& node, const char* name) {
  for (const auto& a : node.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}

class StackImporter {
 public:
  StackImporter(const onnx::ModelProto& model, std::string origin, const ImportOptions& options)
      : model_(model), graph_(model.graph()), origin_(std::move(origin)), options_(options) {}

  LstmStackModel run();

 private:
  [[noreturn]] void fail(const std::string& what) const { throw ImportError(utf8::printable(origin_ + ": " + what)); }
  [[noreturn]] void fail(int index, const std::string& what) const {
    const onnx::NodeProto& node = graph_.node(index);
    fail("node '" + node_name(index) + "' (" + node.op_type() + "): " + what);
  }
  std::string node_name(int index) const { return node_label(graph_, index); }
  // The constant-only nodes folded (Constant, and what only reads constants): Squeeze axes,
  // Reshape targets and Gather indices of the views between and after the LSTMs.
  void fold_constants();
  const ConstTensor* constant(const std::string& name) const {
    const auto it = constants_.find(name);
    return it == constants_.end() ? nullptr : &it->second;
  }
  // The one node reading `name` that is not a folded constant (-1: none); a second one is refused.
  int only_reader(const std::string& name, int lstm) const;
  // The views from LSTM k - 1's Y to LSTM k's X (their node indices), checked.
  std::set<int> between(size_t k);
  // One direction of LSTM k as a graph of its own, imported by import_onnx_lstm.
  LstmModel import_layer(size_t k, int direction, bool with_rest, const std::set<int>& skip);
  // The head of a bidirectional last LSTM: the views to its last step, then import_onnx.
  void import_bidirectional_head(LstmStackModel& s);

  const onnx::ModelProto& model_;
  const onnx::GraphProto& graph_;
  std::string origin_;
  const ImportOptions& options_;
  std::map<std::string, ConstTensor> constants_;
  std::set<int> folded_;
  std::map<std::string, int> producer_;
  std::vector<int> lstm_;
  std::vector<int> directions_;
  uint64_t folded_elements_ = 0;
  int64_t steps_ = 0, batch_ = 0;
  int64_t levels_input_size_ = 0;  // the next LSTM's X: directions x output of the previous level
};

void StackImporter::fold_constants() {
  for (int i = 0; i < graph_.node_size(); ++i) {
    const onnx::NodeProto& node = graph_.node(i);
    const auto input_of = [&](const std::string& name) -> std::optional<FoldInput> {
      if (const ConstTensor* c = constant(name)) return FoldInput{c, false, {}};
      return std::nullopt;
    };
    std::vector<ConstTensor> outputs;
    bool folded = false;
    if (node.op_type() == "Shape") continue;  // of a data tensor: the layers' imports fold it
    if (!try_fold(node, input_of, folded_elements_, outputs, folded).empty() || !folded) continue;
    for (size_t k = 0; k < outputs.size() && static_cast<int>(k) < node.output_size(); ++k)
      constants_[node.output(static_cast<int>(k))] = std::move(outputs[k]);
    folded_.insert(i);
  }
}

int StackImporter::only_reader(const std::string& name, int lstm) const {
  int reader = -1;
  for (int i = 0; i < graph_.node_size(); ++i) {
    if (folded_.count(i)) continue;
    const onnx::NodeProto& node = graph_.node(i);
    bool reads = false;
    for (const auto& in : node.input()) reads = reads || in == name;
    if (!reads || node.op_type() == "Shape") continue;  // the next LSTM's zero states read its shape
    if (reader >= 0)
      fail(i, "reads '" + name + "' besides node '" + node_name(reader) + "'; between stacked LSTMs dlvpc takes one chain of views (LSTM '" +
                  node_name(lstm) + "')");
    reader = i;
  }
  return reader;
}

std::set<int> StackImporter::between(size_t k) {
  const int prev = lstm_[k - 1], next = lstm_[k];
  const onnx::NodeProto& p = graph_.node(prev);
  if (int_attr(p, "layout", 0) != 0)
    fail(prev, "layout 1 in a stack; dlvpc takes stacked LSTMs with layout 0 (torch's export)");
  const std::string expected = directions_[k - 1] == 2
                                   ? "Transpose [0,2,1,3] then Reshape to [T, batch, 2 x hidden]"
                                   : "Squeeze of the directions axis (axes [1])";
  const auto refuse = [&](int index, const std::string& why) {
    fail(index, why + "; between stacked LSTMs dlvpc takes the views torch writes: " + expected);
  };
  std::set<int> chain;
  std::string at = p.output_size() ? p.output(0) : "";
  if (at.empty()) fail(prev, "has no Y output, which the next LSTM '" + node_name(next) + "' would read");
  const onnx::NodeProto& n = graph_.node(next);
  const std::string x = n.input_size() ? n.input(0) : "";
  const std::vector<std::string> ops =
      directions_[k - 1] == 2 ? std::vector<std::string>{"Transpose", "Reshape"} : std::vector<std::string>{"Squeeze"};
  const int64_t H = int_attr(p, "hidden_size", 0);
  for (const std::string& op : ops) {
    const int i = only_reader(at, prev);
    if (i < 0) fail(prev, "its Y is not read by the next LSTM '" + node_name(next) + "'");
    const onnx::NodeProto& v = graph_.node(i);
    if (v.op_type() != op || v.output_size() < 1) refuse(i, "reads the LSTM's Y");
    if (op == "Squeeze") {
      const std::vector<double> axes = squeeze_axes(v, v.input_size() > 1 ? constant(v.input(1)) : nullptr);
      if (axes != std::vector<double>{1}) refuse(i, "squeezes other axes than [1]");
    } else if (op == "Transpose") {
      if (ints_attr(v, "perm") != std::vector<int64_t>{0, 2, 1, 3}) refuse(i, "transposes with another perm");
    } else {
      const ConstTensor* shape = v.input_size() > 1 ? constant(v.input(1)) : nullptr;
      std::vector<int64_t> out;
      if (!shape || !reshape_target(shape->values, {steps_, batch_, 2, H}, int_attr(v, "allowzero", 0) != 0, out).empty() ||
          out != std::vector<int64_t>{steps_, batch_, 2 * H})
        refuse(i, "reshapes to another shape");
    }
    chain.insert(i);
    at = v.output(0);
  }
  if (at != x) fail(next, "X '" + x + "' is not the previous LSTM's Y brought to [T, batch, directions x hidden] (" + expected + ")");
  return chain;
}

LstmModel StackImporter::import_layer(size_t k, int direction, bool with_rest, const std::set<int>& skip) {
  const int node_index = lstm_[k];
  const int first = k == 0 ? 0 : lstm_[k - 1] + 1, last = with_rest ? graph_.node_size() - 1 : node_index;
  onnx::ModelProto sub = graph_part(model_, graph_.name() + "_layer" + std::to_string(k) + "_" + std::to_string(direction));
  onnx::GraphProto& g = *sub.mutable_graph();
  const onnx::NodeProto& lstm = graph_.node(node_index);
  if (k == 0) {
    *g.mutable_input() = graph_.input();
  } else {
    for (const auto& in : graph_.input())
      if (constant(in.name())) *g.add_input() = in;  // bound weights
    add_float_input(g, lstm.input(0), {steps_, batch_, levels_input_size_});
  }
  for (int i = first; i <= last; ++i) {
    if (skip.count(i)) continue;
    if (i != node_index) {
      *g.add_node() = graph_.node(i);
      continue;
    }
    // This direction's weights and states: a Gather of the directions axis (folded by the import).
    onnx::NodeProto layer = lstm;
    if (directions_[k] == 2) {
      onnx::NodeProto& index = *g.add_node();
      const std::string index_name = lstm.output(0) + "__direction_index";
      index.set_op_type("Constant");
      index.add_output(index_name);
      auto& value = *index.add_attribute();
      value.set_name("value");
      value.set_type(onnx::AttributeProto::TENSOR);
      value.mutable_t()->set_data_type(onnx::TensorProto::INT64);
      value.mutable_t()->add_dims(1);
      value.mutable_t()->add_int64_data(direction);
      for (const int slot : {1, 2, 3, 5, 6, 7}) {
        if (slot >= layer.input_size() || layer.input(slot).empty()) continue;
        onnx::NodeProto& gather = *g.add_node();
        gather.set_op_type("Gather");
        gather.add_input(layer.input(slot));
        gather.add_input(index_name);
        const std::string out = layer.input(slot) + "__direction" + std::to_string(direction);
        gather.add_output(out);
        layer.set_input(slot, out);
      }
    }
    layer.clear_attribute();
    for (const auto& a : lstm.attribute())
      if (a.name() != "direction") *layer.add_attribute() = a;
    *g.add_node() = layer;
  }
  if (!with_rest) {
    onnx::ValueInfoProto& y = *g.add_output();
    y.set_name(lstm.output(0));
  } else {
    *g.mutable_output() = graph_.output();
  }
  return import_onnx_lstm(sub, origin_, options_);
}

void StackImporter::import_bidirectional_head(LstmStackModel& s) {
  const int lstm = lstm_.back();
  const int64_t H = s.levels.back()[0].layer.hidden_size;
  // Y [T,2,B,H] -> Transpose [0,2,1,3] -> Reshape [T,B,2H] -> (Transpose [1,0,2]) -> Gather of the
  // last step -> [B, 2H].
  std::string at = graph_.node(lstm).output(0);
  std::vector<int64_t> dims = {steps_, 2, batch_, H};
  char time_axis = 0;
  std::set<int> chain;
  const auto refuse = [&](int index, const std::string& why) {
    fail(index, why + "; after a bidirectional LSTM dlvpc takes Transpose [0,2,1,3], Reshape to [T, batch, 2 x hidden], "
                      "optionally Transpose [1,0,2] (batch_first), then the last step (out[:, -1]) and a head");
  };
  for (;;) {
    const int i = only_reader(at, lstm);
    if (i < 0) fail(lstm, "a bidirectional LSTM's output without a head is not supported yet (dlvpc compiles a head on its last step)");
    const onnx::NodeProto& v = graph_.node(i);
    const std::string& op = v.op_type();
    if (op == "Transpose" && chain.empty()) {
      if (ints_attr(v, "perm") != std::vector<int64_t>{0, 2, 1, 3}) refuse(i, "transposes with another perm");
      dims = {steps_, batch_, 2, H};
    } else if (op == "Reshape" && dims.size() == 4) {
      const ConstTensor* shape = v.input_size() > 1 ? constant(v.input(1)) : nullptr;
      std::vector<int64_t> out;
      if (!shape || !reshape_target(shape->values, dims, int_attr(v, "allowzero", 0) != 0, out).empty() ||
          out != std::vector<int64_t>{steps_, batch_, 2 * H})
        refuse(i, "reshapes to another shape");
      dims = out;
    } else if (op == "Transpose" && dims.size() == 3 && time_axis == 0) {
      if (ints_attr(v, "perm") != std::vector<int64_t>{1, 0, 2}) refuse(i, "transposes with another perm");
      dims = {batch_, steps_, 2 * H}, time_axis = 1;
    } else if (op == "Gather" && dims.size() == 3) {
      const int64_t axis = int_attr(v, "axis", 0), t = time_axis == 1 ? 1 : 0;
      const ConstTensor* index = v.input_size() > 1 ? constant(v.input(1)) : nullptr;
      if ((axis != t && axis != t - 3) || !index || index->values.size() != 1 || !index->dims.empty() ||
          (index->values[0] != -1 && index->values[0] != static_cast<double>(steps_ - 1)))
        refuse(i, "reads another element than the last step");
      chain.insert(i);
      at = v.output(0);
      break;
    } else {
      refuse(i, "reads the LSTM's output as " + dims_text(dims));
    }
    chain.insert(i);
    at = v.output(0);
  }
  // The head: every later node except the folded constants only the views read.
  onnx::ModelProto head = graph_part(model_, graph_.name() + "_head");
  onnx::GraphProto& g = *head.mutable_graph();
  add_float_input(g, at, {batch_, 2 * H});
  std::set<std::string> chain_inputs;
  for (const int i : chain)
    for (const auto& name : graph_.node(i).input()) chain_inputs.insert(name);
  for (int i = lstm + 1; i < graph_.node_size(); ++i) {
    if (chain.count(i)) continue;
    const onnx::NodeProto& node = graph_.node(i);
    if (folded_.count(i) && node.output_size() == 1 && chain_inputs.count(node.output(0))) continue;
    *g.add_node() = node;
  }
  *g.mutable_output() = graph_.output();
  s.head = import_onnx(head, origin_, options_);
  s.has_head = true;
}

LstmStackModel StackImporter::run() {
  check_versions(model_, origin_);
  constants_ = decode_initializers(graph_, origin_);
  for (const auto& [name, tensor] : options_.bindings) constants_[name] = tensor;
  for (int i = 0; i < graph_.node_size(); ++i) {
    const onnx::NodeProto& node = graph_.node(i);
    if (node.op_type() != "LSTM") continue;
    const std::string direction = direction_of(node);
    if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
      fail(i, "direction '" + direction + "' (ONNX defines forward, reverse and bidirectional)");
    lstm_.push_back(i);
    directions_.push_back(direction == "bidirectional" ? 2 : 1);
  }
  if (lstm_.empty()) fail("the graph has no LSTM node");
  if (lstm_.size() > kMaxLstmStackLevels)
    fail(lstm_.back(), "the " + std::to_string(lstm_.size()) + "th LSTM node; dlvpc stacks at most " +
                           std::to_string(kMaxLstmStackLevels) + " (each layer is imported on a graph of its own)");
  fold_constants();
  LstmStackModel s;
  s.origin = origin_;
  for (size_t k = 0; k < lstm_.size(); ++k) {
    const bool last = k + 1 == lstm_.size();
    const std::set<int> skip = k == 0 ? std::set<int>{} : between(k);
    const bool with_rest = last && directions_[k] == 1;  // the one-layer import reads its head or outputs
    std::vector<LstmModel> level;
    for (int d = 0; d < directions_[k]; ++d) level.push_back(import_layer(k, d, with_rest, skip));
    const std::string direction = direction_of(graph_.node(lstm_[k]));
    s.reverse.push_back(directions_[k] == 2 ? std::vector<bool>{false, true} : std::vector<bool>{direction == "reverse"});
    if (k == 0) {
      steps_ = level[0].seq_length, batch_ = level[0].batch;
    } else if (level[0].seq_length != steps_ || level[0].batch != batch_ || level[0].input_layout != 0) {
      fail(lstm_[k], "reads another sequence shape than the previous LSTM's output");
    }
    if (with_rest && level[0].has_head) {
      s.has_head = true;
      s.head_every_step = level[0].head_every_step, s.steps_first = level[0].steps_first;
      s.head = std::move(level[0].head);
      level[0].has_head = false;
    }
    levels_input_size_ = static_cast<int64_t>(level.size()) * level[0].layer.output_size();
    s.levels.push_back(std::move(level));
  }
  if (directions_.back() == 2) import_bidirectional_head(s);
  return s;
}

}  // namespace

bool needs_lstm_stack(const onnx::ModelProto& model) {
  int lstms = 0;
  for (const auto& node : model.graph().node())
    if (node.op_type() == "LSTM") {
      if (direction_of(node) != "forward") return true;
      ++lstms;
    }
  return lstms > 1;
}

LstmStackModel import_onnx_lstm_stack(const onnx::ModelProto& model, const std::string& origin, const ImportOptions& options) {
  return StackImporter(model, origin, options).run();
}

LstmStackModel import_onnx_lstm_stack_file(const std::string& path, const ImportOptions& options) {
  return import_onnx_lstm_stack(read_onnx_model(path), path, options);
}

}  // namespace dlvp::dlvpc
