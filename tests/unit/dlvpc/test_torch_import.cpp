// What torch.onnx.export emits, imported by dlvpc (docs/dlvpc.md, "Forms torch emits"): the
// committed torch 1.13 exports of tests/data/torch_forms (tools/onnx_zoo/export_torch_forms.py)
// fold their constant subgraphs, fold Pad and ceil_mode into padding, split large pooling windows
// exactly, and list every refused node in one error; hand-made graphs check each refusal and the
// constant folder's bounds. The same files run on the SoC in the conformance suite's tests.
#include "tests/support/onnx_test_models.h"
#include "tools/dlvpc/constant_fold.h"
#include "tools/dlvpc/float_graph.h"
#include "tools/dlvpc/lstm_import.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace dlvp;
using namespace dlvp::dlvpc;

const std::string kForms = std::string(DLVP_SOURCE_DIR) + "/tests/data/torch_forms/";

FloatGraph import_form(const std::string& name) { return import_onnx_file(kForms + name + "/model.onnx"); }

// ONNX's output length of a pooling window with ceil_mode = 1.
uint32_t ceil_length(uint32_t in, uint32_t pad_before, uint32_t pad_after, uint32_t window, uint32_t stride) {
  return (in + pad_before + pad_after - window + stride - 1) / stride + 1;
}

std::vector<const FloatOp*> ops_of(const FloatGraph& g, OpKind kind) {
  std::vector<const FloatOp*> out;
  for (const FloatOp& op : g.ops)
    if (op.kind == kind) out.push_back(&op);
  return out;
}

TEST(TorchForms, ConstantsFoldAndCeilModeBecomesEndPadding) {
  const FloatGraph g = import_form("cnn_pool_forms");
  ASSERT_EQ(g.ops.size(), 6u) << "Conv, MaxPool, Conv, AveragePool (after an all-zero Pad), AveragePool, Gemm";
  const std::vector<const FloatOp*> pools = ops_of(g, OpKind::kPool);
  ASSERT_EQ(pools.size(), 3u);
  // MaxPool(2, 2, ceil_mode) over 11x11: the partial window is end padding.
  const FloatOp& max = *pools[0];
  EXPECT_FALSE(max.average);
  const uint32_t max_out = ceil_length(11, 0, 0, 2, 2);
  EXPECT_EQ(max.output.h, max_out);
  EXPECT_EQ(max.pad_bottom, (max_out - 1) * 2 + 2 - 11);
  EXPECT_EQ(max.pad_right, max.pad_bottom);
  // AvgPool2d(2) is Pad (zeros everywhere: nothing) + AveragePool.
  EXPECT_TRUE(pools[1]->average);
  EXPECT_EQ(pools[1]->pad_bottom + pools[1]->pad_top, 0u);
  // AvgPool2d(3, 2, padding 1, ceil_mode, count_include_pad=False) over 2x2.
  const FloatOp& avg = *pools[2];
  const uint32_t avg_out = ceil_length(2, 1, 1, 3, 2);
  EXPECT_EQ(avg.output.h, avg_out);
  EXPECT_EQ(avg.pad_top, 1u);
  EXPECT_EQ(avg.pad_bottom, (avg_out - 1) * 2 + 3 - 2 - 1);
  // reshape(x.shape[0], -1): Shape/Gather/Unsqueeze/Concat folded into the target.
  EXPECT_EQ(g.ops.back().kind, OpKind::kFc);
  EXPECT_EQ(g.ops.back().input.elements(), avg.output.elements());
}

TEST(TorchForms, PadFoldsIntoTheNextConvAndMaxPool) {
  const FloatGraph g = import_form("cnn_pad_forms");
  EXPECT_EQ(g.batch, 2u);
  EXPECT_TRUE(g.softmax_on_cpu);
  ASSERT_EQ(g.ops.size(), 4u);
  const FloatOp& conv1 = g.ops[0];  // F.pad(x, (1, 1, 1, 1)) -> Conv(3, no padding)
  EXPECT_EQ(conv1.onnx_ops, "Pad+Conv+Relu");
  EXPECT_EQ(conv1.input.h, 8u);
  EXPECT_EQ(conv1.pad_top + conv1.pad_left + conv1.pad_bottom + conv1.pad_right, 4u);
  EXPECT_EQ(conv1.output.h, 8u);
  const FloatOp& pool = g.ops[1];  // F.pad(relu, (0, 1, 0, 1)) -> MaxPool(2): zeros never win after a ReLU
  EXPECT_EQ(pool.onnx_ops, "Pad+MaxPool");
  EXPECT_EQ(pool.pad_top + pool.pad_left, 0u);
  EXPECT_EQ(pool.pad_bottom, 1u);
  EXPECT_EQ(pool.pad_right, 1u);
  const FloatOp& conv2 = g.ops[2];  // F.pad(x, (0, 0, 1, 1)) -> Conv(3, padding (0, 1))
  EXPECT_EQ(conv2.pad_top, 1u);
  EXPECT_EQ(conv2.pad_bottom, 1u);
  EXPECT_EQ(conv2.pad_left, 1u);
  EXPECT_EQ(conv2.pad_right, 1u);
}

TEST(TorchForms, GlobalPoolingBeyondTheWindowSplitsExactly) {
  const FloatGraph g = import_form("cnn_global_forms");
  const std::vector<const FloatOp*> pools = ops_of(g, OpKind::kPool);
  ASSERT_EQ(pools.size(), 4u);
  // Average over 20x20: windows of 10 (the largest size <= 15 dividing 20), then 2x2.
  EXPECT_TRUE(pools[0]->average);
  EXPECT_EQ(pools[0]->pool_size, 10u);
  EXPECT_EQ(pools[0]->pool_stride, 10u);
  EXPECT_EQ(pools[1]->pool_size, 2u);
  // Maximum over 20x10 (adaptive max pool: a MaxPool over the whole map): 10, then 2x1 padded to 2x2.
  EXPECT_FALSE(pools[2]->average);
  EXPECT_EQ(pools[2]->input.h, 20u);
  EXPECT_EQ(pools[2]->input.w, 10u);
  EXPECT_EQ(pools[2]->pool_size, 10u);
  EXPECT_EQ(pools[3]->pool_size, 2u);
  EXPECT_EQ(pools[3]->pad_right, 1u);
  EXPECT_EQ(pools[3]->output.h * pools[3]->output.w, 1u);

  // The stages compute the mean and the maximum of each channel.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  std::vector<float> input(g.input.elements());
  for (float& v : input) v = d(rng);
  const std::vector<std::vector<float>> out = run_float(g, input);
  const auto index = [&](const FloatOp* op) { return static_cast<size_t>(op - g.ops.data()); };
  for (const auto& [first, last] : {std::pair{pools[0], pools[1]}, std::pair{pools[2], pools[3]}}) {
    const std::vector<float>& map = out[static_cast<size_t>(first->inputs[0])];
    const size_t per_channel = first->input.h * first->input.w;
    for (uint32_t c = 0; c < first->input.c; ++c) {
      const auto begin = map.begin() + c * per_channel, end = begin + per_channel;
      double sum = 0;
      for (auto it = begin; it != end; ++it) sum += *it;
      const double want = first->average ? sum / per_channel : *std::max_element(begin, end);
      EXPECT_NEAR(out[index(last)][c], want, 1e-6) << first->name << " channel " << c;
    }
  }
}

TEST(TorchForms, EveryUnsupportedNodeIsListedInOneError) {
  const std::string e = test::error_of([] { import_form("refuse_two_nodes"); });
  EXPECT_NE(e.find("refuse_two_nodes/model.onnx: 2 nodes are not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("node '/Softplus' (Softplus): operator not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("node '/Abs' (Abs): operator not supported"), std::string::npos) << e;  // Softsign's
  EXPECT_EQ(e.find("(Div)"), std::string::npos) << "Softsign's Div runs on the CPU: " << e;
  // refuse_three_nodes: of its three, the count_include_pad average (Pad+AveragePool) maps to a
  // depthwise box filter and the Sub of computed tensors runs on the CPU; the Softplus is left.
  const std::string three = test::error_of([] { import_form("refuse_three_nodes"); });
  EXPECT_NE(three.find("node '/Softplus' (Softplus): operator not supported"), std::string::npos) << three;
  EXPECT_EQ(three.find("(AveragePool)"), std::string::npos) << three;
  EXPECT_EQ(three.find("node '/Sub'"), std::string::npos) << three;
  EXPECT_EQ(three.find("(Constant)"), std::string::npos) << "the Pad's Constant is folded, not blamed: " << three;
}

TEST(TorchForms, LstmFormsImportWithTheirLayoutStatesAndHead) {
  struct Case {
    const char* name;
    uint32_t batch;
    int input_layout;
    bool zero_states;
    bool softmax;
  };
  for (const Case& c : {Case{"lstm_batch_first", 2, 1, false, false}, Case{"lstm_batch_first_zero_states", 2, 1, true, true},
                        Case{"lstm_seq_first", 2, 0, false, false}, Case{"lstm_seq_first_zero_states", 1, 0, true, false},
                        Case{"lstm_h_n", 1, 1, false, false}}) {
    SCOPED_TRACE(c.name);
    const LstmModel m = import_onnx_lstm_file(kForms + c.name + "/model.onnx");
    EXPECT_EQ(m.batch, c.batch);
    EXPECT_EQ(m.layout, 0) << "torch keeps layout 0 and transposes a batch_first input";
    EXPECT_EQ(m.input_layout, c.input_layout);
    EXPECT_EQ(m.layer.hidden_size, 8u);
    EXPECT_EQ(m.layer.input_size, 4u);
    // torch emits zero states (Expand of a Constant) with and without explicit ones.
    EXPECT_EQ(m.initial_h.size(), uint64_t{c.batch} * 8);
    EXPECT_TRUE(std::all_of(m.initial_h.begin(), m.initial_h.end(), [](double v) { return v == 0; }));
    EXPECT_TRUE(std::all_of(m.initial_c.begin(), m.initial_c.end(), [](double v) { return v == 0; }));
    ASSERT_TRUE(m.has_head);
    ASSERT_EQ(m.head.ops.size(), 1u);
    EXPECT_EQ(m.head.ops[0].kind, OpKind::kFc);
    EXPECT_EQ(m.head.ops[0].output.c, 3u);
    EXPECT_EQ(m.head.softmax_on_cpu, c.softmax);
  }
}

TEST(TorchForms, StackedBidirectionalAndGruAreRefusedByName) {
  const auto lstm_error = [](const std::string& name) {
    return test::error_of([&] { import_onnx_lstm_file(kForms + name + "/model.onnx"); });
  };
  const std::string stacked = lstm_error("refuse_lstm_stacked");
  EXPECT_NE(stacked.find("(LSTM): a second LSTM: stacked LSTMs are not supported"), std::string::npos) << stacked;
  const std::string bidirectional = lstm_error("refuse_lstm_bidirectional");
  EXPECT_NE(bidirectional.find("(LSTM): direction 'bidirectional' is not supported"), std::string::npos) << bidirectional;
  const std::string gru = test::error_of([] { import_form("gru_batch_first"); });  // the CNN import; dlvpc takes the GRU path
  EXPECT_NE(gru.find("node '/lstm/GRU' (GRU): operator not supported by dlvpc"), std::string::npos) << gru;
}

// ---- hand-made graphs ---------------------------------------------------------------------

onnx::NodeProto& add_node(onnx::GraphProto& g, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output) {
  onnx::NodeProto& n = *g.add_node();
  n.set_name(output);
  n.set_op_type(op);
  for (const std::string& in : inputs) n.add_input(in);
  n.add_output(output);
  return n;
}

void set_ints(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (const int64_t v : values) a.add_ints(v);
}

void set_int(onnx::NodeProto& n, const std::string& name, int64_t value) {
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(value);
}

void add_int64s(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& values) {
  onnx::TensorProto& t = *g.add_initializer();
  t.set_name(name);
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(static_cast<int64_t>(values.size()));
  for (const int64_t v : values) t.add_int64_data(v);
}

// image [1, 2, size, size] -> Conv 3x3 (pad 1), optionally ReLU -> `tail` -> output.
onnx::ModelProto pool_graph(int64_t size, bool relu, const std::function<std::string(onnx::GraphProto&, std::string)>& tail) {
  onnx::ModelProto m = test::new_model();
  test::GraphBuilder b(*m.mutable_graph(), 3);
  std::string x = b.conv(b.input("image", {1, 2, size, size}), 3, 3, 1, 1);
  if (relu) x = b.relu(x);
  x = tail(*m.mutable_graph(), x);
  onnx::ValueInfoProto& out = *m.mutable_graph()->add_output();
  out.set_name(x);
  out.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return m;
}

std::string pool_node(onnx::GraphProto& g, const std::string& x, const std::string& op, int64_t kernel, int64_t stride,
                      const std::vector<int64_t>& pads = {}) {
  onnx::NodeProto& n = add_node(g, op, {x}, "pool");
  set_ints(n, "kernel_shape", {kernel, kernel});
  set_ints(n, "strides", {stride, stride});
  if (!pads.empty()) set_ints(n, "pads", pads);
  return "pool";
}

std::string zero_pad(onnx::GraphProto& g, const std::string& x, const std::string& mode = "constant") {
  add_int64s(g, "pads", {0, 0, 1, 1, 0, 0, 1, 1});
  onnx::NodeProto& n = add_node(g, "Pad", {x, "pads"}, "padded");
  onnx::AttributeProto& a = *n.add_attribute();
  a.set_name("mode");
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(mode);
  return "padded";
}

TEST(PoolImport, RefusalsNameTheNodeAndTheReason) {
  const auto expect = [](const onnx::ModelProto& m, const std::string& reason) {
    const std::string e = test::import_error(m);
    EXPECT_NE(e.find(reason), std::string::npos) << e;
  };
  expect(pool_graph(8, false, [](auto& g, auto x) { return pool_node(g, zero_pad(g, x), "MaxPool", 2, 2); }),
         "node 'pool' (MaxPool): takes the maximum over the zeros of Pad 'padded', which win where the input is negative");
  expect(pool_graph(8, true, [](auto& g, auto x) { return pool_node(g, zero_pad(g, x, "reflect"), "MaxPool", 2, 2); }),
         "node 'padded' (Pad): mode 'reflect': only zero padding folds");
  expect(pool_graph(8, true, [](auto& g, auto x) {
           pool_node(g, x, "AveragePool", 3, 2, {1, 1, 1, 1});
           set_int(*g.mutable_node(g.node_size() - 1), "count_include_pad", 1);
           set_int(*g.mutable_node(g.node_size() - 1), "ceil_mode", 1);
           return std::string("pool");
         }),
         "node 'pool' (AveragePool): ceil_mode = 1 with count_include_pad = 1: the partial windows at the end");
  expect(pool_graph(17, true, [](auto& g, auto x) { return add_node(g, "GlobalAveragePool", {x}, "gap").output(0); }),
         "node 'gap' (GlobalAveragePool): global average pooling over 17x17: the engine's POOL windows are at most 15x15 "
         "and no size 2..15 divides both sides");
  expect(pool_graph(32, true, [](auto& g, auto x) { return pool_node(g, x, "AveragePool", 16, 8); }),
         "node 'pool' (AveragePool): window 16 stride 8: the engine's POOL takes windows and strides up to 15");
  // kernel 1, stride 2 over 4 with an end pad of 1 and ceil_mode: the third window starts at 4, in the padding.
  expect(pool_graph(4, true, [](auto& g, auto x) {
           pool_node(g, x, "MaxPool", 1, 2, {0, 0, 1, 1});
           set_int(*g.mutable_node(g.node_size() - 1), "ceil_mode", 1);
           return std::string("pool");
         }),
         "node 'pool' (MaxPool): ceil_mode = 1 makes a last window along the height that holds only padding");
  // A folded Pad wider than the window allows; a Pad read by something else than a Conv or pooling.
  expect(pool_graph(8, true, [](auto& g, auto x) {
           add_int64s(g, "wide", {0, 0, 3, 0, 0, 0, 0, 0});
           add_node(g, "Pad", {x, "wide"}, "padded");
           return pool_node(g, "padded", "MaxPool", 2, 2);
         }),
         "node 'pool' (MaxPool): padding 3 is not less than the window 2");
  expect(pool_graph(8, true, [](auto& g, auto x) { return add_node(g, "Relu", {zero_pad(g, x)}, "r").output(0); }),
         "node 'r' (Relu): reads 'padded', the output of Pad 'padded'; dlvpc folds a zero Pad only into the padding of "
         "the Conv or pooling that reads it");
}

TEST(PoolImport, LargeWindowsSplitIntoEngineWindowsThatComputeTheSame) {
  // Global maximum over 17x17: a window of 15 (end padding 13, never picked), then 2x2.
  const FloatGraph max = import_onnx(
      pool_graph(17, false, [](auto& g, auto x) { return add_node(g, "GlobalMaxPool", {x}, "gmp").output(0); }), "m");
  // AveragePool 16x16 stride 16 over 32x32: 8 then 2, every window full.
  const FloatGraph avg = import_onnx(pool_graph(32, true, [](auto& g, auto x) { return pool_node(g, x, "AveragePool", 16, 16); }), "m");
  ASSERT_EQ(max.ops.size(), 3u);
  EXPECT_EQ(max.ops[1].pool_size, 15u);
  EXPECT_EQ(max.ops[1].pad_bottom, 13u);
  EXPECT_EQ(max.ops[2].pool_size, 2u);
  ASSERT_EQ(avg.ops.size(), 3u);
  EXPECT_EQ(avg.ops[1].pool_size * avg.ops[2].pool_size, 16u);
  EXPECT_LE(std::max(avg.ops[1].pool_size, avg.ops[2].pool_size), 15u);
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (const FloatGraph* g : {&max, &avg}) {
    std::vector<float> input(g->input.elements());
    for (float& v : input) v = d(rng);
    const std::vector<std::vector<float>> out = run_float(*g, input);
    const FloatOp& conv = g->ops[0];
    const uint32_t window = g == &avg ? 16 : conv.output.h;
    const uint32_t n = conv.output.h / window;
    for (uint32_t c = 0; c < conv.output.c; ++c)
      for (uint32_t oy = 0; oy < n; ++oy)
        for (uint32_t ox = 0; ox < n; ++ox) {
          double sum = 0, best = -1e30;
          for (uint32_t y = oy * window; y < (oy + 1) * window; ++y)
            for (uint32_t x = ox * window; x < (ox + 1) * window; ++x) {
              const float v = out[0][(c * conv.output.h + y) * conv.output.w + x];
              sum += v, best = std::max<double>(best, v);
            }
          const double want = g == &avg ? sum / (window * window) : best;
          EXPECT_NEAR(out.back()[(c * n + oy) * n + ox], want, 1e-5);
        }
  }
}

TEST(PoolImport, AMeanOverHeightAndWidthIsAGlobalAveragePooling) {
  // torch's x.mean([2, 3]) (MNASNet, ShuffleNetV2): ReduceMean axes [2, 3], keepdims 0, then a Gemm.
  const auto mean = [](std::vector<int64_t> axes) {
    return pool_graph(6, true, [axes](auto& g, auto x) {
      onnx::NodeProto& n = add_node(g, "ReduceMean", {x}, "mean");
      set_ints(n, "axes", axes);
      set_int(n, "keepdims", 0);
      return std::string("mean");
    });
  };
  const FloatGraph g = import_onnx(mean({-1, 2}), "m");
  ASSERT_EQ(g.ops.size(), 2u);
  EXPECT_EQ(g.ops[1].kind, OpKind::kPool);
  EXPECT_TRUE(g.ops[1].average);
  EXPECT_EQ(g.ops[1].pool_size, 6u);
  EXPECT_EQ(g.output_dims, (std::vector<int64_t>{1, 3}));
  // CPUC: a mean over the channels is the CPU's (cpu_stage.h): views 3x6x6 -> 1x6x6.
  const FloatGraph c = import_onnx(mean({1}), "m");
  ASSERT_EQ(c.ops.size(), 2u);
  EXPECT_EQ(c.ops[1].kind, OpKind::kCpu);
  EXPECT_EQ(c.ops[1].input_view, (TensorShape{3, 6, 6}));
  EXPECT_EQ(c.ops[1].output_view, (TensorShape{1, 6, 6}));
  EXPECT_EQ(c.output_dims, (std::vector<int64_t>{1, 6, 6}));
}

// ---- the constant folder ------------------------------------------------------------------

std::vector<ConstTensor> fold(const onnx::NodeProto& node, const std::vector<ConstTensor>& inputs, std::string* why = nullptr) {
  std::vector<FoldInput> in;
  for (const ConstTensor& t : inputs) in.push_back({&t, false, {}});
  std::vector<ConstTensor> out;
  const std::string reason = fold_node(node, in, out);
  if (why) *why = reason;
  else EXPECT_EQ(reason, "") << node.op_type();
  return out;
}

onnx::NodeProto node_of(const std::string& op) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.add_output("y");
  return n;
}

TEST(ConstantFold, ShapeArithmeticAsTorchWritesIt) {
  // Shape of a computed tensor, then Gather of dim 1 and Unsqueeze: torch's x.size(1) as a 1-D shape part.
  onnx::NodeProto shape = node_of("Shape");
  std::vector<ConstTensor> out;
  ASSERT_EQ(fold_node(shape, {FoldInput{nullptr, true, {2, 5, 4}}}, out), "");
  EXPECT_EQ(out[0].values, (std::vector<double>{2, 5, 4}));
  const ConstTensor dims = out[0];
  const ConstTensor scalar_one{{}, {1}};
  const ConstTensor batch = fold(node_of("Gather"), {dims, scalar_one})[0];
  EXPECT_TRUE(batch.dims.empty());
  EXPECT_EQ(batch.values, std::vector<double>{5});
  onnx::NodeProto unsqueeze = node_of("Unsqueeze");
  const ConstTensor part = fold(unsqueeze, {batch, ConstTensor{{1}, {0}}})[0];
  EXPECT_EQ(part.dims, std::vector<int64_t>{1});
  onnx::NodeProto concat = node_of("Concat");
  set_int(concat, "axis", 0);
  const ConstTensor target = fold(concat, {ConstTensor{{1}, {1}}, part, ConstTensor{{1}, {8}}})[0];
  EXPECT_EQ(target.values, (std::vector<double>{1, 5, 8}));
  // Expand of a zero scalar to that shape: torch's zero states.
  const ConstTensor zeros = fold(node_of("Expand"), {ConstTensor{{}, {0}}, target})[0];
  EXPECT_EQ(zeros.dims, (std::vector<int64_t>{1, 5, 8}));
  EXPECT_EQ(zeros.values.size(), 40u);
  // Slice with torch's open end (INT64_MAX) and a negative start, reversed by a negative step.
  const ConstTensor seq{{5}, {0, 1, 2, 3, 4}};
  const double open = 9223372036854775807.0;
  EXPECT_EQ(fold(node_of("Slice"), {seq, ConstTensor{{1}, {-2}}, ConstTensor{{1}, {open}}})[0].values, (std::vector<double>{3, 4}));
  EXPECT_EQ(fold(node_of("Slice"), {seq, ConstTensor{{1}, {-1}}, ConstTensor{{1}, {-open - 1}}, ConstTensor{{1}, {0}},
                                    ConstTensor{{1}, {-2}}})[0]
                .values,
            (std::vector<double>{4, 2, 0}));
  // Transpose and Cast.
  onnx::NodeProto transpose = node_of("Transpose");
  set_ints(transpose, "perm", {1, 0});
  EXPECT_EQ(fold(transpose, {ConstTensor{{2, 3}, {1, 2, 3, 4, 5, 6}}})[0].values, (std::vector<double>{1, 4, 2, 5, 3, 6}));
  onnx::NodeProto cast = node_of("Cast");
  set_int(cast, "to", onnx::TensorProto::INT64);
  EXPECT_EQ(fold(cast, {ConstTensor{{2}, {-2.7, 2.7}}})[0].values, (std::vector<double>{-2, 2}));
}

// CPUC: torch's x.chunk(2, dim=1) (ShuffleNetV2) computes (channels + 1) / 2 on the int64 shape:
// integer operands truncate as ONNX's integer Div; float ones, or whole numbers of no known integer
// type, keep the exact quotient or are refused.
TEST(ConstantFold, AnIntegerDivOfShapesTruncates) {
  std::vector<ConstTensor> out;
  ASSERT_EQ(fold_node(node_of("Shape"), {FoldInput{nullptr, true, {1, 117, 28, 28}}}, out), "");
  EXPECT_TRUE(out[0].integer);
  const ConstTensor channels = fold(node_of("Gather"), {out[0], ConstTensor{{}, {1}, true}})[0];
  EXPECT_TRUE(channels.integer);
  const ConstTensor half = fold(node_of("Div"), {channels, ConstTensor{{}, {2}, true}})[0];
  EXPECT_EQ(half.values, std::vector<double>{58});
  EXPECT_TRUE(half.integer);
  EXPECT_EQ(fold(node_of("Div"), {ConstTensor{{}, {-7}, true}, ConstTensor{{}, {2}, true}})[0].values,
            std::vector<double>{-3});  // toward zero
  EXPECT_EQ(fold(node_of("Div"), {ConstTensor{{}, {7}}, ConstTensor{{}, {0.5}}})[0].values, std::vector<double>{14});
  std::string why;
  fold(node_of("Div"), {ConstTensor{{}, {117}}, ConstTensor{{}, {2}}}, &why);
  EXPECT_NE(why.find("without a whole quotient"), std::string::npos) << why;
}

TEST(ConstantFold, ResultsAreBoundedBeforeTheyAreAllocated) {
  std::string why;
  fold(node_of("ConstantOfShape"), {ConstTensor{{2}, {65536, 65536}}}, &why);
  EXPECT_NE(why.find("result [65536,65536] has more than 134217728 elements"), std::string::npos) << why;
  fold(node_of("Expand"), {ConstTensor{{}, {0}}, ConstTensor{{3}, {1024, 1024, 1024}}}, &why);
  EXPECT_NE(why.find("has more than 134217728 elements"), std::string::npos) << why;
  fold(node_of("Gather"), {ConstTensor{{3}, {1, 2, 3}}, ConstTensor{{}, {3}}}, &why);
  EXPECT_NE(why.find("index 3 is outside -3..2"), std::string::npos) << why;
  fold(node_of("Reshape"), {ConstTensor{{3}, {1, 2, 3}}, ConstTensor{{1}, {4}}}, &why);
  EXPECT_NE(why.find("does not hold the input's 3 elements"), std::string::npos) << why;
  // In a model: the importer names the node.
  onnx::ModelProto m = test::new_model();
  test::GraphBuilder b(*m.mutable_graph(), 1);
  const std::string x = b.conv(b.input("image", {1, 1, 4, 4}), 2, 3, 1, 1);
  add_int64s(*m.mutable_graph(), "huge", {65536, 65536});
  add_node(*m.mutable_graph(), "ConstantOfShape", {"huge"}, "bomb");
  add_node(*m.mutable_graph(), "Reshape", {x, "bomb"}, "out");
  m.mutable_graph()->add_output()->set_name("out");
  const std::string e = test::import_error(m);
  EXPECT_NE(e.find("node 'bomb' (ConstantOfShape): result [65536,65536] has more than 134217728 elements"), std::string::npos) << e;
}

}  // namespace
