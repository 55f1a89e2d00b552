// ONNX LSTM import (tools/dlvpc/lstm_import.h) and ONNX's own LSTM node tests (Debian's
// libonnx-testdata): the float LSTM matches ONNX's expected outputs to 1e-5, the fixed-point
// reference (12-bit weights, 16-bit activations, LUTs; dense and sparse) within its derived error
// bound (docs/lstm.md, "Tolerance"); what the importer refuses, it refuses naming the node and why;
// a classifier head after Y_h is imported by import_onnx.
#include "tests/reference/lstm_reference.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/lstm_compress.h"
#include "tools/dlvpc/lstm_import.h"
#include "tests/unit/lstm/onnx_node_test.h"

#include <onnx/onnx_pb.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#ifndef ONNX_NODE_TESTS_DIR
#define ONNX_NODE_TESTS_DIR "/usr/share/libonnx-testdata/data/node"
#endif

namespace dlvp::dlvpc {
namespace {

namespace fs = std::filesystem;
using lstm_ref::FixedRun;
using lstm_ref::FixedState;
using lstm_ref::FloatRun;

const std::vector<double>& output_of(const lstm_ref::OnnxLstmOutputs& o, LstmOutput what) {
  return what == LstmOutput::kY ? o.y : what == LstmOutput::kYh ? o.y_h : o.y_c;
}

// The fixed-point LSTM on a node test, laid out like ONNX's outputs, with the error bound of each
// element against the float LSTM.
struct FixedOutputs {
  lstm_ref::OnnxLstmOutputs value, bound;
  uint64_t saturations = 0;
};

FixedOutputs run_fixed_onnx(const LstmModel& m, const lstm_ref::FixedLstm& q, const lstm_ref::SparseLstm* sparse,
                            const std::vector<double>& x) {
  const uint32_t T = m.seq_length, B = m.batch, H = m.layer.hidden_size;
  FixedOutputs out;
  for (auto* o : {&out.value, &out.bound}) {
    o->y.resize(uint64_t{T} * B * H);
    o->y_h.resize(uint64_t{B} * H);
    o->y_c.resize(uint64_t{B} * H);
  }
  for (uint32_t b = 0; b < B; ++b) {
    const std::vector<double> seq = m.sequence(x, b), h0 = m.initial_h_of(b), c0 = m.initial_c_of(b);
    FixedState init{lstm_ref::quantize16(h0.empty() ? std::vector<double>(H, 0.0) : h0, q.recurrent_frac()),
                    lstm_ref::quantize16(c0.empty() ? std::vector<double>(H, 0.0) : c0, q.c_frac)};
    const FixedRun r = lstm_ref::run_fixed(q, sparse, lstm_ref::quantize16(seq, q.x_frac), &init);
    const FloatRun f = lstm_ref::run_float(m.layer, seq, h0, c0);
    const lstm_ref::ErrorBound e = lstm_ref::output_error_bound(m.layer, q, seq, f, h0, c0);
    out.saturations += r.saturations;
    for (uint32_t t = 0; t < T; ++t)
      for (uint32_t k = 0; k < H; ++k) {
        const uint64_t at = (m.layout == 0 ? uint64_t{t} * B + b : uint64_t{b} * T + t) * H + k;
        out.value.y[at] = lstm_ref::dequantize(r.y[uint64_t{t} * H + k], q.output_frac());
        out.bound.y[at] = e.y[uint64_t{t} * H + k];
      }
    for (uint32_t k = 0; k < H; ++k) {
      out.value.y_h[uint64_t{b} * H + k] = lstm_ref::dequantize(r.last.recurrent[k], q.output_frac());
      out.bound.y_h[uint64_t{b} * H + k] = e.y[uint64_t{T - 1} * H + k];
      out.value.y_c[uint64_t{b} * H + k] = lstm_ref::dequantize(r.last.c[k], q.c_frac);
      out.bound.y_c[uint64_t{b} * H + k] = e.c[k];
    }
  }
  return out;
}

class OnnxLstmNodeTest : public testing::TestWithParam<const char*> {};

TEST_P(OnnxLstmNodeTest, FloatAndFixedMatchOnnx) {
  const NodeTest t = load_node_test(GetParam());
  const LstmModel m = import_onnx_lstm(t.model, GetParam(), t.bindings);
  const std::vector<double>& x = t.inputs.at(0).values;
  ASSERT_EQ(m.outputs.size(), t.outputs.size());

  // Float: ONNX's definition, to 1e-5.
  const lstm_ref::OnnxLstmOutputs f = lstm_ref::run_float_onnx(m.layer, x, m.seq_length, m.batch, m.layout, m.initial_h, m.initial_c);
  for (size_t k = 0; k < m.outputs.size(); ++k)
    EXPECT_LE(max_abs_diff(output_of(f, m.outputs[k].what), t.outputs[k].values), 1e-5) << to_string(m.outputs[k].what);

  // Fixed point, calibrated on the test's own sequences (as the conformance suite does).
  LstmRanges ranges;
  for (uint32_t b = 0; b < m.batch; ++b) {
    const std::vector<double> seq = m.sequence(x, b);
    ranges.add(seq, lstm_ref::run_float(m.layer, seq, m.initial_h_of(b), m.initial_c_of(b)), m.initial_h_of(b),
               m.initial_c_of(b), false);
  }
  const lstm_ref::FixedLstm q = quantize_lstm(m.layer, ranges);
  const lstm_ref::SparseLstm sparse = encode_lstm(q, 4);
  const FixedOutputs dense = run_fixed_onnx(m, q, nullptr, x);
  const FixedOutputs sparse_out = run_fixed_onnx(m, q, &sparse, x);
  EXPECT_EQ(dense.saturations, 0u);
  for (size_t k = 0; k < m.outputs.size(); ++k) {
    const LstmOutput what = m.outputs[k].what;
    const std::vector<double>& expected = t.outputs[k].values;
    const std::vector<double>& got = output_of(dense.value, what);
    const std::vector<double>& bound = output_of(dense.bound, what);
    EXPECT_EQ(got, output_of(sparse_out.value, what)) << "sparse and dense differ";
    double worst = 0, worst_bound = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      // |fixed - ONNX| <= |fixed - float| + |float - ONNX| <= bound + 1e-5
      EXPECT_LE(std::fabs(got[i] - expected[i]), bound[i] + 1e-5) << to_string(what) << "[" << i << "]";
      worst = std::max(worst, std::fabs(got[i] - expected[i]));
      worst_bound = std::max(worst_bound, bound[i]);
    }
    std::printf("%s %s: max |float - ONNX| = %.2e, max |fixed - ONNX| = %.2e, tolerance (bound + 1e-5) up to %.2e; "
                "Q: x %d, h %d, c %d, W %d, R %d, gates %d\n",
                GetParam(), to_string(what), max_abs_diff(output_of(f, what), expected), worst, worst_bound + 1e-5,
                q.x_frac, q.h_frac, q.c_frac, q.w.frac, q.r.frac, q.gate_frac);
  }
}

INSTANTIATE_TEST_SUITE_P(Debian, OnnxLstmNodeTest,
                         testing::Values("test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_batchwise",
                                         "test_lstm_with_peepholes"));

// ---------------------------------------------------------------------------------------------
// Graphs built in code.

void add_initializer(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims,
                     const std::vector<float>& values, int type = onnx::TensorProto::FLOAT) {
  onnx::TensorProto& t = *g.add_initializer();
  t.set_name(name);
  t.set_data_type(type);
  for (const int64_t d : dims) t.add_dims(d);
  for (const float v : values) {
    if (type == onnx::TensorProto::FLOAT) t.add_float_data(v);
    else t.add_int64_data(static_cast<int64_t>(v));
  }
}

void add_value_info(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
                    const std::vector<int64_t>& dims) {
  onnx::ValueInfoProto& v = *list->Add();
  v.set_name(name);
  auto& type = *v.mutable_type()->mutable_tensor_type();
  type.set_elem_type(onnx::TensorProto::FLOAT);
  for (const int64_t d : dims) type.mutable_shape()->add_dim()->set_dim_value(d);
}

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

constexpr int64_t kT = 3, kI = 3, kH = 4;

// X [T, batch, I] -> LSTM 'lstm' (hidden 4) -> Y_h, as the graph's output; `edit` changes it.
onnx::ModelProto lstm_graph(int64_t batch = 1, const std::function<void(onnx::GraphProto&, onnx::NodeProto&)>& edit = {}) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(14);
  onnx::GraphProto& g = *m.mutable_graph();
  add_value_info(g.mutable_input(), "X", {kT, batch, kI});
  add_initializer(g, "W", {1, 4 * kH, kI}, random_values(4 * kH * kI, 1));
  add_initializer(g, "R", {1, 4 * kH, kH}, random_values(4 * kH * kH, 2));
  onnx::NodeProto& n = *g.add_node();
  n.set_name("lstm");
  n.set_op_type("LSTM");
  for (const char* in : {"X", "W", "R"}) n.add_input(in);
  n.add_output("Y");
  n.add_output("Y_h");
  auto* hidden = n.add_attribute();
  hidden->set_name("hidden_size");
  hidden->set_type(onnx::AttributeProto::INT);
  hidden->set_i(kH);
  add_value_info(g.mutable_output(), "Y_h", {1, batch, kH});
  if (edit) edit(g, *g.mutable_node(0));
  return m;
}

onnx::AttributeProto* attribute(onnx::NodeProto& n, const std::string& name) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  return a;
}

void expect_refused(const onnx::ModelProto& m, const std::string& reason, const ImportOptions& options = {}) {
  try {
    import_onnx_lstm(m, "model.onnx", options);
    ADD_FAILURE() << "accepted; expected: " << reason;
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("model.onnx: ", 0), 0u) << e.what();
  }
}

TEST(LstmImport, AcceptsTheSupportedForms) {
  const LstmModel plain = import_onnx_lstm(lstm_graph(2), "m");
  EXPECT_EQ(plain.node, "lstm");
  EXPECT_EQ(plain.seq_length, kT);
  EXPECT_EQ(plain.batch, 2u);
  EXPECT_EQ(plain.layer.hidden_size, kH);
  ASSERT_EQ(plain.outputs.size(), 1u);
  EXPECT_EQ(plain.outputs[0].what, LstmOutput::kYh);
  EXPECT_FALSE(plain.has_head);
  // Stated defaults, direction forward, full-length sequence_lens, input_forget 0, layout 0.
  const LstmModel stated = import_onnx_lstm(lstm_graph(1, [](onnx::GraphProto& g, onnx::NodeProto& n) {
    auto* act = attribute(n, "activations");
    for (const char* s : {"Sigmoid", "Tanh", "Tanh"}) act->add_strings(s);
    attribute(n, "direction")->set_s("forward");
    attribute(n, "input_forget")->set_i(0);
    attribute(n, "layout")->set_i(0);
    add_initializer(g, "lens", {1}, {kT}, onnx::TensorProto::INT64);
    n.add_input("");  // B
    n.add_input("lens");
  }), "m");
  EXPECT_EQ(stated.layer.w, plain.layer.w);
}

TEST(LstmImport, RefusesWhatTheEngineCannotRun) {
  const auto with = [](const std::function<void(onnx::GraphProto&, onnx::NodeProto&)>& edit) { return lstm_graph(1, edit); };
  const std::string node = "node 'lstm' (LSTM): ";
  expect_refused(with([](auto&, auto& n) { attribute(n, "direction")->set_s("bidirectional"); }),
                 node + "direction 'bidirectional' is not supported");
  expect_refused(with([](auto&, auto& n) { attribute(n, "direction")->set_s("reverse"); }), node + "direction 'reverse'");
  expect_refused(with([](auto&, auto& n) {
                   auto* a = attribute(n, "activations");
                   for (const char* s : {"Relu", "Tanh", "Tanh"}) a->add_strings(s);
                 }),
                 node + "activations other than Sigmoid, Tanh, Tanh");
  expect_refused(with([](auto&, auto& n) { attribute(n, "activation_alpha")->add_floats(1.f); }), node + "attribute 'activation_alpha'");
  expect_refused(with([](auto&, auto& n) { attribute(n, "clip")->set_f(3.f); }), node + "clip is not supported");
  expect_refused(with([](auto&, auto& n) { attribute(n, "input_forget")->set_i(1); }), node + "input_forget = 1");
  expect_refused(with([](auto&, auto& n) { attribute(n, "layout")->set_i(2); }), node + "layout 2");
  expect_refused(with([](auto&, auto& n) { attribute(n, "unknown")->set_i(2); }), node + "attribute 'unknown' is not supported");
  expect_refused(with([](auto& g, auto& n) {
                   add_initializer(g, "lens", {1}, {2}, onnx::TensorProto::INT64);
                   n.add_input("");
                   n.add_input("lens");
                 }),
                 node + "sequence_lens holds 2; only full-length sequences (3)");
  expect_refused(with([](auto& g, auto&) {
                   g.mutable_initializer()->RemoveLast();  // R becomes a graph input
                   add_value_info(g.mutable_input(), "R", {1, 4 * kH, kH});
                 }),
                 "'X' and 'R' are both data inputs");
  expect_refused(with([](auto& g, auto&) { g.mutable_initializer()->RemoveLast(); }), node + "R 'R' is not a constant");
  expect_refused(with([](auto& g, auto&) {
                   onnx::NodeProto relu;
                   relu.set_op_type("Relu");
                   relu.add_input("X");
                   relu.add_output("X2");
                   g.mutable_node()->Add(std::move(relu));
                   g.mutable_node()->SwapElements(0, 1);
                   g.mutable_node(1)->set_input(0, "X2");
                 }),
                 "node 'Relu#0' (Relu): comes before the LSTM");
  expect_refused(with([](auto& g, auto& n) {
                   onnx::NodeProto second = n;
                   second.set_name("lstm2");
                   second.set_input(0, "Y");
                   second.set_output(0, "Y2");
                   second.set_output(1, "Y_h2");
                   *g.add_node() = second;
                 }),
                 "node 'lstm2' (LSTM): a second LSTM");
  // A head on every step reads Y's rows as [steps, batch, hidden] or [batch, steps, hidden]
  // (tests/unit/dlvpc/test_step_head.cpp); hidden moved off the last axis is refused.
  expect_refused(with([](auto& g, auto&) {
                   add_initializer(g, "G", {kH, 2}, random_values(kH * 2, 3));
                   onnx::NodeProto& t = *g.add_node();
                   t.set_name("swap");
                   t.set_op_type("Transpose");
                   t.add_input("Y");
                   t.add_output("Y_swapped");
                   onnx::AttributeProto& perm = *t.add_attribute();
                   perm.set_name("perm"), perm.set_type(onnx::AttributeProto::INTS);
                   for (const int64_t p : {0, 1, 3, 2}) perm.add_ints(p);
                   onnx::NodeProto& mm = *g.add_node();
                   mm.set_name("head");
                   mm.set_op_type("MatMul");
                   mm.add_input("Y_swapped");
                   mm.add_input("G");
                   mm.add_output("logits");
                   g.mutable_output(0)->set_name("logits");
                 }),
                 "node 'head' (MatMul): the head on every step reads the LSTM's Y as [3,1,4,1] (axes TDHB); it takes "
                 "[batch, steps, hidden] or [steps, batch, hidden]");
  // A head on [1, batch, hidden] with batch 2 would mix the sequences.
  expect_refused(lstm_graph(2, [](auto& g, auto&) {
                   add_initializer(g, "G", {kH, 2}, random_values(kH * 2, 3));
                   onnx::NodeProto& mm = *g.add_node();
                   mm.set_name("head");
                   mm.set_op_type("MatMul");
                   mm.add_input("Y_h");
                   mm.add_input("G");
                   mm.add_output("logits");
                   g.mutable_output(0)->set_name("logits");
                 }),
                 "node 'head' (MatMul): the head reads the LSTM's output as [1,2,4]; bring it to [batch, hidden]");
}

// LSTM -> Y_h -> Squeeze(axes 0) -> Gemm(+bias) -> Softmax: the head is import_onnx's graph on
// [batch, hidden].
TEST(LstmImport, ClassifierHeadAfterYh) {
  const int64_t batch = 2, classes = 5;
  const std::vector<float> gw = random_values(kH * classes, 7), gb = random_values(classes, 8);
  const onnx::ModelProto model = lstm_graph(batch, [&](onnx::GraphProto& g, onnx::NodeProto&) {
    add_initializer(g, "axes", {1}, {0}, onnx::TensorProto::INT64);
    add_initializer(g, "GW", {kH, classes}, gw);
    add_initializer(g, "GB", {classes}, gb);
    onnx::NodeProto& sq = *g.add_node();
    sq.set_op_type("Squeeze");
    sq.add_input("Y_h");
    sq.add_input("axes");
    sq.add_output("h_last");
    onnx::NodeProto& gemm = *g.add_node();
    gemm.set_name("classifier");
    gemm.set_op_type("Gemm");
    for (const char* in : {"h_last", "GW", "GB"}) gemm.add_input(in);
    gemm.add_output("logits");
    onnx::NodeProto& sm = *g.add_node();
    sm.set_op_type("Softmax");
    sm.add_input("logits");
    sm.add_output("probabilities");
    g.mutable_output(0)->set_name("probabilities");
  });
  const LstmModel m = import_onnx_lstm(model, "m");
  ASSERT_TRUE(m.has_head);
  EXPECT_TRUE(m.outputs.empty());
  ASSERT_EQ(m.head.ops.size(), 1u);
  EXPECT_EQ(m.head.ops[0].kind, OpKind::kFc);
  EXPECT_EQ(m.head.ops[0].input.c * m.head.ops[0].input.h * m.head.ops[0].input.w, uint32_t{kH});
  EXPECT_EQ(m.head.ops[0].output.c, uint32_t{classes});
  EXPECT_EQ(m.head.batch, uint32_t{batch});
  EXPECT_TRUE(m.head.softmax_on_cpu);
  // The head on the LSTM's last hidden state is the Gemm.
  std::mt19937 rng(9);
  std::vector<double> x(kT * batch * kI);
  for (double& v : x) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  for (uint32_t b = 0; b < batch; ++b) {
    const FloatRun run = lstm_ref::run_float(m.layer, m.sequence(x, b));
    const std::vector<float> h(run.y.end() - kH, run.y.end());
    const std::vector<float> logits = run_float(m.head, h).back();
    for (int64_t c = 0; c < classes; ++c) {
      double expect = gb[c];
      for (int64_t k = 0; k < kH; ++k) expect += h[k] * gw[k * classes + c];
      EXPECT_NEAR(logits[c], expect, 1e-5);
    }
  }
}

TEST(LstmImport, FileErrorsNameTheFile) {
  try {
    import_onnx_lstm_file("/nonexistent/model.onnx");
    ADD_FAILURE();
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.onnx: cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace dlvp::dlvpc
