#include "onednn_conv.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <chrono>
#include <cstring>
#include <random>

namespace dlvp::bench {

using dnnl::memory;

struct OneDnnConv::Impl {
  ConvShape shape;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  memory::desc src_plain, weights_plain, dst_plain;
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward conv;
  memory src, weights, dst;

  explicit Impl(const ConvShape& s) : shape(s) {
    const memory::dim out = (s.height + 2 * s.pad - s.kernel) / s.stride + 1;
    const memory::dim out_w = (s.width + 2 * s.pad - s.kernel) / s.stride + 1;
    src_plain = memory::desc({1, s.in_c, s.height, s.width}, memory::data_type::s8, memory::format_tag::nchw);
    weights_plain = memory::desc({s.out_c, s.in_c, s.kernel, s.kernel}, memory::data_type::s8, memory::format_tag::oihw);
    dst_plain = memory::desc({1, s.out_c, out, out_w}, memory::data_type::s32, memory::format_tag::nchw);
    const memory::desc src_any({1, s.in_c, s.height, s.width}, memory::data_type::s8, memory::format_tag::any);
    const memory::desc weights_any({s.out_c, s.in_c, s.kernel, s.kernel}, memory::data_type::s8, memory::format_tag::any);
    const memory::desc dst_any({1, s.out_c, out, out_w}, memory::data_type::s32, memory::format_tag::any);
    const memory::dims strides = {s.stride, s.stride}, padding = {s.pad, s.pad};
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         src_any, weights_any, dst_any, strides, padding, padding);
    pd = dnnl::convolution_forward::primitive_desc(desc, engine);
    conv = dnnl::convolution_forward(pd);
    src = memory(pd.src_desc(), engine);
    weights = memory(pd.weights_desc(), engine);
    dst = memory(pd.dst_desc(), engine);
  }

  void load(const memory::desc& plain_desc, const void* data, memory& target) {
    memory plain(plain_desc, engine);
    std::memcpy(plain.get_data_handle(), data, plain_desc.get_size());
    dnnl::reorder(plain, target).execute(stream, plain, target);
    stream.wait();
  }
};

OneDnnConv::OneDnnConv(const ConvShape& shape) : impl_(new Impl(shape)) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<int8_t> input(size_t(shape.in_c) * shape.height * shape.width);
  std::vector<int8_t> weights(size_t(shape.out_c) * shape.in_c * shape.kernel * shape.kernel);
  for (auto& v : input) v = static_cast<int8_t>(byte(rng));
  for (auto& v : weights) v = static_cast<int8_t>(byte(rng));
  impl_->load(impl_->src_plain, input.data(), impl_->src);
  impl_->load(impl_->weights_plain, weights.data(), impl_->weights);
}

OneDnnConv::~OneDnnConv() { delete impl_; }

double OneDnnConv::run() {
  const auto t0 = std::chrono::steady_clock::now();
  impl_->conv.execute(impl_->stream, {{DNNL_ARG_SRC, impl_->src}, {DNNL_ARG_WEIGHTS, impl_->weights}, {DNNL_ARG_DST, impl_->dst}});
  impl_->stream.wait();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<int32_t> OneDnnConv::compute(const std::vector<int8_t>& input, const std::vector<int8_t>& weights) {
  impl_->load(impl_->src_plain, input.data(), impl_->src);
  impl_->load(impl_->weights_plain, weights.data(), impl_->weights);
  run();
  memory plain(impl_->dst_plain, impl_->engine);
  dnnl::reorder(impl_->dst, plain).execute(impl_->stream, impl_->dst, plain);
  impl_->stream.wait();
  std::vector<int32_t> result(impl_->dst_plain.get_size() / sizeof(int32_t));
  std::memcpy(result.data(), plain.get_data_handle(), impl_->dst_plain.get_size());
  return result;
}

}  // namespace dlvp::bench
