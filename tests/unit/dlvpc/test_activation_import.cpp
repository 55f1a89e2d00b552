// dlvpc's activations and Mul (ACT; docs/dlvpc.md "Activations"): small ONNX graphs written node
// by node as torch exports them (ReLU6 as Clip with Constant bounds, hardswish at opset 13 as
// Mul(x, HardSigmoid(x)), SiLU as Mul(x, Sigmoid(x)), squeeze-excitation's per-channel Mul) are
// fused into the producing layer's output stage, compile bit-exact against the reference model on
// the ISA interpreter, and stay close to the float model; standalone activations, Mul and a
// per-channel constant scale; refusals name the node and the reason.
#include "tests/reference/network_reference.h"
#include "tools/dlvpc/compiler.h"
#include "tools/dlvpc/onnx_import.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <random>

namespace dlvp::dlvpc {
namespace {

// A model written node by node (shapes are the importer's business; only the output is declared).
class Net {
 public:
  explicit Net(uint32_t seed) : rng_(seed) {
    model_.set_ir_version(7);
    model_.add_opset_import()->set_version(13);
    graph().set_name("act");
  }
  onnx::GraphProto& graph() { return *model_.mutable_graph(); }

  std::string input(const std::string& name, const std::vector<int64_t>& dims) {
    declare(graph().add_input(), name, dims);
    return name;
  }
  std::string node(const std::string& op, const std::vector<std::string>& inputs) {
    onnx::NodeProto& n = *graph().add_node();
    n.set_op_type(op);
    n.set_name(op + std::to_string(graph().node_size()));
    for (const auto& i : inputs) n.add_input(i);
    n.add_output(n.name());
    return n.name();
  }
  std::string constant(float value) {  // torch's Constant node of a scalar
    const std::string name = node("Constant", {});
    onnx::AttributeProto& a = *graph().mutable_node(graph().node_size() - 1)->add_attribute();
    a.set_name("value");
    a.set_type(onnx::AttributeProto::TENSOR);
    a.mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    a.mutable_t()->add_float_data(value);
    return name;
  }
  std::string weights(const std::vector<int64_t>& dims, float scale) {
    onnx::TensorProto& t = *graph().add_initializer();
    t.set_name("w" + std::to_string(graph().initializer_size()));
    t.set_data_type(onnx::TensorProto::FLOAT);
    int64_t n = 1;
    for (const int64_t d : dims) t.add_dims(d), n *= d;
    std::uniform_real_distribution<float> u(-scale, scale);
    for (int64_t i = 0; i < n; ++i) t.add_float_data(u(rng_));
    return t.name();
  }
  std::string conv(const std::string& x, int64_t in_c, int64_t out_c, int64_t k) {
    const std::string y = node("Conv", {x, weights({out_c, in_c, k, k}, 1.0f / std::sqrt(float(in_c * k * k))),
                                        weights({out_c}, 0.3f)});
    onnx::NodeProto& n = *graph().mutable_node(graph().node_size() - 1);
    onnx::AttributeProto& pads = *n.add_attribute();
    pads.set_name("pads");
    pads.set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads.add_ints(k / 2);
    return y;
  }
  void output(const std::string& tensor, const std::vector<int64_t>& dims) { declare(graph().add_output(), tensor, dims); }
  const onnx::ModelProto& model() const { return model_; }

 private:
  static void declare(onnx::ValueInfoProto* v, const std::string& name, const std::vector<int64_t>& dims) {
    v->set_name(name);
    auto* t = v->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    for (const int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::ModelProto model_;
  std::mt19937 rng_;
};

std::vector<std::vector<float>> random_inputs(const TensorShape& shape, int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<std::vector<float>> v(count, std::vector<float>(shape.elements()));
  for (auto& x : v)
    for (float& e : x) e = u(rng);
  return v;
}

CompileOptions small_hw() {
  CompileOptions o;
  o.hw.input_buffer_bytes = o.hw.output_buffer_bytes = o.hw.weight_buffer_bytes = 4096;
  return o;
}

// Compiles, runs each input on the ISA interpreter (bit-exact with the reference) and returns the
// largest |int8 result - float| over the float output's largest magnitude.
double compiled_error(const onnx::ModelProto& model, uint32_t seed) {
  const CompileOptions options = small_hw();
  const FloatGraph g = import_onnx(model, "act");
  const Compiled c = compile(g, random_inputs(g.input, 16, seed), options);
  double err = 0, scale = 1e-9;
  for (const auto& x : random_inputs(g.input, 4, seed + 1)) {
    const std::vector<int8_t> q = quantize_tensor(x, c.model.input_frac);
    const ref::ProgramRun run = ref::run_program(c.program, options.hw, q);
    EXPECT_EQ(run.result.error, isa::kErrNone);
    EXPECT_EQ(run.output, ref::run_network(c.model.network, c.graph.input, q, options.hw.accumulator_bits));
    const std::vector<float> got = dequantize(run.output, c.model.output_frac());
    const std::vector<float> want = run_float(c.graph, x).back();
    for (size_t i = 0; i < want.size(); ++i) {
      err = std::max(err, double(std::fabs(got[i] - want[i])));
      scale = std::max(scale, double(std::fabs(want[i])));
    }
  }
  return err / scale;
}

// conv -> ReLU6 (Clip, Constant bounds) -> conv -> hardswish as Mul(x, HardSigmoid(x)).
onnx::ModelProto mobilenet_like() {
  Net n(1);
  std::string x = n.input("x", {1, 3, 12, 12});
  x = n.node("Clip", {n.conv(x, 3, 8, 3), n.constant(0.0f), n.constant(6.0f)});
  const std::string y = n.conv(x, 8, 8, 3);
  const std::string gate = n.node("HardSigmoid", {y});
  onnx::AttributeProto& alpha = *n.graph().mutable_node(n.graph().node_size() - 1)->add_attribute();
  alpha.set_name("alpha"), alpha.set_type(onnx::AttributeProto::FLOAT), alpha.set_f(1.0f / 6.0f);
  const std::string out = n.node("Mul", {y, gate});
  n.output(out, {1, 8, 12, 12});
  return n.model();
}

// conv -> SiLU (Mul(x, Sigmoid(x))) -> squeeze-excitation: GAP, conv 1x1 + ReLU, conv 1x1 +
// Sigmoid, Mul by the per-channel gate.
onnx::ModelProto efficientnet_like() {
  Net n(2);
  const std::string x = n.input("x", {1, 4, 10, 10});
  const std::string c = n.conv(x, 4, 16, 3);
  const std::string silu = n.node("Mul", {c, n.node("Sigmoid", {c})});
  const std::string squeeze = n.node("GlobalAveragePool", {silu});
  const std::string reduce = n.node("Relu", {n.conv(squeeze, 16, 4, 1)});
  const std::string gate = n.node("Sigmoid", {n.conv(reduce, 4, 16, 1)});
  n.output(n.node("Mul", {silu, gate}), {1, 16, 10, 10});
  return n.model();
}

}  // namespace

TEST(DlvpcActivation, Relu6AndTorchHardswishFuseIntoTheConvolutions) {
  const FloatGraph g = import_onnx(mobilenet_like(), "mobilenet_like");
  ASSERT_EQ(g.ops.size(), 2u);
  EXPECT_EQ(g.ops[0].onnx_ops, "Conv+Clip");
  EXPECT_EQ(g.ops[0].activation.kind, ActivationKind::kClip);
  EXPECT_EQ(g.ops[0].activation.hi, 6.0f);
  EXPECT_EQ(g.ops[1].onnx_ops, "Conv+HardSigmoid+Mul");
  EXPECT_EQ(g.ops[1].activation.kind, ActivationKind::kGatedHardSigmoid);
  const double error = compiled_error(mobilenet_like(), 10);
  EXPECT_LT(error, 0.06) << "int8 vs float";
  std::cout << "mobilenet_like: largest error " << error << " of the output's range\n";
}

TEST(DlvpcActivation, SiluAndSqueezeExcitationCompileBitExact) {
  const FloatGraph g = import_onnx(efficientnet_like(), "efficientnet_like");
  // conv+SiLU, pool, conv+ReLU, conv+Sigmoid, Mul (broadcast)
  ASSERT_EQ(g.ops.size(), 5u);
  EXPECT_EQ(g.ops[0].onnx_ops, "Conv+Sigmoid+Mul");
  EXPECT_EQ(g.ops[0].activation.kind, ActivationKind::kSilu);
  EXPECT_EQ(g.ops[3].activation.kind, ActivationKind::kSigmoid);
  EXPECT_EQ(g.ops[4].kind, OpKind::kMul);
  EXPECT_TRUE(g.ops[4].channel_broadcast);
  const double error = compiled_error(efficientnet_like(), 20);
  EXPECT_LT(error, 0.06) << "int8 vs float";
  std::cout << "efficientnet_like: largest error " << error << " of the output's range\n";
}

TEST(DlvpcActivation, StandaloneActivationsMulAndAConstantScale) {
  Net n(3);
  const std::string x = n.input("x", {1, 6, 8, 8});
  const std::string a = n.node("Tanh", {x});                 // on the graph input: standalone
  const std::string c = n.conv(a, 6, 6, 3);
  const std::string scale = n.node("Mul", {c, n.weights({1, 6, 1, 1}, 2.0f)});  // folded into the conv
  const std::string leaky = n.node("LeakyRelu", {scale});    // fused
  const std::string s = n.node("Sigmoid", {leaky});          // leaky is read twice: standalone
  n.output(n.node("Mul", {leaky, n.node("Add", {s, leaky})}), {1, 6, 8, 8});
  const FloatGraph g = import_onnx(n.model(), "standalone");
  ASSERT_EQ(g.ops.size(), 5u);
  EXPECT_TRUE(g.ops[0].mean) << "Tanh on its own: (x + x) / 2 and the table";
  EXPECT_EQ(g.ops[1].onnx_ops, "Conv+Mul+LeakyRelu");
  EXPECT_TRUE(g.ops[2].mean);
  EXPECT_EQ(g.ops[4].kind, OpKind::kMul);
  EXPECT_FALSE(g.ops[4].channel_broadcast);
  EXPECT_LT(compiled_error(n.model(), 30), 0.08);
}

TEST(DlvpcActivation, AddOfAPerChannelTensorBroadcastsOverTheMap) {
  Net n(6);
  const std::string x = n.input("x", {1, 4, 6, 6});
  const std::string a = n.conv(x, 4, 5, 3);
  const std::string s = n.conv(n.node("GlobalAveragePool", {a}), 5, 5, 1);
  n.output(n.node("Add", {s, a}), {1, 5, 6, 6});
  const FloatGraph g = import_onnx(n.model(), "add");
  ASSERT_EQ(g.ops.size(), 4u);
  EXPECT_EQ(g.ops[3].kind, OpKind::kAdd);
  EXPECT_TRUE(g.ops[3].channel_broadcast);
  EXPECT_EQ(g.ops[3].inputs, (std::vector<int>{0, 2})) << "the full tensor first";
  EXPECT_LT(compiled_error(n.model(), 40), 0.06);
}

TEST(DlvpcActivation, RefusalsNameTheNodeAndTheReason) {
  Net n(4);
  const std::string x = n.input("x", {1, 2, 4, 4});
  const std::string lo = n.node("GlobalAveragePool", {x});  // a bound computed at run time
  n.output(n.node("Clip", {n.conv(x, 2, 2, 1), lo}), {1, 2, 4, 4});
  try {
    import_onnx(n.model(), "clip");
    FAIL();
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("min is computed at run time"), std::string::npos) << e.what();
  }
  Net m(5);
  const std::string y = m.input("y", {1, 2, 4, 4});
  m.output(m.node("Mul", {m.conv(y, 2, 3, 1), m.node("GlobalAveragePool", {y})}), {1, 3, 4, 4});
  try {
    import_onnx(m.model(), "mul");
    FAIL();
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("one value per channel"), std::string::npos) << e.what();
  }
}

TEST(DlvpcActivation, TablesAreTheFunctionRoundedAtTheOutputFormat) {
  ActivationFn f;
  f.kind = ActivationKind::kSigmoid;
  const builder::Activation a = quantize_activation(f, 4, 7);
  ASSERT_EQ(a.table.size(), 256u);
  for (int y = -128; y <= 127; ++y) {
    const double exact = 1.0 / (1.0 + std::exp(-std::ldexp(y, -4))) * 128.0;
    EXPECT_LE(std::fabs(a.table[y + 128] - std::min(exact, 127.0)), 0.5) << y;
  }
  // The table's input range comes from the calibrated output through the inverse.
  EXPECT_EQ(table_input_frac(f, 0.0f, 1.0f), 3) << "saturated: +-8 covers sigmoid to 3.4e-4";
  EXPECT_EQ(table_input_frac(f, 0.3f, 0.7f), 7) << "logit(0.7) = 0.85";
  ActivationFn clip;
  clip.kind = ActivationKind::kClip, clip.lo = 0, clip.hi = 6;
  const builder::Activation c = quantize_activation(clip, 4, 4);
  EXPECT_TRUE(c.clip);
  EXPECT_EQ(c.clip_min, 0);
  EXPECT_EQ(c.clip_max, 96);
}

}  // namespace dlvp::dlvpc
