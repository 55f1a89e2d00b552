// A package with CPU stages (version 7) for the tests: a 3x3 convolution (8 -> `channels` (even) on
// `size` x `size`, random weights) on the CNN engine, then two CPU stages on its output, in place:
// ShuffleNet's channel shuffle (groups 2: the [2][c/2][h*w] view transposed to [c/2][2][h*w]) and a
// softmax over the channels (output radix point 7). The expected output is the reference
// convolution followed by the same CPU operations (platform/cpu_ops.h).
#pragma once
#include "platform/cpu_ops.h"
#include "tests/reference/network_reference.h"
#include "tools/builder/program.h"
#include "tools/package/package_writer.h"

#include <random>
#include <string>
#include <vector>

namespace dlvp::test {

inline builder::Network shuffle_conv_network(uint32_t channels, uint32_t size) {
  builder::ConvLayer conv;
  conv.name = "conv";
  conv.in_c = 8, conv.in_h = size, conv.in_w = size, conv.out_c = channels;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_left = conv.pad_bottom = conv.pad_right = 1;
  conv.output_shift = 7;
  std::mt19937 rng(16);
  conv.weights.resize(size_t{channels} * 8 * 9);
  for (int8_t& w : conv.weights) w = static_cast<int8_t>(static_cast<int>(rng() % 17) - 8);
  conv.bias.assign(channels, 0);
  builder::Network net;
  net.add(conv);
  return net;
}

// The conv's output in the output window: [c][h][w] int8 at offset 0, radix point `frac`.
inline package::CpuTensor conv_output(uint32_t c, uint32_t h, uint32_t w, int32_t frac) {
  return package::CpuTensor{builder::kArgOutput, 1, 0, c, h, w, frac};
}

inline std::vector<package::StageRecord> shuffle_softmax_stages(const builder::Program& program, uint32_t channels,
                                                                uint32_t size) {
  const uint32_t hw = size * size;
  package::StageRecord job{};
  job.kind = package::kStageAccelerator;
  job.instruction_count = static_cast<uint32_t>(program.instructions.size());
  package::StageRecord shuffle{};
  shuffle.kind = package::kStageCpu;
  shuffle.op = cpu::kOpTranspose;
  shuffle.params[0] = 1, shuffle.params[1] = 0, shuffle.params[2] = 2;
  shuffle.inputs[0] = conv_output(2, channels / 2, hw, 0);
  shuffle.output = conv_output(channels / 2, 2, hw, 0);
  package::StageRecord softmax{};
  softmax.kind = package::kStageCpu;
  softmax.op = cpu::kOpSoftmax;
  softmax.inputs[0] = conv_output(channels, size, size, 0);
  softmax.output = conv_output(channels, size, size, 7);
  return {job, shuffle, softmax};
}

// The package, its test input random, its expected output from the references.
inline std::vector<uint8_t> staged_package(uint32_t channels = 16, uint32_t size = 8) {
  const CnnConfig hw;
  const builder::Network net = shuffle_conv_network(channels, size);
  const builder::Program program = builder::build(net, hw);
  std::mt19937 rng(7);
  package::TestData test;
  test.input.resize(size_t{8} * size * size);
  for (int8_t& v : test.input) v = static_cast<int8_t>(rng());
  std::vector<int8_t> data = ref::run_network(net, program.plan.input.shape, test.input, hw.accumulator_bits);
  const std::vector<package::StageRecord> stages = shuffle_softmax_stages(program, channels, size);
  for (size_t i = 1; i < stages.size(); ++i) {
    std::vector<int8_t> out(data.size());
    const uint8_t* inputs[2] = {reinterpret_cast<const uint8_t*>(data.data()), nullptr};
    cpu::run(stages[i], inputs, reinterpret_cast<uint8_t*>(out.data()));
    data = out;
  }
  test.expected = data;
  package::TensorFormats formats;
  formats.output_frac_bits = 7;
  return package::write_package(program, hw, &test, formats, {}, {}, {stages, {"shuffle", "softmax"}});
}

}  // namespace dlvp::test
