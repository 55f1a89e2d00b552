#include "tools/dlvpc/float_pass.h"

#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <unordered_map>

namespace dlvp::dlvpc {

using dnnl::memory;

namespace {

// A convolution as oneDNN runs it: the primitive in the layouts oneDNN chose, its weights reordered
// into them once.
struct ConvPrimitive {
  memory::desc src_plain, dst_plain;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory weights, bias;
};

memory::dims dims_of(const TensorShape& s) { return {1, s.c, s.h, s.w}; }

// oneDNN's OpenMP team for one layer: a small layer runs on this thread alone (a team costs more
// than it saves there, and its idle members spin on a shared machine). Restores the team size.
class LayerThreads {
 public:
  explicit LayerThreads(uint64_t macs) : saved_(omp_get_max_threads()) {
    if (macs < kTeamWorthMacs) omp_set_num_threads(1);
  }
  ~LayerThreads() { omp_set_num_threads(saved_); }
  LayerThreads(const LayerThreads&) = delete;
  LayerThreads& operator=(const LayerThreads&) = delete;

 private:
  // About a millisecond of one core's work (float_graph's parallel_for draws the line at 2^22).
  static constexpr uint64_t kTeamWorthMacs = uint64_t{1} << 22;
  int saved_;
};

}  // namespace

struct FloatPass::Impl {
  const FloatGraph& graph;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  std::vector<std::optional<ConvPrimitive>> convs;  // per op
  std::vector<size_t> last_use;                     // the last op that reads each op's output

  explicit Impl(const FloatGraph& g) : graph(g) {
    convs.resize(g.ops.size());
    last_use.resize(g.ops.size());
    for (size_t i = 0; i < g.ops.size(); ++i) {
      last_use[i] = i;
      for (const int source : g.ops[i].inputs)
        if (source != kGraphInput) last_use[source] = std::max(last_use[source], i);
      if (g.ops[i].kind == OpKind::kConv) convs[i] = prepare_conv(g.ops[i]);
    }
  }

  // Copies (reorders) `from` into `to` when their layouts differ.
  void reorder(memory& from, memory& to) {
    dnnl::reorder(from, to).execute(stream, from, to);
    stream.wait();
  }

  ConvPrimitive prepare_conv(const FloatOp& op) {
    const LayerThreads threads(op.macs());  // the primitive partitions its work for this team
    ConvPrimitive p;
    const TensorShape sums{op.output.c, op.conv_h(), op.conv_w()};
    // Grouped (DW): oneDNN's weights [G][out_c/G][in_c/G][kh][kw] are ONNX's [out_c][in_c/G][kh][kw].
    const memory::dims weight_dims =
        op.groups > 1 ? memory::dims{op.groups, op.output.c / op.groups, op.group_in_c(), op.kernel_h, op.kernel_w}
                      : memory::dims{op.output.c, op.input.c, op.kernel_h, op.kernel_w};
    const memory::format_tag weight_tag = op.groups > 1 ? memory::format_tag::goihw : memory::format_tag::oihw;
    p.src_plain = memory::desc(dims_of(op.input), memory::data_type::f32, memory::format_tag::nchw);
    p.dst_plain = memory::desc(dims_of(sums), memory::data_type::f32, memory::format_tag::nchw);
    const memory::desc src_any(dims_of(op.input), memory::data_type::f32, memory::format_tag::any);
    const memory::desc weights_any(weight_dims, memory::data_type::f32, memory::format_tag::any);
    const memory::desc dst_any(dims_of(sums), memory::data_type::f32, memory::format_tag::any);
    const memory::desc bias_desc({op.output.c}, memory::data_type::f32, memory::format_tag::x);
    const memory::dims strides = {op.stride_h, op.stride_w};
    const memory::dims pad_l = {op.pad_top, op.pad_left}, pad_r = {op.pad_bottom, op.pad_right};
    const auto desc = op.bias.empty()
        ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_any,
                                          weights_any, dst_any, strides, pad_l, pad_r)
        : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_any,
                                          weights_any, bias_desc, dst_any, strides, pad_l, pad_r);
    p.pd = dnnl::convolution_forward::primitive_desc(desc, engine);
    p.conv = dnnl::convolution_forward(p.pd);
    // oneDNN only reads the user buffers: the const_casts hand it the graph's own floats.
    memory plain_weights(memory::desc(weight_dims, memory::data_type::f32, weight_tag), engine,
                         const_cast<float*>(op.weights.data()));
    p.weights = memory(p.pd.weights_desc(), engine);
    reorder(plain_weights, p.weights);
    if (!op.bias.empty()) p.bias = memory(bias_desc, engine, const_cast<float*>(op.bias.data()));
    return p;
  }

  std::vector<float> convolve(size_t index, const std::vector<float>& x) {
    const LayerThreads threads(graph.ops[index].macs());
    ConvPrimitive& p = *convs[index];
    memory src_plain(p.src_plain, engine, const_cast<float*>(x.data()));
    memory src = src_plain;
    if (p.pd.src_desc() != p.src_plain) {
      src = memory(p.pd.src_desc(), engine);
      reorder(src_plain, src);
    }
    std::vector<float> y(p.dst_plain.get_size() / sizeof(float));
    memory dst_plain(p.dst_plain, engine, y.data());
    memory dst = p.pd.dst_desc() == p.dst_plain ? dst_plain : memory(p.pd.dst_desc(), engine);
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, p.weights}, {DNNL_ARG_DST, dst}};
    if (p.bias) args[DNNL_ARG_BIAS] = p.bias;
    p.conv.execute(stream, args);
    stream.wait();
    if (dst != dst_plain) reorder(dst, dst_plain);
    return finish_conv(graph.ops[index], std::move(y));
  }

  // y = W x + b: one row of a row-major GEMM, x (1 x n_in) times W^T (n_in x n_out).
  std::vector<float> fully_connected(const FloatOp& op, const std::vector<float>& x) {
    const LayerThreads threads(op.macs());
    const memory::dim n_in = static_cast<memory::dim>(x.size()), n_out = op.output.c;
    std::vector<float> y(op.bias.empty() ? std::vector<float>(op.output.c, 0.0f) : op.bias);
    const dnnl::status status = dnnl::sgemm('N', 'T', 1, n_out, n_in, 1.0f, x.data(), n_in, op.weights.data(), n_in,
                                            op.bias.empty() ? 0.0f : 1.0f, y.data(), n_out);
    if (status != dnnl::status::success) throw std::runtime_error("oneDNN sgemm failed on layer '" + op.name + "'");
    if (op.relu)
      for (float& v : y) v = std::max(v, 0.0f);
    activate(op, y);
    return y;
  }
};

FloatPass::FloatPass(const FloatGraph& graph) : impl_(std::make_unique<Impl>(graph)) {}
FloatPass::~FloatPass() = default;

void FloatPass::run(const std::vector<float>& onnx_input,
                    const std::function<void(size_t, const std::vector<float>&)>& visit) {
  const FloatGraph& g = impl_->graph;
  const std::vector<float> input = centered_input(g, onnx_input);
  std::vector<std::vector<float>> outs(g.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const FloatOp& op = g.ops[i];
    std::vector<const std::vector<float>*> in;
    for (const int source : op.inputs) in.push_back(source == kGraphInput ? &input : &outs[source]);
    if (op.kind == OpKind::kConv) outs[i] = impl_->convolve(i, *in[0]);
    else if (op.kind == OpKind::kFc) outs[i] = impl_->fully_connected(op, *in[0]);
    else outs[i] = run_op(op, in);
    visit(i, outs[i]);
    // Outputs nobody reads any more (this one included when nothing reads it) are released.
    for (size_t k = 0; k <= i; ++k)
      if (impl_->last_use[k] <= i && !outs[k].empty()) std::vector<float>().swap(outs[k]);
  }
}

std::vector<std::vector<float>> FloatPass::outputs(const std::vector<float>& onnx_input) {
  std::vector<std::vector<float>> outs;
  run(onnx_input, [&](size_t, const std::vector<float>& y) { outs.push_back(y); });
  return outs;
}

}  // namespace dlvp::dlvpc
