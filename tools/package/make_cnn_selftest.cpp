// Builds the CNN self-test package: a hand-built three-layer network — CONV 3x3 + ReLU + 2x2 max
// pool, CONV 3x3 + ReLU (48 output channels: not a multiple of the 16 convolvers), FC to 10
// outputs — with random int8 weights and input (fixed seed), per-layer output shifts chosen from
// the accumulator range (a minimal calibration), and the output the reference model computes.
// Usage: make_cnn_selftest OUT.pkg [--single-buffer]
#include "tests/reference/cnn_reference.h"
#include "tools/builder/program.h"
#include "tools/package/package_writer.h"

#include <systemc>  // declares sc_main with C linkage

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>

namespace {

using namespace dlvp;

std::mt19937 g_rng(20261122);

std::vector<int8_t> random_bytes(size_t n, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(g_rng));
  return v;
}

std::vector<int32_t> random_bias(size_t n) {
  std::uniform_int_distribution<int> d(-2000, 2000);
  std::vector<int32_t> v(n);
  for (auto& x : v) x = d(g_rng);
  return v;
}

// The smallest right shift that brings the largest accumulator magnitude into int8 range.
int pick_shift(int64_t max_magnitude) {
  int shift = 0;
  while (shift < 31 && (max_magnitude >> shift) > 127) ++shift;
  return shift;
}

ref::ConvLayer to_ref(const builder::ConvLayer& l) {
  ref::ConvLayer r;
  r.in_c = l.in_c, r.in_h = l.in_h, r.in_w = l.in_w, r.out_c = l.out_c;
  r.kernel_h = l.kernel_h, r.kernel_w = l.kernel_w, r.stride_h = l.stride_h, r.stride_w = l.stride_w;
  r.pad_top = l.pad_top, r.pad_left = l.pad_left, r.pad_bottom = l.pad_bottom, r.pad_right = l.pad_right;
  r.bias_shift = l.bias_shift, r.output_shift = l.output_shift, r.relu = l.relu;
  r.pool = l.pooled(), r.pool_size = l.pooled() ? l.pool_size : 2, r.pool_stride = l.pooled() ? l.pool_stride : 2;
  return r;
}

// Calibrates the layer's output shift on `input`, then returns its reference output.
std::vector<int8_t> run_conv(builder::ConvLayer& layer, const std::vector<int8_t>& input) {
  ref::ConvLayer r = to_ref(layer);
  std::vector<int64_t> start(size_t(r.out_c) * r.out_h() * r.out_w());
  for (size_t i = 0; i < start.size(); ++i) start[i] = int64_t{layer.bias[i / (r.out_h() * r.out_w())]} << layer.bias_shift;
  int64_t max_magnitude = 0;
  for (int64_t a : ref::conv_accumulate(r, input, layer.weights, start)) max_magnitude = std::max<int64_t>(max_magnitude, std::llabs(a));
  layer.output_shift = pick_shift(max_magnitude);
  r.output_shift = layer.output_shift;
  return ref::conv2d(r, input, layer.weights, layer.bias);
}

std::vector<int8_t> run_fc(builder::FcLayer& layer, const std::vector<int8_t>& input) {
  int64_t max_magnitude = 0;
  for (uint32_t o = 0; o < layer.n_out; ++o) {
    int64_t acc = int64_t{layer.bias[o]} << layer.bias_shift;
    for (uint32_t i = 0; i < layer.n_in; ++i) acc += int64_t{input[i]} * layer.weights[size_t(o) * layer.n_in + i];
    max_magnitude = std::max<int64_t>(max_magnitude, std::llabs(acc));
  }
  layer.output_shift = pick_shift(max_magnitude);
  ref::FcLayer r;
  r.n_in = layer.n_in, r.n_out = layer.n_out, r.bias_shift = layer.bias_shift, r.output_shift = layer.output_shift;
  r.relu = layer.relu;
  return ref::fully_connected(r, input, layer.weights, layer.bias);
}

builder::ConvLayer conv3x3(const char* name, uint32_t in_c, uint32_t size, uint32_t out_c, bool pool) {
  builder::ConvLayer l;
  l.name = name;
  l.in_c = in_c, l.in_h = size, l.in_w = size, l.out_c = out_c;
  l.kernel_h = l.kernel_w = 3;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
  l.relu = true;
  if (pool) l.pool_size = l.pool_stride = 2;
  l.weights = random_bytes(size_t(out_c) * in_c * 9, -64, 63);
  l.bias = random_bias(out_c);
  return l;
}

}  // namespace

// sc_main like every dlvp program (the libraries it uses link SystemC); it elaborates nothing.
int sc_main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: make_cnn_selftest OUT.pkg [--single-buffer]\n";
    return 2;
  }
  builder::BuildOptions options;
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], "--single-buffer") == 0) options.double_buffer = false;
    else {
      std::cerr << "make_cnn_selftest: unknown option " << argv[i] << "\n";
      return 2;
    }
  }
  try {
    const std::vector<int8_t> input = random_bytes(8 * 32 * 32, -128, 127);
    builder::ConvLayer conv1 = conv3x3("conv1", 8, 32, 32, true);
    const std::vector<int8_t> out1 = run_conv(conv1, input);
    builder::ConvLayer conv2 = conv3x3("conv2", 32, 16, 48, false);
    const std::vector<int8_t> out2 = run_conv(conv2, out1);
    builder::FcLayer fc;
    fc.name = "fc";
    fc.n_in = 48 * 16 * 16, fc.n_out = 10;
    fc.weights = random_bytes(size_t(fc.n_in) * fc.n_out, -64, 63);
    fc.bias = random_bias(fc.n_out);
    const std::vector<int8_t> expected = run_fc(fc, out2);

    builder::Network network;
    network.add(conv1);
    network.add(conv2);
    network.add(fc);
    const CnnConfig hw;
    const builder::Program program = builder::build(network, hw, options);
    const package::TestData test{input, expected};
    package::Provenance provenance;  // built for the parameters' defaults, from no model file
    provenance.producer = "make_cnn_selftest";
    provenance.options = options.double_buffer ? "" : "--single-buffer";
    const std::vector<uint8_t> blob = package::write_package(program, hw, &test, {}, provenance);
    package::write_package_file(argv[1], blob);
    std::printf("make_cnn_selftest: %s: %zu instructions, %zu B (%s buffering)\n", argv[1], program.instructions.size(),
                blob.size(), options.double_buffer ? "double" : "single");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "make_cnn_selftest: " << e.what() << "\n";
    return 1;
  }
}
